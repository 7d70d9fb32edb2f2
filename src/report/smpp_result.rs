//! The result document of an SMPP run (`hornet smpp --json FILE`): the keys
//! every run has, plus submit_sm, command_status, receipts and sessions.

use super::tls::TlsReport;
use std::collections::BTreeMap;

use crate::metrics::quantiles::{locust_quantiles, spectrum};
use serde::{Deserialize, Serialize};

use super::common::{
    connect_errors_map, connections_lost_map, errors_map, generator, model_of, rehydrate_timeline,
    started_at, timeline, Generator, Percentiles, StageReport, TimelinePoint, SCHEMA_VERSION,
};
use crate::engine::RunOutput;
use crate::metrics::smpp::{SmppMetrics, RECEIPT_STATE_NAMES};
use crate::plan::SmppPlan;

/// The run's configuration as it was executed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmppRunConfig {
    /// HOST:PORT as given.
    pub endpoint: String,
    /// "trx", "tx" or "rx".
    pub bind: String,
    /// ESME system_id (the password is never written).
    pub system_id: String,
    /// SMPP version asked for: "3.4" or "5.0".
    pub interface_version: String,
    /// "closed" or "open".
    pub model: String,
    /// Open model: submit_sm per second in total (the peak with stages).
    pub rate: Option<f64>,
    /// Open model with `--stages`: the stages; null otherwise.
    pub stages: Option<Vec<StageReport>>,
    /// Sessions (binds) at the start.
    pub sessions: usize,
    /// Open model session cap.
    pub max_sessions: usize,
    /// Worker threads.
    pub threads: usize,
    /// Outstanding submit_sm per session.
    pub window: usize,
    /// Text coding: gsm7, ucs2 or latin1.
    pub coding: String,
    /// submit_sm parts per message.
    pub segments: usize,
    /// Delivery receipts requested.
    pub dlr: bool,
    /// Load phase length, seconds.
    pub duration_s: f64,
    /// submit_sm response timeout, seconds.
    pub timeout_s: f64,
}

/// submit_sm outcomes: `scheduled = ok + failed + throttled + timed_out +
/// not_sent + abandoned`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmitSmStats {
    /// submit_sm written.
    pub sent: u64,
    /// Answered ESME_ROK.
    pub ok: u64,
    /// Answered with another error status, or lost with the connection.
    pub failed: u64,
    /// Answered ESME_RTHROTTLED or ESME_RMSGQFUL.
    pub throttled: u64,
    /// No answer within the timeout.
    pub timed_out: u64,
    /// Scheduled but never written when the run ended.
    pub not_sent: u64,
    /// Written and still unanswered when a signal cut the drain short.
    #[serde(default)]
    pub abandoned: u64,
    /// submit_sm to submit_sm_resp, from the intended time.
    pub latency_us: Percentiles,
}

/// Delivery receipts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptStats {
    /// Receipts received (deliver_sm with a receipt esm_class).
    pub received: u64,
    /// Matched to a submit of this run by message id.
    pub matched: u64,
    /// Not matched (unknown id or unparsable).
    pub unmatched: u64,
    /// Submits answered ESME_ROK whose receipt had not arrived by the end
    /// of `--dlr-wait`.
    pub pending: u64,
    /// Submits answered ESME_ROK whose receipt this run cannot match (with
    /// `--dlr`): the SMSC gave an empty message_id, or the bind is a
    /// transmitter (`--bind tx`), which never receives deliver_sm, so the
    /// receipt goes to another bind. Neither matched nor pending.
    #[serde(default)]
    pub unmatchable: u64,
    /// Receipts by `stat:` value.
    pub stat: BTreeMap<String, u64>,
    /// submit_sm written to receipt received.
    pub latency_us: Percentiles,
}

