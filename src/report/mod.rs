//! Reports: everything shown or written about a run. A report never sees a
//! socket; it renders the result document.

pub mod common;
pub mod live;
pub mod result;
pub mod summary;

pub use result::HttpResult;

use std::io::Write;
use std::path::Path;

/// Writes `result` as pretty JSON to `path`.
pub fn write_json(result: &HttpResult, path: &Path) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer_pretty(&mut file, result)?;
    file.write_all(b"\n")?;
    file.flush()
}
