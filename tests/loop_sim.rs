//! Tests of the loop itself: the engine's slots worker (`hornet http`,
//! `hornet smpp`) and a profile's users worker (`hornet run`) run on the
//! simulated reactor ([`hornet::engine::sim`]): a virtual clock and
//! in-memory peers written for each test. Timeouts, reconnect backoff, the
//! drain, SMPP throttling and think time are checked to the nanosecond of
//! virtual time, from what the peer saw and the worker's final counts; no
//! test sleeps, each takes milliseconds.

#[path = "loop_sim/peers.rs"]
mod peers;

use std::sync::Arc;

use clap::Parser;
use hornet::cli::{Cli, Command};
use hornet::engine::sim::{Accept, Sim};
use hornet::engine::worker::{self, WorkerSpec};
use hornet::engine::{http_sessions, smpp_sessions};
use hornet::metrics::RunStats;
use hornet::metrics::{ErrorKind, Metrics};
use hornet::plan::{HttpPlan, LoadPlan, SmppPlan};
use hornet::profile::values::Value;
use hornet::profile::{compile_str, Overrides};
use hornet::proto::Session;
use hornet::scenario::failure::Failure;
use hornet::scenario::worker::{self as users, ClassPlan, Report, Shared, WorkerSetup};
use peers::{HttpPeer, Reply, Smsc, ESME_RBINDFAIL, ESME_ROK, ESME_RTHROTTLED};

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;
/// Where the simulated peers listen (no real socket is ever opened).
const HTTP_ADDR: &str = "127.0.0.1:8080";
const SMSC_ADDR: &str = "127.0.0.1:2775";

fn http_plan(args: &[&str]) -> HttpPlan {
    let url = format!("http://{HTTP_ADDR}/");
    let mut argv = vec!["hornet", "http", url.as_str(), "-q", "-t", "1"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv).expect("flags parse").command {
        Command::Http(a) => a.into_plan().expect("valid plan"),
        _ => unreachable!(),
    }
}

fn smpp_plan(args: &[&str]) -> SmppPlan {
    let mut argv = vec![
        "hornet",
        "smpp",
        SMSC_ADDR,
        "-q",
        "-t",
        "1",
        "--system-id",
        "sim",
        "--password",
        "pw",
    ];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv).expect("flags parse").command {
        Command::Smpp(a) => a.into_plan().expect("valid plan"),
        _ => unreachable!(),
    }
}

/// Runs one engine worker over the whole of `load` on `sim`; returns the
/// totals of its snapshots (the interval ones and the final one).
fn run_engine<S: Session + 'static>(
    sim: &mut Sim,
    load: &LoadPlan,
    new_session: Arc<dyn Fn() -> S + Send + Sync>,
) -> Metrics {
    let (tx, rx) = crossbeam_channel::unbounded();
    let spec = WorkerSpec {
        index: 0,
        workers: 1,
        load: Arc::new(load.clone()),
        new_session,
        clock: sim.clock(),
        snapshots: tx,
        core: None,
    };
    let real = std::time::Instant::now();
    worker::run_on(spec, sim).expect("the worker finishes");
    assert!(
        real.elapsed() < std::time::Duration::from_secs(5),
        "virtual time costs no real time"
    );
    let mut totals = Metrics::default();
    let mut finals = 0;
    for snap in rx.try_iter() {
        finals += usize::from(snap.is_final);
        totals.merge(&snap.metrics);
    }
    assert_eq!(finals, 1, "one final snapshot");
    totals
}

/// The accounting equation every run keeps.
fn assert_accounted(m: &Metrics) {
    let c = &m.counters;
    assert_eq!(
        c.scheduled,
        c.completed + c.failed + c.timed_out + c.not_sent + c.abandoned,
        "scheduled = completed + failed + timed_out + not_sent + abandoned: {c:?}"
    );
}

fn times(v: &[(usize, u64)]) -> Vec<u64> {
    v.iter().map(|&(_, t)| t).collect()
}

