//! Profile semantics that must not make a failing test pass (issue 11):
//! open-model class weights, values a step needs but the iteration did not
//! capture, headers with unset values, shapes that start at their level,
//! and secrets in every output. Each test runs a short profile against a
//! small recording server on 127.0.0.1 port 0 and asserts exactly which
//! requests and headers arrived.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hornet::profile::{compile_str, Overrides};
use hornet::scenario::result::ScenarioResult;

/// One request as the server read it.
#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    /// Lower-case names, values as sent.
    headers: Vec<(String, String)>,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Req) -> (u16, String) + Send + Sync;

/// An HTTP/1.1 keep-alive server that records every request and answers
/// with `handler`'s status and JSON body. Stops when dropped.
struct Recorder {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Req>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    fn start(handler: impl Fn(&Req) -> (u16, String) + Send + Sync + 'static) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (flag, log) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            // Bounded: every test is over well before this.
            let deadline = Instant::now() + Duration::from_secs(60);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (h, l) = (handler.clone(), log.clone());
                        std::thread::spawn(move || serve(stream, &*h, &l));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Recorder {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<Req> {
        self.seen.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.path).collect()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves one keep-alive connection until the client closes it (or goes
/// quiet for 5 s).
fn serve(mut s: TcpStream, handler: &Handler, log: &Mutex<Vec<Req>>) {
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.len() > 1 << 20 {
                return;
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("").to_string();
        let path = first.next().unwrap_or("").to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < end + 4 + len {
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + 4 + len);
        let req = Req {
            method,
            path,
            headers,
        };
        let (status, body) = handler(&req);
        log.lock().unwrap().push(req);
        let resp = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if s.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

use common::run_profile as run;

fn by_name<'r>(r: &'r ScenarioResult, name: &str) -> &'r hornet::scenario::result::NameResult {
    r.requests
        .iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("no request named {name}: {:#?}", r.requests))
}

fn accounting_holds(r: &ScenarioResult) {
    for n in r.requests.iter().chain(std::iter::once(&r.total)) {
        assert_eq!(
            n.requests,
            n.passed + n.check_failed + n.errors + n.interrupted,
            "accounting of {}",
            n.name
        );
    }
}

fn ok() -> (u16, String) {
    (200, "{}".to_string())
}

fn valid_against_schema(doc: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/scenario-result.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

#[test]
fn open_model_class_weights_split_arrivals_exactly() {
    let server = Recorder::start(|_| ok());
    // 200 arrivals (1 s at 200/s) over three workers (the wheel of 5 and 3
    // workers share no factor: every worker sees both classes). The run
    // lasts longer than the schedule, so a loaded machine cannot push the
    // last arrivals past its end.
    let r = run(
        r#"
[target]
host = "HOST"
[load]
model = "open"
step = { start = 200, step = 0, every = "1s", steps = 1 }
run_time = "1500ms"
threads = 3
[[user]]
name = "A"
weight = 4
[[user.task]]
name = "a"
path = "/a"
[[user]]
name = "B"
weight = 1
[[user.task]]
name = "b"
path = "/b"
"#,
        &server.url(),
    );
    accounting_holds(&r);
    assert_eq!(r.iterations + r.not_started, 200);
    assert_eq!(r.not_started, 0, "{r:#?}");
    let class = |n: &str| r.classes.iter().find(|c| c.name == n).unwrap().clone();
    assert_eq!(class("A").iterations, 160);
    assert_eq!(class("B").iterations, 40);
    assert!(class("A").users >= 1 && class("B").users >= 1);
    assert_eq!(class("A").iterations_done + class("B").iterations_done, 200);
    let paths = server.paths();
    assert_eq!(paths.iter().filter(|p| *p == "/a").count(), 160);
    assert_eq!(paths.iter().filter(|p| *p == "/b").count(), 40);
    // The counts are in the JSON (valid against the schema) and the table.
    let doc = serde_json::to_value(&r).unwrap();
    valid_against_schema(&doc);
    assert_eq!(doc["classes"][0]["name"], "A");
    assert_eq!(doc["classes"][0]["iterations"], 160);
    assert_eq!(doc["classes"][1]["iterations"], 40);
    let table = r.render();
    assert!(table.contains("user classes:"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.trim_start().starts_with("B ") && l.contains("40 iterations (20.0%)")),
        "{table}"
    );
}

#[test]
fn open_model_class_with_slow_users_does_not_hold_back_the_others() {
    // Class B's only step takes 300 ms and at most 2 users may exist, one
    // per class (the cap is shared by weight): B's arrivals queue behind
    // its busy user, while A's all start, and B never takes A's user.
    let server = Recorder::start(|r| {
        if r.path == "/slow" {
            std::thread::sleep(Duration::from_millis(300));
        }
        ok()
    });
    let r = run(
        r#"
[target]
host = "HOST"
[load]
model = "open"
step = { start = 100, step = 0, every = "1s", steps = 1 }
run_time = "1500ms"
users = 2
threads = 1
[[user]]
name = "A"
weight = 1
[[user.task]]
name = "fast"
path = "/fast"
[[user]]
name = "B"
weight = 1
[[user.task]]
name = "slow"
path = "/slow"
"#,
        &server.url(),
    );
    accounting_holds(&r);
    let class = |n: &str| r.classes.iter().find(|c| c.name == n).unwrap().clone();
    // Every one of A's 50 arrivals started; B got at most a handful
    // through its one busy user.
    assert_eq!(class("A").iterations, 50, "{:#?}", r.classes);
    assert!(class("B").iterations < 10, "{:#?}", r.classes);
    assert_eq!((class("A").users, class("B").users), (1, 1));
    assert!(r.starved_starts > 0 || r.not_started > 0, "{r:#?}");
    assert_eq!(r.iterations + r.not_started, 100);
}

#[test]
fn closed_model_reports_users_per_class() {
    let server = Recorder::start(|_| ok());
    let r = run(
        r#"
[target]
host = "HOST"
[load]
users = 5
iterations = 400
threads = 2
[[user]]
name = "A"
weight = 4
# A short pause: the run outlasts a worker thread that starts late on a
# loaded machine (users count once started).
think = "2ms"
[[user.task]]
path = "/a"
[[user]]
name = "B"
weight = 1
think = "2ms"
[[user.task]]
path = "/b"
"#,
        &server.url(),
    );
    assert_eq!(r.classes[0].users, 4);
    assert_eq!(r.classes[1].users, 1);
    assert_eq!(r.classes[0].iterations + r.classes[1].iterations, 400);
}

#[test]
fn failed_extract_skips_dependent_step() {
    // Every second `make` answers without an id.
    let made = Arc::new(AtomicU64::new(0));
    let counter = made.clone();
    let server = Recorder::start(move |r| {
        if r.path == "/make" {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            if n % 2 == 1 {
                return (201, format!("{{\"id\": {n}}}"));
            }
            return (201, "{\"error\": \"no id today\"}".into());
        }
        ok()
    });
    let r = run(
        r#"
[target]
host = "HOST"
[load]
users = 1
iterations = 6
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "flow"
steps = [
  { name = "make", path = "/make", method = "POST", check = { status = [201] }, extract.oid = { json = "/id" } },
  { name = "use", path = "/use/{{ oid }}", method = "POST" },
]
"#,
        &server.url(),
    );
    accounting_holds(&r);
    // Only the ids this very iteration captured were used: never the
    // previous iteration's, never an empty one.
    let uses: Vec<String> = server
        .paths()
        .into_iter()
        .filter(|p| p.starts_with("/use/"))
        .collect();
    assert_eq!(uses, ["/use/1", "/use/3", "/use/5"]);
    let make = by_name(&r, "make");
    assert_eq!(make.requests, 6);
    assert_eq!(make.failures.get("extract oid: not found"), Some(&3));
    let used = by_name(&r, "use");
    assert_eq!(used.passed, 3);
    assert_eq!(used.check_failed, 3);
    assert_eq!(used.failures.get("skipped: missing oid"), Some(&3));
    // Only the iterations that ran every step are done.
    assert_eq!(r.iterations, 6);
    assert_eq!(r.iterations_done, 3);
    // Visible in the table too.
    let table = r.render();
    assert!(table.contains("skipped: missing oid"), "{table}");
}

#[test]
fn values_captured_in_one_iteration_do_not_reach_the_next() {
    // Tasks in order: `make` captures oid in iteration 1, `use` runs in
    // iteration 2 and must not see it.
    let server = Recorder::start(|r| {
        if r.path == "/make" {
            return (201, "{\"id\": 7}".into());
        }
        ok()
    });
    let r = run(
        r#"
[target]
host = "HOST"
[load]
users = 1
iterations = 4
threads = 1
[[user]]
name = "U"
sequential = true
[[user.task]]
name = "make"
path = "/make"
method = "POST"
extract.oid = { json = "/id" }
[[user.task]]
name = "use"
path = "/use/{{ oid }}"
"#,
        &server.url(),
    );
    accounting_holds(&r);
    assert!(
        server.paths().iter().all(|p| !p.starts_with("/use")),
        "{:?}",
        server.paths()
    );
    assert_eq!(
        by_name(&r, "use").failures.get("skipped: missing oid"),
        Some(&2)
    );
}

#[test]
fn on_start_and_setup_values_last_for_every_iteration() {
    let server = Recorder::start(|r| match r.path.as_str() {
        "/setup" => (200, "{\"shop\": \"s1\"}".into()),
        "/login" => (200, "{\"token\": \"tok-42\"}".into()),
        _ => ok(),
    });
    let r = run(
        r#"
[target]
host = "HOST"
[load]
users = 2
iterations = 10
threads = 1
[[setup]]
name = "setup"
path = "/setup"
extract.shop = { json = "/shop" }
[[user]]
name = "U"
[[user.on_start]]
name = "login"
path = "/login"
method = "POST"
extract.token = { json = "/token" }
[[user.task]]
name = "order"
path = "/shops/{{ shop }}/orders?t={{ token }}"
"#,
        &server.url(),
    );
    accounting_holds(&r);
    let orders: Vec<String> = server
        .paths()
        .into_iter()
        .filter(|p| p.starts_with("/shops"))
        .collect();
    assert_eq!(orders.len(), 10);
    assert!(
        orders.iter().all(|p| p == "/shops/s1/orders?t=tok-42"),
        "{orders:?}"
    );
    assert_eq!(by_name(&r, "order").passed, 10);
}

#[test]
fn header_with_unset_value_is_left_out() {
    let server = Recorder::start(|r| match r.path.as_str() {
        "/register" => (201, "{}".into()),
        "/login" => (200, "{\"token\": \"tok-1\"}".into()),
        "/setup-login" => (200, "{\"admin\": \"adm-9\"}".into()),
        _ => ok(),
    });
    let r = run(
        r#"
[target]
host = "HOST"
headers = { Authorization = "Bearer {{ token }}", X-Admin = "{{ admin }}", X-Static = "yes" }
[load]
users = 1
iterations = 3
threads = 1
[[setup]]
name = "setup-login"
path = "/setup-login"
extract.admin = { json = "/admin" }
[[user]]
name = "U"
[[user.on_start]]
name = "register"
path = "/register"
method = "POST"
[[user.on_start]]
name = "login"
path = "/login"
method = "POST"
extract.token = { json = "/token" }
[[user.task]]
name = "me"
path = "/me"
"#,
        &server.url(),
    );
    accounting_holds(&r);
    let reqs = server.requests();
    let first = |p: &str| reqs.iter().find(|r| r.path == p).unwrap().clone();
    // Before the values exist, the headers that need them are not sent at
    // all (not `Bearer ` with nothing after it); the others are.
    let setup = first("/setup-login");
    assert_eq!(setup.header("authorization"), None, "{setup:?}");
    assert_eq!(setup.header("x-admin"), None, "{setup:?}");
    assert_eq!(setup.header("x-static"), Some("yes"));
    for p in ["/register", "/login"] {
        let r = first(p);
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("authorization"), None, "{r:?}");
        assert_eq!(r.header("x-admin"), Some("adm-9"), "{r:?}");
    }
    let me: Vec<&Req> = reqs.iter().filter(|r| r.path == "/me").collect();
    assert_eq!(me.len(), 3);
    for r in me {
        assert_eq!(r.header("authorization"), Some("Bearer tok-1"), "{r:?}");
        assert_eq!(r.header("x-admin"), Some("adm-9"));
    }
    assert_eq!(r.total.check_failed + r.total.errors, 0, "{:#?}", r.total);
}

#[test]
fn spike_starts_at_its_base_rate() {
    let spike =
        "spike = { base = 200, peak = 400, before = \"1s\", ramp = \"200ms\", hold = \"200ms\" }";
    let compile = |load: &str| {
        let text = format!(
            "[target]\nhost = \"http://127.0.0.1:9\"\n[load]\n{load}\n[[user]]\nname = \"U\"\n[[user.task]]\npath = \"/\"\n"
        );
        compile_str(Path::new("p.toml"), &text, &Overrides::default(), &|_| None)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Both models start at the base, and step at its first level.
    for (load, level) in [
        (format!("model = \"open\"\n{spike}"), 200.0),
        (
            "spike = { base = 3, peak = 6, before = \"2s\", hold = \"1s\" }".to_string(),
            3.0,
        ),
        (
            "step = { start = 5, step = 5, every = \"1s\", steps = 2 }".to_string(),
            5.0,
        ),
    ] {
        let sc = compile(&load);
        let shape = match &sc.load.model {
            hornet::profile::scenario::LoadModel::Open { shape, .. } => shape.clone(),
            hornet::profile::scenario::LoadModel::Closed { shape } => shape.clone(),
        };
        assert_eq!(shape.level_at(0.0), level, "{load}");
    }
    // The run: 1 s at 200/s, 200 ms up to 400/s, 200 ms there, 200 ms
    // down: 200 + 60 + 80 + 60 = 400 iterations, 200 in the first second.
    let server = Recorder::start(|_| ok());
    let r = run(
        &format!("[target]\nhost = \"HOST\"\n[load]\nmodel = \"open\"\nthreads = 1\nrun_time = \"2s\"\n{spike}\n[[user]]\nname = \"U\"\n[[user.task]]\nname = \"x\"\npath = \"/x\"\n"),
        &server.url(),
    );
    accounting_holds(&r);
    assert_eq!(r.iterations, 400, "{r:#?}");
    assert_eq!(r.not_started, 0);
    assert_eq!(server.paths().len() as u64, r.iterations);
    // From 0 the first second would hold 100; allow for a late start.
    let first = r.history.first().expect("a first second");
    assert!(first.requests >= 180, "{first:?}");
}

#[test]
fn captured_secrets_are_redacted_in_every_output() {
    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0cnVzdCJ9.c2lnbmF0dXJlLXRydXN0";
    const ENV_SECRET: &str = "s3cr3t-from-env";
    let server = Recorder::start(|r| {
        match r.path.as_str() {
        "/login" => (
            200,
            format!(
                "{{\"access\": \"{JWT}\", \"session_token\": \"opaque-7781\", \"echo\": \"key={ENV_SECRET}\", \"balance\": 100}}"
            ),
        ),
        // Not the token the check expects: the check fails, and its
        // reason must not print the expected token.
        _ => (200, "{\"token\": \"other\"}".into()),
    }
    });
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(
        &profile,
        format!(
            r#"
[target]
host = "{}"
headers = {{ Authorization = "Bearer {{{{ access }}}}" }}
[env]
api_secret = "TRUST_TEST_API_SECRET"
[load]
users = 1
run_time = "2500ms"
threads = 1
[[setup]]
name = "login"
path = "/login"
method = "POST"
json = {{ secret = "{{{{ api_secret }}}}" }}
extract.access = {{ json = "/access" }}
extract.session_token = {{ json = "/session_token" }}
extract.echo = {{ json = "/echo" }}
extract.balance = {{ json = "/balance" }}
[[user]]
name = "U"
think = "50ms"
[[user.task]]
name = "me"
path = "/me"
check = {{ json = [{{ pointer = "/token", value = "{JWT}" }}] }}
"#,
            server.url()
        ),
    )
    .unwrap();
    let json = dir.path().join("r.json");
    let html = dir.path().join("r.html");
    let csv = dir.path().join("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hornet"))
        .args(["run", profile.to_str().unwrap(), "-q", "--json"])
        .arg(&json)
        .arg("--html")
        .arg(&html)
        .arg("--csv")
        .arg(&csv)
        .args(["--prometheus", "127.0.0.1:0"])
        .env("TRUST_TEST_API_SECRET", ENV_SECRET)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Scrape the live metrics once requests (and their failed check, whose
    // reason names the expected token) have been counted.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let addr = {
        use std::io::BufRead;
        let mut line = String::new();
        loop {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "no address");
            if let Some(rest) = line.trim().strip_prefix("prometheus metrics on http://") {
                break rest.trim_end_matches("/metrics").to_string();
            }
        }
    };
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        rest
    });
    let mut metrics = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(200));
        let Ok(mut s) = TcpStream::connect(&addr) else {
            continue;
        };
        let mut text = String::new();
        if s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .is_ok()
            && s.read_to_string(&mut text).is_ok()
            && text.contains("hornet_errors_total{name=\"me\"")
        {
            metrics = text;
            break;
        }
    }
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    let stderr = drain.join().unwrap();
    assert!(
        matches!(status.code(), Some(0) | Some(3)),
        "{status:?}\n{stdout}\n{stderr}"
    );
    assert!(
        metrics.contains("json /token == (redacted) failed"),
        "{metrics}"
    );
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    let csv_file = |suffix: &str| {
        let mut p = csv.as_os_str().to_owned();
        p.push(suffix);
        read(Path::new(&p))
    };
    let outputs = [
        ("stdout", stdout.clone()),
        ("stderr", stderr),
        ("json", read(&json)),
        ("html", read(&html)),
        ("stats csv", csv_file("_stats.csv")),
        ("failures csv", csv_file("_failures.csv")),
        ("history csv", csv_file("_stats_history.csv")),
        ("prometheus", metrics),
    ];
    for (what, text) in &outputs {
        for secret in [JWT, "opaque-7781", ENV_SECRET] {
            assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
        }
    }
    // The token was really captured and used: the load sent it.
    let me = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/me")
        .expect("the load ran");
    assert_eq!(me.header("authorization"), Some(&*format!("Bearer {JWT}")));
    // What is not secret still shows.
    assert!(
        stdout.contains("captured  before.balance = 100"),
        "{stdout}"
    );
    assert!(
        stdout.contains("captured  before.access = (redacted)"),
        "{stdout}"
    );
    let doc: serde_json::Value = serde_json::from_str(&read(&json)).unwrap();
    assert_eq!(doc["captured"]["before"]["balance"], "100");
    for name in ["access", "session_token", "echo"] {
        assert_eq!(doc["captured"]["before"][name], "(redacted)", "{name}");
    }
    valid_against_schema(&doc);
}
