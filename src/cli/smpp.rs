//! `hornet smpp` flags and their validation into an [`SmppPlan`].

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use hornet_smpp::split::SplitMethod;
use hornet_smpp::text::Coding;

use super::tls::TlsArgs;
use super::{
    check_count, check_duration, default_threads, load_model, parse_duration, pool_cap, range_err,
    ConfigError, OutputArgs, ThresholdArgs, MAX_CONNECTIONS, MAX_THREADS,
};
use crate::plan::{LoadPlan, SmppPlan};
use crate::proto::smpp::segments::build_segments;
use crate::proto::smpp::template::DestTemplate;
use crate::proto::smpp::{BindKind, SmppConfig};

/// Largest window accepted: more outstanding submits than any SMSC allows.
const MAX_WINDOW: usize = 65_535;

/// Text codings on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodingArg {
    /// GSM 03.38 7-bit (unpacked), data_coding 0.
    Gsm7,
    /// UCS-2 / UTF-16BE, data_coding 8.
    Ucs2,
    /// ISO-8859-1, data_coding 3.
    Latin1,
}

impl CodingArg {
    fn coding(self) -> Coding {
        match self {
            CodingArg::Gsm7 => Coding::Gsm7,
            CodingArg::Ucs2 => Coding::Ucs2,
            CodingArg::Latin1 => Coding::Latin1,
        }
    }
}

/// Long-message methods on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Concatenation UDH, 8-bit reference.
    Udh8,
    /// Concatenation UDH, 16-bit reference.
    Udh16,
    /// SAR TLVs.
    Sar,
    /// The whole text in one message_payload TLV.
    Payload,
}

impl SplitArg {
    fn method(self) -> SplitMethod {
        match self {
            SplitArg::Udh8 => SplitMethod::Udh8,
            SplitArg::Udh16 => SplitMethod::Udh16,
            SplitArg::Sar => SplitMethod::Sar,
            SplitArg::Payload => SplitMethod::MessagePayload,
        }
    }
}

/// Bind kinds on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BindArg {
    /// bind_transceiver: submit and receive on one bind.
    Trx,
    /// bind_transmitter: submit only.
    Tx,
    /// bind_receiver: receive only (no submits).
    Rx,
}

/// SMPP versions on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VersionArg {
    /// SMPP 3.4 (interface_version 0x34).
    #[value(name = "3.4")]
    V34,
    /// SMPP 5.0 (interface_version 0x50).
    #[value(name = "5.0")]
    V50,
}

