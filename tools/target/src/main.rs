//! `hornet-target`: run the target server from the command line.
//!
//! Prints `listening on ADDR` once bound (so scripts can wait for it and
//! learn the port when `--listen` asks for port 0), then serves until killed.
//! With `--tls-cert` and `--tls-key` it serves HTTPS instead.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use hornet_target::tls::{TlsFlags, TlsOptions};
use hornet_target::{DemoConfig, Stall, TargetConfig};

/// A fast HTTP/1.1 server for hornet to load-test.
#[derive(Debug, Parser)]
#[command(name = "hornet-target", version, about)]
#[command(mut_arg("tls_cert", |a| a.help(
    "Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key. \
     TLS 1.2 and 1.3, ALPN http/1.1, session resumption"
)))]
struct Cli {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Server threads.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    threads: u32,
    /// Response body size in bytes ("Hello, world!" repeated).
    #[arg(long, value_name = "N", default_value_t = 13)]
    body_size: usize,
    /// Response status code.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u16).range(100..=999))]
    status: u16,
    /// Delay before each response, e.g. 20ms.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    delay: Option<Duration>,
    /// Close each connection after every N-th response.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    close_every: Option<u64>,
    /// Stall the server once, when the N-th request arrives.
    #[arg(long, value_name = "N", requires = "stall_for")]
    stall_after: Option<u64>,
    /// How long the stall lasts, e.g. 2s.
    #[arg(long, value_name = "DURATION", requires = "stall_after", value_parser = humantime::parse_duration)]
    stall_for: Option<Duration>,
    /// Serve the demo JSON API (tools/target/DEMO_API.md) instead of the
    /// canned response.
    #[arg(long)]
    demo: bool,
    /// Demo: split balance and stock updates into a stale read and a late
    /// write, so concurrent requests lose updates and oversell.
    #[arg(long, requires = "demo")]
    racy: bool,
    /// Demo: how long a racy write lags its read, e.g. 2ms (at most 60s).
    #[arg(long, value_name = "DURATION", requires = "demo", value_parser = humantime::parse_duration)]
    race_window: Option<Duration>,
    /// Demo: requests per minute per token on POST /api/ai/diagnose before
    /// 429 (default 20); 0 turns the limit off.
    #[arg(long, value_name = "N", requires = "demo")]
    rate_limit: Option<u32>,
    /// --tls-cert, --tls-key, --tls-client-ca (shared with hornet-smsc).
    #[command(flatten)]
    tls: TlsFlags,
}

impl Cli {
    /// The server configuration these flags describe, TLS aside (see
    /// [`TlsFlags::server_config`], which reads files).
    fn config(&self) -> TargetConfig {
        TargetConfig {
            threads: self.threads as usize,
            body_size: self.body_size,
            status: self.status,
            delay: self.delay.unwrap_or(Duration::ZERO),
            close_every: self.close_every,
            stall: self
                .stall_after
                .zip(self.stall_for)
                .map(|(after, duration)| Stall { after, duration }),
            demo: self.demo.then(|| {
                let defaults = DemoConfig::default();
                DemoConfig {
                    racy: self.racy,
                    race_window: self.race_window.unwrap_or(defaults.race_window),
                    rate_limit: match self.rate_limit {
                        Some(0) => None,
                        Some(n) => Some(n),
                        None => defaults.rate_limit,
                    },
                }
            }),
            tls: None,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.tls.server_config(&TlsOptions::http1()) {
        Ok(tls) => TargetConfig {
            tls,
            ..cli.config()
        },
        Err(e) => {
            eprintln!("hornet-target: {e}");
            return ExitCode::FAILURE;
        }
    };
    let handle = match hornet_target::start(cli.listen, config) {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("hornet-target: cannot serve on {}: {e}", cli.listen);
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // A closed stdout must not stop the server; scripts may ignore our output.
    let _ = writeln!(stdout, "listening on {}", handle.local_addr());
    let _ = stdout.flush();
    drop(stdout);
    // Serve until killed; the server threads do all the work.
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let cli = Cli::parse_from(["hornet-target"]);
        assert_eq!(cli.listen, "127.0.0.1:8080".parse().unwrap());
        let c = cli.config();
        assert_eq!(
            (c.threads, c.body_size, c.status, c.delay),
            (1, 13, 200, Duration::ZERO)
        );
        assert!(c.close_every.is_none() && c.stall.is_none() && c.demo.is_none());
    }

    #[test]
    fn demo_flags() {
        let c = Cli::parse_from(["hornet-target", "--demo"]).config();
        assert_eq!(c.demo, Some(DemoConfig::default()));
        let c = Cli::parse_from([
            "hornet-target",
            "--demo",
            "--racy",
            "--race-window",
            "50ms",
            "--rate-limit",
            "0",
        ])
        .config();
        assert_eq!(
            c.demo,
            Some(DemoConfig {
                racy: true,
                race_window: Duration::from_millis(50),
                rate_limit: None,
            })
        );
        let c = Cli::parse_from(["hornet-target", "--demo", "--rate-limit", "5"]).config();
        assert_eq!(c.demo.unwrap().rate_limit, Some(5));
    }

    #[test]
    fn all_flags() {
        let cli = Cli::parse_from([
            "hornet-target",
            "--listen",
            "0.0.0.0:0",
            "--threads",
            "4",
            "--body-size",
            "1024",
            "--status",
            "503",
            "--delay",
            "20ms",
            "--close-every",
            "10",
            "--stall-after",
            "100",
            "--stall-for",
            "2s",
        ]);
        let c = cli.config();
        assert_eq!((c.threads, c.body_size, c.status), (4, 1024, 503));
        assert_eq!(c.delay, Duration::from_millis(20));
        assert_eq!(c.close_every, Some(10));
        let stall = c.stall.unwrap();
        assert_eq!((stall.after, stall.duration), (100, Duration::from_secs(2)));
    }

    #[test]
    fn bad_flags_are_rejected() {
        for args in [
            &["hornet-target", "--threads", "0"][..],
            &["hornet-target", "--status", "42"],
            &["hornet-target", "--delay", "soon"],
            &["hornet-target", "--close-every", "0"],
            &["hornet-target", "--stall-after", "5"],
            &["hornet-target", "--listen", "nowhere"],
            &["hornet-target", "--racy"],
            &["hornet-target", "--race-window", "5ms"],
            &["hornet-target", "--demo", "--race-window", "soon"],
            &["hornet-target", "--rate-limit", "3"],
            &["hornet-target", "--tls-cert", "c.pem"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }
}