#[test]
fn http_request_timeout_fires_at_exactly_the_configured_virtual_time() {
    // A server that reads every request and never answers.
    let plan = http_plan(&["-c", "1", "-d", "2s", "--timeout", "500ms"]);
    let mut sim = Sim::new();
    let (peer, log) = HttpPeer::new(|_| Reply::Silent);
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let m = run_engine(&mut sim, &plan.load, http_sessions(&plan));
    let log = log.borrow();
    // Each request times out exactly 500 ms after it was written: the
    // worker drops that socket then, and (the connection never having
    // answered anything) reconnects after its backoff, 10 ms, then 20, 40.
    assert_eq!(
        times(&log.requests),
        [0, 510 * MS, 1030 * MS, 1570 * MS],
        "requests written at connect"
    );
    assert_eq!(
        times(&log.closes),
        [500 * MS, 1010 * MS, 1530 * MS, 2070 * MS],
        "each socket dropped exactly at its request's timeout"
    );
    // The last one, written before the end (2 s), is waited for in the
    // drain: the run ends at its timeout.
    assert_eq!(sim.now(), 2070 * MS);
    let c = &m.counters;
    assert_eq!((c.scheduled, c.timed_out), (4, 4));
    assert_eq!(c.errors[ErrorKind::Timeout as usize], 4);
    assert_eq!((c.completed, c.failed, c.not_sent), (0, 0, 0));
    assert_accounted(&m);
}

