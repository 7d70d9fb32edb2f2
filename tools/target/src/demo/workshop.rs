//! Seed 003, Battwheels OS: the GET (and two POST) endpoints its four
//! Locust user classes hit (`NormalOperationsUser`, `FinanceUser`,
//! `PeakTicketCreator`, `EFIUser`), behind the shared e-mail login.
//!
//! Only tickets are real state. Inventory, invoices, journal entries,
//! reports and EFI reports are generated from their index, so reads cost no
//! memory and the same page always holds the same rows. `POST
//! /api/ai/diagnose` carries the seed's per-token rate limit (429 after
//! [`crate::DemoConfig::rate_limit`] requests a minute).

use std::collections::VecDeque;
use std::time::Instant;

use serde_json::{json, Value};

use super::http::{DemoRequest, Outcome, Response};
use super::json;
use super::state::{lock, State};

/// Tickets kept for listing; older ones are only counted.
const KEEP: usize = 1000;
/// Journal entries that exist before any ticket is created.
const SEEDED_JOURNAL: u64 = 300;
const INVENTORY: u64 = 120;
const INVOICES: u64 = 250;
const EFI_REPORTS: u64 = 40;
const PRIORITIES: [&str; 4] = ["low", "medium", "high", "critical"];
const INVOICE_STATUSES: [&str; 4] = ["draft", "sent", "paid", "overdue"];
const VEHICLES: [&str; 3] = ["two_wheeler", "three_wheeler", "four_wheeler"];

/// Created tickets.
#[derive(Debug, Default)]
pub(crate) struct Workshop {
    /// Tickets created since the last reset; also the last ticket number.
    created: u64,
    /// The newest tickets, newest last.
    recent: VecDeque<Value>,
}

impl Workshop {
    /// Counters for `/__demo/state`.
    pub(crate) fn counters(&self) -> Value {
        json!({ "tickets": self.created })
    }
}

/// `?page=` (from 1) and `?limit=` (1..=100, default 25).
fn paging(req: &DemoRequest) -> (u64, u64) {
    let page = req
        .query_param("page")
        .and_then(|p| p.parse().ok())
        .filter(|&p| p >= 1)
        .unwrap_or(1);
    let limit = req
        .query_param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25u64)
        .clamp(1, 100);
    (page, limit)
}

/// One page of a generated list of `total` rows: `{key: [...], "total",
/// "page", "limit", "pages"}`.
fn page_of(req: &DemoRequest, key: &str, total: u64, row: impl Fn(u64) -> Value) -> Outcome {
    let (page, limit) = paging(req);
    let first = (page - 1).saturating_mul(limit);
    let rows: Vec<Value> = (first..total.min(first.saturating_add(limit)))
        .map(row)
        .collect();
    Response::json(
        200,
        &json!({
            key: rows,
            "total": total,
            "page": page,
            "limit": limit,
            "pages": total.div_ceil(limit),
        }),
    )
    .into()
}

/// Routes the seed's endpoints under `/api`; `None` if `path` is not one.
/// Every one of them needs a bearer token.
pub(crate) fn route(
    state: &State,
    req: &DemoRequest,
    post: bool,
    path: &[&str],
) -> Option<Result<Outcome, Response>> {
    let handler: fn(&State, &DemoRequest) -> Result<Outcome, Response> = match (post, path) {
        (false, ["tickets"]) => list_tickets,
        (true, ["tickets"]) => create_ticket,
        (true, ["ai", "diagnose"]) => diagnose,
        (false, ["dashboard", "stats"]) => dashboard,
        (false, ["finance-dashboard", "summary"]) => finance_summary,
        (false, ["sla", "breach-report"]) => sla,
        (false, ["inventory"]) => |_, req| Ok(inventory(req)),
        (false, ["journal-entries"]) => journal,
        (false, ["invoices-enhanced"]) => |_, req| Ok(invoices(req)),
        (false, ["reports", "profit-loss" | "balance-sheet" | "ar-aging"]) => report_handler,
        (false, ["efi", "reports"]) => |_, req| Ok(efi_reports(req)),
        _ => return None,
    };
    Some(state.authenticate(req).and_then(|_| handler(state, req)))
}

fn list_tickets(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let (page, limit) = paging(req);
    let workshop = lock(&state.workshop);
    let rows: Vec<&Value> = workshop
        .recent
        .iter()
        .rev()
        .skip((page - 1).saturating_mul(limit) as usize)
        .take(limit as usize)
        .collect();
    Ok(Response::json(
        200,
        &json!({
            "tickets": rows,
            "total": workshop.created,
            "page": page,
            "limit": limit,
        }),
    )
    .into())
}

