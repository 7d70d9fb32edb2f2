//! Reports: everything shown or written about a run. A report never sees a
//! socket; it renders the result document.

pub mod common;
pub mod hdr_log;
pub mod html;
pub mod live;
pub mod locust_csv;
pub mod prometheus;
pub mod result;
pub mod smpp_result;
pub mod smpp_summary;
pub mod summary;
pub mod svg;
pub mod tls;

pub use result::HttpResult;

use std::io::Write;
use std::path::Path;

/// Writes a result document as pretty JSON to `path`.
pub fn write_json<T: serde::Serialize>(result: &T, path: &Path) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer_pretty(&mut file, result)?;
    file.write_all(b"\n")?;
    file.flush()
}
