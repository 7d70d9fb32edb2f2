//! Method + path routing for the demo API, and its admin endpoints.
//!
//! Paths are matched segment by segment after dropping one trailing slash,
//! so `/products` and `/products/` (the seeds use both spellings) reach the
//! same handler. HEAD is routed as GET. Anything unmatched is
//! `404 {"detail":"not found"}`.

use serde_json::json;

use super::http::{DemoRequest, Method, Outcome, Response};
use super::state::State;
use super::{finance, messaging, shop, workshop, zenzefi};

/// Most path segments any demo route has; longer paths are 404 at once.
const MAX_SEGMENTS: usize = 8;

/// Answers one request (or defers its write, in racy mode).
pub(crate) fn handle(state: &State, req: &DemoRequest) -> Outcome {
    route(state, req).unwrap_or_else(Outcome::Now)
}

fn not_found() -> Response {
    Response::error(404, "not found")
}

fn route(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let post = match req.method {
        Method::Get => false,
        Method::Post => true,
        Method::Other => return Err(not_found()),
    };
    // Split into a stack array: routing allocates nothing.
    let path = req.path.strip_suffix('/').unwrap_or(&req.path);
    let mut parts = [""; MAX_SEGMENTS];
    let mut n = 0;
    for part in path.split('/').skip(1) {
        *parts.get_mut(n).ok_or_else(not_found)? = part;
        n += 1;
    }
    let ok = || Ok(Response::json(200, &json!({ "status": "ok" })).into());
    match (post, &parts[..n]) {
        // Admin.
        (true, ["__demo", "reset"]) => {
            state.reset();
            Ok(Response::json(200, &json!({ "reset": true })).into())
        }
        (false, ["__demo", "state"]) => Ok(Response::json(200, &state.snapshot()).into()),

        // Seed 000, finance.
        (true, ["api", "v1", "auth", "login"]) => finance::login(state, req),
        (false, ["api", "v1", "school", "finance", "cash-registers", id]) => {
            finance::register(state, req, id)
        }
        (true, ["api", "v1", "school", "finance", "transactions"]) => finance::create(state, req),
        (false, ["api", "v1", "school", "finance", "transactions"]) => finance::list(state, req),

        // Seed 001, shop.
        (false, ["health"]) => ok(),
        (false, ["summary"]) => Ok(shop::summary(state)),
        (true, ["products"]) => shop::create_product(state, req),
        (false, ["products"]) => Ok(shop::list_products(state, req)),
        (false, ["products", id]) => shop::get_product(state, id),
        (true, ["orders"]) => shop::create_order(state, req),
        (false, ["orders", id]) => shop::get_order(state, id),
        (true, ["orders", id, "pay"]) => shop::pay_order(state, id),

        // Seeds 002 and 003, e-mail accounts.
        (true, ["api", "auth", "register"]) => zenzefi::register(state, req),
        (true, ["api", "auth", "login"]) => zenzefi::login(state, req),
        // Seed 002, Zenzefi.
        (false, ["api", "balance"]) => zenzefi::balance(state, req),
        (true, ["api", "balance", "topup"]) => zenzefi::topup(state, req),
        (true, ["api", "tokens", "purchase"]) => zenzefi::purchase(state, req),
        (false, ["api", "tokens"]) => zenzefi::tokens(state, req),
        (false, ["api", "transactions"]) => zenzefi::history(state, req),
        (false, ["api", "health"]) => ok(),

        // Seed 004, Protei messaging.
        (true, ["api", "v1", "messages", "send"]) => messaging::send(state, req),
        (true, ["api", "v1", "messages", "bulk"]) => messaging::bulk(state, req),
        (false, ["api", "v1", "messages"]) => Ok(messaging::list(state, req)),
        (false, ["api", "v1", "messages", id]) => messaging::status(state, id),
        (true, ["api", "v1", "campaigns"]) => messaging::campaign(state, req),
        (false, ["api", "v1", "health"]) => ok(),

        // Seed 003, Battwheels: everything else under /api.
        (_, ["api", rest @ ..]) => {
            workshop::route(state, req, post, rest).unwrap_or_else(|| Err(not_found()))
        }
        _ => Err(not_found()),
    }
}
