//! `hornet-smsc`: run the SMSC simulator from the command line.
//!
//! Prints `listening on ADDR` once bound (so scripts can wait for it and
//! learn the port when `--listen` asks for port 0), serves until SIGINT or
//! SIGTERM, then prints the counters and exits 0. With `--tls-cert` and
//! `--tls-key` it speaks SMPP over TLS instead.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use hornet_smsc::tls::{TlsFlags, TlsOptions};
use hornet_smsc::{IdFormat, Latency, MessageState, SmscConfig};

/// A fast SMPP 3.4/5.0 SMSC simulator for hornet to load-test.
#[derive(Debug, Parser)]
#[command(name = "hornet-smsc", version, about)]
#[command(mut_arg("tls_cert", |a| a.help(
    "Speak SMPP over TLS with this certificate chain (PEM, leaf first); needs --tls-key. \
     TLS 1.2 and 1.3, session resumption"
)))]
struct Cli {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:2775")]
    listen: SocketAddr,
    /// Server threads.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: u32,
    /// Only this system_id may bind (with --password); default: anyone.
    #[arg(long, value_name = "ID", requires = "password")]
    system_id: Option<String>,
    /// The password that goes with --system-id.
    #[arg(long, value_name = "PW", requires = "system_id")]
    password: Option<String>,
    /// How message ids are written in submit_sm_resp.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = Format::Hex)]
    id_format: Format,
    /// How message ids are written in receipts [default: --id-format].
    #[arg(long, value_name = "FORMAT", value_enum)]
    receipt_id_format: Option<Format>,
    /// submit_sm_resp delay: `5ms`, `uniform:1ms-10ms` or `exp:5ms`.
    #[arg(long, value_name = "LATENCY", value_parser = parse_latency)]
    latency: Option<Latency>,
    /// Most submit_sm per second per bind; more are answered ESME_RTHROTTLED.
    #[arg(long, value_name = "N")]
    tps_limit: Option<u32>,
    /// Share of submit_sm answered with --error-status, 0.0 to 1.0.
    #[arg(long, value_name = "F", default_value_t = 0.0, value_parser = parse_ratio)]
    error_ratio: f64,
    /// command_status of injected errors, decimal or 0x-hex.
    #[arg(long, value_name = "STATUS", default_value = "0x08", value_parser = parse_status)]
    error_status: u32,
    /// Delay between submit_sm_resp and its receipt, e.g. 100ms.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    receipt_delay: Option<Duration>,
    /// Receipt final states with weights, e.g. DELIVRD=90,UNDELIV=10.
    #[arg(long, value_name = "MIX", value_parser = parse_mix)]
    receipt_mix: Option<ReceiptMix>,
    /// Leave the receipted_message_id and message_state TLVs out of receipts.
    #[arg(long)]
    no_receipt_tlvs: bool,
    /// Mobile-originated deliver_sm per second per receiver bind.
    #[arg(long, value_name = "F", value_parser = parse_rate)]
    mo_rate: Option<f64>,
    /// Send enquire_link on every bind at this interval, e.g. 30s.
    #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
    enquire_link: Option<Duration>,
    /// Largest accepted command_length.
    #[arg(long, value_name = "N", default_value_t = 65536, value_parser = clap::value_parser!(u32).range(16..=16 * 1024 * 1024))]
    max_pdu: u32,
    /// Test hook: close a connection after its N-th submit_sm.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    drop_after: Option<u64>,
    /// Test hook: send unbind after a bind's N-th submit_sm.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    unbind_after: Option<u64>,
    /// --tls-cert, --tls-key, --tls-client-ca (shared with hornet-target).
    #[command(flatten)]
    tls: TlsFlags,
}

/// `--id-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Hex,
    Decimal,
}

impl From<Format> for IdFormat {
    fn from(f: Format) -> IdFormat {
        match f {
            Format::Hex => IdFormat::Hex,
            Format::Decimal => IdFormat::Decimal,
        }
    }
}

/// A parsed `--receipt-mix` (a newtype: clap treats a bare `Vec` as a
/// repeated flag).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ReceiptMix(Vec<(MessageState, u32)>);

impl Cli {
    /// The server configuration these flags describe, TLS aside (see
    /// [`TlsFlags::server_config`], which reads files).
    fn config(&self) -> SmscConfig {
        let defaults = SmscConfig::default();
        SmscConfig {
            threads: self.threads as usize,
            credentials: self.system_id.clone().zip(self.password.clone()),
            message_id_format: self.id_format.into(),
            receipt_id_format: self.receipt_id_format.unwrap_or(self.id_format).into(),
            latency: self.latency.unwrap_or_default(),
            tps_limit: self.tps_limit,
            error_ratio: self.error_ratio,
            error_status: self.error_status,
            receipt_delay: self.receipt_delay.unwrap_or(Duration::ZERO),
            receipt_mix: self
                .receipt_mix
                .clone()
                .map_or(defaults.receipt_mix, |m| m.0),
            receipt_tlvs: !self.no_receipt_tlvs,
            mo_rate: self.mo_rate,
            enquire_link: self.enquire_link,
            max_pdu: self.max_pdu,
            drop_after: self.drop_after,
            unbind_after: self.unbind_after,
            tls: None,
        }
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| format!("`{s}`: {e}"))
}

