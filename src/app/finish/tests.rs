//! Tests of the finish path, on a fake result document that counts which
//! outputs were built.

use std::cell::Cell;

use super::*;
use crate::report::locust_csv::CsvReport;

/// A result document that counts how often its view was built.
#[derive(serde::Serialize, Default)]
struct Fake {
    requests: u64,
    #[serde(skip)]
    built: Cell<u32>,
}

impl Finished for Fake {
    const KIND: &'static str = "fake";
    fn summary(&self) -> String {
        String::new()
    }
    fn outcome(&self) -> Outcome {
        Outcome::Completed
    }
    fn cut_short(&self) -> (bool, Option<&str>) {
        (false, None)
    }
    fn view(&self) -> RunView {
        self.built.set(self.built.get() + 1);
        RunView {
            title: "fake".into(),
            verdict: None,
            config: Vec::new(),
            csv: CsvReport {
                elapsed_s: 1.0,
                stats: Vec::new(),
                failures: Vec::new(),
                history: Vec::new(),
            },
            users_label: "users",
            spectrum_us: Vec::new(),
            accounting: String::new(),
            checks: Vec::new(),
            notes: Vec::new(),
            tls: Vec::new(),
            log: Vec::new(),
            started_unix_s: 0.0,
        }
    }
    fn rehydrate(&mut self) -> Result<(), String> {
        Ok(())
    }
}

fn failed(reason: &str) -> Outcome {
    Outcome::Failed {
        reason: reason.into(),
    }
}

#[test]
fn the_outcome_document_says_how_the_load_ended() {
    let done = Outcome::Completed.document(false, None);
    assert_eq!(
        (done.status.as_str(), done.reason, done.exit_code),
        ("completed", None, 0)
    );
    let none = Outcome::NothingWorked {
        reason: "refused".into(),
    }
    .document(false, None);
    assert_eq!(none.status, "nothing_worked");
    assert_eq!(
        (none.reason.as_deref(), none.exit_code),
        (Some("refused"), 1)
    );
    let aborted = failed("FAILED: x").document(false, Some("threshold p99 aborted"));
    assert_eq!(aborted.status, "aborted");
    assert_eq!(
        aborted.reason.as_deref(),
        Some("threshold p99 aborted; FAILED: x")
    );
    assert_eq!(aborted.exit_code, 3);
    let cut = Outcome::Completed.document(true, None);
    assert_eq!(cut.status, "interrupted");
    let reason = cut.reason.unwrap();
    assert!(reason.starts_with("interrupted ("), "{reason}");
    assert!(reason.ends_with("): the load stopped early"), "{reason}");
    let both = Outcome::Completed.document(true, Some("setup interrupted"));
    assert_eq!(both.reason.as_deref(), Some("setup interrupted"));
}

#[test]
fn the_verdict_names_every_failed_threshold_and_invariant() {
    let t = |pass| LimitVerdict {
        request: "login".into(),
        limit: "p99 < 5ms".into(),
        actual: "7ms".into(),
        pass,
    };
    let i = |pass| InvariantVerdict {
        expr: "a == b".into(),
        pass,
        detail: String::new(),
    };
    assert_eq!(verdict_outcome(&[t(true)], &[i(true)]), Outcome::Completed);
    let o = verdict_outcome(&[t(false), t(true)], &[i(false)]);
    assert_eq!(
        o,
        failed("FAILED: threshold login p99 < 5ms (actual 7ms); invariant a == b")
    );
    assert_eq!(o.exit_code(), 3);
}

#[test]
fn counts_lines_list_kinds_or_say_there_were_none() {
    let mut m = std::collections::BTreeMap::new();
    assert_eq!(counts_line(&m), "no errors recorded");
    m.insert("refused".to_string(), 3);
    m.insert("reset".to_string(), 1);
    assert_eq!(counts_line(&m), "refused: 3, reset: 1");
}

