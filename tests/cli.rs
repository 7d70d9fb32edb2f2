//! The binary's contract: exit codes, one-line errors, the JSON schema and
//! the demo.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::target;
use hornet_target::TargetConfig;

fn hornet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args(args)
        .output()
        .expect("hornet runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn json_output_validates_against_the_schema() {
    let t = target(TargetConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let url = format!("http://{}/", t.local_addr());
    let out = hornet(&[
        "http",
        &url,
        "-c",
        "2",
        "-t",
        "1",
        "-d",
        "1200ms",
        "-q",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("accounting   scheduled"), "{stdout}");
    assert!(stdout.contains("(holds)"), "{stdout}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/http-result.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    assert_eq!(doc["requests"], doc["status"]["200"]);
    assert!(!doc["timeline"].as_array().unwrap().is_empty());
    // The same document round-trips through the result type.
    let back: hornet::report::HttpResult = serde_json::from_value(doc).unwrap();
    assert!(back.accounting_holds());
    t.shutdown();
}

#[test]
fn bad_usage_exits_2_with_one_clear_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["http", "not a url"], "malformed URL"),
        (
            &["http", "https://127.0.0.1:1/", "--tls-min", "1.0"],
            "use 1.2 or 1.3",
        ),
        (&["http", "ftp://127.0.0.1/"], "unsupported scheme"),
        (
            &["http", "http://no-such-host.invalid/"],
            "cannot resolve host",
        ),
        (
            &["http", "http://127.0.0.1:1/", "-c", "0"],
            "-c/--connections",
        ),
        (&["http", "http://127.0.0.1:1/", "--rate=-5"], "-R/--rate"),
        (&["http", "http://127.0.0.1:1/", "-d", "forever"], "forever"),
        (
            &["http", "http://127.0.0.1:1/", "--pipeline", "0"],
            "--pipeline",
        ),
        (
            &["http", "http://127.0.0.1:1/", "-H", "nocolon"],
            "-H/--header",
        ),
    ];
    for (args, needle) in cases {
        let out = hornet(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_target_that_refuses_everything_exits_1() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let out = hornet(&["http", &url, "-c", "1", "-d", "200ms", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("connect_refused"), "{}", stderr(&out));
}

#[test]
fn demo_runs_against_the_embedded_target() {
    let out = hornet(&["demo", "-d", "500ms", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("built-in target on http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(stdout.contains("(holds)"), "{stdout}");
}

/// Locust 2.x's CSV headers, written out independently of the code.
const LOCUST_STATS: &str = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
const LOCUST_HISTORY: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size";

fn csv_files(prefix: &std::path::Path) -> [String; 3] {
    ["_stats.csv", "_failures.csv", "_stats_history.csv"].map(|suffix| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(suffix);
        std::fs::read_to_string(p).unwrap()
    })
}

#[test]
fn http_and_smpp_write_locust_csvs_that_agree_with_the_json() {
    let dir = tempfile::tempdir().unwrap();
    // HTTP: every response is a 503, which Locust counts as a failure.
    let t = target(TargetConfig {
        status: 503,
        ..TargetConfig::default()
    });
    let prefix = dir.path().join("http");
    let json = dir.path().join("http.json");
    let url = format!("http://{}/api?x=1", t.local_addr());
    let out = hornet(&[
        "http",
        &url,
        "-c",
        "2",
        "-t",
        "1",
        "-d",
        "1200ms",
        "-q",
        "--csv",
        prefix.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let [stats, failures, history] = csv_files(&prefix);
    assert_eq!(stats.lines().next(), Some(LOCUST_STATS));
    assert_eq!(history.lines().next(), Some(LOCUST_HISTORY));
    assert_eq!(
        failures.lines().next(),
        Some("Method,Name,Error,Occurrences")
    );
    let row: Vec<&str> = stats.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(&row[..2], &["GET", "/api?x=1"]);
    assert_eq!(row[2], doc["requests"].to_string());
    // Every response was a 503: all failed, as Locust counts them.
    assert_eq!(row[3], row[2]);
    assert_eq!(
        failures.lines().nth(1).unwrap(),
        format!("GET,/api?x=1,HTTP 503,{}", doc["requests"])
    );
    let last: Vec<&str> = history.lines().last().unwrap().split(',').collect();
    assert_eq!(
        last[17],
        doc["requests"].to_string(),
        "total requests so far"
    );
    t.shutdown();

    // SMPP.
    let smsc = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), Default::default()).unwrap();
    let prefix = dir.path().join("smpp");
    let json = dir.path().join("smpp.json");
    let addr = smsc.local_addr().to_string();
    let out = hornet(&[
        "smpp",
        &addr,
        "--system-id",
        "a",
        "--password",
        "b",
        "-d",
        "1200ms",
        "-t",
        "1",
        "-q",
        "--csv",
        prefix.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let [stats, _, history] = csv_files(&prefix);
    assert_eq!(stats.lines().next(), Some(LOCUST_STATS));
    let row: Vec<&str> = stats.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(&row[..2], &["SMPP", "submit_sm"]);
    assert_eq!(row[2], doc["requests"].to_string());
    assert_eq!(row[3], "0");
    assert!(history.lines().count() >= 2);
    smsc.shutdown();
}

/// Sums the histogram counts of an HdrHistogram interval log, by tag.
fn hdr_log_counts(path: &std::path::Path) -> std::collections::BTreeMap<String, u64> {
    use base64::Engine as _;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use hdrhistogram::serialization::Deserializer;
    let text = std::fs::read(path).unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for entry in IntervalLogIterator::new(&text) {
        if let LogEntry::Interval(h) = entry.unwrap() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(h.encoded_histogram())
                .unwrap();
            let back: hdrhistogram::Histogram<u64> =
                Deserializer::new().deserialize(&mut &bytes[..]).unwrap();
            *counts
                .entry(h.tag().unwrap().as_str().to_string())
                .or_default() += back.len();
        }
    }
    counts
}

#[test]
fn hdr_logs_round_trip_with_every_sample() {
    let dir = tempfile::tempdir().unwrap();
    let t = target(TargetConfig::default());
    let log = dir.path().join("http.hlog");
    let json = dir.path().join("http.json");
    let url = format!("http://{}/a b", t.local_addr()).replace(' ', "%20");
    let out = hornet(&[
        "http",
        &url,
        "-c",
        "2",
        "-t",
        "1",
        "-d",
        "2200ms",
        "-q",
        "--hdr-log",
        log.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let counts = hdr_log_counts(&log);
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(
        counts["/a%2520b"],
        doc["latency_us"]["count"].as_u64().unwrap()
    );
    t.shutdown();

    let smsc = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), Default::default()).unwrap();
    let log = dir.path().join("smpp.hlog");
    let json = dir.path().join("smpp.json");
    let addr = smsc.local_addr().to_string();
    let out = hornet(&[
        "smpp",
        &addr,
        "--system-id",
        "a",
        "--password",
        "b",
        "-d",
        "1200ms",
        "-t",
        "1",
        "-q",
        "--hdr-log",
        log.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        hdr_log_counts(&log)["submit_sm"],
        doc["latency_us"]["count"].as_u64().unwrap()
    );
    smsc.shutdown();

    let log = dir.path().join("run.hlog");
    let json = dir.path().join("run.json");
    let out = Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args([
            "run",
            "profiles/shop-standard.toml",
            "--demo",
            "--run-time",
            "1500ms",
            "-u",
            "5",
            "-q",
            "--hdr-log",
        ])
        .arg(&log)
        .arg("--json")
        .arg(&json)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let counts = hdr_log_counts(&log);
    for n in doc["requests"].as_array().unwrap() {
        let tag = n["name"]
            .as_str()
            .unwrap()
            .replace('%', "%25")
            .replace(' ', "%20");
        let want = n["latency_us"]["count"].as_u64().unwrap();
        assert_eq!(
            counts.get(&tag).copied().unwrap_or(0),
            want,
            "{tag}: {counts:?}"
        );
    }
}

#[test]
fn html_reports_are_self_contained_pages_with_charts() {
    let dir = tempfile::tempdir().unwrap();
    let t = target(TargetConfig::default());
    let http = dir.path().join("http.html");
    let url = format!("http://{}/<b>", t.local_addr())
        .replace('<', "%3C")
        .replace('>', "%3E");
    let out = hornet(&[
        "http",
        &url,
        "-c",
        "2",
        "-t",
        "1",
        "-d",
        "1500ms",
        "-q",
        "--html",
        http.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    t.shutdown();
    let smsc = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), Default::default()).unwrap();
    let smpp = dir.path().join("smpp.html");
    let addr = smsc.local_addr().to_string();
    let out = hornet(&[
        "smpp",
        &addr,
        "--system-id",
        "a",
        "--password",
        "secretpw",
        "-d",
        "1200ms",
        "-t",
        "1",
        "-q",
        "--html",
        smpp.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    smsc.shutdown();
    let run = dir.path().join("run.html");
    let out = Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args([
            "run",
            "profiles/last-item.toml",
            "--demo",
            "--racy",
            "-q",
            "--html",
        ])
        .arg(&run)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    for (path, must) in [
        (&http, "hornet http GET"),
        (&smpp, "hornet smpp"),
        (&run, "verdict: FAIL"),
    ] {
        let page = std::fs::read_to_string(path).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"), "{path:?}");
        assert!(page.trim_end().ends_with("</html>"), "{path:?}");
        assert!(page.contains(must), "{path:?}: {must}");
        // Four charts over time and the percentile spectrum, inline.
        assert_eq!(page.matches("<svg").count(), 5, "{path:?}");
        assert_eq!(page.matches("<svg").count(), page.matches("</svg>").count());
        // Self-contained: no script, no stylesheet or image fetched.
        for banned in ["<script", "<link", "<img", "src=\"http", "url("] {
            assert!(!page.contains(banned), "{path:?} contains {banned}");
        }
        assert!(!page.contains("secretpw"));
    }
    let page = std::fs::read_to_string(&run).unwrap();
    assert!(
        page.contains("count(&quot;order&quot;, status = 201) == 5"),
        "invariants are listed, escaped"
    );
}

#[test]
fn hornet_report_rebuilds_the_same_html_and_csv_from_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let t = target(TargetConfig::default());
    let url = format!("http://{}/r", t.local_addr());
    let out = hornet(&[
        "http",
        &url,
        "-c",
        "2",
        "-t",
        "1",
        "-d",
        "2200ms",
        "-q",
        "--json",
        &d("h.json"),
        "--html",
        &d("h.html"),
        "--csv",
        &d("h"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    t.shutdown();
    let smsc = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), Default::default()).unwrap();
    let addr = smsc.local_addr().to_string();
    let out = hornet(&[
        "smpp",
        &addr,
        "--system-id",
        "a",
        "--password",
        "b",
        "-d",
        "1200ms",
        "-t",
        "1",
        "-q",
        "--json",
        &d("s.json"),
        "--html",
        &d("s.html"),
        "--csv",
        &d("s"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    smsc.shutdown();
    let out = Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args([
            "run",
            "profiles/shop-standard.toml",
            "--demo",
            "--run-time",
            "2200ms",
            "-u",
            "6",
            "-q",
        ])
        .args([
            "--json",
            &d("r.json"),
            "--html",
            &d("r.html"),
            "--csv",
            &d("r"),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", stderr(&out));
    for k in ["h", "s", "r"] {
        let out = hornet(&[
            "report",
            &d(&format!("{k}.json")),
            "--html",
            &d(&format!("{k}2.html")),
            "--csv",
            &d(&format!("{k}2")),
            "--hdr-log",
            &d(&format!("{k}2.hlog")),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let read = |n: String| std::fs::read_to_string(dir.path().join(n)).unwrap();
        assert_eq!(
            read(format!("{k}.html")),
            read(format!("{k}2.html")),
            "{k}: HTML"
        );
        for suffix in ["_stats.csv", "_failures.csv", "_stats_history.csv"] {
            assert_eq!(
                read(format!("{k}{suffix}")),
                read(format!("{k}2{suffix}")),
                "{k}{suffix}"
            );
        }
        let doc: serde_json::Value = serde_json::from_str(&read(format!("{k}.json"))).unwrap();
        let count = if k == "r" {
            doc["total"]["latency_us"]["count"].as_u64()
        } else {
            doc["latency_us"]["count"].as_u64()
        };
        let sum: u64 = hdr_log_counts(&dir.path().join(format!("{k}2.hlog")))
            .values()
            .sum();
        assert_eq!(Some(sum), count, "{k}: log");
    }
    let out = hornet(&["report", &d("h.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nothing to write"),
        "{}",
        stderr(&out)
    );
    std::fs::write(dir.path().join("bad.json"), "{\"kind\": \"scenario\"}").unwrap();
    let out = hornet(&["report", &d("bad.json"), "--html", &d("x.html")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a hornet run result"),
        "{}",
        stderr(&out)
    );
}

/// Starts hornet with `args`, waits for its "prometheus metrics on" line,
/// scrapes after `after`, returns the scrape and waits for the exit.
/// Runs hornet with `args` and scrapes its Prometheus endpoint every 200 ms
/// until `want` holds for the text (or the run ends); returns the last text
/// scraped. Polling, not one timed scrape, so a slow machine does not make
/// the test flaky.
fn scrape_until(args: &[&str], want: impl Fn(&str) -> bool) -> String {
    use std::io::{BufRead, Read, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("hornet prints the address").unwrap();
        if let Some(rest) = line.strip_prefix("prometheus metrics on http://") {
            break rest.trim_end_matches("/metrics").to_string();
        }
    };
    // Keep draining stderr so the child never blocks on it.
    let drain = std::thread::spawn(move || for _ in lines {});
    let mut body = String::new();
    while child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(200));
        let Ok(mut s) = std::net::TcpStream::connect(&addr) else {
            continue;
        };
        let mut text = String::new();
        let sent = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        if sent.is_ok() && s.read_to_string(&mut text).is_ok() && !text.is_empty() {
            body = text;
            if want(&body) {
                break;
            }
        }
    }
    child.wait().unwrap();
    drain.join().unwrap();
    body
}

#[test]
fn prometheus_endpoint_serves_live_metrics() {
    let t = target(TargetConfig::default());
    let url = format!("http://{}/p", t.local_addr());
    let body = scrape_until(
        &[
            "http",
            &url,
            "-c",
            "2",
            "-t",
            "1",
            "-d",
            "2500ms",
            "-q",
            "--prometheus",
            "127.0.0.1:0",
        ],
        |b| {
            b.lines().any(|l| {
                l.starts_with("hornet_requests_total{name=\"GET /p\"}") && !l.ends_with(" 0")
            }) && b.contains("hornet_active{what=\"connections\"} 2")
        },
    );
    assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
    assert!(
        body.contains("# TYPE hornet_latency_seconds histogram"),
        "{body}"
    );
    let line = body
        .lines()
        .find(|l| l.starts_with("hornet_requests_total{name=\"GET /p\"}"))
        .unwrap();
    let n: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n > 0, "{line}");
    assert!(
        body.contains("hornet_active{what=\"connections\"} 2"),
        "{body}"
    );
    t.shutdown();
    let body = scrape_until(
        &[
            "run",
            "profiles/shop-standard.toml",
            "--demo",
            "--run-time",
            "2500ms",
            "-u",
            "4",
            "-q",
            "--prometheus",
            "127.0.0.1:0",
        ],
        |b| b.contains("hornet_responses_total{name=\"create order\",status=\"201\"}"),
    );
    assert!(
        body.contains("hornet_requests_total{name=\"list products\"}"),
        "{body}"
    );
    assert!(
        body.contains("hornet_responses_total{name=\"create order\",status=\"201\"}"),
        "{body}"
    );
}

#[test]
fn a_bad_output_path_fails_before_any_traffic() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    let started = std::time::Instant::now();
    for flag in ["--csv", "--json", "--html", "--hdr-log"] {
        let out = hornet(&["http", &url, "-d", "30s", "-q", flag, "/nonexistent-dir/x"]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{flag}: {}", stderr(&out));
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(l.accept().is_err(), "nothing connected");
}

#[test]
fn ctrl_c_stops_http_gracefully_and_still_writes_the_results() {
    let t = target(TargetConfig::default());
    let url = format!("http://{}/", t.local_addr());
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let child = Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args([
            "http", &url, "-c", "4", "-t", "1", "-d", "60s", "-q", "--json",
        ])
        .arg(&json)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(15));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("interrupted (Ctrl-C)"), "{stdout}");
    assert!(stdout.contains("(holds)"), "{stdout}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["interrupted"], true);
    assert!(doc["requests"].as_u64().unwrap() > 0);
    assert!(doc["duration_s"].as_f64().unwrap() < 30.0);
    t.shutdown();
}
