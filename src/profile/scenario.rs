//! A profile compiled and validated: what the scenario runtime executes.
//! Every name is an index, every template is compiled, every value checked.

use crate::tls::TlsClient;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use regex::bytes::Regex;

use super::expr::Expr;
use super::template::{RenderCtx, Source, Template};
use crate::load::Shape;

/// A runnable scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The profile file.
    pub file: PathBuf,
    /// `description`.
    pub description: Option<String>,
    /// The HTTP target, when any step speaks HTTP.
    pub http: Option<HttpTarget>,
    /// The SMSC, when any step speaks SMPP.
    pub smpp: Option<SmppTarget>,
    /// Headers every HTTP request carries.
    pub default_headers: Vec<(Box<str>, Template)>,
    /// Request timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// The load.
    pub load: LoadSpec,
    /// Names of values captured by setup (template `Global` slots).
    pub globals: Vec<String>,
    /// Names of values captured by teardown.
    pub teardown_vars: Vec<String>,
    /// Names of per-user variables (template `User` slots).
    pub user_vars: Vec<String>,
    /// CSV feeds.
    pub feeds: Vec<Arc<Feed>>,
    /// Steps run once before the load.
    pub setup: Vec<Step>,
    /// Steps run once after the load.
    pub teardown: Vec<Step>,
    /// User classes (after `--user-class`).
    pub classes: Vec<Class>,
    /// Request names; a step's `name` indexes this.
    pub names: Vec<String>,
    /// Pass/fail limits.
    pub thresholds: Vec<Threshold>,
    /// Assertions checked after teardown.
    pub invariants: Vec<Invariant>,
    /// Values known to be secret (`[env]` values, `[vars]` with a secret
    /// name, the SMPP password): no output shows a captured value that
    /// contains one (see `vocab::redact::redact_value`).
    pub secrets: Vec<String>,
}

/// Where HTTP requests go.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    /// The URL as given.
    pub url: String,
    /// Resolved addresses; the first is used.
    pub addr: SocketAddr,
    /// `Host` header value.
    pub host_header: String,
    /// Path prefix from the URL (no trailing slash), prepended to step paths.
    pub base_path: String,
    /// TLS client, for an `https://` host.
    pub tls: Option<TlsClient>,
}

/// The SMSC.
#[derive(Debug, Clone)]
pub struct SmppTarget {
    /// Address.
    pub addr: SocketAddr,
    /// The endpoint as given.
    pub endpoint: String,
    /// Bind system_id.
    pub system_id: String,
    /// Bind password.
    pub password: String,
    /// Bind system_type.
    pub system_type: String,
    /// TLS client, with `[target.smpp.tls]`.
    pub tls: Option<TlsClient>,
}

/// The load model.
#[derive(Debug, Clone)]
pub enum LoadModel {
    /// Users loop over their tasks. `shape` gives the wanted user count
    /// over time (from `users`/`spawn_rate`, `stages`, `step` or `spike`).
    Closed {
        /// Wanted users over time.
        shape: Arc<Shape>,
    },
    /// Task iterations start at `shape`'s rate on idle users; at most
    /// `max_users` users exist.
    Open {
        /// Iterations per second over time.
        shape: Arc<Shape>,
        /// Most users.
        max_users: u64,
    },
}

/// How much load, for how long.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// The model.
    pub model: LoadModel,
    /// How long the load phase lasts.
    pub run_time: Duration,
    /// Stop after this many task iterations.
    pub iterations: Option<u64>,
    /// Worker threads.
    pub threads: usize,
    /// Random seed.
    pub seed: u64,
}

/// A CSV feed.
#[derive(Debug)]
pub struct Feed {
    /// Feed name.
    pub name: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each with one cell per column.
    pub rows: Vec<Box<[Box<str>]>>,
    /// One cursor for all users (else one per user).
    pub shared: bool,
}

/// A user class.
#[derive(Debug, Clone)]
pub struct Class {
    /// Name.
    pub name: String,
    /// Share of users.
    pub weight: u32,
    /// Fixed number of users, taken before weights share the rest.
    pub fixed_count: Option<u64>,
    /// Pause between tasks.
    pub think: Think,
    /// Steps run once per user.
    pub on_start: Vec<Step>,
    /// Tasks.
    pub tasks: Vec<Task>,
    /// Tasks in order instead of by weight.
    pub sequential: bool,
    /// User variables that belong to one task iteration: every slot that
    /// no `on_start` step of the class captures. They are unset when an
    /// iteration starts, so a value never leaks into the next iteration.
    pub iteration_vars: Vec<usize>,
    /// Sum of task weights.
    pub total_weight: u64,
}

/// Pause after a task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Think {
    /// No pause.
    None,
    /// A constant pause.
    Constant(Duration),
    /// Uniform in `[a, b]`.
    Between(Duration, Duration),
    /// The next task starts this long after the previous one started.
    Pacing(Duration),
}

/// A task: one step or a flow.
#[derive(Debug, Clone)]
pub struct Task {
    /// Pick weight.
    pub weight: u32,
    /// Steps run in order.
    pub steps: Vec<Step>,
}