/// `5ms` | `fixed:5ms` | `uniform:1ms-10ms` | `exp:5ms`.
fn parse_latency(s: &str) -> Result<Latency, String> {
    let latency = match s.split_once(':') {
        None => Latency::Fixed(parse_duration(s)?),
        Some(("fixed", d)) => Latency::Fixed(parse_duration(d)?),
        Some(("exp", d)) => Latency::Exponential {
            mean: parse_duration(d)?,
        },
        Some(("uniform", range)) => {
            let (min, max) = range
                .split_once('-')
                .ok_or_else(|| format!("`{range}`: expected MIN-MAX, e.g. 1ms-10ms"))?;
            let (min, max) = (parse_duration(min)?, parse_duration(max)?);
            if min > max {
                return Err(format!("`{range}`: the minimum exceeds the maximum"));
            }
            Latency::Uniform { min, max }
        }
        Some((kind, _)) => {
            return Err(format!(
                "unknown latency kind `{kind}`: use 5ms, uniform:1ms-10ms or exp:5ms"
            ))
        }
    };
    Ok(latency)
}

fn parse_ratio(s: &str) -> Result<f64, String> {
    let f: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err(format!("`{s}` is outside 0.0..=1.0"))
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let f: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if f.is_finite() && f > 0.0 && f <= 1_000_000.0 {
        Ok(f)
    } else {
        Err(format!("`{s}` must be above 0 and at most 1000000"))
    }
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        Err("the interval must not be zero".into())
    } else {
        Ok(d)
    }
}

fn parse_status(s: &str) -> Result<u32, String> {
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .map_err(|_| format!("`{s}` is not a status (decimal or 0x-hex)"))?;
    if v == 0 {
        Err("the error status must not be 0 (ESME_ROK)".into())
    } else {
        Ok(v)
    }
}

