//! Seed 001, the FastAPI shop: products with stock, orders, payment, and
//! the "last item" race (stock 5, 20 concurrent orders: exactly 5 may
//! succeed, the rest get 409, stock never goes negative).
//!
//! The stock check-and-decrement is the check-then-act that racy mode
//! splits: every order that checks the stock inside the same race window
//! sees the same units, and each decrements the live stock later, so the
//! shop oversells and the stock goes negative (the seed's failure sign).

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Number, Value};

use super::http::{Commit, DemoRequest, Outcome, Response};
use super::json;
use super::state::{lock, State};

/// Products listed by `GET /products` unless `?limit=` says otherwise.
const DEFAULT_LIST: usize = 100;
/// Most products one listing returns.
const MAX_LIST: usize = 1000;

#[derive(Debug)]
struct Product {
    name: String,
    price: Number,
    stock: i64,
}

#[derive(Debug, Clone, Copy)]
struct Order {
    product_id: u64,
    quantity: i64,
    paid: bool,
}

/// Products, orders and the counters `/summary` reports.
#[derive(Debug, Default)]
pub(crate) struct Shop {
    products: BTreeMap<u64, Product>,
    orders: HashMap<u64, Order>,
    /// Orders refused for lack of stock (409).
    failed_orders: u64,
}

impl Shop {
    /// `{"products","orders","failed_orders"}`, also used by `/__demo/state`.
    pub(crate) fn summary(&self) -> Value {
        json!({
            "products": self.products.len(),
            "orders": self.orders.len(),
            "failed_orders": self.failed_orders,
        })
    }
}

fn product_json(id: u64, p: &Product) -> Value {
    json!({ "id": id, "name": p.name, "price": p.price, "stock": p.stock })
}

fn order_json(id: u64, o: &Order) -> Value {
    json!({
        "id": id,
        "product_id": o.product_id,
        "quantity": o.quantity,
        "status": if o.paid { "paid" } else { "created" },
    })
}

/// A numeric path segment; anything else is an unknown resource.
fn path_id(segment: &str, what: &str) -> Result<u64, Response> {
    segment
        .parse()
        .map_err(|_| Response::error(404, &format!("{what} not found")))
}

/// `GET /summary`.
pub(crate) fn summary(state: &State) -> Outcome {
    Response::json(200, &lock(&state.shop).summary()).into()
}

/// `POST /products` `{"name","price","stock"}`.
pub(crate) fn create_product(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let body = json::object(req)?;
    let name = json::string(&body, "name")?.to_owned();
    let price = match body.get("price") {
        Some(Value::Number(n)) if n.as_f64().is_some_and(|p| p >= 0.0) => n.clone(),
        Some(_) => return Err(Response::error(400, "field `price` must be a number >= 0")),
        None => return Err(Response::error(400, "field `price` is required")),
    };
    let stock = json::int_in(&body, "stock", 0)?;
    let mut shop = lock(&state.shop);
    let id = shop.products.last_key_value().map_or(1, |(&id, _)| id + 1);
    let product = Product { name, price, stock };
    let response = Response::json(201, &product_json(id, &product));
    shop.products.insert(id, product);
    Ok(response.into())
}

/// `GET /products?limit=N`: `{"products": [...], "count": total}`.
pub(crate) fn list_products(state: &State, req: &DemoRequest) -> Outcome {
    let limit = req
        .query_param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(DEFAULT_LIST)
        .min(MAX_LIST);
    let shop = lock(&state.shop);
    let products: Vec<Value> = shop
        .products
        .iter()
        .take(limit)
        .map(|(&id, p)| product_json(id, p))
        .collect();
    Response::json(
        200,
        &json!({ "products": products, "count": shop.products.len() }),
    )
    .into()
}

/// `GET /products/{id}`.
pub(crate) fn get_product(state: &State, id: &str) -> Result<Outcome, Response> {
    let id = path_id(id, "product")?;
    let shop = lock(&state.shop);
    let product = shop
        .products
        .get(&id)
        .ok_or_else(|| Response::error(404, "product not found"))?;
    Ok(Response::json(200, &product_json(id, product)).into())
}

/// `POST /orders` `{"product_id","quantity"}` (quantity defaults to 1).
///
/// Safe mode checks and decrements under one lock. Racy mode checks the
/// stock now and decrements the live stock after the race window.
pub(crate) fn create_order(state: &State, req: &DemoRequest) -> Result<Outcome, Response> {
    let body = json::object(req)?;
    let product_id = json::int_in(&body, "product_id", 0)? as u64;
    let quantity = match body.get("quantity") {
        None => 1,
        Some(_) => json::positive_int(&body, "quantity")?,
    };
    let mut shop = lock(&state.shop);
    let Some(product) = shop.products.get(&product_id) else {
        return Err(Response::error(404, "product not found"));
    };
    if product.stock < quantity {
        shop.failed_orders += 1;
        return Err(Response::error(409, "insufficient stock"));
    }
    let stock = product.stock - quantity;
    let order = Order {
        product_id,
        quantity,
        paid: false,
    };
    if !state.config.racy {
        return Ok(place(&mut shop, order, stock).into());
    }
    drop(shop);
    Ok(Outcome::Later(Commit::new(move |state: &State| {
        let mut shop = lock(&state.shop);
        let live = shop.products.get(&order.product_id).map_or(0, |p| p.stock);
        place(&mut shop, order, live - quantity)
    })))
}

/// Stores the new stock and the order, and answers 201.
fn place(shop: &mut Shop, order: Order, stock: i64) -> Response {
    // A product can vanish only through a reset; the order still stands.
    if let Some(product) = shop.products.get_mut(&order.product_id) {
        product.stock = stock;
    }
    let id = shop.orders.len() as u64 + 1;
    shop.orders.insert(id, order);
    Response::json(201, &order_json(id, &order))
}

/// `GET /orders/{id}`.
pub(crate) fn get_order(state: &State, id: &str) -> Result<Outcome, Response> {
    let id = path_id(id, "order")?;
    let shop = lock(&state.shop);
    let order = shop
        .orders
        .get(&id)
        .ok_or_else(|| Response::error(404, "order not found"))?;
    Ok(Response::json(200, &order_json(id, order)).into())
}

/// `POST /orders/{id}/pay`: idempotent.
pub(crate) fn pay_order(state: &State, id: &str) -> Result<Outcome, Response> {
    let id = path_id(id, "order")?;
    let mut shop = lock(&state.shop);
    let order = shop
        .orders
        .get_mut(&id)
        .ok_or_else(|| Response::error(404, "order not found"))?;
    order.paid = true;
    Ok(Response::json(200, &json!({ "id": id, "status": "paid" })).into())
}
