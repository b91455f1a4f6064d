//! A request packet and lenient accessors that follow the original's truthiness rules.

pub use application::slash::python_type_name;
use serde_json::{Map, Value};

/// A parsed client packet.
#[derive(Debug, Clone)]
pub struct Request {
    /// The command name.
    pub cmd: String,
    /// Every top-level field.
    pub fields: Map<String, Value>,
    /// The `listener` tag, when it is a string.
    pub listener: Option<String>,
}

/// A field that was present but of the wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

impl Request {
    /// A non-empty string field; `None` when absent, null, empty or not a string.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.fields.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }

    /// An integer field: `Ok(None)` when absent or null, `Err` when not an integer.
    /// Booleans count as integers, as in the original.
    pub fn int(&self, key: &str) -> Result<Option<i64>, WrongType> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(i64::from(*b))),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(WrongType),
            Some(_) => Err(WrongType),
        }
    }

    /// Python truthiness of a field that is present and not null.
    pub fn truthy(&self, key: &str) -> Option<bool> {
        match self.fields.get(key)? {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(n.as_f64() != Some(0.0)),
            Value::String(s) => Some(!s.is_empty()),
            Value::Array(a) => Some(!a.is_empty()),
            Value::Object(o) => Some(!o.is_empty()),
        }
    }

    /// A raw field.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }
}

/// How the original prints a non-string `cmd` in `Unknown command: <repr>`.
pub fn python_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

/// Nesting depth of a JSON value (a scalar is 0).
pub fn depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}