/// `POST /api/tickets`: needs a `title`; numbers are sequential and unique
/// (the seed's ticket-numbering race is always handled safely here).
fn create_ticket(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let body = json::object(req)?;
    let title = json::string(&body, "title")?;
    let priority = json::opt_string(&body, "priority")?.unwrap_or("medium");
    let mut workshop = lock(&state.workshop);
    workshop.created += 1;
    let n = workshop.created;
    let mut ticket = json!({
        "ticket_id": format!("tkt_{n:08}"),
        "ticket_number": format!("TKT-{n:06}"),
        "title": title,
        "priority": priority,
        "status": "open",
    });
    for key in [
        "vehicle_type",
        "vehicle_number",
        "customer_name",
        "contact_number",
    ] {
        if let Some(Value::String(v)) = body.get(key) {
            ticket[key] = v.as_str().into();
        }
    }
    if workshop.recent.len() == KEEP {
        workshop.recent.pop_front();
    }
    workshop.recent.push_back(ticket.clone());
    Ok(Response::json(201, &ticket).into())
}

/// `POST /api/ai/diagnose`, limited per token.
fn diagnose(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    if let (Some(limit), Some(token)) = (state.config.rate_limit, &req.bearer) {
        if let Err(seconds) = lock(&state.limiter).check(token, limit, Instant::now()) {
            return Err(Response {
                retry_after: Some(seconds),
                ..Response::error(429, "rate limit exceeded")
            });
        }
    }
    let body = json::object(req)?;
    let vehicle = json::opt_string(&body, "vehicle_type")?.unwrap_or("two_wheeler");
    Ok(Response::json(
        200,
        &json!({
            "vehicle_type": vehicle,
            "diagnosis": "battery management system fault",
            "confidence": 0.82,
            "recommended_actions": ["inspect BMS connector", "run cell balance test"],
        }),
    )
    .into())
}

fn dashboard(state: &State, _req: &DemoRequest) -> Result<Outcome, Response> {
    let tickets = lock(&state.workshop).created;
    Ok(Response::json(
        200,
        &json!({
            "total_tickets": tickets,
            "open_tickets": tickets,
            "inventory_items": INVENTORY,
            "technicians": 12,
        }),
    )
    .into())
}

fn finance_summary(state: &State, _req: &DemoRequest) -> Result<Outcome, Response> {
    let tickets = lock(&state.workshop).created;
    let revenue = 2_500_000 + 1500 * tickets;
    Ok(Response::json(
        200,
        &json!({
            "revenue": revenue,
            "expenses": 1_700_000,
            "profit": revenue - 1_700_000,
            "receivables": 340_000,
        }),
    )
    .into())
}

fn sla(state: &State, _req: &DemoRequest) -> Result<Outcome, Response> {
    let tickets = lock(&state.workshop).created;
    Ok(Response::json(
        200,
        &json!({ "breaches": 0, "at_risk": tickets / 10, "tickets": [] }),
    )
    .into())
}

fn inventory(req: &DemoRequest) -> Outcome {
    page_of(req, "items", INVENTORY, |i| {
        json!({
            "item_id": format!("itm_{i:05}"),
            "name": format!("Spare part {i}"),
            "sku": format!("SKU-{:05}", 1000 + i),
            "stock": (i * 7) % 50,
        })
    })
}

fn journal(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    // Each created ticket books one journal entry after the seeded ones.
    let total = SEEDED_JOURNAL + lock(&state.workshop).created;
    Ok(page_of(req, "journal_entries", total, |i| {
        let amount = 500 + (i * 37) % 5000;
        json!({
            "entry_id": format!("JE-{:06}", i + 1),
            "narration": if i < SEEDED_JOURNAL {
                "Opening entry".to_owned()
            } else {
                format!("Ticket TKT-{:06} opened", i - SEEDED_JOURNAL + 1)
            },
            "debit": amount,
            "credit": amount,
        })
    }))
}

fn invoices(req: &DemoRequest) -> Outcome {
    page_of(req, "invoices", INVOICES, |i| {
        json!({
            "invoice_id": format!("inv_{i:05}"),
            "invoice_number": format!("INV-{:06}", i + 1),
            "status": INVOICE_STATUSES[(i % 4) as usize],
            "total": 1000 + (i * 113) % 20_000,
        })
    })
}

/// The three reports: shaped like the real ones, dates echoed back.
fn report_handler(_state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let date = |name| req.query_param(name).unwrap_or("2025-01-01").to_owned();
    let body = match req.path.trim_end_matches('/').rsplit('/').next() {
        Some("profit-loss") => json!({
            "start_date": date("start_date"),
            "end_date": date("end_date"),
            "income": 2_500_000, "expenses": 1_700_000, "net_profit": 800_000,
        }),
        Some("balance-sheet") => json!({
            "as_of_date": date("as_of_date"),
            "assets": 5_200_000, "liabilities": 2_100_000, "equity": 3_100_000,
        }),
        _ => json!({
            "as_of_date": date("as_of_date"),
            "buckets": { "0-30": 210_000, "31-60": 80_000, "61-90": 30_000, "90+": 20_000 },
        }),
    };
    Ok(Response::json(200, &body).into())
}

fn efi_reports(req: &DemoRequest) -> Outcome {
    page_of(req, "reports", EFI_REPORTS, |i| {
        json!({
            "report_id": format!("efi_{i:05}"),
            "vehicle_type": VEHICLES[(i % 3) as usize],
            "priority": PRIORITIES[(i % 4) as usize],
            "status": "completed",
        })
    })
}
