//! `hornet report`: the outputs of a saved `--json` result, rebuilt the
//! way the run that wrote it would have written them.

use serde::de::DeserializeOwned;

use crate::cli::{OutputArgs, ReportArgs};
use crate::report::smpp_result::SmppResult;
use crate::report::HttpResult;
use crate::scenario::result::ScenarioResult;

use super::finish::{write_outputs, Finished, Outcome, REBUILT};
use super::AppError;

/// `hornet report`: rebuild reports from a saved `--json` result.
pub fn report(args: ReportArgs) -> Result<Outcome, AppError> {
    let path = args.result.display().to_string();
    let bad = |reason: String| AppError::Result {
        path: path.clone(),
        reason,
    };
    if args.html.is_none() && args.csv.is_none() && args.hdr_log.is_none() {
        return Err(bad(
            "nothing to write: give --html, --csv and/or --hdr-log".into()
        ));
    }
    let text = std::fs::read_to_string(&args.result).map_err(|e| bad(e.to_string()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let files = OutputArgs {
        html: args.html,
        csv: args.csv,
        hdr_log: args.hdr_log,
        ..OutputArgs::default()
    };
    if doc["kind"] == "scenario" {
        rebuild::<ScenarioResult>(doc, &files, &bad)?;
    } else if doc["protocol"] == "smpp" {
        rebuild::<SmppResult>(doc, &files, &bad)?;
    } else {
        rebuild::<HttpResult>(doc, &files, &bad)?;
    }
    Ok(Outcome::Completed)
}

/// Reads `doc` back as an `R` and writes the files asked for.
fn rebuild<R: Finished + DeserializeOwned>(
    doc: serde_json::Value,
    files: &OutputArgs,
    bad: &dyn Fn(String) -> AppError,
) -> Result<(), AppError> {
    let mut r: R =
        serde_json::from_value(doc).map_err(|e| bad(format!("not a {} result: {e}", R::KIND)))?;
    r.rehydrate().map_err(bad)?;
    write_outputs(&r, None, files, &REBUILT)
}
