//! Reports: everything shown or written about a run. A report never sees a
//! socket; it renders the result document.

pub mod common;
pub mod hdr_log;
pub mod html;
pub mod live;
pub mod locust_csv;
pub mod outcome;
pub mod output;
pub mod prometheus;
pub mod result;
pub mod scenario_result;
pub mod smpp_result;
pub mod smpp_summary;
pub mod summary;
pub mod svg;
pub mod tls;
pub mod verdict;
pub mod view;

pub use result::HttpResult;

use std::path::Path;

/// Writes a result document as pretty JSON to `path`, whole or not at all
/// (see [`output`]).
pub fn write_json<T: serde::Serialize>(result: &T, path: &Path) -> std::io::Result<()> {
    output::write_with(path, |w| {
        serde_json::to_writer_pretty(&mut *w, result)?;
        w.write_all(b"\n")
    })
}
