//! Values of template variables: text, or JSON kept as JSON so a captured
//! number goes back into a JSON body as a number.

/// A variable's value. `bytes` is UTF-8 text when `json` is false, a JSON
/// literal (number, boolean, null, object, array) when it is true.
///
/// A value is *unset* (the default) until something captures it, and again
/// after a capture found nothing: a step that needs an unset value does
/// not run, and a default header that needs one is left out, rather than
/// sending an empty or stale value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Value {
    /// The bytes rendered into templates.
    pub bytes: Vec<u8>,
    /// Whether `bytes` is a JSON literal rather than text.
    pub json: bool,
    /// Whether the value was captured (an empty capture is still set).
    pub set: bool,
}

impl Value {
    /// Text.
    pub fn text(s: &str) -> Value {
        Value {
            bytes: s.as_bytes().to_vec(),
            json: false,
            set: true,
        }
    }

    /// A JSON literal.
    pub fn json(s: &str) -> Value {
        Value {
            bytes: s.as_bytes().to_vec(),
            json: true,
            set: true,
        }
    }

    /// Replaces the value with `v` from a JSON document, reusing the
    /// buffer: strings become their text, everything else its JSON.
    pub fn set_from_json(&mut self, v: &serde_json::Value) {
        self.bytes.clear();
        self.set = true;
        match v {
            serde_json::Value::String(s) => {
                self.bytes.extend_from_slice(s.as_bytes());
                self.json = false;
            }
            other => {
                // Writing JSON into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut self.bytes, other);
                self.json = true;
            }
        }
    }

    /// Replaces the value with text, reusing the buffer.
    pub fn set_text(&mut self, b: &[u8]) {
        self.bytes.clear();
        self.bytes.extend_from_slice(b);
        self.json = false;
        self.set = true;
    }

    /// Forgets the value (keeping the buffer): it is unset again.
    pub fn unset(&mut self) {
        self.bytes.clear();
        self.json = false;
        self.set = false;
    }

    /// The value as a number, when it is one (JSON number, or text that
    /// parses as one).
    pub fn as_f64(&self) -> Option<f64> {
        std::str::from_utf8(&self.bytes)
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
    }

    /// The value as text for messages.
    pub fn display(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}
