//! `hornet http` flags and their validation into an [`HttpPlan`].

use std::time::Duration;

use clap::Args;

use hornet_http1::{encode_request, Limits, Request};

use super::tls::{TlsArgs, ALPN_HTTP1};
use super::{
    check_count, check_duration, default_threads, load_model, parse_duration, pool_cap,
    ConfigError, OutputArgs, ThresholdArgs, MAX_CONNECTIONS, MAX_PIPELINE, MAX_THREADS,
};
use crate::plan::{HttpPlan, LoadPlan};
use crate::target::{resolve_http_target, HttpTarget};

/// Flags of `hornet http`.
#[derive(Debug, Args)]
pub struct HttpArgs {
    /// Target URL (http://host[:port]/path?query, or https:// for TLS).
    pub url: String,
    /// Connections to keep open, over all workers.
    #[arg(short = 'c', long, value_name = "N", default_value_t = 10)]
    pub connections: usize,
    /// Worker threads (default: available cores; never more than connections).
    #[arg(short = 't', long, value_name = "N")]
    pub threads: Option<usize>,
    /// How long to generate load (e.g. 10s, 1m30s).
    #[arg(short = 'd', long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Open model: total requests per second. Without it, each connection
    /// sends as soon as its previous response arrives (closed model).
    #[arg(short = 'R', long, value_name = "RATE")]
    pub rate: Option<f64>,
    /// Open model with a shape instead of a constant rate:
    /// `DURATION:TARGET,...`, each stage ramping linearly from the previous
    /// target (0 at the start) to its own, in requests/s; the stages'
    /// sum is the run length. E.g. `30s:1000,1s:15000,60s:15000,10s:0`.
    #[arg(long, value_name = "STAGES", conflicts_with_all = ["rate", "duration"])]
    pub stages: Option<String>,
    /// Open model: connections the pool may grow to when every connection is
    /// busy and requests wait (default: -c).
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Requests in flight per connection.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub pipeline: usize,
    /// Request method.
    #[arg(short = 'm', long, value_name = "METHOD", default_value = "GET")]
    pub method: String,
    /// Request header, 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Request body: literal text, or @FILE to read it from a file.
    #[arg(long, value_name = "TEXT|@FILE")]
    pub body: Option<String>,
    /// A request with no response this long after it was written times out.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// A connection not established within this long fails.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// One request per connection: every request opens a new connection
    /// (with a TLS handshake for https://) and sends `Connection: close`.
    /// Benchmarks connection setup and handshakes per second.
    #[arg(long, conflicts_with = "pipeline")]
    pub new_conn: bool,
    /// TLS options, for https:// URLs.
    #[command(flatten)]
    pub tls: TlsArgs,
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

impl HttpArgs {
    /// Validates every flag and builds the plan. Resolves the host name.
    pub fn into_plan(self) -> Result<HttpPlan, ConfigError> {
        let target = resolve_http_target(&self.url)?;
        self.plan_for(target)
    }

    /// Validates every flag against an already resolved target.
    pub fn plan_for(self, target: HttpTarget) -> Result<HttpPlan, ConfigError> {
        check_count("-c/--connections", self.connections, MAX_CONNECTIONS)?;
        let threads = self.threads.unwrap_or_else(default_threads);
        check_count("-t/--threads", threads, MAX_THREADS)?;
        check_count("--pipeline", self.pipeline, MAX_PIPELINE)?;
        check_duration("--timeout", self.timeout)?;
        check_duration("--connect-timeout", self.connect_timeout)?;
        let (model, duration) = load_model(self.rate, self.stages.as_deref(), self.duration)?;
        let max_connections = pool_cap(
            "--max-connections",
            "-c",
            self.connections,
            self.max_connections,
            self.rate.is_some() || self.stages.is_some(),
        )?;
        let mut headers = self
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        if self.new_conn
            && !headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("connection"))
        {
            headers.push(("Connection", "close"));
        }
        let tls = self
            .tls
            .client(target.tls, &target.host, ALPN_HTTP1, "use an https:// URL")?;
        let body = match &self.body {
            None => Vec::new(),
            Some(b) => match b.strip_prefix('@') {
                Some(path) => std::fs::read(path).map_err(|source| ConfigError::BodyFile {
                    path: path.to_string(),
                    source,
                })?,
                None => b.clone().into_bytes(),
            },
        };
        let mut request = Vec::new();
        encode_request(
            &Request {
                method: &self.method,
                target: &target.path_and_query,
                host: &target.host_header,
                headers: &headers,
                body: &body,
            },
            &mut request,
        )
        .map_err(|e| ConfigError::Request(e.to_string()))?;
        Ok(HttpPlan {
            load: LoadPlan {
                addr: target.addr,
                // A worker with no connection could do nothing.
                threads: threads.min(self.connections),
                connections: self.connections,
                max_connections,
                model,
                duration,
                timeout: self.timeout,
                connect_timeout: self.connect_timeout,
                interval: Duration::from_secs(1),
                tls,
            },
            url: self.url,
            head_request: self.method.eq_ignore_ascii_case("HEAD"),
            method: self.method,
            request,
            pipeline: self.pipeline,
            new_conn: self.new_conn,
            limits: Limits::default(),
        })
    }
}