#[test]
fn precheck_names_the_first_bad_flag_in_help_order_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("no/such/dir");
    let flag = |files: &OutputArgs| match precheck_outputs(files) {
        Err(AppError::Config(ConfigError::Output { flag, .. })) => flag,
        other => panic!("expected an output error, got {other:?}"),
    };
    let mut files = OutputArgs {
        csv: Some(gone.join("c")),
        hdr_log: Some(gone.join("l")),
        ..OutputArgs::default()
    };
    assert_eq!(flag(&files), "--hdr-log");
    files.html = Some(gone.join("h.html"));
    assert_eq!(flag(&files), "--html");
    files.json = Some(gone.join("r.json"));
    assert_eq!(flag(&files), "--json");
    let ok = OutputArgs {
        json: Some(dir.path().join("r.json")),
        csv: Some(dir.path().join("c")),
        ..OutputArgs::default()
    };
    precheck_outputs(&ok).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created"
    );
}

#[test]
fn finish_writes_what_was_asked_and_builds_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let files = OutputArgs {
        json: Some(json.clone()),
        html: Some(dir.path().join("r.html")),
        ..OutputArgs::default()
    };
    let r = Fake {
        requests: 7,
        ..Fake::default()
    };
    assert_eq!(finish(&r, &files, Ok(())).unwrap(), Outcome::Completed);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["requests"], 7);
    assert_eq!(v["outcome"]["status"], "completed");
    assert!(dir.path().join("r.html").is_file());
    // The page holds the CSV tables (one view for every file); no CSV
    // files were asked for.
    assert_eq!(r.built.get(), 1);
    assert!(!dir.path().join("r_stats.csv").exists());
}

#[test]
fn the_first_failed_output_stops_the_rest_and_names_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let files = OutputArgs {
        json: Some(dir.path().join("r.json")),
        csv: Some(dir.path().join("gone/c")),
        html: Some(dir.path().join("r.html")),
        ..OutputArgs::default()
    };
    let r = Fake::default();
    let e = finish(&r, &files, Ok(())).unwrap_err();
    assert!(matches!(e, AppError::Csv { .. }), "{e:?}");
    assert!(
        dir.path().join("r.json").is_file(),
        "written before the CSV"
    );
    assert!(
        !dir.path().join("r.html").exists(),
        "after the CSV: not written"
    );
    assert_eq!(r.built.get(), 1);
    // A failed live --hdr-log is reported after every file is written.
    let files = OutputArgs {
        json: Some(dir.path().join("r.json")),
        ..OutputArgs::default()
    };
    let log = Err(Kind::HdrLog.error(Path::new("l.hlog"), std::io::Error::other("full")));
    let e = finish(&r, &files, log).unwrap_err();
    assert!(matches!(e, AppError::HdrLog { .. }), "{e:?}");
}

#[test]
fn an_unloaded_run_writes_its_failure_but_no_csv() {
    let dir = tempfile::tempdir().unwrap();
    let files = OutputArgs {
        json: Some(dir.path().join("r.json")),
        csv: Some(dir.path().join("c")),
        ..OutputArgs::default()
    };
    let r = Fake::default();
    finish_unloaded(&r, &files, "setup step `login` failed", true).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(v["outcome"]["status"], "interrupted");
    assert_eq!(v["outcome"]["reason"], "setup step `login` failed");
    assert_eq!(v["outcome"]["exit_code"], 1);
    assert!(!dir.path().join("c_stats.csv").exists());
    assert_eq!(r.built.get(), 0);
}

#[test]
fn a_timeline_becomes_back_to_back_log_intervals() {
    let point = |t_s: f64, histogram: &str| {
        serde_json::from_value::<crate::report::common::TimelinePoint>(serde_json::json!({
            "t_s": t_s, "requests": 0, "errors": 0, "p50_us": 0, "p90_us": 0,
            "p99_us": 0, "max_us": 0, "connections": 0, "histogram": histogram,
        }))
        .unwrap()
    };
    let log = crate::report::view::timeline_log("GET /", &[point(1.0, "a"), point(1.5, "")]);
    let spans: Vec<_> = log.iter().map(|e| (e.start_s, e.length_s)).collect();
    assert_eq!(spans, [(0.0, 1.0), (1.0, 0.5)]);
    assert!(log.iter().all(|e| e.name == "GET /"));
    assert_eq!(log[0].histogram, "a");
}