/// One step.
#[derive(Debug, Clone)]
pub enum Step {
    /// An HTTP request.
    Http(Box<HttpStep>),
    /// An SMPP submit_sm.
    Smpp(Box<SmppStep>),
    /// A pause.
    Sleep(Duration),
}

/// An HTTP request step.
#[derive(Debug, Clone)]
pub struct HttpStep {
    /// Index into [`Scenario::names`].
    pub name: usize,
    /// Method.
    pub method: Box<str>,
    /// Path and query (the target's base path already in front).
    pub path: Template,
    /// Header name/value templates (profile defaults first).
    pub headers: Vec<(Box<str>, Template)>,
    /// How many of `headers` come from `[target].headers` (the first
    /// ones): such a header is left out while a value it reads is unset.
    pub defaults: usize,
    /// Captured values the step's own path, headers and body read, with
    /// their names: the step does not run while one is unset.
    pub needs: Vec<(Source, Box<str>)>,
    /// Body.
    pub body: Option<Template>,
    /// Captures.
    pub extract: Vec<Extract>,
    /// Pass criteria.
    pub check: Check,
    /// The body must be kept (extraction or checks read it).
    pub needs_body: bool,
    /// The body must be parsed as JSON.
    pub needs_json: bool,
    /// Lower-case response header names to keep.
    pub wanted_headers: Vec<Box<str>>,
}

/// An SMPP submit step.
#[derive(Debug, Clone)]
pub struct SmppStep {
    /// Index into [`Scenario::names`].
    pub name: usize,
    /// source_addr.
    pub source: Template,
    /// destination_addr.
    pub destination: Template,
    /// Message text.
    pub text: Template,
    /// Ask for a delivery receipt.
    pub registered_delivery: bool,
    /// Captured values its templates read, with their names.
    pub needs: Vec<(Source, Box<str>)>,
}

/// The name of the first value in `needs` that is unset in `ctx`.
pub fn first_missing<'n>(needs: &'n [(Source, Box<str>)], ctx: &RenderCtx<'_>) -> Option<&'n str> {
    needs
        .iter()
        .find(|(src, _)| !ctx.is_set(*src))
        .map(|(_, name)| &**name)
}

impl HttpStep {
    /// The first captured value the step needs that is unset in `ctx`.
    pub fn missing(&self, ctx: &RenderCtx<'_>) -> Option<&str> {
        first_missing(&self.needs, ctx)
    }
}

impl SmppStep {
    /// The first captured value the step needs that is unset in `ctx`.
    pub fn missing(&self, ctx: &RenderCtx<'_>) -> Option<&str> {
        first_missing(&self.needs, ctx)
    }
}

/// Where a capture goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A setup global.
    Global(usize),
    /// A teardown value.
    Teardown(usize),
    /// A user variable.
    User(usize),
}

/// One capture.
#[derive(Debug, Clone)]
pub struct Extract {
    /// Variable name, for messages.
    pub var: String,
    /// Destination.
    pub slot: Slot,
    /// How.
    pub from: ExtractFrom,
}

/// Capture methods.
#[derive(Debug, Clone)]
pub enum ExtractFrom {
    /// JSON pointer.
    Json(String),
    /// Index into [`HttpStep::wanted_headers`].
    Header(usize),
    /// First group, or the whole match.
    Regex(Regex),
}

/// Pass criteria of a response.
#[derive(Debug, Clone, Default)]
pub struct Check {
    /// Statuses that pass; `None`: below 400.
    pub status: Option<Vec<u16>>,
    /// Required body text.
    pub body_contains: Option<Box<[u8]>>,
    /// JSON comparisons.
    pub json: Vec<JsonCheck>,
}

/// A JSON comparison.
#[derive(Debug, Clone)]
pub struct JsonCheck {
    /// Pointer.
    pub pointer: String,
    /// Operator.
    pub op: CmpOp,
    /// Right-hand side (`Null` for `exists`).
    pub value: serde_json::Value,
}

/// Comparison operators of JSON checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Less.
    Lt,
    /// Less or equal.
    Le,
    /// Greater.
    Gt,
    /// Greater or equal.
    Ge,
    /// The pointer resolves.
    Exists,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Exists => "exists",
        }
    }
}

/// A threshold: limits on one request name or on all requests.
#[derive(Debug, Clone)]
pub struct Threshold {
    /// Request name index; `None`: all.
    pub request: Option<usize>,
    /// Limits.
    pub limits: Vec<Limit>,
    /// Abort the run after failing this long.
    pub abort_after: Option<Duration>,
}

/// One limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// Latency quantile (0..=1, 1 = max) at most this.
    Quantile(f64, Duration),
    /// Mean latency at most this.
    Mean(Duration),
    /// Failed share at most this.
    ErrorRate(f64),
    /// Check pass share at least this.
    Checks(f64),
    /// Requests per second at least this.
    Rps(f64),
}

/// An invariant.
#[derive(Debug, Clone)]
pub struct Invariant {
    /// The expression as written.
    pub text: String,
    /// Parsed.
    pub expr: Expr,
}
