//! End-to-end tests of the demo API: real servers on 127.0.0.1:0 and std
//! `TcpStream` clients with read timeouts, so a broken server fails a test
//! instead of hanging it. The race tests open many connections, line them up
//! on a barrier and fire at once; racy servers get a wide race window so the
//! overlap does not depend on scheduling luck.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use hornet_target::{start, DemoConfig, TargetConfig, TargetHandle};
use serde_json::{json, Value};

fn serve(threads: usize, demo: DemoConfig) -> TargetHandle {
    let config = TargetConfig {
        threads,
        demo: Some(demo),
        ..Default::default()
    };
    start("127.0.0.1:0".parse().unwrap(), config).expect("start target")
}

fn safe() -> DemoConfig {
    DemoConfig::default()
}

fn racy() -> DemoConfig {
    DemoConfig {
        racy: true,
        race_window: Duration::from_millis(100),
        ..Default::default()
    }
}

/// A parsed response.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: String,
    json: Value,
}

/// A keep-alive client connection.
struct Client {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn new(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
        Client { s, buf: Vec::new() }
    }

    fn send(&mut self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) {
        self.s.write_all(&raw(method, path, token, body)).unwrap();
    }

    /// Reads one whole response (Content-Length framed).
    fn read(&mut self) -> Resp {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill();
        };
        let head = String::from_utf8(self.buf[..head_end].to_vec()).unwrap();
        let status = head[9..12].parse().unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .expect("Content-Length")
            .parse()
            .unwrap();
        while self.buf.len() < head_end + len {
            self.fill();
        }
        let body: Vec<u8> = self.buf.drain(..head_end + len).skip(head_end).collect();
        assert!(
            head.contains("Content-Type: application/json\r\n"),
            "{head}"
        );
        Resp {
            status,
            headers: head,
            json: serde_json::from_slice(&body).expect("JSON body"),
        }
    }

    fn fill(&mut self) {
        let mut chunk = [0u8; 4096];
        let n = self.s.read(&mut chunk).expect("read");
        assert!(n > 0, "unexpected EOF");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    fn call(&mut self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        self.send(method, path, token, body.as_ref());
        self.read()
    }

    /// Expects EOF: the server closed after its last response.
    fn assert_closed(&mut self) {
        assert!(self.buf.is_empty());
        let mut byte = [0u8; 1];
        match self.s.read(&mut byte) {
            Ok(0) => {}
            Ok(_) => panic!("data after the closing response"),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
        }
    }
}

fn raw(method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Vec<u8> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn finance_login(c: &mut Client) -> String {
    let r = c.call(
        "POST",
        "/api/v1/auth/login/",
        None,
        Some(json!({"phone_number": "+998901234567", "password": "password123"})),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json["access"].as_str().unwrap().to_owned()
}

const REGISTER: &str = "/api/v1/school/finance/cash-registers/your-cash-register-uuid/";

fn transaction(amount: i64) -> Value {
    json!({
        "cash_register": "your-cash-register-uuid",
        "transaction_type": "income",
        "category": "your-category-uuid",
        "amount": amount,
        "payment_method": "cash",
        "description": "Load test",
    })
}

#[test]
fn finance_login_and_auth() {
    let server = serve(1, safe());
    let mut c = Client::new(server.local_addr());
    let r = c.call(
        "POST",
        "/api/v1/auth/login/",
        None,
        Some(json!({"phone_number": "+1", "password": "nope"})),
    );
    assert_eq!(r.status, 401);
    let token = finance_login(&mut c);
    assert_eq!(token.split('.').count(), 3);
    assert!(token.split('.').all(|p| !p.is_empty()
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')));
    assert_eq!(c.call("GET", REGISTER, None, None).status, 401);
    assert_eq!(c.call("GET", REGISTER, Some("a.b.c"), None).status, 401);
    let r = c.call("GET", REGISTER, Some(&token), None);
    assert_eq!((r.status, &r.json["balance"]), (200, &json!(1_000_000)));
    // Missing fields, bad type, and an expense beyond the balance.
    let path = "/api/v1/school/finance/transactions/";
    let r = c.call("POST", path, Some(&token), Some(json!({"amount": 5})));
    assert_eq!(r.status, 400);
    assert!(r.json["detail"].as_str().unwrap().contains("cash_register"));
    let mut bad = transaction(5);
    bad["transaction_type"] = json!("gift");
    assert_eq!(c.call("POST", path, Some(&token), Some(bad)).status, 400);
    let mut expense = transaction(2_000_000);
    expense["transaction_type"] = json!("expense");
    assert_eq!(
        c.call("POST", path, Some(&token), Some(expense.clone()))
            .status,
        400
    );
    expense["amount"] = json!(1000);
    let r = c.call("POST", path, Some(&token), Some(expense));
    assert_eq!((r.status, &r.json["balance"]), (201, &json!(999_000)));
    let r = c.call("GET", path, Some(&token), None);
    assert_eq!(r.json["count"], 1);
    assert_eq!(r.json["results"][0]["amount"], 1000);
    // Refresh tokens are no access tokens.
    let r = c.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"phone_number": "+1", "password": "password123"})),
    );
    let refresh = r.json["refresh"].as_str().unwrap();
    assert_eq!(c.call("GET", REGISTER, Some(refresh), None).status, 401);
}

