//! The profile runtime against the demo API on 127.0.0.1 port 0: load
//! shapes, extraction into later requests, checks, thresholds (including
//! abort), the iteration cap, and misbehaving servers. Every run is short
//! and bounded by its own run_time.

mod common;

use std::path::Path;
use std::time::Duration;

use hornet::profile::{compile_str, Overrides};
use hornet::scenario::result::ScenarioResult;
use hornet_target::{DemoConfig, TargetConfig, TargetHandle};

fn demo() -> TargetHandle {
    let cfg = TargetConfig {
        threads: 2,
        demo: Some(DemoConfig::default()),
        ..Default::default()
    };
    hornet_target::start("127.0.0.1:0".parse().unwrap(), cfg).unwrap()
}

use common::run_profile as run;

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

#[test]
fn closed_model_spawns_every_user_and_loops_with_think_time() {
    let t = demo();
    let r = run(
        r#"
[target]
host = "HOST"
[load]
users = 20
spawn_rate = 40
run_time = "1500ms"
threads = 2
[[user]]
name = "U"
think = "10ms"
[[user.task]]
name = "health"
path = "/health"
check = { status = [200], json = [{ pointer = "/status", value = "ok" }] }
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    assert_eq!(r.users_started, 20);
    assert_eq!(r.total.check_failed + r.total.errors, 0);
    // 20 users, ~10 ms per iteration, ~1 s of full load: far more than one
    // iteration each, far fewer than with no think time.
    assert!(r.iterations_done > 200, "{}", r.iterations_done);
    assert!(r.iterations_done < 4000, "{}", r.iterations_done);
    assert_eq!(r.verdict, "pass");
}

#[test]
fn open_model_starts_exactly_the_scheduled_iterations() {
    let t = demo();
    let r = run(
        r#"
[target]
host = "HOST"
[load]
rate = 300
users = 50
run_time = "1s"
threads = 2
[[user]]
name = "U"
[[user.task]]
name = "health"
path = "/api/v1/health"
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    assert_eq!(r.model, "open");
    assert_eq!(r.iterations + r.not_started, 300);
    assert_eq!(r.not_started, 0);
    assert_eq!(r.total.requests, 300);
    assert_eq!(r.total.latency_us.count, 300);
}

#[test]
fn values_flow_from_setup_and_responses_into_later_requests() {
    let t = demo();
    let r = run(
        r#"
invariants = [
  "count(\"order\", status = 201) == count(\"get order\", status = 200)",
  "before.stock - after.stock == count(\"order\", status = 201)",
]
[target]
host = "HOST"
[load]
users = 4
iterations = 40
threads = 1
[[setup]]
name = "create product"
path = "/products"
json = { name = "widget", price = 5, stock = 1000 }
check = { status = [201] }
extract.product_id = { json = "/id" }
extract.stock = { json = "/stock" }
[[user]]
name = "Buyer"
[[user.task]]
name = "buy"
steps = [
  { name = "order", path = "/orders", json = { product_id = "{{ product_id }}", quantity = 1 }, check = { status = [201] }, extract.order_id = { json = "/id" } },
  { name = "get order", path = "/orders/{{ order_id }}", check = { json = [{ pointer = "/quantity", value = 1 }, { pointer = "/id", op = ">", value = 0 }] } },
]
[[teardown]]
name = "product"
path = "/products/{{ product_id }}"
extract.stock = { json = "/stock" }
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    assert_eq!(r.iterations, 40);
    assert_eq!(r.iterations_done, 40);
    let by = |n: &str| r.requests.iter().find(|x| x.name == n).unwrap().clone();
    assert_eq!(by("order").status.get("201"), Some(&40));
    assert_eq!(by("get order").status.get("200"), Some(&40));
    assert_eq!(by("get order").check_failed, 0);
    assert!(r.invariants.iter().all(|i| i.pass), "{:?}", r.invariants);
    assert_eq!(r.captured["after"]["stock"], "960");
}

#[test]
fn a_breached_threshold_fails_the_run_and_can_abort_it() {
    let t = demo();
    let r = run(
        r#"
[target]
host = "HOST"
[load]
users = 2
run_time = "20s"
threads = 1
[[user]]
name = "U"
think = "5ms"
[[user.task]]
name = "health"
path = "/health"
[[threshold]]
request = "health"
p50 = "1us"
abort_after = "1s"
[[threshold]]
error_rate = "1%"
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    assert!(r.elapsed_s < 10.0, "aborted early, took {}", r.elapsed_s);
    assert!(
        r.aborted.as_deref().unwrap_or("").contains("p50"),
        "{:?}",
        r.aborted
    );
    assert_eq!(r.verdict, "fail");
    assert!(!r.thresholds[0].pass);
    assert!(r.thresholds[1].pass);
}

#[test]
fn refused_connections_are_counted_and_the_run_ends() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = run(
        r#"
[target]
host = "HOST"
[load]
users = 3
run_time = "500ms"
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "x"
path = "/"
"#,
        &format!("http://127.0.0.1:{port}"),
    );
    accounting_holds(&r);
    assert!(r.total.errors > 0);
    assert_eq!(r.total.passed, 0);
    assert!(
        r.total.error_kinds.contains_key("connect_refused"),
        "{:?}",
        r.total.error_kinds
    );
}

#[test]
fn slow_responses_time_out_and_are_counted() {
    let cfg = TargetConfig {
        delay: Duration::from_secs(3),
        ..Default::default()
    };
    let t = hornet_target::start("127.0.0.1:0".parse().unwrap(), cfg).unwrap();
    let r = run(
        r#"
[target]
host = "HOST"
timeout = "200ms"
[load]
users = 2
run_time = "700ms"
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "slow"
path = "/"
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    assert!(
        r.total.error_kinds.get("timeout").copied().unwrap_or(0) >= 2,
        "{:?}",
        r.total
    );
    assert!(r.elapsed_s < 2.0);
}

#[test]
fn smpp_steps_bind_once_per_user_and_submit() {
    let t = demo();
    let smsc = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), Default::default()).unwrap();
    let text = r#"
[target]
host = "HOST"
[target.smpp]
endpoint = "SMSC"
system_id = "hornet"
password = "secret"
[load]
users = 4
iterations = 60
threads = 2
[[user]]
name = "Mixed"
[[user.task]]
name = "send"
steps = [
  { name = "api send", path = "/api/v1/messages/send", json = { source = "hornet", destination = "4477009{{ rand_int(10000, 99999) }}", text = "hi" }, check = { status = [202] } },
  { name = "submit_sm", smpp = { source = "hornet", destination = "4477009{{ seq() }}", text = "Hello from user {{ user_id }}, ça va? Привет" } },
  { name = "long submit", smpp = { destination = "447700900000", text = "{{ rand_str(400) }}" } },
]
"#
    .replace("SMSC", &smsc.local_addr().to_string());
    let r = run(&text, &format!("http://{}", t.local_addr()));
    accounting_holds(&r);
    let by = |n: &str| r.requests.iter().find(|x| x.name == n).unwrap().clone();
    assert_eq!(by("api send").passed, 60);
    assert_eq!(by("submit_sm").passed, 60, "{:?}", by("submit_sm"));
    assert_eq!(by("long submit").passed, 60, "{:?}", by("long submit"));
    assert_eq!(by("submit_sm").latency_us.count, 60);
    // One bind per user, kept across tasks.
    assert_eq!(smsc.counters().binds_ok, 4);
    smsc.shutdown();
}

#[test]
fn a_refused_bind_is_a_counted_failure_not_a_hang() {
    let cfg = hornet_smsc::SmscConfig {
        credentials: Some(("other".into(), "pw".into())),
        ..Default::default()
    };
    let smsc = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), cfg).unwrap();
    let text = r#"
[target.smpp]
endpoint = "SMSC"
system_id = "hornet"
[load]
users = 2
run_time = "400ms"
threads = 1
[[user]]
name = "S"
[[user.task]]
name = "submit_sm"
smpp = { destination = "447700900000", text = "x" }
"#
    .replace("SMSC", &smsc.local_addr().to_string());
    let r = run(&text, "unused");
    accounting_holds(&r);
    let n = &r.requests[0];
    // Issue 11: a submit whose bind was refused was never sent: an error
    // (bind_failed, with its reason), not a failed check.
    assert!(n.errors >= 2, "{n:?}");
    assert_eq!(n.check_failed, 0, "{n:?}");
    assert_eq!(n.not_sent, n.errors, "{n:?}");
    assert!(
        n.error_reasons
            .keys()
            .all(|k| k.starts_with("bind_failed: bind refused")),
        "{n:?}"
    );
    assert_eq!(n.passed, 0);
    smsc.shutdown();
}

