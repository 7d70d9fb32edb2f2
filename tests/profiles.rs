//! The example profiles in profiles/: each one compiles (`--check`), runs
//! briefly against the built-in demo API with consistent accounting, and
//! the two race profiles pass in safe mode and fail (exit 3) in racy mode.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn hornet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args(args)
        .output()
        .expect("hornet runs")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn profile(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("profiles")
        .join(name)
        .to_str()
        .expect("UTF-8 path")
        .to_string()
}

/// Every profiles/*.toml, sorted.
fn all_profiles() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("profiles/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

/// Runs `hornet run PROFILE --demo ARGS -q --json FILE` and returns the
/// output and the parsed JSON result.
fn demo_run(name: &str, args: &[&str]) -> (Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("result.json");
    let path = profile(name);
    let mut all = vec!["run", path.as_str(), "--demo", "-q", "--json"];
    all.push(json.to_str().unwrap());
    all.extend_from_slice(args);
    let out = hornet(&all);
    let bytes = std::fs::read(&json)
        .unwrap_or_else(|e| panic!("{name}: no JSON result ({e})\n{}", text(&out)));
    let doc: Value = serde_json::from_slice(&bytes).expect("valid JSON");
    (out, doc)
}

fn n(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` is not a count in {v:#}"))
}

/// Requests were sent, every one is accounted for exactly once (overall and
/// per name), and the run ended with PASS (0) or a threshold/invariant
/// FAIL (3), never a usage or runtime error.
fn assert_sane(name: &str, out: &Output, doc: &Value) {
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "{name}: {}",
        text(out)
    );
    let t = &doc["total"];
    assert!(n(t, "requests") > 0, "{name}: no requests\n{doc:#}");
    let sum =
        |v: &Value| n(v, "passed") + n(v, "check_failed") + n(v, "errors") + n(v, "interrupted");
    assert_eq!(
        n(t, "requests"),
        sum(t),
        "{name}: total accounting\n{doc:#}"
    );
    let mut per_name = 0;
    for r in doc["requests"].as_array().expect("requests array") {
        assert_eq!(
            n(r, "requests"),
            sum(r),
            "{name}: accounting of {}\n{doc:#}",
            r["name"]
        );
        per_name += n(r, "requests");
    }
    assert_eq!(
        per_name,
        n(t, "requests"),
        "{name}: names add up to the total\n{doc:#}"
    );
    assert!(doc["worker_error"].is_null(), "{name}: {doc:#}");
}

/// The demo API answers every request of the profile as the profile
/// expects: no failed checks, no transport errors.
fn assert_all_checks_pass(name: &str, doc: &Value) {
    let t = &doc["total"];
    assert_eq!(n(t, "check_failed"), 0, "{name}: failed checks\n{doc:#}");
    assert_eq!(n(t, "errors"), 0, "{name}: transport errors\n{doc:#}");
}

#[test]
fn there_is_a_profile_per_seed_scenario() {
    let names: Vec<String> = all_profiles()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "finance-race.toml",
        "last-item.toml",
        "shop-standard.toml",
        "shop-stress.toml",
        "zenzefi-flow.toml",
        "battwheels.toml",
        "protei-10k.toml",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "missing profiles/{want} in {names:?}"
        );
    }
}

#[test]
fn every_profile_passes_check() {
    for p in all_profiles() {
        let path = p.to_str().unwrap();
        let out = hornet(&["run", path, "--check"]);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(": ok"), "{path}: {}", text(&out));
    }
}

#[test]
fn every_profile_starts_with_a_comment_and_has_a_description() {
    for p in all_profiles() {
        let src = std::fs::read_to_string(&p).unwrap();
        assert!(
            src.starts_with('#'),
            "{}: starts with a comment",
            p.display()
        );
        assert!(
            src.contains("--demo"),
            "{}: says how to run it against the demo",
            p.display()
        );
        assert!(
            src.contains("--host"),
            "{}: says how to run it against a real host",
            p.display()
        );
        assert!(
            src.contains("\ndescription = "),
            "{}: has a description",
            p.display()
        );
    }
}

#[test]
fn battwheels_classes_check_one_at_a_time() {
    let path = profile("battwheels.toml");
    for class in [
        "NormalOperationsUser",
        "FinanceUser",
        "PeakTicketCreator",
        "EFIUser",
    ] {
        let out = hornet(&["run", &path, "--check", "--user-class", class]);
        assert_eq!(out.status.code(), Some(0), "{class}: {}", text(&out));
    }
    let out = hornet(&["run", &path, "--check", "--user-class", "NoSuchUser"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn finance_race_passes_safe_and_fails_racy() {
    let (out, doc) = demo_run("finance-race.toml", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_sane("finance-race", &out, &doc);
    assert_eq!(n(&doc["total"], "requests"), 100, "{doc:#}");
    assert_eq!(doc["verdict"], "pass");

    let (out, doc) = demo_run("finance-race.toml", &["--racy"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_sane("finance-race --racy", &out, &doc);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("difference"), "{}", text(&out));
    assert_eq!(doc["verdict"], "fail");
}

#[test]
fn last_item_passes_safe_and_fails_racy() {
    let (out, doc) = demo_run("last-item.toml", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_sane("last-item", &out, &doc);
    assert_all_checks_pass("last-item", &doc);
    let order = doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "order")
        .expect("order results");
    assert_eq!(order["status"]["201"], 5, "{doc:#}");
    assert_eq!(order["status"]["409"], 15, "{doc:#}");
    assert_eq!(doc["captured"]["after"]["stock"], "0", "{doc:#}");
    let invariants = doc["invariants"].as_array().unwrap();
    assert_eq!(invariants.len(), 4);
    assert!(invariants.iter().all(|i| i["pass"] == true), "{doc:#}");

    let (out, doc) = demo_run("last-item.toml", &["--racy"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_sane("last-item --racy", &out, &doc);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("difference"), "{}", text(&out));
    // Overselling: more than 5 orders succeed.
    let invariants = doc["invariants"].as_array().unwrap();
    assert!(invariants.iter().any(|i| i["pass"] == false), "{doc:#}");
}

const BRIEF: &[&str] = &["--run-time", "1s", "-u", "10"];

#[test]
fn shop_standard_runs_briefly_against_the_demo() {
    let (out, doc) = demo_run("shop-standard.toml", BRIEF);
    assert_sane("shop-standard", &out, &doc);
    assert_all_checks_pass("shop-standard", &doc);
    // At 10 users for 1 s the seed's 300 req/s floor may fail; the latency
    // and error-rate thresholds hold on the demo.
    for t in doc["thresholds"].as_array().unwrap() {
        let limit = t.to_string();
        if !limit.contains("throughput") {
            assert_eq!(t["pass"], true, "{t:#}\n{doc:#}");
        }
    }
}

#[test]
fn shop_stress_runs_briefly_against_the_demo() {
    let (out, doc) = demo_run("shop-stress.toml", BRIEF);
    assert_sane("shop-stress", &out, &doc);
    assert_all_checks_pass("shop-stress", &doc);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn zenzefi_flow_runs_briefly_against_the_demo() {
    let (out, doc) = demo_run("zenzefi-flow.toml", BRIEF);
    assert_sane("zenzefi-flow", &out, &doc);
    assert_all_checks_pass("zenzefi-flow", &doc);
    // Every user got through register and login.
    let by_name = |name: &str| -> Value {
        doc["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no `{name}` results\n{doc:#}"))
    };
    assert_eq!(by_name("register")["status"]["201"], 10, "{doc:#}");
    assert_eq!(by_name("login")["status"]["200"], 10, "{doc:#}");
}

#[test]
fn battwheels_runs_each_class_briefly_against_the_demo() {
    for class in [
        "NormalOperationsUser",
        "FinanceUser",
        "PeakTicketCreator",
        "EFIUser",
    ] {
        let mut args = vec!["--user-class", class];
        args.extend_from_slice(BRIEF);
        let (out, doc) = demo_run("battwheels.toml", &args);
        let what = format!("battwheels {class}");
        assert_sane(&what, &out, &doc);
        assert_all_checks_pass(&what, &doc);
        // p95 < 500 ms, p99 < 2 s, errors < 1%: the demo meets them.
        assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out));
    }
}

#[test]
fn protei_messaging_runs_briefly_against_the_demo() {
    let (out, doc) = demo_run(
        "protei-10k.toml",
        &[
            "--user-class",
            "MessagingUser",
            "--rate",
            "200",
            "--run-time",
            "1s",
            "-u",
            "50",
        ],
    );
    assert_sane("protei-10k MessagingUser", &out, &doc);
    assert_all_checks_pass("protei-10k MessagingUser", &doc);
    assert_eq!(doc["model"], "open", "{doc:#}");
}

#[test]
fn protei_smpp_class_runs_briefly_against_the_demo_smsc() {
    // Only the accounting is asserted: SMPP steps in user classes are new
    // in the runtime (earlier builds counted each as a failed request).
    let (out, doc) = demo_run(
        "protei-10k.toml",
        &[
            "--user-class",
            "SMPPUser",
            "--rate",
            "50",
            "--run-time",
            "1s",
            "-u",
            "10",
        ],
    );
    assert_sane("protei-10k SMPPUser", &out, &doc);
}

#[test]
fn ctrl_c_stops_the_load_and_still_prints_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args([
            "run",
            "profiles/finance-race.toml",
            "--demo",
            "-q",
            "--iterations",
            "100000000",
            "--run-time",
            "60s",
            "-u",
            "5",
            "--json",
        ])
        .arg(&json)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("aborted: interrupted (Ctrl-C)"), "{stdout}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(doc["total"]["requests"].as_u64().unwrap() > 0);
    assert!(doc["elapsed_s"].as_f64().unwrap() < 10.0);
}

#[test]
fn csv_files_have_locusts_columns_and_agree_with_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("run");
    let json = dir.path().join("r.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args([
            "run",
            "profiles/last-item.toml",
            "--demo",
            "--racy",
            "-q",
            "--csv",
        ])
        .arg(&prefix)
        .arg("--json")
        .arg(&json)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |suffix: &str| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(suffix);
        std::fs::read_to_string(p).unwrap()
    };
    // Locust 2.x's headers, written out here independently of the code.
    let stats = read("_stats.csv");
    assert_eq!(
        stats.lines().next().unwrap(),
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
    );
    let failures = read("_failures.csv");
    assert_eq!(
        failures.lines().next().unwrap(),
        "Method,Name,Error,Occurrences"
    );
    let history = read("_stats_history.csv");
    assert_eq!(
        history.lines().next().unwrap(),
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size"
    );
    assert!(history.lines().count() >= 2, "{history}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let agg = stats
        .lines()
        .find(|l| l.starts_with(",Aggregated,"))
        .unwrap();
    let cols: Vec<&str> = agg.split(',').collect();
    assert_eq!(cols.len(), 22);
    assert_eq!(cols[2], doc["total"]["requests"].to_string());
    let order = stats
        .lines()
        .find(|l| l.starts_with("POST,order,"))
        .unwrap();
    assert_eq!(order.split(',').nth(2), Some("20"));
    // Every data row has the header's column count.
    for l in stats.lines().chain(history.lines()) {
        let n = l.split(',').count();
        assert!(n == 22 || n == 24, "{l}");
    }
}