/// Fires `per_conn` requests on each of `conns` connections at once and
/// returns every status.
fn burst(
    addr: SocketAddr,
    conns: usize,
    per_conn: usize,
    token: &str,
    method: &'static str,
    path: &'static str,
    body: Value,
) -> Vec<u16> {
    let barrier = Arc::new(Barrier::new(conns));
    let handles: Vec<_> = (0..conns)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let token = token.to_owned();
            let body = body.clone();
            let mut c = Client::new(addr);
            thread::spawn(move || {
                barrier.wait();
                (0..per_conn)
                    .map(|_| {
                        c.call(method, path, Some(&token), Some(body.clone()))
                            .status
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

fn finance_race(server: &TargetHandle) -> (i64, i64, usize) {
    let mut c = Client::new(server.local_addr());
    let token = finance_login(&mut c);
    let initial = c.call("GET", REGISTER, Some(&token), None).json["balance"]
        .as_i64()
        .unwrap();
    let statuses = burst(
        server.local_addr(),
        50,
        2,
        &token,
        "POST",
        "/api/v1/school/finance/transactions/",
        transaction(10_000),
    );
    assert_eq!(statuses.len(), 100);
    let successes = statuses.iter().filter(|&&s| s == 201).count();
    let fin = c.call("GET", REGISTER, Some(&token), None).json["balance"]
        .as_i64()
        .unwrap();
    (initial, fin, successes)
}

#[test]
fn finance_invariant_holds_when_safe() {
    let server = serve(4, safe());
    let (initial, fin, successes) = finance_race(&server);
    assert_eq!(successes, 100);
    assert_eq!(fin, initial + successes as i64 * 10_000);
}

#[test]
fn finance_loses_money_when_racy() {
    let server = serve(1, racy());
    let (initial, fin, successes) = finance_race(&server);
    assert_eq!(successes, 100, "racy mode still answers 201");
    assert!(
        fin < initial + successes as i64 * 10_000,
        "expected lost updates: {initial} -> {fin}"
    );
    // Every transaction was logged even though money went missing.
    let mut c = Client::new(server.local_addr());
    let token = finance_login(&mut c);
    let r = c.call(
        "GET",
        "/api/v1/school/finance/transactions/",
        Some(&token),
        None,
    );
    assert_eq!(r.json["count"], 100);
    assert_eq!(r.json["results"].as_array().unwrap().len(), 20);
}

/// Stock 5, 20 concurrent orders: (201s, 409s, final stock).
fn last_item_race(server: &TargetHandle) -> (usize, usize, i64) {
    let mut c = Client::new(server.local_addr());
    let r = c.call(
        "POST",
        "/products",
        None,
        Some(json!({"name": "Last item", "price": 9.99, "stock": 5})),
    );
    assert_eq!(r.status, 201);
    assert_eq!(
        r.json,
        json!({"id": 1, "name": "Last item", "price": 9.99, "stock": 5})
    );
    let statuses = burst(
        server.local_addr(),
        20,
        1,
        "",
        "POST",
        "/orders",
        json!({"product_id": 1, "quantity": 1}),
    );
    let created = statuses.iter().filter(|&&s| s == 201).count();
    let conflicts = statuses.iter().filter(|&&s| s == 409).count();
    assert_eq!(created + conflicts, 20, "{statuses:?}");
    let stock = c.call("GET", "/products/1", None, None).json["stock"]
        .as_i64()
        .unwrap();
    (created, conflicts, stock)
}

#[test]
fn shop_never_oversells_when_safe() {
    let server = serve(4, safe());
    assert_eq!(last_item_race(&server), (5, 15, 0));
    let mut c = Client::new(server.local_addr());
    let summary = c.call("GET", "/summary", None, None).json;
    assert_eq!(
        summary,
        json!({"products": 1, "orders": 5, "failed_orders": 15})
    );
}

#[test]
fn shop_oversells_when_racy() {
    let server = serve(1, racy());
    let (created, _, stock) = last_item_race(&server);
    assert!(created > 5, "expected overselling, got {created} orders");
    // Every order passed a stale check and decremented the live stock.
    assert_eq!(stock, 5 - created as i64);
    assert!(stock < 0, "stock {stock} should have gone negative");
}

#[test]
fn shop_endpoints() {
    let server = serve(1, safe());
    let mut c = Client::new(server.local_addr());
    assert_eq!(
        c.call("GET", "/health", None, None).json,
        json!({"status": "ok"})
    );
    c.call(
        "POST",
        "/products/",
        None,
        Some(json!({"name": "a", "price": 1, "stock": 2})),
    );
    let list = c.call("GET", "/products/", None, None).json;
    assert_eq!(list["products"][0]["name"], "a");
    assert_eq!(c.call("GET", "/products/9", None, None).status, 404);
    assert_eq!(c.call("GET", "/products/x", None, None).status, 404);
    let r = c.call(
        "POST",
        "/orders",
        None,
        Some(json!({"product_id": 9, "quantity": 1})),
    );
    assert_eq!(r.status, 404);
    let r = c.call(
        "POST",
        "/orders",
        None,
        Some(json!({"product_id": 1, "quantity": 3})),
    );
    assert_eq!(
        (r.status, &r.json["detail"]),
        (409, &json!("insufficient stock"))
    );
    let r = c.call(
        "POST",
        "/orders",
        None,
        Some(json!({"product_id": 1, "quantity": 2})),
    );
    assert_eq!(
        (r.status, &r.json),
        (
            201,
            &json!({"id": 1, "product_id": 1, "quantity": 2, "status": "created"})
        )
    );
    let r = c.call("POST", "/orders/1/pay", None, None);
    assert_eq!(
        (r.status, &r.json),
        (200, &json!({"id": 1, "status": "paid"}))
    );
    assert_eq!(
        c.call("GET", "/orders/1", None, None).json["status"],
        "paid"
    );
    assert_eq!(c.call("POST", "/orders/2/pay", None, None).status, 404);
    let r = c.call(
        "POST",
        "/products",
        None,
        Some(json!({"name": "b", "price": -1, "stock": 1})),
    );
    assert_eq!(r.status, 400);
}

#[test]
fn zenzefi_purchase_flow() {
    let server = serve(2, safe());
    let mut c = Client::new(server.local_addr());
    let creds = json!({"email": "u@example.com", "password": "pw"});
    let r = c.call("POST", "/api/auth/register", None, Some(creds.clone()));
    assert_eq!((r.status, &r.json["email"]), (201, &json!("u@example.com")));
    assert_eq!(
        c.call("POST", "/api/auth/register", None, Some(creds.clone()))
            .status,
        409
    );
    let wrong = json!({"email": "u@example.com", "password": "x"});
    assert_eq!(
        c.call("POST", "/api/auth/login", None, Some(wrong)).status,
        401
    );
    let r = c.call("POST", "/api/auth/login", None, Some(creds));
    assert_eq!((r.status, &r.json["token_type"]), (200, &json!("bearer")));
    let t = r.json["access_token"].as_str().unwrap().to_owned();
    let t = Some(t.as_str());
    assert_eq!(c.call("GET", "/api/balance", None, None).status, 401);
    assert_eq!(
        c.call("GET", "/api/balance", t, None).json,
        json!({"balance": 0})
    );
    let buy = |h| Some(json!({ "duration_hours": h }));
    let r = c.call("POST", "/api/tokens/purchase", t, buy(1));
    assert_eq!(
        (r.status, &r.json["detail"]),
        (402, &json!("insufficient balance"))
    );
    let r = c.call(
        "POST",
        "/api/balance/topup",
        t,
        Some(json!({"amount": 500})),
    );
    assert_eq!((r.status, &r.json), (200, &json!({"balance": 500})));
    assert_eq!(
        c.call("POST", "/api/tokens/purchase", t, buy(2)).status,
        400
    );
    let r = c.call("POST", "/api/tokens/purchase", t, buy(24));
    assert_eq!((r.status, &r.json["balance"]), (201, &json!(320)));
    assert!(r.json["token"].as_str().unwrap().starts_with("zt_"));
    for left in [220, 120, 20] {
        let r = c.call("POST", "/api/tokens/purchase", t, buy(12));
        assert_eq!((r.status, &r.json["balance"]), (201, &json!(left)));
    }
    assert_eq!(
        c.call("POST", "/api/tokens/purchase", t, buy(12)).status,
        402
    );
    let tokens = c.call("GET", "/api/tokens", t, None).json;
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 4);
    assert_eq!(tokens["tokens"][0]["duration_hours"], 12);
    assert_eq!(tokens["tokens"][3]["duration_hours"], 24);
    let history = c.call("GET", "/api/transactions", t, None).json;
    assert_eq!(history["transactions"].as_array().unwrap().len(), 5);
    assert_eq!(c.call("GET", "/api/balance", t, None).json["balance"], 20);
}

#[test]
fn racy_pipeline_on_one_connection_stays_serial() {
    // A connection's requests are handled in order even when racy: the
    // second top-up is read only after the first one's write.
    let server = serve(1, racy());
    let mut c = Client::new(server.local_addr());
    let creds = json!({"email": "p@example.com", "password": "pw"});
    c.call("POST", "/api/auth/register", None, Some(creds.clone()));
    let t = c.call("POST", "/api/auth/login", None, Some(creds)).json["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let topup = json!({"amount": 100});
    let mut reqs = Vec::new();
    for _ in 0..3 {
        reqs.extend(raw("POST", "/api/balance/topup", Some(&t), Some(&topup)));
    }
    reqs.extend(raw("GET", "/api/balance", Some(&t), None));
    c.s.write_all(&reqs).unwrap();
    let balances: Vec<Value> = (0..4).map(|_| c.read().json["balance"].clone()).collect();
    assert_eq!(balances, [json!(100), json!(200), json!(300), json!(300)]);
}

#[test]
fn pipelined_requests_answered_in_order() {
    let server = serve(1, safe());
    let mut c = Client::new(server.local_addr());
    let mut reqs = Vec::new();
    reqs.extend(raw("GET", "/health", None, None));
    reqs.extend(raw(
        "POST",
        "/products",
        None,
        Some(&json!({"name": "p", "price": 2, "stock": 1})),
    ));
    reqs.extend(b"POST /products HTTP/1.1\r\nContent-Length: 5\r\n\r\n{bad}");
    reqs.extend(raw("GET", "/products/1", None, None));
    reqs.extend(b"HEAD /summary HTTP/1.1\r\n\r\n");
    reqs.extend(raw("GET", "/nope", None, None));
    reqs.extend(raw("GET", "/api/v1/health", None, None));
    // Split the batch at an awkward place to exercise partial bodies.
    let (a, b) = reqs.split_at(reqs.len() / 2 + 3);
    c.s.write_all(a).unwrap();
    thread::sleep(Duration::from_millis(20));
    c.s.write_all(b).unwrap();
    assert_eq!(c.read().json, json!({"status": "ok"}));
    assert_eq!(c.read().status, 201);
    let bad = c.read();
    assert_eq!(bad.status, 400);
    assert!(bad.json["detail"]
        .as_str()
        .unwrap()
        .starts_with("invalid JSON"));
    assert_eq!(c.read().json["name"], "p");
    // HEAD: the head announces the GET body's length but carries none.
    let head_end = loop {
        if let Some(i) = c.buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        c.fill();
    };
    let head = String::from_utf8(c.buf.drain(..head_end).collect()).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.contains("Content-Length: "));
    let r = c.read();
    assert_eq!((r.status, &r.json), (404, &json!({"detail": "not found"})));
    assert_eq!(c.read().json["status"], "ok");
    // Keep-alive: the connection still serves.
    assert_eq!(c.call("GET", "/health", None, None).status, 200);
}

#[test]
fn bad_requests_get_json_errors() {
    let server = serve(1, safe());
    let mut c = Client::new(server.local_addr());
    for body in ["", "{", "[]", "null", "\u{0}"] {
        c.s.write_all(
            format!(
                "POST /api/v1/messages/send HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
        let r = c.read();
        assert_eq!(r.status, 400, "{body:?}");
        assert!(r.json["detail"].is_string());
    }
    // Unknown methods and paths.
    for (m, p) in [
        ("DELETE", "/products/1"),
        ("GET", "/a/b/c/d/e/f/g/h/i/j"),
        ("GET", "/"),
    ] {
        assert_eq!(c.call(m, p, None, None).status, 404, "{m} {p}");
    }
    // Chunked bodies are refused with 411, and the connection closes.
    c.s.write_all(
        b"POST /orders HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .unwrap();
    let r = c.read();
    assert_eq!(r.status, 411);
    assert!(r.headers.contains("Connection: close\r\n"));
    c.assert_closed();
    // Connection: close is honoured.
    let mut c = Client::new(server.local_addr());
    c.s.write_all(b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let r = c.read();
    assert!(r.headers.contains("Connection: close\r\n"));
    c.assert_closed();
}

#[test]
fn odd_input_never_breaks_the_server() {
    let server = serve(2, racy());
    let mut c = Client::new(server.local_addr());
    let token = finance_login(&mut c);
    let bodies = [
        json!(null),
        json!({}),
        json!([1, 2]),
        json!("text"),
        json!({"amount": 1e300, "quantity": -5, "product_id": u64::MAX, "stock": i64::MIN}),
        json!({"amount": "10", "duration_hours": 1.5, "messages": "x", "name": 5}),
        json!({"messages": [{"source": 1}], "email": [], "password": {}}),
        json!({"amount": 999_999_999_999_999_999i64, "cash_register": "r", "transaction_type": "income",
               "category": "c", "payment_method": "cash"}),
    ];
    let posts = [
        "/api/v1/auth/login",
        "/api/v1/school/finance/transactions",
        "/products",
        "/orders",
        "/orders/1/pay",
        "/api/auth/register",
        "/api/auth/login",
        "/api/balance/topup",
        "/api/tokens/purchase",
        "/api/tickets",
        "/api/ai/diagnose",
        "/api/v1/messages/send",
        "/api/v1/messages/bulk",
        "/api/v1/campaigns",
    ];
    for path in posts {
        for body in &bodies {
            let r = c.call("POST", path, Some(&token), Some(body.clone()));
            // Lenient endpoints (diagnose, campaigns) may accept `{}`;
            // none may fail with a 5xx or drop the connection.
            assert!(r.status < 500, "POST {path} {body} -> {}", r.status);
        }
    }
    for path in [
        "/products/99999999999999999999999",
        "/orders/-1",
        "/api/v1/messages/msg-0",
        "/api/v1/messages/msg-18446744073709551616",
        "/api/tickets?page=0&limit=99999999999999999999",
        "/api/journal-entries?page=18446744073709551615&limit=100",
        "/api/v1/messages?limit=-3",
    ] {
        let r = c.call("GET", path, Some(&token), None);
        assert!(r.status < 500, "GET {path} -> {}", r.status);
    }
    assert_eq!(c.call("GET", "/health", None, None).status, 200);
}

#[test]
fn protei_messaging() {
    let server = serve(1, safe());
    let mut c = Client::new(server.local_addr());
    let msg = json!({"source": "HORNET", "destination": "+15550001", "text": "hi"});
    let r = c.call("POST", "/api/v1/messages/send", None, Some(msg.clone()));
    assert_eq!(
        (r.status, &r.json),
        (202, &json!({"message_id": "msg-1", "status": "accepted"}))
    );
    let r = c.call(
        "POST",
        "/api/v1/messages/bulk",
        Some("any-api-key"),
        Some(json!({"messages": [msg.clone(), msg.clone()]})),
    );
    assert_eq!(
        (r.status, &r.json),
        (
            202,
            &json!({"accepted": 2, "message_ids": ["msg-2", "msg-3"]})
        )
    );
    let r = c.call(
        "POST",
        "/api/v1/messages/bulk",
        None,
        Some(json!({"messages": [msg, {"source": "x"}]})),
    );
    assert_eq!(r.status, 400);
    assert!(r.json["detail"]
        .as_str()
        .unwrap()
        .starts_with("messages[1]"));
    let r = c.call("GET", "/api/v1/messages/msg-3", None, None);
    assert_eq!(
        r.json,
        json!({"message_id": "msg-3", "status": "delivered"})
    );
    assert_eq!(
        c.call("GET", "/api/v1/messages/msg-4", None, None).status,
        404
    );
    let r = c.call("GET", "/api/v1/messages?limit=2", None, None);
    assert_eq!(r.json["count"], 3);
    assert_eq!(r.json["messages"][0]["message_id"], "msg-3");
    assert_eq!(r.json["messages"].as_array().unwrap().len(), 2);
    let r = c.call(
        "POST",
        "/api/v1/campaigns",
        None,
        Some(json!({"name": "spring"})),
    );
    assert_eq!((r.status, &r.json["id"]), (201, &json!("cmp-1")));
    assert_eq!(
        c.call("GET", "/api/v1/health", None, None).json["status"],
        "ok"
    );
}

#[test]
fn battwheels_user_classes_and_rate_limit() {
    let server = serve(
        1,
        DemoConfig {
            rate_limit: Some(3),
            ..Default::default()
        },
    );
    let mut c = Client::new(server.local_addr());
    let r = c.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": "admin@battwheels.in", "password": "admin"})),
    );
    assert_eq!(r.status, 200);
    let token = r.json["token"].as_str().unwrap().to_owned();
    let t = Some(token.as_str());
    assert_eq!(
        c.call("GET", "/api/tickets?page=1&limit=25", None, None)
            .status,
        401
    );
    let ticket =
        json!({"title": "Load test ticket", "priority": "high", "vehicle_type": "two_wheeler"});
    let r = c.call("POST", "/api/tickets", t, Some(ticket));
    assert_eq!(
        (r.status, &r.json["ticket_number"]),
        (201, &json!("TKT-000001"))
    );
    assert_eq!(
        c.call("POST", "/api/tickets", t, Some(json!({}))).status,
        400
    );
    let r = c.call("GET", "/api/tickets?page=1&limit=10", t, None);
    assert_eq!(
        (
            r.json["total"].clone(),
            r.json["tickets"][0]["priority"].clone()
        ),
        (json!(1), json!("high"))
    );
    for path in [
        "/api/dashboard/stats",
        "/api/finance-dashboard/summary",
        "/api/inventory?page=1&limit=25",
        "/api/sla/breach-report",
        "/api/journal-entries?page=1&limit=25",
        "/api/invoices-enhanced/?page=1&limit=25",
        "/api/reports/profit-loss?start_date=2024-01-01&end_date=2025-01-01",
        "/api/reports/balance-sheet?as_of_date=2025-01-01",
        "/api/reports/ar-aging?as_of_date=2025-01-01",
        "/api/efi/reports?page=1&limit=10",
    ] {
        let r = c.call("GET", path, t, None);
        assert_eq!(r.status, 200, "{path}: {:?}", r.json);
    }
    let r = c.call("GET", "/api/inventory?page=1&limit=25", t, None);
    assert_eq!(r.json["items"].as_array().unwrap().len(), 25);
    let r = c.call("GET", "/api/journal-entries?page=13&limit=25", t, None);
    assert_eq!(r.json["total"], 301);
    assert_eq!(
        r.json["journal_entries"][0]["narration"],
        "Ticket TKT-000001 opened"
    );
    let diagnose =
        json!({"vehicle_type": "two_wheeler", "symptoms": ["reduced range"], "error_codes": []});
    for _ in 0..3 {
        let r = c.call("POST", "/api/ai/diagnose", t, Some(diagnose.clone()));
        assert_eq!(r.status, 200);
    }
    let r = c.call("POST", "/api/ai/diagnose", t, Some(diagnose.clone()));
    assert_eq!(r.status, 429);
    assert!(r.headers.contains("Retry-After: "), "{}", r.headers);
    // The limit is per token: a fresh login has its own budget.
    let r = c.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": "admin@battwheels.in", "password": "admin"})),
    );
    let other = r.json["token"].as_str().unwrap().to_owned();
    assert_eq!(
        c.call("POST", "/api/ai/diagnose", Some(&other), Some(diagnose))
            .status,
        200
    );
}

#[test]
fn reset_clears_state_and_tokens() {
    let server = serve(1, safe());
    let mut c = Client::new(server.local_addr());
    let token = finance_login(&mut c);
    c.call(
        "POST",
        "/products",
        None,
        Some(json!({"name": "a", "price": 1, "stock": 1})),
    );
    c.call(
        "POST",
        "/api/v1/school/finance/transactions/",
        Some(&token),
        Some(transaction(5)),
    );
    let state = c.call("GET", "/__demo/state", None, None).json;
    assert_eq!(state["finance"]["transactions"], 1);
    assert_eq!(state["shop"]["products"], 1);
    assert_eq!(state["racy"], false);
    let r = c.call("POST", "/__demo/reset", None, None);
    assert_eq!(r.status, 200);
    let state = c.call("GET", "/__demo/state", None, None).json;
    assert_eq!(state["finance"]["transactions"], 0);
    assert_eq!(state["shop"]["products"], 0);
    assert_eq!(c.call("GET", REGISTER, Some(&token), None).status, 401);
    let token = finance_login(&mut c);
    assert_eq!(
        c.call("GET", REGISTER, Some(&token), None).json["balance"],
        1_000_000
    );
}

#[test]
fn demo_respects_delay() {
    let config = TargetConfig {
        delay: Duration::from_millis(50),
        demo: Some(safe()),
        ..Default::default()
    };
    let server = start("127.0.0.1:0".parse().unwrap(), config).unwrap();
    let mut c = Client::new(server.local_addr());
    let t0 = std::time::Instant::now();
    assert_eq!(c.call("GET", "/health", None, None).status, 200);
    assert!(t0.elapsed() >= Duration::from_millis(50));
}