/// Flags of `hornet smpp`.
#[derive(Debug, Args)]
pub struct SmppArgs {
    /// SMSC address, HOST:PORT.
    pub endpoint: String,
    /// ESME system_id (at most 15 characters).
    #[arg(long, value_name = "ID")]
    pub system_id: String,
    /// ESME password (at most 8 characters).
    #[arg(long, value_name = "PW")]
    pub password: String,
    /// system_type (at most 12 characters).
    #[arg(long, value_name = "T", default_value = "")]
    pub system_type: String,
    /// Bind kind.
    #[arg(long, value_enum, default_value = "trx")]
    pub bind: BindArg,
    /// SMPP version to bind with.
    #[arg(long, value_enum, value_name = "VERSION", default_value = "3.4")]
    pub interface_version: VersionArg,
    /// Sessions (binds), over all workers.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub sessions: usize,
    /// Open model: sessions the pool may grow to while submits wait.
    #[arg(long, value_name = "N")]
    pub max_sessions: Option<usize>,
    /// Outstanding submit_sm per session.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub window: usize,
    /// Worker threads (default: available cores; never more than sessions).
    #[arg(short = 't', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Open model: total submit_sm per second. Without it each session
    /// keeps its window full (closed model).
    #[arg(short = 'R', long, value_name = "RATE")]
    pub rate: Option<f64>,
    /// Open model with a shape instead of a constant rate:
    /// `DURATION:TARGET,...`, each stage ramping linearly from the previous
    /// target (0 at the start) to its own, in submit_sm/s; the stages'
    /// sum is the run length. E.g. `30s:1000,1s:15000,60s:15000,10s:0`.
    #[arg(long, value_name = "STAGES", conflicts_with_all = ["rate", "duration"])]
    pub stages: Option<String>,
    /// How long to generate load.
    #[arg(short = 'd', long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Source address: digits are sent as TON 1 / NPI 1, anything else as
    /// alphanumeric (TON 5 / NPI 0).
    #[arg(long, value_name = "ADDR", default_value = "hornet")]
    pub source: String,
    /// Destination template: digits plus {seq:N} (message number) or
    /// {rand:N} (random digits).
    #[arg(long, value_name = "TEMPLATE", default_value = "99890{seq:7}")]
    pub dest: String,
    /// Message text; longer than one SMS it is split (see --split).
    #[arg(long, value_name = "TEXT", default_value = "hornet load test message")]
    pub text: String,
    /// Text coding.
    #[arg(long, value_enum, default_value = "gsm7")]
    pub coding: CodingArg,
    /// How long texts are split.
    #[arg(long, value_enum, default_value = "udh8")]
    pub split: SplitArg,
    /// Ask for delivery receipts and match them to submits.
    #[arg(long)]
    pub dlr: bool,
    /// With --dlr: after the load, each bind stays up this long (at most)
    /// for receipts still due, so they arrive on their own bind.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub dlr_wait: Duration,
    /// Send enquire_link after this long without traffic from the SMSC
    /// (0s disables).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub enquire_link: Duration,
    /// A submit_sm with no response this long after it was written times out.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// A connection not established within this long fails.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// Speak SMPP over TLS (certificates verified unless --insecure).
    #[arg(long)]
    pub tls: bool,
    /// TLS options, with --tls.
    #[command(flatten)]
    pub tls_opts: TlsArgs,
    /// Report files and live endpoints.
    #[command(flatten)]
    pub out: OutputArgs,
    /// Pass/fail limits on the run (`--threshold`).
    #[command(flatten)]
    pub verdict: ThresholdArgs,
    /// No live progress on stderr.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

fn check_cstring(flag: &'static str, value: &str, max: usize) -> Result<Vec<u8>, ConfigError> {
    if value.len() > max || !value.is_ascii() || value.bytes().any(|b| b == 0) {
        return Err(range_err(
            flag,
            value,
            format!("must be at most {max} ASCII characters (SMPP 3.4 limit)"),
        ));
    }
    Ok(value.as_bytes().to_vec())
}

/// Resolves an SMSC `HOST:PORT` to its first address.
pub fn resolve_endpoint(endpoint: &str) -> Result<std::net::SocketAddr, ConfigError> {
    crate::target::resolve_endpoint(endpoint).map_err(|e| ConfigError::Endpoint {
        endpoint: e.endpoint,
        reason: e.reason,
    })
}

impl SmppArgs {
    /// Validates every flag and builds the plan. Resolves the host name.
    pub fn into_plan(self) -> Result<SmppPlan, ConfigError> {
        let addr = resolve_endpoint(&self.endpoint)?;
        check_count("--sessions", self.sessions, MAX_CONNECTIONS)?;
        check_count("--window", self.window, MAX_WINDOW)?;
        let threads = self.threads.unwrap_or_else(default_threads);
        check_count("-t/--threads", threads, MAX_THREADS)?;
        check_duration("--timeout", self.timeout)?;
        check_duration("--connect-timeout", self.connect_timeout)?;
        let (model, duration) = load_model(self.rate, self.stages.as_deref(), self.duration)?;
        let max_sessions = pool_cap(
            "--max-sessions",
            "--sessions",
            self.sessions,
            self.max_sessions,
            self.rate.is_some() || self.stages.is_some(),
        )?;
        let session = self.session(max_sessions)?;
        let host = self
            .endpoint
            .rsplit_once(':')
            .map_or(self.endpoint.as_str(), |(host, _)| host);
        let tls = self.tls_opts.client(self.tls, host, &[], "add --tls")?;
        Ok(SmppPlan {
            load: LoadPlan {
                addr,
                threads: threads.min(self.sessions),
                connections: self.sessions,
                max_connections: max_sessions,
                model,
                duration,
                timeout: self.timeout,
                connect_timeout: self.connect_timeout,
                interval: Duration::from_secs(1),
                tls,
            },
            endpoint: self.endpoint,
            coding: format!("{:?}", self.coding).to_lowercase(),
            session: Arc::new(session),
        })
    }