fn parse_header(h: &str) -> Result<(&str, &str), ConfigError> {
    let (name, value) = h
        .split_once(':')
        .ok_or_else(|| ConfigError::Header(h.to_string()))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(ConfigError::Header(h.to_string()));
    }
    Ok((name, value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::load::LoadModel;
    use clap::Parser;
    use std::net::SocketAddr;

    fn args(extra: &[&str]) -> HttpArgs {
        let mut v = vec!["hornet", "http", "http://127.0.0.1:1/x?y=1"];
        v.extend_from_slice(extra);
        match Cli::try_parse_from(v).unwrap().command {
            Command::Http(a) => a,
            _ => unreachable!(),
        }
    }

    fn local() -> HttpTarget {
        HttpTarget {
            addr: SocketAddr::from(([127, 0, 0, 1], 1)),
            host_header: "127.0.0.1:1".into(),
            path_and_query: "/x?y=1".into(),
            host: "127.0.0.1".into(),
            tls: false,
        }
    }

    fn err(extra: &[&str]) -> String {
        args(extra).plan_for(local()).unwrap_err().to_string()
    }

    #[test]
    fn defaults_build_a_closed_plan() {
        let plan = args(&["-t", "4"]).plan_for(local()).unwrap();
        assert_eq!(plan.load.model, LoadModel::Closed);
        assert_eq!(plan.load.connections, 10);
        assert_eq!(plan.load.threads, 4);
        assert_eq!(
            plan.request,
            b"GET /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n".to_vec()
        );
    }

    #[test]
    fn stages_set_an_open_shape_and_the_run_length() {
        let plan = args(&["--stages", "1s:100,2s:100,500ms:0"])
            .plan_for(local())
            .unwrap();
        assert_eq!(plan.load.duration, Duration::from_millis(3500));
        match &plan.load.model {
            LoadModel::Open { shape } => assert!(!shape.is_constant()),
            other => panic!("{other:?}"),
        }
        for clash in [
            vec!["hornet", "http", "http://x/", "--stages", "1s:5", "-R", "5"],
            vec![
                "hornet",
                "http",
                "http://x/",
                "--stages",
                "1s:5",
                "-d",
                "5s",
            ],
        ] {
            assert!(Cli::try_parse_from(clash).is_err());
        }
    }

    #[test]
    fn threads_never_exceed_connections() {
        let plan = args(&["-c", "2", "-t", "8"]).plan_for(local()).unwrap();
        assert_eq!(plan.load.threads, 2);
    }

    #[test]
    fn open_model_and_body() {
        let plan = args(&["-R", "500", "-m", "POST", "--body", "hi", "-H", "X-A: b"])
            .plan_for(local())
            .unwrap();
        match &plan.load.model {
            LoadModel::Open { shape } => {
                assert!(shape.is_constant());
                assert_eq!(shape.peak(), 500.0);
            }
            other => panic!("{other:?}"),
        }
        let text = String::from_utf8(plan.request).unwrap();
        assert!(text.starts_with("POST /x?y=1 HTTP/1.1\r\n"));
        assert!(text.contains("X-A: b\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\nhi"));
    }

    #[test]
    fn body_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("body.json");
        std::fs::write(&path, b"{\"a\":1}").unwrap();
        let at = format!("@{}", path.display());
        let plan = args(&["-m", "PUT", "--body", &at])
            .plan_for(local())
            .unwrap();
        assert!(plan.request.ends_with(b"{\"a\":1}"));
        let missing = err(&["--body", "@/nonexistent/hornet-body"]);
        assert!(missing.contains("cannot read --body file"), "{missing}");
    }

    #[test]
    fn bad_values_name_the_flag() {
        assert!(err(&["-c", "0"]).contains("-c/--connections"));
        assert!(err(&["-t", "0"]).contains("-t/--threads"));
        assert!(err(&["--pipeline", "5000"]).contains("--pipeline"));
        assert!(err(&["-R", "0"]).contains("-R/--rate"));
        assert!(err(&["-R", "NaN"]).contains("-R/--rate"));
        assert!(err(&["-d", "0s"]).contains("-d/--duration"));
        assert!(err(&["-d", "400days"]).contains("-d/--duration"));
        assert!(err(&["--stages", "10s:0"]).contains("--stages"));
        assert!(err(&["--stages", "10s:1e12"]).contains("--stages"));
        assert!(err(&["--max-connections", "20"]).contains("open model"));
        assert!(err(&["-R", "10", "--max-connections", "2"]).contains("--max-connections"));
        assert!(err(&["-H", "NoColon"]).contains("-H/--header"));
        assert!(err(&["-H", "Bad Name: v"]).contains("invalid request"));
        assert!(err(&["-m", "G ET"]).contains("invalid request"));
        assert!(err(&["-H", "Content-Length: 5"]).contains("invalid request"));
    }

    #[test]
    fn clap_rejects_malformed_numbers_and_durations() {
        for bad in [
            vec!["hornet", "http", "http://x/", "-c", "many"],
            vec!["hornet", "http", "http://x/", "-d", "soon"],
            vec!["hornet", "http", "http://x/", "-c", "-5"],
            vec!["hornet", "http"],
            vec!["hornet", "bogus"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err());
        }
    }
}