/// Binds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionStats {
    /// Successful binds (first binds and rebinds).
    pub bound: u64,
    /// Refused or unanswered binds.
    pub bind_failed: u64,
    /// Of `bind_failed`: no bind_resp within `--timeout` (or before the
    /// load ended).
    #[serde(default)]
    pub bind_timeouts: u64,
    /// Of `bind_failed`: the connection closed or failed with the bind
    /// unanswered.
    #[serde(default)]
    pub bind_closed: u64,
    /// Why binds failed: the last refusal's status, e.g. "ESME_RINVPASWD
    /// (0x0000000e)"; without a refusal, "no bind_resp within 10s" or
    /// "connection closed before bind_resp".
    pub last_bind_error: Option<String>,
    /// Rebinds after a bound session was lost.
    pub reconnects: u64,
    /// unbind requests from the SMSC.
    pub unbinds_received: u64,
    /// enquire_link sent by hornet.
    pub enquire_links: u64,
}

/// The complete result of an SMPP run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmppResult {
    /// hornet version that produced it.
    pub hornet_version: String,
    /// Always "smpp".
    pub protocol: String,
    /// What was run.
    pub config: SmppRunConfig,
    /// submit_sm the load model scheduled.
    pub scheduled: u64,
    /// submit_sm responses received (any status).
    pub requests: u64,
    /// Responses ESME_ROK.
    pub ok: u64,
    /// submit_sm lost to connection errors (not answered).
    pub failed: u64,
    /// submit_sm with no response within the timeout.
    pub timed_out: u64,
    /// Scheduled but never written.
    pub not_sent: u64,
    /// Written and still unanswered when a signal (Ctrl-C, SIGTERM) cut the
    /// drain short after its 0.3 s grace. 0 unless interrupted.
    #[serde(default)]
    pub abandoned: u64,
    /// Wall time from start until every submit was settled, seconds.
    pub duration_s: f64,
    /// submit_sm answered ESME_ROK per second.
    pub throughput: f64,
    /// submit_sm latency from the intended time.
    pub latency_us: Percentiles,
    /// submit_sm latency from the write.
    pub latency_uncorrected_us: Percentiles,
    /// Lost submits by error kind.
    pub errors: BTreeMap<String, u64>,
    /// submit_sm outcomes.
    pub submit_sm: SubmitSmStats,
    /// Responses by command_status, "0x00000000": n.
    pub command_status: BTreeMap<String, u64>,
    /// Receipts.
    pub receipts: ReceiptStats,
    /// Binds.
    pub sessions: SessionStats,
    /// generic_nack received.
    pub generic_nacks: u64,
    /// Responses to sequence numbers with nothing outstanding.
    pub unknown_responses: u64,
    /// deliver_sm received (receipts and mobile-originated).
    pub deliver_sm: u64,
    /// TCP connections established.
    pub connections_opened: u64,
    /// Latency samples over one hour, recorded as one hour.
    pub clamped_samples: u64,
    /// Failed connection attempts by error kind (events, not requests).
    pub connect_errors: BTreeMap<String, u64>,
    /// Usable connections that failed with no request in flight, by error
    /// kind (events: no request failed with them).
    #[serde(default)]
    pub connections_lost: BTreeMap<String, u64>,
    /// The generator's own health.
    pub generator: Generator,
    /// Per-interval series (requests = submit_sm responses).
    pub timeline: Vec<TimelinePoint>,
    /// When the load started, Unix seconds.
    #[serde(default)]
    pub started_at: f64,
    /// Layout version of this document.
    #[serde(default)]
    pub schema_version: u32,
    /// The whole run's corrected-latency histogram: HdrHistogram V2
    /// compressed, base64.
    #[serde(default)]
    pub latency_histogram: String,
    /// Fastest response, microseconds (for `--csv`; not in the JSON).
    #[serde(skip)]
    pub min_us: u64,
    /// Latency at Locust's CSV quantiles (for `--csv`).
    #[serde(skip)]
    pub quantiles_us: [u64; 11],
    /// Latency by percentile (for `--html`).
    #[serde(skip)]
    pub spectrum_us: Vec<(f64, u64)>,
    /// Ctrl-C or SIGTERM stopped the load before its duration; everything else is
    /// complete for the time it ran.
    #[serde(default)]
    pub interrupted: bool,
    /// `--threshold` verdicts, in the order given (absent without one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<super::verdict::LimitVerdict>,
    /// With `--threshold`: `pass` or `fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// TLS settings, handshakes and failures (`--tls` runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsReport>,
}