/// `DELIVRD=90,UNDELIV=10`: receipt `stat:` names with weights.
fn parse_mix(s: &str) -> Result<ReceiptMix, String> {
    let mut mix = Vec::new();
    for part in s.split(',') {
        let (name, weight) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}`: expected STATE=WEIGHT, e.g. DELIVRD=90"))?;
        let state = MessageState::from_stat(name.trim().as_bytes()).ok_or_else(|| {
            format!("`{name}` is not a receipt state (DELIVRD, UNDELIV, EXPIRED, REJECTD, ...)")
        })?;
        let weight = weight
            .trim()
            .parse()
            .map_err(|_| format!("`{weight}` is not a weight"))?;
        mix.push((state, weight));
    }
    if mix.iter().all(|&(_, w)| w == 0) {
        return Err("at least one weight must be above 0".into());
    }
    Ok(ReceiptMix(mix))
}

/// Blocks SIGINT and SIGTERM in this thread and, through inheritance, in
/// every thread started after it, so that [`wait_for_signal`] receives
/// them.
fn block_signals() -> libc::sigset_t {
    // SAFETY: `sigset_t` is plain data; sigemptyset initialises it and the
    // calls only read and write the set and this thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// Waits for one of the signals in `set` (blocked by [`block_signals`]).
fn wait_for_signal(set: &libc::sigset_t) {
    loop {
        let mut sig: libc::c_int = 0;
        // SAFETY: `set` was initialised by sigemptyset/sigaddset and `sig`
        // is a valid out-pointer.
        if unsafe { libc::sigwait(set, &mut sig) } == 0 {
            return;
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.tls.server_config(&TlsOptions::default()) {
        Ok(tls) => SmscConfig {
            tls,
            ..cli.config()
        },
        Err(e) => {
            eprintln!("hornet-smsc: {e}");
            return ExitCode::FAILURE;
        }
    };
    let signals = block_signals();
    let handle = match hornet_smsc::start(cli.listen, config) {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("hornet-smsc: cannot serve on {}: {e}", cli.listen);
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // A closed stdout must not stop the server; scripts may ignore our output.
    let _ = writeln!(stdout, "listening on {}", handle.local_addr());
    let _ = stdout.flush();
    drop(stdout);
    wait_for_signal(&signals);
    let counters = handle.counters();
    handle.shutdown();
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{}", counters.render());
    let _ = stdout.flush();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn defaults() {
        let cli = Cli::parse_from(["hornet-smsc"]);
        assert_eq!(cli.listen, "127.0.0.1:2775".parse().unwrap());
        let c = cli.config();
        let d = SmscConfig::default();
        assert_eq!(c.threads, 1);
        assert!(c.credentials.is_none());
        assert_eq!(c.message_id_format, IdFormat::Hex);
        assert_eq!(c.receipt_id_format, IdFormat::Hex);
        assert_eq!(c.latency, Latency::Fixed(Duration::ZERO));
        assert_eq!(c.tps_limit, None);
        assert_eq!((c.error_ratio, c.error_status), (0.0, 8));
        assert_eq!(c.receipt_delay, Duration::ZERO);
        assert_eq!(c.receipt_mix, d.receipt_mix);
        assert!(c.receipt_tlvs);
        assert_eq!((c.mo_rate, c.enquire_link), (None, None));
        assert_eq!(c.max_pdu, d.max_pdu);
        assert_eq!((c.drop_after, c.unbind_after), (None, None));
    }

    #[test]
    fn all_flags() {
        let cli = Cli::parse_from([
            "hornet-smsc",
            "--listen",
            "0.0.0.0:0",
            "--threads",
            "4",
            "--system-id",
            "hornet",
            "--password",
            "secret",
            "--id-format",
            "decimal",
            "--latency",
            "uniform:1ms-10ms",
            "--tps-limit",
            "500",
            "--error-ratio",
            "0.25",
            "--error-status",
            "0x14",
            "--receipt-delay",
            "100ms",
            "--receipt-mix",
            "DELIVRD=90,UNDELIV=10",
            "--no-receipt-tlvs",
            "--mo-rate",
            "2.5",
            "--enquire-link",
            "30s",
            "--max-pdu",
            "4096",
            "--drop-after",
            "10",
            "--unbind-after",
            "20",
        ]);
        let c = cli.config();
        assert_eq!(c.threads, 4);
        assert_eq!(
            c.credentials,
            Some(("hornet".to_string(), "secret".to_string()))
        );
        assert_eq!(c.message_id_format, IdFormat::Decimal);
        assert_eq!(
            c.receipt_id_format,
            IdFormat::Decimal,
            "follows --id-format"
        );
        assert_eq!(
            c.latency,
            Latency::Uniform {
                min: ms(1),
                max: ms(10)
            }
        );
        assert_eq!(c.tps_limit, Some(500));
        assert_eq!((c.error_ratio, c.error_status), (0.25, 0x14));
        assert_eq!(c.receipt_delay, ms(100));
        assert_eq!(
            c.receipt_mix,
            [
                (MessageState::Delivered, 90),
                (MessageState::Undeliverable, 10)
            ]
        );
        assert!(!c.receipt_tlvs);
        assert_eq!(c.mo_rate, Some(2.5));
        assert_eq!(c.enquire_link, Some(Duration::from_secs(30)));
        assert_eq!(c.max_pdu, 4096);
        assert_eq!((c.drop_after, c.unbind_after), (Some(10), Some(20)));
    }

    #[test]
    fn latency_forms() {
        assert_eq!(parse_latency("5ms"), Ok(Latency::Fixed(ms(5))));
        assert_eq!(parse_latency("fixed:5ms"), Ok(Latency::Fixed(ms(5))));
        assert_eq!(
            parse_latency("exp:5ms"),
            Ok(Latency::Exponential { mean: ms(5) })
        );
        assert_eq!(
            parse_latency("uniform:1ms-1s"),
            Ok(Latency::Uniform {
                min: ms(1),
                max: ms(1000)
            })
        );
        for bad in [
            "soon",
            "uniform:5ms",
            "uniform:10ms-1ms",
            "gauss:5ms",
            "exp:",
        ] {
            assert!(parse_latency(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn receipt_id_format_can_differ() {
        let cli = Cli::parse_from(["hornet-smsc", "--receipt-id-format", "decimal"]);
        let c = cli.config();
        assert_eq!(c.message_id_format, IdFormat::Hex);
        assert_eq!(c.receipt_id_format, IdFormat::Decimal);
        assert_eq!(parse_status("88"), Ok(88));
    }

    #[test]
    fn bad_flags_are_rejected() {
        for args in [
            &["hornet-smsc", "--threads", "0"][..],
            &["hornet-smsc", "--listen", "nowhere"],
            &["hornet-smsc", "--system-id", "a"],
            &["hornet-smsc", "--password", "b"],
            &["hornet-smsc", "--id-format", "octal"],
            &["hornet-smsc", "--latency", "uniform:9ms-1ms"],
            &["hornet-smsc", "--error-ratio", "1.5"],
            &["hornet-smsc", "--error-status", "0"],
            &["hornet-smsc", "--error-status", "0xZZ"],
            &["hornet-smsc", "--receipt-mix", "DELIVRD"],
            &["hornet-smsc", "--receipt-mix", "SENT=1"],
            &["hornet-smsc", "--receipt-mix", "DELIVRD=0"],
            &["hornet-smsc", "--mo-rate", "0"],
            &["hornet-smsc", "--enquire-link", "0s"],
            &["hornet-smsc", "--max-pdu", "8"],
            &["hornet-smsc", "--drop-after", "0"],
            &["hornet-smsc", "--tps-limit", "-1"],
            &["hornet-smsc", "--tls-cert", "c.pem"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }
}
