//! Seed 002, the Zenzefi backend: e-mail accounts with a ZNC balance,
//! top-ups, and access tokens bought for 1, 12 or 24 hours (402 when the
//! balance is short). The same accounts back seed 003's login, which
//! shares the `/api/auth/login` path; its admin account always exists.
//!
//! Top-up and purchase are the balance read-modify-writes that racy mode
//! splits, like seed 000's transactions.

use std::collections::{HashMap, VecDeque};

use serde_json::{json, Value};

use super::http::{Commit, DemoRequest, Outcome, Response};
use super::json;
use super::state::{lock, State};
use super::token::{self, Kind};

/// Seed 003's login (`TEST_EMAIL` / `TEST_PASSWORD` defaults).
pub(crate) const ADMIN_EMAIL: &str = "admin@battwheels.in";
/// See [`ADMIN_EMAIL`].
pub(crate) const ADMIN_PASSWORD: &str = "admin";
/// Tokens and history entries kept per account.
const KEEP: usize = 50;

/// Price in ZNC of an access token lasting `hours`.
fn price(hours: i64) -> Option<i64> {
    match hours {
        1 => Some(10),
        12 => Some(100),
        24 => Some(180),
        _ => None,
    }
}

#[derive(Debug)]
struct Account {
    id: u64,
    password: String,
    balance: i64,
    /// Purchased access tokens, newest last.
    tokens: VecDeque<Value>,
    /// Top-ups and purchases, newest last.
    history: VecDeque<Value>,
}

impl Account {
    fn new(id: u64, password: &str) -> Account {
        Account {
            id,
            password: password.to_owned(),
            balance: 0,
            tokens: VecDeque::new(),
            history: VecDeque::new(),
        }
    }
}

/// Appends to a capped log.
fn keep(log: &mut VecDeque<Value>, entry: Value) {
    if log.len() == KEEP {
        log.pop_front();
    }
    log.push_back(entry);
}

/// E-mail accounts.
#[derive(Debug)]
pub(crate) struct Accounts {
    by_email: HashMap<String, Account>,
    /// Tokens sold since the last reset, for ids.
    sold: u64,
}

impl Default for Accounts {
    fn default() -> Self {
        let mut by_email = HashMap::new();
        by_email.insert(ADMIN_EMAIL.to_owned(), Account::new(1, ADMIN_PASSWORD));
        Accounts { by_email, sold: 0 }
    }
}

impl Accounts {
    /// Counters for `/__demo/state`.
    pub(crate) fn counters(&self) -> Value {
        json!({ "accounts": self.by_email.len(), "tokens_sold": self.sold })
    }

    fn get(&mut self, subject: &str) -> Result<&mut Account, Response> {
        subject
            .strip_prefix("email:")
            .and_then(|email| self.by_email.get_mut(email))
            .ok_or_else(|| Response::error(401, "user not found"))
    }
}

/// `POST /api/auth/register` `{"email","password"}`: 201, or 409 if taken.
pub(crate) fn register(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let body = json::object(req)?;
    let email = json::string(&body, "email")?;
    let password = json::string(&body, "password")?;
    let mut accounts = lock(&state.accounts);
    if accounts.by_email.contains_key(email) {
        return Err(Response::error(409, "email already registered"));
    }
    let id = accounts.by_email.len() as u64 + 1;
    accounts
        .by_email
        .insert(email.to_owned(), Account::new(id, password));
    Ok(Response::json(201, &json!({ "id": id, "email": email })).into())
}

/// `POST /api/auth/login` `{"email","password"}`: `access_token` for
/// seed 002, and the same value as `token` for seed 003.
pub(crate) fn login(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let body = json::object(req)?;
    let email = json::string(&body, "email")?;
    let password = json::string(&body, "password")?;
    let ok = lock(&state.accounts)
        .by_email
        .get(email)
        .is_some_and(|a| a.password == password);
    if !ok {
        return Err(Response::error(401, "incorrect email or password"));
    }
    let token = state.issue(&format!("email:{email}"), Kind::Access);
    Ok(Response::json(
        200,
        &json!({ "access_token": token, "token_type": "bearer", "token": token }),
    )
    .into())
}

