//! Seed 000, the Moliya school-finance API (Django REST): phone-number
//! login, cash registers and income/expense transactions.
//!
//! The seed's race test posts 100 parallel transactions and then checks
//! `final == initial + successes * amount`. The balance update is the
//! read-modify-write that racy mode splits.

use std::collections::{HashMap, VecDeque};

use serde_json::{json, Value};

use super::http::{Commit, DemoRequest, Outcome, Response};
use super::json::{self, Object};
use super::state::{lock, State};
use super::token::Kind;

/// The only password the demo accepts, the one in the seed's locustfile.
pub(crate) const PASSWORD: &str = "password123";
/// Balance of a cash register the first time it is seen.
pub(crate) const INITIAL_BALANCE: i64 = 1_000_000;
/// Transactions kept for `GET .../transactions/`.
const RECENT: usize = 20;

/// Cash registers and the transaction log.
#[derive(Debug, Default)]
pub(crate) struct Finance {
    /// Balance by register id; any id exists on first use.
    registers: HashMap<String, i64>,
    /// Transactions recorded since the last reset.
    count: u64,
    /// The newest transactions, newest last.
    recent: VecDeque<Value>,
}

impl Finance {
    fn balance(&mut self, id: &str) -> i64 {
        *self
            .registers
            .entry(id.to_owned())
            .or_insert(INITIAL_BALANCE)
    }

    /// Stores a balance and logs the transaction that produced it.
    fn record(&mut self, register: &str, balance: i64, txn: Value) {
        self.registers.insert(register.to_owned(), balance);
        self.count += 1;
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(txn);
    }

    /// Counters for `/__demo/state`.
    pub(crate) fn counters(&self) -> Value {
        json!({ "registers": self.registers.len(), "transactions": self.count })
    }
}

/// `POST /api/v1/auth/login/`: any phone number, password `password123`.
pub(crate) fn login(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let body = json::object(req)?;
    let phone = json::string(&body, "phone_number")?;
    let password = json::string(&body, "password")?;
    if password != PASSWORD {
        return Err(Response::error(
            401,
            "No active account found with the given credentials",
        ));
    }
    let subject = format!("phone:{phone}");
    Ok(Response::json(
        200,
        &json!({
            "access": state.issue(&subject, Kind::Access),
            "refresh": state.issue(&subject, Kind::Refresh),
        }),
    )
    .into())
}

/// `GET /api/v1/school/finance/cash-registers/{id}/`.
pub(crate) fn register(state: &State, req: &DemoRequest, id: &str) -> Result<Outcome, Response> {
    state.authenticate(req)?;
    let balance = lock(&state.finance).balance(id);
    Ok(Response::json(200, &json!({ "id": id, "balance": balance })).into())
}

/// A validated transaction request.
struct NewTransaction {
    register: String,
    income: bool,
    amount: i64,
    fields: Object,
}

fn validate(body: Object) -> Result<NewTransaction, Response> {
    let register = json::string(&body, "cash_register")?.to_owned();
    let income = match json::string(&body, "transaction_type")? {
        "income" => true,
        "expense" => false,
        _ => {
            return Err(Response::error(
                400,
                "field `transaction_type` must be \"income\" or \"expense\"",
            ))
        }
    };
    json::string(&body, "category")?;
    json::string(&body, "payment_method")?;
    json::opt_string(&body, "description")?;
    let amount = json::positive_int(&body, "amount")?;
    Ok(NewTransaction {
        register,
        income,
        amount,
        fields: body,
    })
}

/// `POST /api/v1/school/finance/transactions/`.
///
/// Safe mode reads and writes the balance under one lock. Racy mode reads
/// it now and writes `read ± amount` after the race window, so concurrent
/// transactions overwrite each other's updates.
pub(crate) fn create(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    state.authenticate(req)?;
    let txn = validate(json::object(req)?)?;
    let mut finance = lock(&state.finance);
    let old = finance.balance(&txn.register);
    let new = if txn.income {
        old.checked_add(txn.amount)
    } else {
        old.checked_sub(txn.amount)
    };
    let Some(new) = new.filter(|&b| b >= 0) else {
        return Err(Response::error(
            400,
            "insufficient funds in the cash register",
        ));
    };
    if !state.config.racy {
        return Ok(finish(&mut finance, txn, new).into());
    }
    drop(finance);
    Ok(Outcome::Later(Commit::new(move |state: &State| {
        finish(&mut lock(&state.finance), txn, new)
    })))
}

/// Writes the new balance, logs the transaction and answers 201.
fn finish(finance: &mut Finance, txn: NewTransaction, balance: i64) -> Response {
    let id = finance.count + 1;
    let mut record = txn.fields;
    record.insert("id".into(), id.into());
    record.insert("balance_after".into(), balance.into());
    finance.record(&txn.register, balance, Value::Object(record));
    Response::json(
        201,
        &json!({ "id": id, "amount": txn.amount, "balance": balance }),
    )
}

/// `GET /api/v1/school/finance/transactions/`: the count and the last 20,
/// newest first.
pub(crate) fn list(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    state.authenticate(req)?;
    let finance = lock(&state.finance);
    let results: Vec<&Value> = finance.recent.iter().rev().collect();
    Ok(Response::json(200, &json!({ "count": finance.count, "results": results })).into())
}
