//! The demo's shared state: one lock per imitated system, so load on one
//! system never contends with another, plus the token signer and the state
//! generation that a reset bumps.
//!
//! Every handler holds a lock only for a few map operations, never across
//! I/O or a race window, so plain `Mutex`es keep up with tens of thousands
//! of requests a second per thread.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{json, Value};

use super::finance::Finance;
use super::http::{DemoRequest, Response};
use super::limiter::RateLimiter;
use super::messaging::Messages;
use super::shop::Shop;
use super::token::{Kind, Signer};
use super::workshop::Workshop;
use super::zenzefi::Accounts;
use super::DemoConfig;

/// Everything the demo API remembers, shared by all server threads.
#[derive(Debug)]
pub(crate) struct State {
    /// The mode this state runs in.
    pub(crate) config: DemoConfig,
    signer: Signer,
    /// Bumped by every reset; tokens of older generations are refused.
    generation: AtomicU64,
    /// Seed 000: cash registers and transactions.
    pub(crate) finance: Mutex<Finance>,
    /// Seed 001: products and orders.
    pub(crate) shop: Mutex<Shop>,
    /// Seeds 002 and 003: e-mail accounts, balances, purchased tokens.
    pub(crate) accounts: Mutex<Accounts>,
    /// Seed 003: tickets.
    pub(crate) workshop: Mutex<Workshop>,
    /// Seed 004: messages and campaigns.
    pub(crate) messages: Mutex<Messages>,
    /// Seed 003: the per-token limit on the AI endpoint.
    pub(crate) limiter: Mutex<RateLimiter>,
}

impl State {
    /// Fresh state for `config`.
    pub(crate) fn new(config: DemoConfig) -> State {
        State {
            config,
            signer: Signer::new(),
            generation: AtomicU64::new(0),
            finance: Default::default(),
            shop: Default::default(),
            accounts: Default::default(),
            workshop: Default::default(),
            messages: Default::default(),
            limiter: Default::default(),
        }
    }

    /// A token for `subject` (e.g. `email:a@b.c`), valid until the next reset.
    pub(crate) fn issue(&self, subject: &str, kind: Kind) -> String {
        self.signer
            .issue(subject, kind, self.generation.load(Ordering::Acquire))
    }

    /// The subject of the request's bearer token; 401 without a valid one.
    pub(crate) fn authenticate(&self, req: &DemoRequest) -> Result<String, Response> {
        let Some(token) = &req.bearer else {
            return Err(Response::error(
                401,
                "Authentication credentials were not provided.",
            ));
        };
        self.signer
            .verify(token, self.generation.load(Ordering::Acquire))
            .ok_or_else(|| Response::error(401, "Given token not valid or expired"))
    }

    /// Forgets everything and invalidates every token issued so far.
    pub(crate) fn reset(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *lock(&self.finance) = Default::default();
        *lock(&self.shop) = Default::default();
        *lock(&self.accounts) = Default::default();
        *lock(&self.workshop) = Default::default();
        *lock(&self.messages) = Default::default();
        *lock(&self.limiter) = Default::default();
    }

    /// Counters of every system, for `GET /__demo/state`.
    pub(crate) fn snapshot(&self) -> Value {
        json!({
            "racy": self.config.racy,
            "race_window_ms": self.config.race_window.as_secs_f64() * 1e3,
            "rate_limit_per_minute": self.config.rate_limit,
            "generation": self.generation.load(Ordering::Acquire),
            "finance": lock(&self.finance).counters(),
            "shop": lock(&self.shop).summary(),
            "accounts": lock(&self.accounts).counters(),
            "workshop": lock(&self.workshop).counters(),
            "messaging": lock(&self.messages).counters(),
        })
    }
}

/// Locks `m`, ignoring poisoning: handlers do not panic, and a test server
/// that keeps answering beats one that fails every later request.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
