//! Issue 11, the results side: signals (SIGTERM like Ctrl-C, a second one
//! kills), result files written whole or not at all (an earlier file
//! survives a failed run; a failed setup still writes a document saying
//! so), verdicts that do not hide failures (`hornet run` fails on failures
//! without a threshold on them; `--threshold` for `hornet http` / `hornet
//! smpp`), lateness blamed on the right side, and the open-files limit.
//!
//! Each test runs the real binary against a target, SMSC or hand-written
//! peer on 127.0.0.1 port 0, in a temporary directory, with bounded waits.

mod common;

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{read_head, send, target, FaultServer};
use hornet_target::TargetConfig;
use serde_json::Value;

fn hornet() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hornet"));
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// Waits for `child` at most `limit`; kills it and panics past that.
/// Returns the status, stdout and stderr, and how long the wait took.
fn wait(mut child: Child, limit: Duration) -> (ExitStatus, String, String, Duration) {
    let started = Instant::now();
    // The pipes are drained on threads so a chatty child never blocks.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "hornet still running after {limit:?}\n--- stderr\n{}",
                e.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    (status, o.join().unwrap(), e.join().unwrap(), took)
}

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, sig);
    }
}

fn json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_schema(doc: &Value, schema: &str) {
    let schema: Value = serde_json::from_str(schema).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

const HTTP_SCHEMA: &str = include_str!("../schema/http-result.schema.json");
const SMPP_SCHEMA: &str = include_str!("../schema/smpp-result.schema.json");
const SCENARIO_SCHEMA: &str = include_str!("../schema/scenario-result.schema.json");

/// Hidden temporary files hornet left in `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tmp"))
        .collect()
}