impl SmppResult {
    /// Builds the result from a finished run.
    pub fn new(plan: &SmppPlan, out: &RunOutput) -> SmppResult {
        let totals = &out.collected.totals;
        let c = &totals.counters;
        let empty = SmppMetrics::default();
        let s = totals.smpp.as_deref().unwrap_or(&empty);
        let elapsed = out.elapsed.as_secs_f64();
        let load = &plan.load;
        let error_responses = c.completed - c.ok - s.throttled;
        let command_status = command_status_map(s);
        let latency = Percentiles::of(&totals.latency);
        SmppResult {
            hornet_version: env!("CARGO_PKG_VERSION").to_string(),
            protocol: "smpp".into(),
            config: SmppRunConfig::of(plan),
            scheduled: c.scheduled,
            requests: c.completed,
            ok: c.ok,
            failed: c.failed,
            timed_out: c.timed_out,
            not_sent: c.not_sent,
            abandoned: c.abandoned,
            duration_s: elapsed,
            throughput: if elapsed > 0.0 {
                c.ok as f64 / elapsed
            } else {
                0.0
            },
            latency_us: latency,
            latency_uncorrected_us: Percentiles::of(&totals.latency_uncorrected),
            errors: errors_map(c),
            submit_sm: SubmitSmStats {
                sent: c.scheduled - c.not_sent,
                ok: c.ok,
                failed: c.failed + error_responses,
                throttled: s.throttled,
                timed_out: c.timed_out,
                not_sent: c.not_sent,
                abandoned: c.abandoned,
                latency_us: latency,
            },
            command_status,
            receipts: ReceiptStats::of(s),
            sessions: SessionStats::of(s, load.timeout),
            generic_nacks: s.generic_nacks,
            unknown_responses: s.unknown_responses,
            deliver_sm: s.deliver_sm,
            connections_opened: c.connects,
            clamped_samples: c.clamped,
            connect_errors: connect_errors_map(c),
            connections_lost: connections_lost_map(c),
            generator: generator(load, out),
            timeline: timeline(load, out),
            started_at: started_at(out.elapsed),
            schema_version: SCHEMA_VERSION,
            latency_histogram: crate::metrics::codec::encode(&totals.latency),
            min_us: if totals.latency.is_empty() {
                0
            } else {
                totals.latency.min()
            },
            quantiles_us: locust_quantiles(&totals.latency),
            spectrum_us: spectrum(&totals.latency),
            tls: TlsReport::new(load.tls.as_ref(), totals, elapsed),
            interrupted: out.interrupted,
            thresholds: Vec::new(),
            verdict: None,
        }
    }

    /// `scheduled = ok + failed + throttled + timed_out + not_sent +
    /// abandoned` over the submit_sm view (the same requests as the generic
    /// equation).
    pub fn accounting_holds(&self) -> bool {
        let s = &self.submit_sm;
        self.scheduled
            == self.requests + self.failed + self.timed_out + self.not_sent + self.abandoned
            && self.scheduled
                == s.ok + s.failed + s.throttled + s.timed_out + s.not_sent + s.abandoned
    }

    /// True when the run could not work: no bind succeeded, or submits were
    /// scheduled and none was answered.
    pub fn nothing_worked(&self) -> bool {
        self.sessions.bound == 0 || (self.scheduled > 0 && self.requests == 0)
    }
}