fn run_in(dir: &Path, profile: &str, host: &str) -> ScenarioResult {
    let path = dir.join("p.toml");
    std::fs::write(&path, profile.replace("HOST", host)).unwrap();
    let sc = hornet::profile::load(&path, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
    hornet::scenario::run(sc, false).unwrap()
}

#[test]
fn data_feeds_walk_rows_per_user_or_shared() {
    let t = demo();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("people.csv"),
        "email,password\na@x.io,pa\nb@x.io,pb\nc@x.io,pc\n",
    )
    .unwrap();
    // Every iteration registers the feed's current row: a shared cursor
    // hands each row out once per lap, so 6 iterations register 3 emails
    // twice (201 then 409).
    let r = run_in(
        dir.path(),
        r#"
[target]
host = "HOST"
[data.people]
file = "people.csv"
cursor = "shared"
[load]
users = 2
iterations = 6
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "register"
path = "/api/auth/register"
json = { email = "{{ people.email }}", password = "{{ people.password }}" }
check = { status = [201, 409] }
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    let n = &r.requests[0];
    assert_eq!(n.status.get("201"), Some(&3), "{n:?}");
    assert_eq!(n.status.get("409"), Some(&3), "{n:?}");
    // Per user: user i starts at row i, so one iteration each of 3 users
    // registers 3 different rows... of a fresh server.
    let t2 = demo();
    let r = run_in(
        dir.path(),
        r#"
[target]
host = "HOST"
[data.people]
file = "people.csv"
[load]
users = 3
iterations = 3
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "register"
path = "/api/auth/register"
json = { email = "{{ people.email }}", password = "{{ people.password }}" }
check = { status = [201] }
"#,
        &format!("http://{}", t2.local_addr()),
    );
    assert_eq!(r.requests[0].passed, 3, "{:?}", r.requests[0]);
}

#[test]
fn pacing_spaces_task_starts_and_ramp_down_retires_users() {
    let t = demo();
    let r = run(
        r#"
[target]
host = "HOST"
[load]
stages = [
  { duration = "300ms", target = 4 },
  { duration = "1200ms", target = 4 },
  { duration = "300ms", target = 0 },
]
threads = 2
[[user]]
name = "U"
pacing = "200ms"
[[user.task]]
name = "health"
path = "/health"
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    assert_eq!(r.users_started, 4);
    assert_eq!(r.total.interrupted, 0);
    // 4 users for ~1.5 s, one task per 200 ms each: about 30, never 100s.
    assert!((10..=45).contains(&r.iterations), "{}", r.iterations);
    assert!(r.elapsed_s < 3.0, "{}", r.elapsed_s);
}

#[test]
fn result_document_matches_its_schema() {
    let t = demo();
    let r = run(
        r#"
invariants = ["count(\"health\") > 0"]
[target]
host = "HOST"
[load]
users = 2
run_time = "300ms"
threads = 1
[[setup]]
name = "state"
path = "/__demo/state"
extract.state = { json = "/shop" }
[[user]]
name = "U"
[[user.task]]
name = "health"
path = "/health"
[[threshold]]
p99 = "5s"
"#,
        &format!("http://{}", t.local_addr()),
    );
    let doc = serde_json::to_value(&r).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schema/scenario-result.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    assert_eq!(doc["verdict"], "pass");
    assert!(doc["captured"]["before"]["state"]
        .as_str()
        .unwrap()
        .starts_with('{'));
}

// Regressions found by review: each ran wrong before its fix.

#[test]
fn a_user_reusing_a_slot_is_not_hit_by_its_predecessors_timers() {
    let cfg = TargetConfig {
        delay: Duration::from_millis(400),
        ..Default::default()
    };
    let t = hornet_target::start("127.0.0.1:0".parse().unwrap(), cfg).unwrap();
    // One user, retired after its first request, then a new one in the
    // same slot while the first request's timeout entry is still queued.
    let r = run(
        r#"
[target]
host = "HOST"
timeout = "1500ms"
[load]
stages = [
  { duration = "10ms", target = 1 },
  { duration = "490ms", target = 1 },
  { duration = "10ms", target = 0 },
  { duration = "490ms", target = 0 },
  { duration = "10ms", target = 1 },
  { duration = "1490ms", target = 1 },
]
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "get"
path = "/"
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    assert_eq!(r.total.errors, 0, "{:?}", r.total);
    assert!(r.total.passed >= 3, "{:?}", r.total);
}

#[test]
fn a_refused_bind_in_on_start_retries_on_start_and_the_cap_still_ends_the_run() {
    let t = demo();
    let cfg = hornet_smsc::SmscConfig {
        credentials: Some(("other".into(), "pw".into())),
        ..Default::default()
    };
    let smsc = hornet_smsc::start("127.0.0.1:0".parse().unwrap(), cfg).unwrap();
    let text = r#"
[target]
host = "HOST"
[target.smpp]
endpoint = "SMSC"
system_id = "hornet"
[load]
iterations = 50
run_time = "20s"
threads = 1
[[user]]
name = "Broken"
fixed_count = 1
[[user.on_start]]
name = "bind check"
smpp = { destination = "447700900000", text = "x" }
[[user.on_start]]
name = "login"
path = "/health"
[[user.task]]
name = "never"
path = "/health"
[[user]]
name = "Fine"
fixed_count = 1
think = "5ms"
[[user.task]]
name = "work"
path = "/health"
"#
    .replace("SMSC", &smsc.local_addr().to_string());
    let r = run(&text, &format!("http://{}", t.local_addr()));
    accounting_holds(&r);
    let by = |n: &str| r.requests.iter().find(|x| x.name == n).unwrap().clone();
    assert_eq!(by("work").requests, 50);
    assert_eq!(
        by("login").requests,
        0,
        "on_start must not go past a refused bind"
    );
    assert_eq!(by("never").requests, 0);
    // Issue 11: a refused bind is an error (nothing was sent), not a
    // failed check.
    assert!(by("bind check").errors >= 1);
    assert_eq!(by("bind check").not_sent, by("bind check").errors);
    assert!(r.elapsed_s < 5.0, "the cap ends the run: {}", r.elapsed_s);
    smsc.shutdown();
}

#[test]
fn open_model_latency_does_not_include_a_deliberate_sleep() {
    let t = demo();
    let r = run(
        r#"
[target]
host = "HOST"
[load]
rate = 40
users = 20
run_time = "1s"
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "flow"
steps = [{ sleep = "200ms" }, { name = "get", path = "/health" }]
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    let n = &r.requests[0];
    assert!(n.latency_us.count > 20);
    assert!(n.latency_us.p50 < 100_000, "{:?}", n.latency_us);
}

#[test]
fn ramp_down_lets_users_finish_their_task() {
    let t = demo();
    let r = run(
        r#"
[target]
host = "HOST"
[load]
stages = [
  { duration = "10ms", target = 6 },
  { duration = "500ms", target = 6 },
  { duration = "10ms", target = 0 },
  { duration = "600ms", target = 0 },
]
threads = 1
[[user]]
name = "U"
[[user.task]]
name = "flow"
steps = [{ name = "a", path = "/health" }, { sleep = "150ms" }, { name = "b", path = "/health" }]
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    let by = |n: &str| r.requests.iter().find(|x| x.name == n).unwrap().clone();
    assert_eq!(by("a").requests, by("b").requests);
    assert_eq!(r.iterations, r.iterations_done);
}

#[test]
fn a_failing_target_is_not_hit_faster_than_the_pacing() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = run(
        r#"
[target]
host = "HOST"
[load]
users = 5
run_time = "1s"
threads = 1
[[user]]
name = "U"
pacing = "500ms"
[[user.task]]
name = "x"
path = "/"
"#,
        &format!("http://127.0.0.1:{port}"),
    );
    accounting_holds(&r);
    assert!(r.total.errors >= 5);
    assert!(r.total.requests <= 15, "{:?}", r.total);
}

#[test]
fn setup_gives_up_on_a_trickling_server_at_its_timeout() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::Write;
        if let Ok((mut s, _)) = l.accept() {
            let response = b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n0123456789012345678901234567890123456789";
            for b in response.chunks(1) {
                if s.write_all(b).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    });
    let text = format!(
        r#"
[target]
host = "http://{addr}"
timeout = "500ms"
[load]
users = 1
run_time = "1s"
[[setup]]
name = "slow"
path = "/"
[[user]]
name = "U"
[[user.task]]
path = "/"
"#
    );
    let sc = compile_str(Path::new("t.toml"), &text, &Overrides::default(), &|_| None).unwrap();
    let started = std::time::Instant::now();
    let err = hornet::scenario::run(sc, false).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("no response within"), "{err}");
}

#[test]
fn header_and_regex_extraction_and_body_checks() {
    let t = demo();
    let r = run(
        r#"
[target]
host = "HOST"
[load]
users = 1
iterations = 1
threads = 1
[[setup]]
name = "health"
path = "/health"
check = { status = [200], body_contains = "ok" }
extract.server = { header = "server" }
extract.status_word = { regex = "\"status\"\\s*:\\s*\"(\\w+)\"" }
extract.whole = { regex = "o." }
[[user]]
name = "U"
[[user.task]]
name = "contains"
path = "/health"
check = { body_contains = "nope" }
"#,
        &format!("http://{}", t.local_addr()),
    );
    accounting_holds(&r);
    assert_eq!(r.captured["before"]["server"], "hornet-target");
    assert_eq!(r.captured["before"]["status_word"], "ok");
    assert_eq!(r.captured["before"]["whole"], "ok");
    let n = &r.requests[0];
    assert_eq!(n.check_failed, 1);
    assert!(
        n.failures.contains_key("body does not contain \"nope\""),
        "{n:?}"
    );
}
