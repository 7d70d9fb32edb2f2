//! Latency measurement against targets with known delays. Timing ranges are
//! generous: the machine is shared and noisy; speed is for the benchmarks.

mod common;

use std::time::Duration;

use common::{assert_accounting, run, target};
use hornet_target::{Stall, TargetConfig};

#[test]
fn fixed_delay_shows_in_the_median() {
    let t = target(TargetConfig {
        delay: Duration::from_millis(20),
        ..TargetConfig::default()
    });
    let url = format!("http://{}/", t.local_addr());
    let r = run(&url, &["-c", "4", "-t", "1", "-d", "1s"]);
    assert_accounting(&r);
    let p50 = r.latency_us.p50;
    assert!((20_000..=25_000).contains(&p50), "p50 {p50} us: {r:#?}");
    assert!(r.latency_uncorrected_us.p50 >= 20_000);
    t.shutdown();
}

#[test]
fn a_stall_shows_in_corrected_p99_not_in_uncorrected_p50() {
    // Open model at 200/s for 3 s; the target freezes for 1 s after its
    // 100th request. Requests intended during the freeze wait, and the
    // corrected latency counts that wait; the uncorrected one does not.
    let t = target(TargetConfig {
        stall: Some(Stall {
            after: 100,
            duration: Duration::from_secs(1),
        }),
        ..TargetConfig::default()
    });
    let url = format!("http://{}/", t.local_addr());
    let r = run(&url, &["-R", "200", "-c", "4", "-t", "1", "-d", "3s"]);
    assert_accounting(&r);
    assert_eq!(r.failed + r.timed_out, 0, "{r:#?}");
    assert!(
        r.latency_us.p99 >= 500_000,
        "corrected p99 should include the 1 s stall: {r:#?}"
    );
    assert!(
        r.latency_uncorrected_us.p50 < 50_000,
        "uncorrected p50 should not: {r:#?}"
    );
    assert!(r.latency_us.max >= 900_000, "{r:#?}");
    t.shutdown();
}

#[test]
fn slow_responses_time_out_and_are_counted() {
    let t = target(TargetConfig {
        delay: Duration::from_millis(800),
        ..TargetConfig::default()
    });
    let url = format!("http://{}/", t.local_addr());
    let r = run(
        &url,
        &["-c", "2", "-t", "1", "-d", "600ms", "--timeout", "150ms"],
    );
    assert_accounting(&r);
    assert_eq!(r.requests, 0, "{r:#?}");
    assert!(r.timed_out >= 2, "{r:#?}");
    assert_eq!(r.errors.get("timeout"), Some(&r.timed_out));
    t.shutdown();
}

#[test]
fn open_model_pool_grows_when_every_connection_is_busy() {
    // 400 req/s against 50 ms responses needs about 20 connections in
    // flight; start with 1 and allow 40.
    let t = target(TargetConfig {
        delay: Duration::from_millis(50),
        ..TargetConfig::default()
    });
    let url = format!("http://{}/", t.local_addr());
    let r = run(
        &url,
        &[
            "-R",
            "400",
            "-c",
            "1",
            "--max-connections",
            "40",
            "-t",
            "1",
            "-d",
            "1500ms",
        ],
    );
    assert_accounting(&r);
    assert_eq!(r.failed + r.timed_out, 0, "{r:#?}");
    assert!(r.connections_opened > 5, "{r:#?}");
    assert!(r.connections_opened <= 40, "{r:#?}");
    // A connect still in progress when the run ended may have been
    // accepted by the server without hornet counting it.
    assert!(t.connections() - r.connections_opened <= 1, "{r:#?}");
    // Once the pool has grown, requests stop queueing.
    assert!(r.latency_us.p50 < 200_000, "{r:#?}");
    t.shutdown();
}