impl SmppRunConfig {
    /// What the run was asked to do.
    fn of(plan: &SmppPlan) -> SmppRunConfig {
        let load = &plan.load;
        let (model, rate, stages) = model_of(load);
        SmppRunConfig {
            endpoint: plan.endpoint.clone(),
            bind: plan.bind_name().into(),
            system_id: String::from_utf8_lossy(&plan.session.system_id).into_owned(),
            interface_version: if plan.session.interface_version >= 0x50 {
                "5.0".into()
            } else {
                "3.4".into()
            },
            model: model.into(),
            rate,
            stages,
            sessions: load.connections,
            max_sessions: load.max_connections,
            threads: load.threads,
            window: plan.session.window,
            coding: plan.coding.clone(),
            segments: plan.session.segments.len(),
            dlr: plan.session.registered_delivery & 1 != 0,
            duration_s: load.duration.as_secs_f64(),
            timeout_s: load.timeout.as_secs_f64(),
        }
    }
}

impl ReceiptStats {
    /// From the run's SMPP counters.
    fn of(s: &SmppMetrics) -> ReceiptStats {
        let stat = RECEIPT_STATE_NAMES
            .iter()
            .zip(s.receipt_states)
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| ((*name).to_string(), n))
            .collect();
        ReceiptStats {
            received: s.receipts,
            matched: s.receipts_matched,
            unmatched: s.receipts - s.receipts_matched,
            pending: s.receipts_pending,
            unmatchable: s.receipts_unmatchable,
            stat,
            latency_us: Percentiles::of(&s.receipt_latency),
        }
    }
}

/// Responses by command_status, `"0x00000000": n`, and `"other"` for
/// statuses past the table.
pub fn command_status_map(s: &SmppMetrics) -> BTreeMap<String, u64> {
    let mut command_status: BTreeMap<String, u64> = s
        .status
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(st, n)| (format!("0x{st:08x}"), *n))
        .collect();
    if s.other_status > 0 {
        command_status.insert("other".into(), s.other_status);
    }
    command_status
}

impl SessionStats {
    /// From the run's SMPP counters; `timeout` words an unanswered bind.
    pub fn of(s: &SmppMetrics, timeout: std::time::Duration) -> SessionStats {
        SessionStats {
            bound: s.bound,
            bind_failed: s.bind_failed,
            bind_timeouts: s.bind_timeouts,
            bind_closed: s.bind_closed,
            last_bind_error: bind_error(s, timeout),
            reconnects: s.reconnects,
            unbinds_received: s.unbinds_received,
            enquire_links: s.enquire_links,
        }
    }
}

/// Names why binds failed: a refusal's status first (the SMSC said why),
/// else an unanswered bind, else a connection that closed on it.
fn bind_error(s: &SmppMetrics, timeout: std::time::Duration) -> Option<String> {
    if s.last_bind_status != 0 {
        Some(hornet_smpp::CommandStatus(s.last_bind_status).to_string())
    } else if s.bind_timeouts > 0 {
        Some(format!("no bind_resp within {timeout:?}"))
    } else if s.bind_closed > 0 {
        Some("connection closed before bind_resp".into())
    } else {
        None
    }
}

impl SmppResult {
    /// Why no session could bind, in words, if binds failed and none
    /// succeeded.
    pub fn bind_failure(&self) -> Option<String> {
        let ss = &self.sessions;
        if ss.bound > 0 || ss.bind_failed == 0 {
            return None;
        }
        let e = ss.last_bind_error.as_deref().unwrap_or("unknown");
        let unanswered = ss.bind_timeouts + ss.bind_closed;
        Some(if unanswered >= ss.bind_failed {
            format!(
                "the SMSC never answered a bind ({e}; {} unanswered, {} closed)",
                ss.bind_timeouts, ss.bind_closed
            )
        } else {
            format!("the SMSC refused every bind: {e}")
        })
    }

    /// Restores what the JSON leaves out (CSV and chart figures) from the
    /// encoded histograms, after reading a saved result.
    pub fn rehydrate(&mut self) -> Result<(), String> {
        let h = crate::metrics::codec::decode(&self.latency_histogram)?;
        self.min_us = if h.is_empty() { 0 } else { h.min() };
        self.quantiles_us = locust_quantiles(&h);
        self.spectrum_us = spectrum(&h);
        rehydrate_timeline(&mut self.timeline)
    }
}