/// `GET /api/balance`.
pub(crate) fn balance(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let subject = state.authenticate(req)?;
    let mut accounts = lock(&state.accounts);
    let balance = accounts.get(&subject)?.balance;
    Ok(Response::json(200, &json!({ "balance": balance })).into())
}

/// `POST /api/balance/topup` `{"amount"}`.
pub(crate) fn topup(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let subject = state.authenticate(req)?;
    let amount = json::positive_int(&json::object(req)?, "amount")?;
    let mut accounts = lock(&state.accounts);
    let account = accounts.get(&subject)?;
    let balance = account
        .balance
        .checked_add(amount)
        .ok_or_else(|| Response::error(400, "balance would overflow"))?;
    let entry = json!({ "type": "topup", "amount": amount });
    if !state.config.racy {
        return Ok(settle(account, balance, entry, None).into());
    }
    drop(accounts);
    Ok(Outcome::Later(Commit::new(
        move |state: &State| match lock(&state.accounts).get(&subject) {
            Ok(account) => settle(account, balance, entry, None),
            Err(gone) => gone,
        },
    )))
}

/// `POST /api/tokens/purchase` `{"duration_hours": 1|12|24}`.
pub(crate) fn purchase(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let subject = state.authenticate(req)?;
    let hours = json::positive_int(&json::object(req)?, "duration_hours")?;
    let cost = price(hours)
        .ok_or_else(|| Response::error(400, "field `duration_hours` must be 1, 12 or 24"))?;
    let mut accounts = lock(&state.accounts);
    let account = accounts.get(&subject)?;
    if account.balance < cost {
        return Err(Response::error(402, "insufficient balance"));
    }
    let (balance, account_id) = (account.balance - cost, account.id);
    accounts.sold += 1;
    // Unique per sale and opaque, like a real access token.
    let serial = accounts.sold ^ (account_id << 40);
    let sold = json!({
        "token": format!("zt_{}", token::encode(&serial.to_be_bytes())),
        "duration_hours": hours,
        "cost": cost,
    });
    let entry = json!({ "type": "purchase", "amount": -cost });
    if !state.config.racy {
        let account = accounts.get(&subject)?;
        return Ok(settle(account, balance, entry, Some(sold)).into());
    }
    drop(accounts);
    Ok(Outcome::Later(Commit::new(
        move |state: &State| match lock(&state.accounts).get(&subject) {
            Ok(account) => settle(account, balance, entry, Some(sold)),
            Err(gone) => gone,
        },
    )))
}

/// Writes the new balance, logs the change, stores a sold token, and
/// answers: 201 with the token for a purchase, 200 for a top-up.
fn settle(account: &mut Account, balance: i64, entry: Value, sold: Option<Value>) -> Response {
    account.balance = balance;
    keep(&mut account.history, entry);
    match sold {
        Some(mut sold) => {
            keep(&mut account.tokens, sold.clone());
            sold["balance"] = balance.into();
            Response::json(201, &sold)
        }
        None => Response::json(200, &json!({ "balance": balance })),
    }
}

/// `GET /api/tokens`: the account's purchased tokens, newest first.
pub(crate) fn tokens(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let subject = state.authenticate(req)?;
    let mut accounts = lock(&state.accounts);
    let tokens: Vec<&Value> = accounts.get(&subject)?.tokens.iter().rev().collect();
    Ok(Response::json(200, &json!({ "tokens": tokens })).into())
}

/// `GET /api/transactions`: the account's top-ups and purchases, newest first.
pub(crate) fn history(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let subject = state.authenticate(req)?;
    let mut accounts = lock(&state.accounts);
    let history: Vec<&Value> = accounts.get(&subject)?.history.iter().rev().collect();
    Ok(Response::json(200, &json!({ "transactions": history })).into())
}