    /// The SMPP session every bind runs: credentials, addresses, the
    /// message and its segments, timers. Checks each value's SMPP limit.
    fn session(&self, max_sessions: usize) -> Result<SmppConfig, ConfigError> {
        let system_id = check_cstring("--system-id", &self.system_id, 15)?;
        let password = check_cstring("--password", &self.password, 8)?;
        let system_type = check_cstring("--system-type", &self.system_type, 12)?;
        let source = check_cstring("--source", &self.source, 20)?;
        if source.is_empty() {
            return Err(range_err("--source", &self.source, "must not be empty"));
        }
        let numeric = source.iter().all(u8::is_ascii_digit);
        let dest = DestTemplate::compile(&self.dest)
            .map_err(|e| range_err("--dest", &self.dest, e.to_string()))?;
        let segments = build_segments(&self.text, self.coding.coding(), self.split.method())
            .map_err(|e| range_err("--text", &self.text, e))?;
        let bind = match self.bind {
            BindArg::Trx => BindKind::Transceiver,
            BindArg::Tx => BindKind::Transmitter,
            BindArg::Rx => BindKind::Receiver,
        };
        Ok(SmppConfig {
            bind,
            system_id,
            password,
            system_type,
            interface_version: match self.interface_version {
                VersionArg::V34 => 0x34,
                VersionArg::V50 => 0x50,
            },
            window: self.window,
            source_ton: if numeric { 1 } else { 5 },
            source_npi: if numeric { 1 } else { 0 },
            source,
            dest_ton: 1,
            dest_npi: 1,
            dest,
            data_coding: self.coding.coding().data_coding(),
            segments,
            registered_delivery: u8::from(self.dlr),
            enquire_link_ns: self.enquire_link.as_nanos() as u64,
            handshake_timeout_ns: self.timeout.as_nanos() as u64,
            dlr_wait_ns: if self.dlr {
                self.dlr_wait.as_nanos() as u64
            } else {
                0
            },
            max_pdu: hornet_smpp::DEFAULT_MAX_PDU,
            max_sessions: max_sessions as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn args(extra: &[&str]) -> SmppArgs {
        let mut v = vec![
            "hornet",
            "smpp",
            "127.0.0.1:2775",
            "--system-id",
            "esme",
            "--password",
            "pw",
        ];
        v.extend_from_slice(extra);
        match Cli::try_parse_from(v).unwrap().command {
            Command::Smpp(a) => a,
            _ => unreachable!(),
        }
    }

    fn err(extra: &[&str]) -> String {
        args(extra).into_plan().unwrap_err().to_string()
    }

    #[test]
    fn defaults_build_a_closed_trx_plan() {
        let plan = args(&["-t", "2"]).into_plan().unwrap();
        assert_eq!(plan.load.connections, 4);
        assert_eq!(plan.load.threads, 2);
        assert_eq!(plan.session.window, 64);
        assert_eq!(plan.session.bind, BindKind::Transceiver);
        assert_eq!(plan.session.source_ton, 5);
        assert_eq!(plan.session.segments.len(), 1);
        assert_eq!(plan.session.interface_version, 0x34);
    }

    #[test]
    fn long_texts_split_and_numeric_sources_are_international() {
        let text = "x".repeat(300);
        let plan = args(&["--text", &text, "--source", "12345", "--dlr"])
            .into_plan()
            .unwrap();
        assert_eq!(plan.session.segments.len(), 2);
        assert_eq!(plan.session.source_ton, 1);
        assert_eq!(plan.session.registered_delivery, 1);
    }

    #[test]
    fn bad_values_name_the_flag() {
        assert!(err(&["--sessions", "0"]).contains("--sessions"));
        assert!(err(&["--window", "0"]).contains("--window"));
        let long_id = SmppArgs {
            system_id: "a-very-long-system-id".into(),
            ..args(&[])
        };
        assert!(long_id
            .into_plan()
            .unwrap_err()
            .to_string()
            .contains("--system-id"));
        let long_pw = SmppArgs {
            password: "123456789".into(),
            ..args(&[])
        };
        assert!(long_pw
            .into_plan()
            .unwrap_err()
            .to_string()
            .contains("--password"));
        assert!(err(&["--dest", "99{seq}"]).contains("--dest"));
        assert!(err(&["--text", "日本", "--coding", "gsm7"]).contains("--text"));
        assert!(err(&["-R", "0"]).contains("-R/--rate"));
        assert!(err(&["--max-sessions", "9"]).contains("open model"));
        let e = SmppArgs {
            endpoint: "no-port".into(),
            ..args(&[])
        }
        .into_plan()
        .unwrap_err()
        .to_string();
        assert!(e.contains("no-port"), "{e}");
    }
}
