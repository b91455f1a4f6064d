//! A request packet and lenient accessors that follow the original's truthiness rules.

use application::slash::ArgKind;
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
        self.fields.get(key).filter(|v| !v.is_null()).map(truthy)
    }

    /// A raw field.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }
}

/// Python truthiness of a JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The Python type of a JSON value (what the original's error texts name).
pub fn python_type(v: &Value) -> ArgKind {
    match v {
        Value::Null => ArgKind::None,
        Value::Bool(_) => ArgKind::Bool,
        Value::Number(n) if n.is_f64() => ArgKind::Float,
        Value::Number(_) => ArgKind::Int,
        Value::String(_) => ArgKind::Str,
        Value::Array(_) => ArgKind::List,
        Value::Object(_) => ArgKind::Dict,
    }
}

/// The Python type name of a JSON value, as the original prints it in error texts.
pub fn python_type_name(v: &Value) -> &'static str {
    python_type(v).python_name()
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

/// Nesting depth of a JSON value: a scalar is 0, an array or object one more than its
/// deepest element (an empty one is 1).
pub fn depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, d + 1))),
            _ => {}
        }
        // A container is one level itself, whether or not it holds anything.
        max = max.max(if v.is_array() || v.is_object() { d + 1 } else { d });
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize, inner: &str) -> Value {
        serde_json::from_str(&format!("{}{inner}{}", "[".repeat(levels), "]".repeat(levels))).unwrap()
    }

    #[test]
    fn every_container_is_a_level_even_an_empty_one() {
        assert_eq!(depth(&serde_json::json!(5)), 0);
        assert_eq!(depth(&serde_json::json!({})), 1, "found by the json_depth fuzz target");
        assert_eq!(depth(&serde_json::json!([])), 1);
        assert_eq!(depth(&serde_json::json!({"a": 1, "b": [[]]})), 3);
        // 33 nested arrays are 33 levels however the innermost one ends.
        assert_eq!(depth(&nested(33, "")), 33);
        assert_eq!(depth(&nested(33, "1")), 33);
        assert_eq!(depth(&nested(32, "")), 32);
    }
}
