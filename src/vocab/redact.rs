//! The one redaction rule of every output: which names mark a secret,
//! which values look like credentials, and how URLs and paths are shown
//! with them hidden. The profile compiler uses it to decide what is
//! secret; every report (terminal, JSON, CSV, HTML, Prometheus) applies it.

/// Parts of a name (a captured value's, a query parameter's, a
/// configuration key's) that mark its value as a secret or credential.
/// Every output applies this one list through [`is_secret_name`] and
/// [`redact_value`].
const SECRET_HINTS: [&str; 12] = [
    "password",
    "passwd",
    "secret",
    "token",
    "key",
    "auth",
    "signature",
    "credential",
    "jwt",
    "cookie",
    "bearer",
    "private",
];

/// What a redacted value shows instead.
pub const REDACTED: &str = "(redacted)";

/// True when a value named `name` is a secret or a credential, so no output
/// may show it: its name contains `password`, `secret`, `token`, `key`,
/// `auth`, `jwt`, ... (any case).
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_HINTS.iter().any(|h| lower.contains(h))
}

/// True when `value` looks like a credential whatever its name: a JSON Web
/// Token (`eyJ...` in three dot-separated parts) or an `Authorization`
/// scheme with its credentials (`Bearer ...`, `Basic ...`).
pub fn looks_like_credential(value: &str) -> bool {
    let v = value.trim();
    let jwt = v.starts_with("eyJ")
        && v.split('.').count() == 3
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='));
    let scheme = ["bearer ", "basic ", "digest "]
        .iter()
        .any(|s| v.len() > s.len() && v[..s.len()].eq_ignore_ascii_case(s));
    jwt || scheme
}

/// The one redaction rule of every output (terminal, JSON, CSV, HTML,
/// Prometheus): `value`, named `name`, as a report may show it. Hidden
/// when its name marks a secret, when it looks like a credential, or when
/// it contains one of `secrets` (values known to be secret: a profile's
/// `[env]` values, secret-named `[vars]`, the SMPP password).
pub fn redact_value<'v>(name: &str, value: &'v str, secrets: &[String]) -> &'v str {
    let known = secrets
        .iter()
        .any(|s| !s.is_empty() && value.contains(s.as_str()));
    if is_secret_name(name) || looks_like_credential(value) || known {
        REDACTED
    } else {
        value
    }
}

/// `url` fit for a report: the password of its user info and the values of
/// query parameters that look like secrets (`api_key`, `token`, ...) become
/// `***`.
pub fn redact_url(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.to_string();
    };
    // Nothing to hide: the URL as the user wrote it.
    if u.password().is_none() && !u.query_pairs().any(|(k, _)| is_secret_name(&k)) {
        return url.to_string();
    }
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let secret = is_secret_name(&k);
                (
                    k.into_owned(),
                    if secret {
                        "***".to_string()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// A request path as a report may name it: the values of query parameters
/// with a secret name become `***` (`/login?token=abc` is
/// `/login?token=***`). Template placeholders are kept as written.
pub fn redact_path(path: &str) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_name(k) => format!("{k}=***"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// The path (and query) of a URL, secrets redacted: the name its CSV rows
/// and log tags carry.
pub fn url_name(url: &str) -> String {
    let url = &redact_url(url);
    url::Url::parse(url).map_or_else(
        |_| url.clone(),
        |u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_secret_names_and_credential_values() {
        for name in [
            "token",
            "access_token",
            "JWT",
            "api_key",
            "Authorization",
            "db_password",
        ] {
            assert_eq!(redact_value(name, "x", &[]), REDACTED, "{name}");
        }
        for name in ["balance", "order_id", "sessions", "stock"] {
            assert_eq!(redact_value(name, "42", &[]), "42", "{name}");
        }
        // Credentials whatever their name.
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        assert_eq!(redact_value("t", jwt, &[]), REDACTED);
        assert_eq!(redact_value("h", "Bearer abc", &[]), REDACTED);
        // Values known to be secret, alone or inside another value.
        let secrets = vec!["hunter22".to_string()];
        assert_eq!(redact_value("echo", "pw=hunter22", &secrets), REDACTED);
        assert_eq!(redact_value("echo", "hello", &secrets), "hello");
    }

    #[test]
    fn secrets_in_urls_are_redacted() {
        let r = redact_url("http://admin:hunter2@h:1/p?api_key=SECRET&page=2");
        assert!(!r.contains("hunter2") && !r.contains("SECRET"), "{r}");
        assert!(r.contains("page=2") && r.contains("admin"), "{r}");
        assert_eq!(url_name("http://h/p?token=abc&x=1"), "/p?token=***&x=1");
        assert_eq!(url_name("http://h/p"), "/p");
        assert_eq!(
            redact_path("/login?user=a&api_key=K&x={{ v }}"),
            "/login?user=a&api_key=***&x={{ v }}"
        );
        assert_eq!(redact_path("/p"), "/p");
    }
}
