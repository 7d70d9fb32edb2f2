//! hornet's accounting agrees with what the target saw, across the load
//! models, pipelining, connection splits and server-side closes.

mod common;

use common::{assert_accounting, run, target};
use hornet_target::TargetConfig;

#[test]
fn closed_model_counts_match_the_target() {
    let t = target(TargetConfig::default());
    let url = format!("http://{}/", t.local_addr());
    let r = run(&url, &["-c", "4", "-t", "2", "-d", "700ms"]);
    assert_accounting(&r);
    assert!(r.requests > 100, "{r:#?}");
    assert_eq!(r.failed + r.timed_out + r.not_sent, 0);
    assert_eq!(r.ok, r.requests);
    assert_eq!(r.status.get("200"), Some(&r.requests));
    assert_eq!(t.responses(), r.requests);
    assert_eq!(t.requests(), r.requests);
    t.shutdown();
}

#[test]
fn pipelined_requests_are_all_accounted() {
    let t = target(TargetConfig::default());
    let url = format!("http://{}/", t.local_addr());
    let r = run(
        &url,
        &["-c", "3", "-t", "1", "-d", "500ms", "--pipeline", "8"],
    );
    assert_accounting(&r);
    assert_eq!(r.failed + r.timed_out + r.not_sent, 0, "{r:#?}");
    assert_eq!(t.responses(), r.requests);
    t.shutdown();
}

#[test]
fn connections_split_over_workers_without_remainder_lost() {
    let t = target(TargetConfig::default());
    let url = format!("http://{}/", t.local_addr());
    let r = run(&url, &["-c", "7", "-t", "3", "-d", "300ms"]);
    assert_accounting(&r);
    assert_eq!(t.connections(), 7);
    assert_eq!(r.connections_opened, 7);
    assert_eq!(r.config.threads, 3);
    t.shutdown();
}

#[test]
fn open_model_sends_the_scheduled_count() {
    let t = target(TargetConfig::default());
    let url = format!("http://{}/", t.local_addr());
    let r = run(&url, &["-R", "2000", "-c", "8", "-t", "2", "-d", "1s"]);
    assert_accounting(&r);
    // 2000/s for 1 s: intended times 0, 0.5 ms, ... 999.5 ms.
    assert_eq!(r.scheduled, 2000, "{r:#?}");
    assert_eq!(r.requests + r.not_sent, 2000);
    assert!(r.requests >= 1990, "{r:#?}");
    assert_eq!(t.responses(), r.requests);
    assert_eq!(r.config.model, "open");
    t.shutdown();
}

#[test]
fn connection_close_every_n_is_survived_with_exact_counts() {
    let t = target(TargetConfig {
        close_every: Some(5),
        ..TargetConfig::default()
    });
    let url = format!("http://{}/", t.local_addr());
    let r = run(&url, &["-c", "4", "-t", "2", "-d", "700ms"]);
    assert_accounting(&r);
    assert_eq!(r.failed + r.timed_out, 0, "{r:#?}");
    // A slot reconnecting when the run ends holds its next request, which
    // is then counted as not sent: at most one per connection.
    assert!(r.not_sent <= 4, "{r:#?}");
    assert_eq!(t.responses(), r.requests);
    // Each connection carried at most 5 responses.
    assert!(r.connections_opened >= r.requests / 5, "{r:#?}");
    // The server may accept a connection whose completion hornet had not
    // yet seen when the run ended: at most one per slot.
    let accepted = t.connections();
    assert!(
        (r.connections_opened..=r.connections_opened + 4).contains(&accepted),
        "server accepted {accepted}: {r:#?}"
    );
    t.shutdown();
}

#[test]
fn connection_close_with_pipelining_resends_unanswered_requests() {
    let t = target(TargetConfig {
        close_every: Some(3),
        ..TargetConfig::default()
    });
    let url = format!("http://{}/", t.local_addr());
    let r = run(
        &url,
        &["-c", "2", "-t", "1", "-d", "500ms", "--pipeline", "4"],
    );
    assert_accounting(&r);
    assert_eq!(r.failed + r.timed_out, 0, "{r:#?}");
    assert_eq!(t.responses(), r.requests);
    t.shutdown();
}

#[test]
fn head_and_post_requests() {
    let t = target(TargetConfig {
        body_size: 1000,
        ..TargetConfig::default()
    });
    let url = format!("http://{}/submit?x=1", t.local_addr());
    let r = run(&url, &["-c", "2", "-t", "1", "-d", "300ms", "-m", "HEAD"]);
    assert_accounting(&r);
    assert!(r.requests > 0);
    assert_eq!(r.failed, 0, "{r:#?}");
    let r = run(
        &url,
        &[
            "-c",
            "2",
            "-t",
            "1",
            "-d",
            "300ms",
            "-m",
            "POST",
            "--body",
            "{\"a\":1}",
            "-H",
            "Content-Type: application/json",
        ],
    );
    assert_accounting(&r);
    assert_eq!(r.failed, 0, "{r:#?}");
    assert_eq!(t.responses(), t.requests());
    t.shutdown();
}

#[test]
fn non_2xx_statuses_are_completed_but_not_ok() {
    let t = target(TargetConfig {
        status: 503,
        ..TargetConfig::default()
    });
    let url = format!("http://{}/", t.local_addr());
    let r = run(&url, &["-c", "2", "-t", "1", "-d", "300ms"]);
    assert_accounting(&r);
    assert!(r.requests > 0);
    assert_eq!(r.ok, 0);
    assert_eq!(r.status.get("503"), Some(&r.requests));
    t.shutdown();
}

#[test]
fn stages_schedule_the_integral_of_the_shape() {
    let t = target(TargetConfig::default());
    let url = format!("http://{}/", t.local_addr());
    // Ramp 0 -> 2000/s over 0.5 s (500 requests), hold 0.5 s (1000).
    let r = run(
        &url,
        &["--stages", "500ms:2000,500ms:2000", "-c", "8", "-t", "2"],
    );
    assert_accounting(&r);
    assert_eq!(r.scheduled, 1500, "{r:#?}");
    assert_eq!(r.requests + r.not_sent, 1500, "{r:#?}");
    assert!(r.requests >= 1490, "{r:#?}");
    assert_eq!(r.config.rate, Some(2000.0));
    assert_eq!(r.config.stages.as_ref().map(Vec::len), Some(2));
    assert_eq!(t.responses(), r.requests);
    t.shutdown();
}
