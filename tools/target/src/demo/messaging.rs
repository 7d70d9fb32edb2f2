//! Seed 004, the Protei_Bulk SMS platform's HTTP API: single and bulk
//! sends, status lookups, listing, campaigns and health.
//!
//! The seed runs it at 10,000+ TPS for hours, so the state is O(1): an
//! issued-id counter (any id up to it is "delivered") and a short ring of
//! recent messages for listing. The seed's locustfile does not log in, so
//! these endpoints need no token (one that is sent is ignored).

use std::collections::VecDeque;

use serde_json::{json, Value};

use super::http::{DemoRequest, Outcome, Response};
use super::json::{self, Object};
use super::state::{lock, State};

/// Messages kept for `GET /api/v1/messages`.
const KEEP: usize = 1000;
/// Most messages in one bulk request.
const MAX_BULK: usize = 10_000;
/// Default and largest `?limit=` of a listing.
const DEFAULT_LIMIT: usize = 20;

/// Messages and campaigns.
#[derive(Debug, Default)]
pub(crate) struct Messages {
    /// Messages accepted since the last reset; ids are `msg-1..=issued`.
    issued: u64,
    /// The newest messages, newest last.
    recent: VecDeque<Value>,
    campaigns: u64,
}

impl Messages {
    /// Counters for `/__demo/state`.
    pub(crate) fn counters(&self) -> Value {
        json!({ "messages": self.issued, "campaigns": self.campaigns })
    }

    fn accept(&mut self, source: &str, destination: &str, text: &str) -> String {
        self.issued += 1;
        let id = format!("msg-{}", self.issued);
        if self.recent.len() == KEEP {
            self.recent.pop_front();
        }
        self.recent.push_back(json!({
            "message_id": id,
            "source": source,
            "destination": destination,
            "text": text,
            "status": "delivered",
        }));
        id
    }
}

/// The three required fields of one message.
fn fields(m: &Object) -> Result<(&str, &str, &str), Response> {
    Ok((
        json::string(m, "source")?,
        json::string(m, "destination")?,
        json::string(m, "text")?,
    ))
}

/// `POST /api/v1/messages/send` `{"source","destination","text"}`: 202.
pub(crate) fn send(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let body = json::object(req)?;
    let (source, destination, text) = fields(&body)?;
    let id = lock(&state.messages).accept(source, destination, text);
    Ok(Response::json(202, &json!({ "message_id": id, "status": "accepted" })).into())
}

/// `POST /api/v1/messages/bulk` `{"messages":[...]}`: all or nothing, 202.
pub(crate) fn bulk(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let body = json::object(req)?;
    let Some(Value::Array(list)) = body.get("messages") else {
        return Err(Response::error(400, "field `messages` must be an array"));
    };
    if list.is_empty() || list.len() > MAX_BULK {
        return Err(Response::error(
            400,
            "`messages` must hold 1 to 10000 messages",
        ));
    }
    // Validate everything before accepting anything.
    let mut valid = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let m = m
            .as_object()
            .ok_or_else(|| Response::error(400, &format!("messages[{i}] must be an object")))?;
        valid.push(fields(m).map_err(|e| {
            let detail: Value = serde_json::from_slice(&e.body).unwrap_or_default();
            let detail = detail["detail"].as_str().unwrap_or("invalid");
            Response::error(400, &format!("messages[{i}]: {detail}"))
        })?);
    }
    let mut messages = lock(&state.messages);
    let ids: Vec<String> = valid
        .into_iter()
        .map(|(s, d, t)| messages.accept(s, d, t))
        .collect();
    Ok(Response::json(202, &json!({ "accepted": ids.len(), "message_ids": ids })).into())
}

/// `GET /api/v1/messages/{id}`: any issued id is delivered.
pub(crate) fn status(state: &State, id: &str) -> Result<Outcome, Response> {
    let issued = lock(&state.messages).issued;
    let known = id
        .strip_prefix("msg-")
        .and_then(|n| n.parse::<u64>().ok())
        .is_some_and(|n| (1..=issued).contains(&n));
    if !known {
        return Err(Response::error(404, "message not found"));
    }
    Ok(Response::json(200, &json!({ "message_id": id, "status": "delivered" })).into())
}

/// `GET /api/v1/messages?limit=N`: the newest messages first.
pub(crate) fn list(state: &State, req: &DemoRequest) -> Outcome {
    let limit = req
        .query_param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(DEFAULT_LIMIT)
        .min(KEEP);
    let messages = lock(&state.messages);
    let rows: Vec<&Value> = messages.recent.iter().rev().take(limit).collect();
    Response::json(200, &json!({ "count": messages.issued, "messages": rows })).into()
}

/// `POST /api/v1/campaigns`: any JSON object; 201 `{"id","status"}`.
pub(crate) fn campaign(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let body = json::object(req)?;
    let name = json::opt_string(&body, "name")?
        .unwrap_or("campaign")
        .to_owned();
    let mut messages = lock(&state.messages);
    messages.campaigns += 1;
    let id = format!("cmp-{}", messages.campaigns);
    Ok(Response::json(201, &json!({ "id": id, "name": name, "status": "created" })).into())
}