fn write_profile(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("p.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn sigterm_stops_the_run_and_writes_every_output_marked_interrupted() {
    let t = target(TargetConfig::default());
    let url = format!("http://{}/", t.local_addr());
    let dir = tempfile::tempdir().unwrap();
    let (j, h, c, l) = (
        dir.path().join("r.json"),
        dir.path().join("r.html"),
        dir.path().join("r"),
        dir.path().join("r.hlog"),
    );
    let child = hornet()
        .args(["http", &url, "-c", "4", "-t", "1", "-d", "60s", "-q"])
        .args(["--json", s(&j), "--html", s(&h), "--csv", s(&c)])
        .args(["--hdr-log", s(&l)])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, libc::SIGTERM);
    let (status, stdout, stderr, took) = wait(child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(took < Duration::from_secs(3), "took {took:?} after SIGTERM");
    assert!(stdout.contains("interrupted (SIGTERM)"), "{stdout}");
    let doc = json(&j);
    assert_schema(&doc, HTTP_SCHEMA);
    assert_eq!(doc["interrupted"], true);
    assert_eq!(doc["outcome"]["status"], "interrupted");
    assert_eq!(doc["outcome"]["exit_code"], 0);
    assert!(doc["outcome"]["reason"]
        .as_str()
        .unwrap()
        .contains("SIGTERM"));
    assert!(doc["requests"].as_u64().unwrap() > 0);
    assert!(doc["duration_s"].as_f64().unwrap() < 10.0);
    let html = std::fs::read_to_string(&h).unwrap();
    assert!(html.contains("interrupted (SIGTERM)"));
    for suffix in ["_stats.csv", "_failures.csv", "_stats_history.csv"] {
        let p = dir.path().join(format!("r{suffix}"));
        assert!(std::fs::metadata(&p).unwrap().len() > 0, "{suffix}");
    }
    let log = std::fs::read_to_string(&l).unwrap();
    assert!(log.lines().any(|x| x.starts_with("Tag=")), "{log}");
    assert!(leftovers(dir.path()).is_empty());
    t.shutdown();
}

#[test]
fn sigterm_stops_a_profile_run_and_writes_every_output_marked_interrupted() {
    let t = target(TargetConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let p = write_profile(
        dir.path(),
        &format!(
            r#"
[target]
host = "http://{}"
[load]
users = 2
run_time = "60s"
threads = 1
[[user]]
name = "U"
think = "10ms"
[[user.task]]
name = "root"
path = "/"
"#,
            t.local_addr()
        ),
    );
    let (j, h) = (dir.path().join("r.json"), dir.path().join("r.html"));
    let child = hornet()
        .args(["run", s(&p), "-q", "--json", s(&j), "--html", s(&h)])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, libc::SIGTERM);
    let (status, stdout, stderr, took) = wait(child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(took < Duration::from_secs(3), "took {took:?} after SIGTERM");
    assert!(stdout.contains("interrupted (SIGTERM)"), "{stdout}");
    let doc = json(&j);
    assert_schema(&doc, SCENARIO_SCHEMA);
    assert_eq!(doc["outcome"]["status"], "interrupted");
    assert!(doc["aborted"].as_str().unwrap().contains("SIGTERM"));
    assert!(doc["total"]["requests"].as_u64().unwrap() > 0);
    assert!(std::fs::read_to_string(&h)
        .unwrap()
        .contains("interrupted (SIGTERM)"));
    t.shutdown();
}

#[test]
fn a_signal_during_setup_ends_the_run_as_interrupted() {
    // The setup step's answer takes 2 s; the signal comes at 0.5 s.
    let server = FaultServer::start(|mut s| {
        if read_head(&mut s) {
            std::thread::sleep(Duration::from_millis(2000));
            send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let p = write_profile(
        dir.path(),
        &format!(
            r#"
[target]
host = "http://{}"
[load]
users = 1
run_time = "30s"
threads = 1
[[setup]]
name = "login"
path = "/login"
[[user]]
name = "U"
[[user.task]]
path = "/"
"#,
            server.addr
        ),
    );
    let j = dir.path().join("r.json");
    let child = hornet()
        .args(["run", s(&p), "-q", "--json", s(&j)])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, libc::SIGINT);
    let (status, stdout, stderr, took) = wait(child, Duration::from_secs(20));
    // Interrupted, not "failed", whether the step noticed the signal at
    // once or the load that followed did.
    assert!(took < Duration::from_secs(4), "took {took:?}\n{stderr}");
    let doc = json(&j);
    assert_schema(&doc, SCENARIO_SCHEMA);
    assert_eq!(
        doc["outcome"]["status"], "interrupted",
        "{stdout}\n{stderr}"
    );
    assert_eq!(
        doc["outcome"]["exit_code"].as_u64(),
        status.code().map(|c| c as u64)
    );
}

#[test]
fn second_signal_exits_at_once() {
    // A server that takes requests and never answers: after the first
    // signal, the drain would wait for the 30 s request timeout.
    let server = FaultServer::start(|mut s| {
        let _ = read_head(&mut s);
        std::thread::sleep(Duration::from_secs(10));
    });
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("r.json");
    std::fs::write(&j, "{\"previous\": true}\n").unwrap();
    let child = hornet()
        .args(["http", &server.url(), "-c", "1", "-t", "1", "-d", "60s"])
        .args(["--timeout", "30s", "-q", "--json", s(&j)])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    signal(&child, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGINT);
    let (status, _, stderr, took) = wait(child, Duration::from_secs(20));
    assert!(took < Duration::from_secs(1), "took {took:?}\n{stderr}");
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}\n{stderr}");
    // Killed before its results: the earlier file is untouched.
    assert_eq!(
        std::fs::read_to_string(&j).unwrap(),
        "{\"previous\": true}\n"
    );
    drop(server);
}

#[test]
fn failed_setup_keeps_previous_result_file_and_writes_failure_document() {
    // The setup step is refused (500) after 1 s, long enough to look at
    // the files while the run goes.
    let server = FaultServer::start(|mut s| {
        if read_head(&mut s) {
            std::thread::sleep(Duration::from_millis(1000));
            send(
                &mut s,
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let p = write_profile(
        dir.path(),
        &format!(
            r#"
[target]
host = "http://{}"
[load]
users = 1
run_time = "2s"
threads = 1
[[setup]]
name = "login"
path = "/login"
[[user]]
name = "U"
[[user.task]]
path = "/"
"#,
            server.addr
        ),
    );
    let (j, h, c, l) = (
        dir.path().join("result.json"),
        dir.path().join("report.html"),
        dir.path().join("r"),
        dir.path().join("r.hlog"),
    );
    let previous = "{\"previous\": true}\n";
    std::fs::write(&j, previous).unwrap();
    std::fs::write(&l, "previous log\n").unwrap();
    let stats = dir.path().join("r_stats.csv");
    std::fs::write(&stats, "previous stats\n").unwrap();
    let child = hornet()
        .args(["run", s(&p), "-q", "--json", s(&j), "--html", s(&h)])
        .args(["--csv", s(&c), "--hdr-log", s(&l)])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // While the run goes: nothing truncated, nothing created.
    assert_eq!(std::fs::read_to_string(&j).unwrap(), previous);
    assert!(!h.exists(), "the HTML appears only when written whole");
    let (status, stdout, stderr, _) = wait(child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("setup step `login` failed"), "{stderr}");
    let doc = json(&j);
    assert_schema(&doc, SCENARIO_SCHEMA);
    assert_eq!(doc["outcome"]["status"], "failed");
    assert_eq!(doc["outcome"]["exit_code"], 1);
    let reason = doc["outcome"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("login") && reason.contains("500"),
        "{reason}"
    );
    assert_eq!(doc["verdict"], "fail");
    assert_eq!(doc["setup"][0]["name"], "login");
    assert_eq!(doc["setup"][0]["status"], 500);
    assert_eq!(doc["total"]["requests"], 0);
    let html = std::fs::read_to_string(&h).unwrap();
    assert!(html.contains("login"), "{html}");
    // Files that could say nothing about a run that never loaded are
    // left as the earlier run wrote them.
    assert_eq!(std::fs::read_to_string(&l).unwrap(), "previous log\n");
    assert_eq!(std::fs::read_to_string(&stats).unwrap(), "previous stats\n");
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn outputs_are_written_atomically() {
    let t = target(TargetConfig::default());
    let url = format!("http://{}/", t.local_addr());
    let dir = tempfile::tempdir().unwrap();
    let (j, l, h) = (
        dir.path().join("r.json"),
        dir.path().join("r.hlog"),
        dir.path().join("r.html"),
    );
    std::fs::write(&j, "old json\n").unwrap();
    std::fs::write(&l, "old log\n").unwrap();
    let child = hornet()
        .args(["http", &url, "-c", "2", "-t", "1", "-d", "2s", "-q"])
        .args(["--json", s(&j), "--hdr-log", s(&l), "--html", s(&h)])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    // During the run: the earlier files are whole, the new HTML does not
    // exist yet, and the log streams into a hidden temporary file.
    assert_eq!(std::fs::read_to_string(&j).unwrap(), "old json\n");
    assert_eq!(std::fs::read_to_string(&l).unwrap(), "old log\n");
    assert!(!h.exists());
    let tmp = leftovers(dir.path());
    assert_eq!(tmp.len(), 1, "{tmp:?}");
    assert!(tmp[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(".r.hlog."));
    let (status, stdout, stderr, _) = wait(child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{stdout}\n{stderr}");
    let doc = json(&j);
    assert_eq!(doc["outcome"]["status"], "completed");
    assert!(std::fs::read_to_string(&l)
        .unwrap()
        .starts_with("#[Histogram log"));
    assert!(std::fs::read_to_string(&h).unwrap().contains("<html"));
    assert!(leftovers(dir.path()).is_empty());
    // A directory given as a file is refused up front, and nothing is
    // sent (exit 2).
    let out = hornet()
        .args(["http", &url, "-d", "1s", "-q", "--json", s(dir.path())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--json"));
    t.shutdown();
}

/// A profile whose `bad` task fails its check on every request (the
/// target answers 200, the check wants 201) and whose `good` task passes.
fn failing_profile(dir: &Path, addr: std::net::SocketAddr, extra: &str) -> PathBuf {
    write_profile(
        dir,
        &format!(
            r#"
[target]
host = "http://{addr}"
[load]
users = 1
iterations = 20
run_time = "10s"
threads = 1
[[user]]
name = "U"
sequential = true
[[user.task]]
name = "good"
path = "/good"
[[user.task]]
name = "bad"
path = "/bad"
check = {{ status = [201] }}
{extra}
"#
        ),
    )
}

#[test]
fn profile_with_failures_and_no_threshold_fails() {
    let t = target(TargetConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let p = failing_profile(dir.path(), t.local_addr(), "");
    let j = dir.path().join("r.json");
    let out = hornet()
        .args(["run", s(&p), "-q", "--json", s(&j)])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("verdict: FAIL"), "{stdout}");
    assert!(stdout.contains("no failures"), "{stdout}");
    let doc = json(&j);
    assert_schema(&doc, SCENARIO_SCHEMA);
    assert_eq!(doc["verdict"], "fail");
    assert_eq!(doc["outcome"]["exit_code"], 3);
    let rule = doc["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["limit"].as_str().unwrap().starts_with("no failures"))
        .expect("the failure rule's row");
    assert_eq!(rule["pass"], false);
    assert!(rule["actual"].as_str().unwrap().contains(" failed"));
    t.shutdown();
}

#[test]
fn allow_failures_flag_passes() {
    let t = target(TargetConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let p = failing_profile(dir.path(), t.local_addr(), "");
    let j = dir.path().join("r.json");
    let out = hornet()
        .args(["run", s(&p), "-q", "--allow-failures", "--json", s(&j)])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("failures allowed (--allow-failures)"),
        "{stdout}"
    );
    let doc = json(&j);
    assert_eq!(doc["verdict"], "pass");
    assert_eq!(doc["outcome"]["status"], "completed");
    assert!(doc["total"]["check_failed"].as_u64().unwrap() > 0);
    t.shutdown();
}

#[test]
fn a_threshold_on_errors_judges_failures_instead_of_the_default_rule() {
    let t = target(TargetConfig::default());
    let dir = tempfile::tempdir().unwrap();
    // Half the requests fail; the profile accepts up to 60%.
    let p = failing_profile(
        dir.path(),
        t.local_addr(),
        "[[threshold]]\nerror_rate = \"60%\"\n",
    );
    let out = hornet().args(["run", s(&p), "-q"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("no failures"), "{stdout}");
    assert!(stdout.contains("verdict: PASS"), "{stdout}");
    t.shutdown();
}

#[test]
fn http_threshold_flag_fails_with_exit_3() {
    let t = target(TargetConfig::default());
    let url = format!("http://{}/", t.local_addr());
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("r.json");
    let h = dir.path().join("r.html");
    let out = hornet()
        .args(["http", &url, "-c", "2", "-t", "1", "-d", "1s", "-q"])
        .args([
            "--threshold",
            "p99 < 1us",
            "--threshold",
            "error_rate <= 1%",
        ])
        .args(["--json", s(&j), "--html", s(&h)])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("FAIL  p99 < 0.00ms"), "{stdout}");
    assert!(stdout.contains("PASS  error rate <= 1.00%"), "{stdout}");
    assert!(stdout.contains("verdict      FAIL (1 of 2"), "{stdout}");
    let doc = json(&j);
    assert_schema(&doc, HTTP_SCHEMA);
    assert_eq!(doc["verdict"], "fail");
    assert_eq!(doc["thresholds"].as_array().unwrap().len(), 2);
    assert_eq!(doc["thresholds"][0]["pass"], false);
    assert_eq!(doc["thresholds"][1]["pass"], true);
    assert_eq!(doc["outcome"]["exit_code"], 3);
    assert!(std::fs::read_to_string(&h)
        .unwrap()
        .contains("p99 &lt; 0.00ms"));

    // Thresholds that hold pass (exit 0).
    let out = hornet()
        .args(["http", &url, "-c", "2", "-t", "1", "-d", "1s", "-q"])
        .args(["--threshold", "p99 < 10s", "--threshold", "throughput > 1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("verdict      PASS"), "{stdout}");

    // A limit the wrong way round is a usage error naming the flag.
    let out = hornet()
        .args(["http", &url, "-d", "1s", "-q", "--threshold", "p99 > 5ms"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--threshold"), "{stderr}");
    t.shutdown();
}

#[test]
fn http_with_failures_and_no_threshold_still_exits_0() {
    // As wrk and oha: failures alone do not change hornet http's code.
    let t = target(TargetConfig {
        status: 500,
        ..TargetConfig::default()
    });
    let url = format!("http://{}/", t.local_addr());
    let out = hornet()
        .args(["http", &url, "-c", "2", "-t", "1", "-d", "1s", "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // With a threshold on them, they fail it.
    let out = hornet()
        .args(["http", &url, "-c", "2", "-t", "1", "-d", "1s", "-q"])
        .args(["--threshold", "error_rate < 1%"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("actual 100.00%"), "{stdout}");
    t.shutdown();
}

#[test]
fn smpp_threshold_flag_fails_with_exit_3() {
    let smsc = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), Default::default()).unwrap();
    let endpoint = smsc.local_addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("r.json");
    let out = hornet()
        .args(["smpp", &endpoint, "--system-id", "esme", "--password", "pw"])
        .args(["--sessions", "1", "-t", "1", "-d", "1s", "-q"])
        .args(["--threshold", "throughput >= 100000000", "--json", s(&j)])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let doc = json(&j);
    assert_schema(&doc, SMPP_SCHEMA);
    assert_eq!(doc["verdict"], "fail");
    assert_eq!(doc["outcome"]["exit_code"], 3);
    smsc.shutdown();
}

/// `hornet ARGS` with RLIMIT_NOFILE set to (soft, hard) before exec.
fn under_limit(soft: u64, hard: u64, args: &[&str]) -> Command {
    let mut c = hornet();
    c.args(args);
    // SAFETY: setrlimit is async-signal-safe; only this child's limits
    // change, between fork and exec.
    unsafe {
        c.pre_exec(move || {
            let l = libc::rlimit {
                rlim_cur: soft as libc::rlim_t,
                rlim_max: hard as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &l) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    c
}

#[test]
fn open_files_limit_is_raised_or_reported() {
    let t = target(TargetConfig {
        delay: Duration::from_millis(300),
        ..TargetConfig::default()
    });
    let url = format!("http://{}/", t.local_addr());
    let base = ["http", url.as_str(), "-t", "1", "-d", "1s", "-q"];

    // Soft 64, hard 4096: raised at start, 200 connections run.
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("r.json");
    let mut args = base.to_vec();
    args.extend(["-c", "200", "--json", s(&j)]);
    let out = under_limit(64, 4096, &args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc = json(&j);
    assert!(doc["errors"].as_object().unwrap().is_empty(), "{doc:#}");
    assert_eq!(doc["connections_opened"], 200);

    // Hard 64: 200 connections cannot fit; a usage error names the limit
    // before any traffic.
    let mut args = base.to_vec();
    args.extend(["-c", "200"]);
    let started = Instant::now();
    let out = under_limit(64, 64, &args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("200 connections"), "{stderr}");
    assert!(stderr.contains("may open only 64"), "{stderr}");
    assert!(stderr.contains("ulimit -n"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(2));

    // An open-model pool allowed to grow past the limit: a warning up
    // front, and what runs out is hornet's own error, not the target's.
    let mut args = base.to_vec();
    args.extend(["-c", "1", "-R", "400", "--max-connections", "200"]);
    args.extend(["--timeout", "2s", "--json", s(&j)]);
    let out = under_limit(64, 64, &args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("may open only 64"), "{stderr}");
    let doc = json(&j);
    assert_schema(&doc, HTTP_SCHEMA);
    let local = doc["connect_errors"]["local_resource"]
        .as_u64()
        .unwrap_or(0);
    assert!(local > 0, "{doc:#}");
    assert!(
        doc["connect_errors"].get("connect_error").is_none(),
        "{doc:#}"
    );
    assert!(
        stdout.contains("hornet's own, not the target's"),
        "{stdout}"
    );
    t.shutdown();
}

#[test]
fn lateness_caused_by_the_machine_is_not_blamed_on_hornets_cpu() {
    // The machine keeps hornet from running (SIGSTOP for 300 ms, as a
    // busy host or a CPU-starved container would) while hornet itself
    // needs almost no CPU: the warning must say so, not "add threads".
    let t = target(TargetConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let p = write_profile(
        dir.path(),
        &format!(
            r#"
[target]
host = "http://{}"
[load]
model = "open"
rate = 300
users = 50
run_time = "2s"
threads = 1
[[user]]
name = "U"
[[user.task]]
path = "/"
"#,
            t.local_addr()
        ),
    );
    let child = hornet()
        .args(["run", s(&p), "-q", "--allow-failures"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    signal(&child, libc::SIGSTOP);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGCONT);
    let (status, stdout, stderr, _) = wait(child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{stdout}\n{stderr}");
    let warning = stdout
        .lines()
        .find(|l| l.contains("fell behind its schedule"))
        .unwrap_or_else(|| panic!("no lateness warning\n{stdout}"));
    assert!(warning.contains("not hornet's CPU"), "{warning}");
    assert!(!warning.contains("add threads"), "{warning}");
    t.shutdown();
}