#[test]
fn http_reconnect_backoff_doubles_from_10ms_up_to_1s() {
    // Every connect is refused: the slot retries after 10 ms, then twice
    // as long each time, capped at 1 s (`BACKOFF_MIN_NS`, `BACKOFF_MAX_NS`
    // in engine/worker/slots.rs).
    let plan = http_plan(&["-c", "1", "-d", "4s"]);
    let mut sim = Sim::new();
    let (mut peer, log) = HttpPeer::new(|_| Reply::After(0));
    peer.accept = Box::new(|_| Accept::Refuse);
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let m = run_engine(&mut sim, &plan.load, http_sessions(&plan));
    let attempts = times(&log.borrow().connects);
    let gaps: Vec<u64> = attempts.windows(2).map(|w| (w[1] - w[0]) / MS).collect();
    assert_eq!(gaps, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    assert_eq!(attempts[0], 0);
    assert_eq!(*attempts.last().unwrap(), 3270 * MS);
    // The next retry (3270 ms) is also before the end; the one after
    // (4270 ms) is not: the slot stops at the end, nothing in flight.
    let c = &m.counters;
    assert_eq!(c.connect_errors[ErrorKind::ConnectRefused as usize], 10);
    assert_eq!(
        sim.now(),
        4 * S,
        "nothing to drain: the run ends at its end"
    );
    // Closed model: each attempt carried a request, failed with it.
    assert_eq!((c.scheduled, c.failed, c.completed), (10, 10, 0));
    assert_eq!(c.errors[ErrorKind::ConnectRefused as usize], 10);
    assert_accounted(&m);
}

/// Runs a profile's load phase (one users worker) on `sim`; returns its
/// stats merged over every report, and how many reports ended it.
fn run_profile(sim: &mut Sim, profile: &str) -> RunStats {
    let sc = compile_str(
        std::path::Path::new("sim.toml"),
        profile,
        &Overrides::default(),
        &|_| None,
    )
    .expect("the profile compiles");
    let shared = Arc::new(Shared {
        seq: Default::default(),
        iterations: Default::default(),
        stop: Default::default(),
        cursors: sc.feeds.iter().map(|_| Default::default()).collect(),
    });
    let globals = vec![Value::default(); sc.globals.len() + sc.teardown_vars.len()];
    let (tx, rx) = crossbeam_channel::unbounded();
    let setup = WorkerSetup {
        index: 0,
        workers: 1,
        plan: Arc::new(ClassPlan::new(&sc)),
        scenario: Arc::new(sc),
        globals: Arc::new(globals),
        shared,
        clock: sim.clock(),
        core: None,
        tx,
    };
    let names = setup.scenario.names.len();
    let real = std::time::Instant::now();
    users::run_on(setup, sim).expect("the worker finishes");
    assert!(
        real.elapsed() < std::time::Duration::from_secs(5),
        "virtual time costs no real time"
    );
    let mut total = RunStats::new(names);
    let mut done = 0;
    for report in rx.try_iter() {
        match report {
            Report::Interval { stats, .. } => total.merge(&stats),
            Report::Done { stats, .. } => {
                total.merge(&stats);
                done += 1;
            }
        }
    }
    assert_eq!(done, 1, "one final report");
    total
}

#[test]
fn http_drain_waits_for_the_last_request_until_end_plus_timeout() {
    // Answers come 250 ms after each request; the fifth, written at the
    // very end of the load (1 s, as the fourth answer arrives), is never
    // answered: the drain waits for it until its timeout, end + 2 s.
    let plan = http_plan(&["-c", "1", "-d", "1s", "--timeout", "2s"]);
    let mut sim = Sim::new();
    let (peer, log) = HttpPeer::new(|n| {
        if n < 4 {
            Reply::After(250 * MS)
        } else {
            Reply::Silent
        }
    });
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let m = run_engine(&mut sim, &plan.load, http_sessions(&plan));
    let log = log.borrow();
    assert_eq!(
        times(&log.requests),
        [0, 250 * MS, 500 * MS, 750 * MS, S],
        "one request at a time, each as the last answer arrives"
    );
    assert_eq!(sim.now(), S + 2 * S, "the drain ends at end + timeout");
    assert_eq!(times(&log.closes), [3 * S], "one connection, kept alive");
    let c = &m.counters;
    assert_eq!(
        (c.scheduled, c.completed, c.timed_out, c.not_sent, c.failed),
        (5, 4, 1, 0, 0)
    );
    assert_eq!(c.status[200], 4);
    assert_eq!(c.body_bytes, 8);
    assert_accounted(&m);
}

#[test]
fn http_open_model_drain_counts_waiting_requests_as_not_sent() {
    // 10 requests/s for 1 s on one connection to a server that never
    // answers, timeout 300 ms: one request is in flight at a time, each
    // times out, the connection is replaced after its backoff (10, 20,
    // 40 ms), and the requests still waiting for it at the end are not
    // sent; the one in flight is waited for past the end.
    let plan = http_plan(&[
        "-R",
        "10",
        "-c",
        "1",
        "--max-connections",
        "1",
        "-d",
        "1s",
        "--timeout",
        "300ms",
    ]);
    let mut sim = Sim::new();
    let (peer, log) = HttpPeer::new(|_| Reply::Silent);
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let m = run_engine(&mut sim, &plan.load, http_sessions(&plan));
    let log = log.borrow();
    assert_eq!(times(&log.requests), [0, 310 * MS, 630 * MS, 970 * MS]);
    assert_eq!(
        times(&log.closes),
        [300 * MS, 610 * MS, 930 * MS, 1270 * MS]
    );
    assert_eq!(sim.now(), 1270 * MS, "the drain ends at the last timeout");
    let c = &m.counters;
    assert_eq!(
        (c.scheduled, c.timed_out, c.not_sent, c.completed, c.failed),
        (10, 4, 6, 0, 0)
    );
    assert_accounted(&m);
}

#[test]
fn smpp_throttled_submits_pause_the_bind_for_its_doubling_backoff() {
    // The SMSC answers after 1 ms; it throttles the first two submits
    // (ESME_RTHROTTLED). The bind pauses 10 ms after the first, 20 ms
    // after the second (`THROTTLE_BACKOFF_MIN_NS`, doubling, in
    // proto/smpp), then submits back to back once a submit passes.
    let plan = smpp_plan(&["--sessions", "1", "--window", "1", "-d", "100ms"]);
    let mut sim = Sim::new();
    let (smsc, log) = Smsc::new(MS, |n| if n < 2 { ESME_RTHROTTLED } else { ESME_ROK });
    sim.listen(SMSC_ADDR.parse().unwrap(), smsc);
    let m = run_engine(&mut sim, &plan.load, smpp_sessions(&plan));
    let log = log.borrow();
    let submits = times(&log.requests);
    // Bind at 0, bound at 1 ms; throttled answers at 2 and 13 ms.
    assert_eq!(submits[..4], [MS, 12 * MS, 33 * MS, 34 * MS]);
    // From 34 ms on, one submit per millisecond up to the end (100 ms).
    assert_eq!(submits.len(), 3 + 67);
    assert_eq!(*submits.last().unwrap(), 100 * MS);
    // The drain: the last answer at 101 ms, then unbind and its answer.
    assert_eq!(sim.now(), 102 * MS);
    assert_eq!(times(&log.closes), [102 * MS]);
    let smpp = m.smpp.as_ref().expect("SMPP metrics");
    assert_eq!((smpp.throttled, smpp.bound), (2, 1));
    let c = &m.counters;
    assert_eq!(
        (c.scheduled, c.completed, c.failed, c.timed_out),
        (70, 70, 0, 0)
    );
    assert_accounted(&m);
}

#[test]
fn http_peer_closing_after_each_answer_gets_a_new_connection_at_once() {
    // The server answers after 1 ms and closes (FIN, no header saying
    // so): a connection that answered proved itself, so the slot
    // reconnects at once, without backoff: one connection per request.
    let plan = http_plan(&["-c", "1", "-d", "10ms"]);
    let mut sim = Sim::new();
    let (peer, log) = HttpPeer::new(|_| Reply::AfterThenClose(MS));
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let m = run_engine(&mut sim, &plan.load, http_sessions(&plan));
    let log = log.borrow();
    let expected: Vec<u64> = (0..=10).map(|k| k * MS).collect();
    assert_eq!(times(&log.connects), expected);
    assert_eq!(times(&log.requests), expected[..10]);
    assert_eq!(sim.now(), 10 * MS);
    // The eleventh connection, opened at the end, never carried its
    // request: not sent.
    let c = &m.counters;
    assert_eq!(
        (c.scheduled, c.completed, c.not_sent, c.failed, c.connects),
        (11, 10, 1, 0, 10)
    );
    assert_accounted(&m);
}

#[test]
fn http_reset_before_any_answer_backs_off() {
    // The server resets every connection as the request arrives: the
    // request fails with the reset and, the connection never having
    // worked, the slot backs off (10, 20, 40 ms) instead of reconnecting
    // in a tight loop.
    let plan = http_plan(&["-c", "1", "-d", "100ms"]);
    let mut sim = Sim::new();
    let (peer, log) = HttpPeer::new(|_| Reply::Reset);
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let m = run_engine(&mut sim, &plan.load, http_sessions(&plan));
    assert_eq!(
        times(&log.borrow().connects),
        [0, 10 * MS, 30 * MS, 70 * MS]
    );
    let c = &m.counters;
    assert_eq!((c.scheduled, c.failed), (4, 4));
    assert_eq!(c.errors[ErrorKind::Reset as usize], 4);
    assert_eq!(sim.now(), 100 * MS);
    assert_accounted(&m);
}

#[test]
fn smpp_refused_bind_retries_after_the_doubling_backoff() {
    // The SMSC refuses the first three binds (ESME_RBINDFAIL, answered
    // after 1 ms): each refusal drops the socket and the session binds
    // again 10, 20, 40 ms later; the fourth bind succeeds and submits
    // flow from then on.
    let plan = smpp_plan(&["--sessions", "1", "--window", "1", "-d", "200ms"]);
    let mut sim = Sim::new();
    let (mut smsc, log) = Smsc::new(MS, |_| ESME_ROK);
    smsc.bind_status = Box::new(|n| if n < 3 { ESME_RBINDFAIL } else { ESME_ROK });
    sim.listen(SMSC_ADDR.parse().unwrap(), smsc);
    let m = run_engine(&mut sim, &plan.load, smpp_sessions(&plan));
    let log = log.borrow();
    assert_eq!(times(&log.connects), [0, 11 * MS, 32 * MS, 73 * MS]);
    assert_eq!(times(&log.closes), [MS, 12 * MS, 33 * MS, 202 * MS]);
    assert_eq!(log.requests[0], (3, 74 * MS), "the first submit once bound");
    let smpp = m.smpp.as_ref().expect("SMPP metrics");
    assert_eq!((smpp.bind_failed, smpp.bound), (3, 1));
    let c = &m.counters;
    assert_eq!(c.scheduled, log.requests.len() as u64);
    assert_eq!((c.completed, c.failed), (c.scheduled, 0));
    assert_accounted(&m);
}

const THINK_PROFILE: &str = r#"
[target]
host = "http://127.0.0.1:8080"
timeout = "TIMEOUT"
[load]
users = 1
run_time = "RUN"
[[user]]
name = "U"
think = "1s"
[[user.task]]
name = "home"
path = "/"
check.status = [200]
"#;

fn think_profile(timeout: &str, run: &str) -> String {
    THINK_PROFILE
        .replace("TIMEOUT", timeout)
        .replace("RUN", run)
}

#[test]
fn profile_user_think_time_paces_iterations_exactly() {
    // One user, 1 s think, 10 s run, instant answers: iterations start at
    // 0, 1, ..., 9 s, exactly ten; the one due at 10 s is the end.
    let mut sim = Sim::new();
    let (peer, log) = HttpPeer::new(|_| Reply::After(0));
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let stats = run_profile(&mut sim, &think_profile("10s", "10s"));
    let expected: Vec<u64> = (0..10).map(|k| k * S).collect();
    assert_eq!(times(&log.borrow().requests), expected);
    assert_eq!(log.borrow().connects.len(), 1, "one keep-alive connection");
    assert_eq!((stats.iterations, stats.iterations_done), (10, 10));
    let t = stats.total();
    assert_eq!((t.requests, t.passed, t.interrupted), (10, 10, 0));
    assert_eq!(
        sim.now(),
        10 * S,
        "nothing in flight: the run ends at its end"
    );
}

#[test]
fn profile_request_timeout_fires_exactly_and_the_user_thinks_on() {
    // A server that never answers, timeout 300 ms: the user's request
    // fails at exactly 300 ms, its connection is dropped, and the user
    // thinks 1 s before the next iteration (0, 1.3, 2.6 s).
    let mut sim = Sim::new();
    let (peer, log) = HttpPeer::new(|_| Reply::Silent);
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let stats = run_profile(&mut sim, &think_profile("300ms", "3s"));
    let log = log.borrow();
    assert_eq!(times(&log.requests), [0, 1300 * MS, 2600 * MS]);
    assert_eq!(times(&log.closes), [300 * MS, 1600 * MS, 2900 * MS]);
    let t = stats.total();
    assert_eq!(t.requests, 3);
    assert_eq!(t.errors[ErrorKind::Timeout as usize], 3);
    assert_eq!((t.passed, t.interrupted, t.not_sent), (0, 0, 0));
    assert_eq!(sim.now(), 3 * S);
}

#[test]
fn profile_drain_waits_for_the_user_in_flight() {
    // Answers take 1.5 s; the run is 2 s: the second request (written at
    // 1.5 s) is answered in the drain, at 3 s, and the run ends then.
    let mut sim = Sim::new();
    let (peer, log) = HttpPeer::new(|_| Reply::After(1500 * MS));
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let profile = think_profile("5s", "2s").replace("think = \"1s\"\n", "");
    let stats = run_profile(&mut sim, &profile);
    assert_eq!(times(&log.borrow().requests), [0, 1500 * MS]);
    let t = stats.total();
    assert_eq!((t.requests, t.passed, t.interrupted), (2, 2, 0));
    assert_eq!(sim.now(), 3 * S);
}

#[test]
fn profile_drain_ends_at_the_timeout_of_the_last_request() {
    // A silent server, timeout 5 s, run 2 s: the request written at 0
    // times out at 5 s, in the drain, which ends then (before end +
    // timeout, 7 s).
    let mut sim = Sim::new();
    let (peer, _log) = HttpPeer::new(|_| Reply::Silent);
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let stats = run_profile(&mut sim, &think_profile("5s", "2s"));
    let t = stats.total();
    assert_eq!(t.requests, 1);
    assert_eq!(t.errors[ErrorKind::Timeout as usize], 1);
    assert_eq!((t.passed, t.interrupted), (0, 0));
    assert_eq!(sim.now(), 5 * S);
}

#[test]
fn profile_user_backs_off_on_refused_connects_doubling_to_its_cap() {
    // Every connect refused, no think time: the user pauses 50 ms after
    // the first failure, twice as long after each next one, up to 800 ms
    // (`ERROR_BACKOFF_NS << MAX_BACKOFF_SHIFT`, scenario/worker).
    let mut sim = Sim::new();
    let (mut peer, log) = HttpPeer::new(|_| Reply::After(0));
    peer.accept = Box::new(|_| Accept::Refuse);
    sim.listen(HTTP_ADDR.parse().unwrap(), peer);
    let profile = think_profile("5s", "3s").replace("think = \"1s\"\n", "");
    let stats = run_profile(&mut sim, &profile);
    let attempts = times(&log.borrow().connects);
    let gaps: Vec<u64> = attempts.windows(2).map(|w| (w[1] - w[0]) / MS).collect();
    assert_eq!(gaps, [50, 100, 200, 400, 800, 800]);
    let t = stats.total();
    assert_eq!(t.requests, 7);
    assert_eq!(t.errors[ErrorKind::ConnectRefused as usize], 7);
    assert_eq!(t.not_sent, 7, "nothing reached the peer");
    assert_eq!(stats.connects, 0);
    assert_eq!(sim.now(), 3 * S);
}

#[test]
fn profile_smpp_user_waits_out_the_throttle_pause_and_counts_throttled_submits() {
    // A profile user's SMPP step against an SMSC that answers after 1 ms
    // and throttles the first two submits: the bind completes at 1 ms,
    // the throttled answers count as failed checks with their status, and
    // the bind pauses 10 ms, then 20 ms, as `hornet smpp`'s binds do
    // (submits at 1, 12, 33 ms); then one submit per millisecond until the
    // end (100 ms).
    let profile = format!(
        r#"
[target]
timeout = "5s"
[target.smpp]
endpoint = "{SMSC_ADDR}"
system_id = "sim"
password = "pw"
[load]
users = 1
run_time = "100ms"
[[user]]
name = "S"
[[user.task]]
name = "submit"
smpp = {{ source = "hornet", destination = "998901234567", text = "hi" }}
"#
    );
    let mut sim = Sim::new();
    let (smsc, log) = Smsc::new(MS, |n| if n < 2 { ESME_RTHROTTLED } else { ESME_ROK });
    sim.listen(SMSC_ADDR.parse().unwrap(), smsc);
    let stats = run_profile(&mut sim, &profile);
    let log = log.borrow();
    let expected: Vec<u64> = [1, 12].into_iter().chain(33..100).map(|k| k * MS).collect();
    assert_eq!(times(&log.requests), expected);
    assert_eq!(log.connects.len(), 1, "one bind for the user's whole run");
    let t = stats.total();
    assert_eq!((t.requests, t.passed, t.check_failed), (69, 67, 2));
    assert_eq!(t.error_total(), 0);
    assert_eq!(
        t.reasons.get(&Failure::SubmitResp(ESME_RTHROTTLED)),
        Some(&2),
        "{:?}",
        t.reasons
    );
    assert_eq!(sim.now(), 100 * MS);
}
