//! From a parsed profile to a [`Scenario`]: resolves environment variables
//! and data files, compiles templates, numbers request names and checks
//! that everything named exists. Each failure is one [`ProfileError`] with
//! the place in the file; nothing is sent before this succeeds.
//!
//! The `Compiler` walks the profile in one pass (`Compiler::run`); each
//! part of the file has its own room: `declare` (env, vars, feeds),
//! `templates`, `targets`, `steps` (user classes and their steps),
//! `http_step` (requests, captures, checks),
//! `verdicts` (thresholds, invariants) and `load` (the load model).
//! `locate` places errors in the text.

mod declare;
mod http_step;
mod load;
mod locate;
mod steps;
mod targets;
mod templates;
mod verdicts;

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::error::{Locator, ProfileError};
use super::model::RawProfile;
use super::scenario::*;
use super::template::{Escape, Resolved, Template};
use http_step::check_header_name;
use locate::key_at;

/// Values given on the command line that replace the profile's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--host`.
    pub host: Option<String>,
    /// `--smpp-endpoint`.
    pub smpp_endpoint: Option<String>,
    /// `--users`.
    pub users: Option<u64>,
    /// `--spawn-rate`.
    pub spawn_rate: Option<f64>,
    /// `--rate`.
    pub rate: Option<f64>,
    /// `--run-time`.
    pub run_time: Option<Duration>,
    /// `--iterations`.
    pub iterations: Option<u64>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `--user-class` (repeatable): keep only these classes.
    pub user_classes: Vec<String>,
}

/// Most users a profile may ask for.
pub const MAX_USERS: u64 = 1_000_000;
/// Default request timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default connect timeout.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Run time of a run bounded only by `iterations`.
const ITERATIONS_RUN_TIME: Duration = Duration::from_secs(600);

/// Reads, parses and compiles the profile at `path`.
pub fn load(path: &Path, ov: &Overrides) -> Result<Scenario, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the profile: {e}"),
    })?;
    compile_str(path, &text, ov, &|k| std::env::var(k).ok())
}

/// Compiles profile `text` (read from `path`, which locates data files);
/// `env` reads environment variables.
pub fn compile_str(
    path: &Path,
    text: &str,
    ov: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scenario, ProfileError> {
    let loc = Locator::new(path, text);
    let raw: RawProfile = toml::from_str(text).map_err(|e| {
        let mut err = loc.from_toml(&e);
        if let Some(span) = e.span() {
            let names_key = ["unknown field", "missing field", "duplicate key"]
                .iter()
                .any(|p| err.message.starts_with(p));
            if !names_key {
                if let Some(key) = key_at(text, span.start) {
                    err.message = format!("key `{key}`: {}", err.message);
                }
            }
        }
        err
    })?;
    Compiler {
        loc,
        dir: path.parent().unwrap_or(Path::new(".")),
        consts: HashMap::new(),
        feeds: Vec::new(),
        globals: Vec::new(),
        teardown_vars: Vec::new(),
        user_vars: Vec::new(),
        names: Vec::new(),
        secrets: Vec::new(),
    }
    .run(raw, ov, env)
}

struct Compiler<'a> {
    loc: Locator<'a>,
    dir: &'a Path,
    /// Constants and environment values, folded into templates.
    consts: HashMap<String, Resolved>,
    feeds: Vec<Arc<Feed>>,
    globals: Vec<String>,
    teardown_vars: Vec<String>,
    user_vars: Vec<String>,
    names: Vec<String>,
    /// See `Scenario::secrets`.
    secrets: Vec<String>,
}

/// Which variables a step may read and where its captures go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Setup,
    User,
    Teardown,
}

impl<'a> Compiler<'a> {
    fn err(&self, span: Range<usize>, msg: impl Into<String>) -> ProfileError {
        self.loc.at(span, msg)
    }

    fn run(
        mut self,
        raw: RawProfile,
        ov: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Scenario, ProfileError> {
        self.declare_values(&raw, env)?;
        let http = self.http_target(&raw, ov)?;
        let smpp = self.smpp_target(&raw, ov)?;
        if let Some(password) = smpp.as_ref().map(|t| t.password.clone()) {
            self.secret(&password);
        }
        let default_headers = self.default_headers(&raw)?;
        let ctx = StepCtx {
            http: http.as_ref(),
            smpp: smpp.is_some(),
            default_headers: &default_headers,
        };
        let setup = self.steps(&raw.setup, Phase::Setup, &ctx)?;
        let teardown = self.steps(&raw.teardown, Phase::Teardown, &ctx)?;
        let classes = self.classes(&raw, ov, &ctx)?;
        let timeout = raw.target.timeout.map_or(DEFAULT_TIMEOUT, |d| d.0);
        if timeout.is_zero() {
            return Err(self.loc.whole("target.timeout: must be more than zero"));
        }
        let thresholds = self.thresholds(&raw)?;
        let invariants = self.invariants(&raw)?;
        let load = self.load(&raw.load, ov, &classes)?;
        Ok(Scenario {
            file: self.loc_file(),
            description: raw.description,
            http,
            smpp,
            default_headers,
            timeout,
            connect_timeout: raw
                .target
                .connect_timeout
                .map_or(DEFAULT_CONNECT_TIMEOUT, |d| d.0),
            load,
            globals: self.globals,
            teardown_vars: self.teardown_vars,
            user_vars: self.user_vars,
            feeds: self.feeds,
            setup,
            teardown,
            classes,
            names: self.names,
            thresholds,
            invariants,
            secrets: self.secrets,
        })
    }

    /// `[env]`, `[vars]` and `[data]`, then every capture's name (so
    /// templates may use a value captured by a later-declared step).
    fn declare_values(
        &mut self,
        raw: &RawProfile,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ProfileError> {
        self.constants(raw, env)?;
        for (name, data) in &raw.data {
            let feed = self.feed(name, data)?;
            self.feeds.push(Arc::new(feed));
        }
        // Capture names first, so templates may use a value captured by a
        // later-declared step (a flow's login used by another task).
        for s in &raw.setup {
            self.declare(&s.get_ref().extract, Phase::Setup)?;
        }
        for s in &raw.teardown {
            self.declare(&s.get_ref().extract, Phase::Teardown)?;
        }
        for u in &raw.users {
            let u = u.get_ref();
            for s in u.on_start.iter().chain(&u.tasks) {
                self.declare(&s.get_ref().extract, Phase::User)?;
                for f in s.get_ref().steps.iter().flatten() {
                    self.declare(&f.get_ref().extract, Phase::User)?;
                }
            }
        }
        Ok(())
    }

    /// `target.headers`: sent with every HTTP request.
    fn default_headers(&self, raw: &RawProfile) -> Result<Vec<(Box<str>, Template)>, ProfileError> {
        let mut default_headers = Vec::new();
        for (k, v) in &raw.target.headers {
            check_header_name(k).map_err(|m| self.err(v.span(), m))?;
            default_headers.push((
                k.as_str().into(),
                self.template(v, Escape::Raw, Phase::User)?,
            ));
        }
        Ok(default_headers)
    }

    fn loc_file(&self) -> std::path::PathBuf {
        self.loc.whole("").file
    }
}

struct StepCtx<'a> {
    http: Option<&'a HttpTarget>,
    smpp: bool,
    default_headers: &'a [(Box<str>, Template)],
}
