//! Request-body decoding and field checks shared by every demo endpoint.
//!
//! Each helper answers a bad field with a ready 400 response, so handlers
//! read like the validation layer of the APIs they imitate
//! (`let amount = positive_int(&body, "amount")?;`) and never panic on
//! odd input.

use serde_json::{Map, Value};

use super::http::{DemoRequest, Response};

/// A request's top-level JSON object.
pub(crate) type Object = Map<String, Value>;

/// Largest money or stock amount accepted (10^12). Far above any test's
/// needs, and small enough that sums of many never overflow `i64`.
pub(crate) const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// The body as a JSON object; 400 if it is empty, not JSON or not an object.
pub(crate) fn object(req: &DemoRequest) -> Result<Object, Response> {
    if req.body.is_empty() {
        return Err(Response::error(400, "request body must be a JSON object"));
    }
    match serde_json::from_slice(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Response::error(400, "request body must be a JSON object")),
        Err(e) => Err(Response::error(400, &format!("invalid JSON: {e}"))),
    }
}

/// A required non-empty string field.
pub(crate) fn string<'a>(body: &'a Object, key: &str) -> Result<&'a str, Response> {
    match body.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(invalid(key, "a non-empty string")),
        None => Err(missing(key)),
    }
}

/// An optional string field; present but not a string is a 400.
pub(crate) fn opt_string<'a>(body: &'a Object, key: &str) -> Result<Option<&'a str>, Response> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(key, "a string")),
    }
}

/// A required integer in `1..=MAX_AMOUNT`.
pub(crate) fn positive_int(body: &Object, key: &str) -> Result<i64, Response> {
    int_in(body, key, 1)
}

/// A required integer in `min..=MAX_AMOUNT`.
pub(crate) fn int_in(body: &Object, key: &str, min: i64) -> Result<i64, Response> {
    let Some(value) = body.get(key) else {
        return Err(missing(key));
    };
    // `as_i64` is None for floats, strings and integers beyond i64, so huge
    // numbers land here rather than wrapping.
    match value.as_i64() {
        Some(n) if (min..=MAX_AMOUNT).contains(&n) => Ok(n),
        _ => Err(invalid(
            key,
            &format!("an integer between {min} and {MAX_AMOUNT}"),
        )),
    }
}

fn missing(key: &str) -> Response {
    Response::error(400, &format!("field `{key}` is required"))
}

fn invalid(key: &str, what: &str) -> Response {
    Response::error(400, &format!("field `{key}` must be {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Persist;

    fn req(body: &str) -> DemoRequest {
        DemoRequest {
            method: super::super::http::Method::Post,
            head: false,
            path: "/".into(),
            query: String::new(),
            bearer: None,
            body: body.as_bytes().to_vec(),
            persist: Persist::KeepAlive,
        }
    }

    #[test]
    fn bodies() {
        assert!(object(&req(r#"{"a":1}"#)).is_ok());
        for bad in ["", "[1]", "{", "nul", "\"x\""] {
            assert_eq!(object(&req(bad)).unwrap_err().status, 400, "{bad}");
        }
    }

    #[test]
    fn fields() {
        let o = object(&req(
            r#"{"s":"x","e":"","n":5,"big":1e30,"huge":99999999999999999999,"neg":-1,"f":1.5,"nul":null}"#,
        ))
        .unwrap();
        assert_eq!(string(&o, "s").unwrap(), "x");
        assert!(string(&o, "e").is_err() && string(&o, "n").is_err() && string(&o, "zz").is_err());
        assert_eq!(opt_string(&o, "nul").unwrap(), None);
        assert!(opt_string(&o, "n").is_err());
        assert_eq!(positive_int(&o, "n").unwrap(), 5);
        for key in ["big", "huge", "neg", "f", "s", "nul", "zz"] {
            assert_eq!(positive_int(&o, key).unwrap_err().status, 400, "{key}");
        }
        assert_eq!(int_in(&o, "neg", -1).unwrap(), -1);
    }
}
