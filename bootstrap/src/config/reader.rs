//! Typed, lenient reads of dotted keys, with the defaults as fallback and warnings kept.
//!
//! Every value read is also recorded as it was resolved (after fallbacks), so the
//! "effective configuration" logged at start-up is what actually runs.

use serde_json::Value;

use super::ConfigError;
use super::defaults::{EXTRA_TOP_LEVEL, OPEN_SECTIONS, default_config};

/// Reads a user config against the defaults.
pub struct Reader {
    user: Value,
    defaults: Value,
    /// The defaults merged with the user's known keys, overwritten by every resolved value.
    resolved: Value,
    /// Warnings for the start-up log.
    pub warnings: Vec<String>,
}

fn lookup<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(v, |v, part| v.get(part))
}

impl Reader {
    /// A reader of `user`; unknown keys are reported at once.
    pub fn new(user: Value) -> Self {
        let defaults = default_config();
        let mut unknown = vec![];
        find_unknown(&user, &defaults, "", &mut unknown);
        let mut resolved = defaults.clone();
        merge(&mut resolved, &user);
        for key in &unknown {
            remove(&mut resolved, key);
        }
        let warnings = unknown.iter().map(|key| format!("unknown config key `{key}` ignored")).collect();
        Self { user, defaults, resolved, warnings }
    }

    /// Records the value that runs for `key` (for the effective configuration).
    pub fn record(&mut self, key: &str, value: impl Into<Value>) {
        let mut slot = &mut self.resolved;
        for part in key.split('.') {
            if !slot.is_object() {
                *slot = Value::Object(Default::default());
            }
            slot = slot.as_object_mut().map(|m| m.entry(part.to_owned()).or_insert(Value::Null)).expect("object");
        }
        *slot = value.into();
    }

    /// The user's value, if present and not null.
    pub fn raw(&self, key: &str) -> Option<&Value> {
        lookup(&self.user, key).filter(|v| !v.is_null())
    }

    fn default(&self, key: &str) -> Value {
        lookup(&self.defaults, key).cloned().unwrap_or(Value::Null)
    }

    fn lenient<T>(&mut self, key: &str, parse: impl Fn(&Value) -> Option<T>, fallback: T) -> T
    where
        T: Clone + Into<Value>,
    {
        let value = match self.raw(key) {
            None => fallback,
            Some(v) => match parse(v) {
                Some(t) => t,
                None => {
                    self.warnings.push(format!("config key `{key}` has an unusable value {v}; using the default"));
                    fallback
                }
            },
        };
        self.record(key, value.clone());
        value
    }

    /// An integer (≥ `min`), lenient.
    pub fn int(&mut self, key: &str, min: i64) -> i64 {
        let d = self.default(key).as_i64().unwrap_or(min);
        self.lenient(key, |v| v.as_i64().filter(|n| *n >= min), d)
    }

    /// A non-negative number, lenient.
    pub fn number(&mut self, key: &str) -> f64 {
        let d = self.default(key).as_f64().unwrap_or(0.0);
        self.lenient(key, |v| v.as_f64().filter(|n| *n >= 0.0 && n.is_finite()), d)
    }

    /// A boolean, lenient.
    pub fn bool(&mut self, key: &str) -> bool {
        let d = self.default(key).as_bool().unwrap_or(false);
        self.lenient(key, Value::as_bool, d)
    }

    /// A string, lenient.
    pub fn string(&mut self, key: &str) -> String {
        let d = self.default(key).as_str().unwrap_or_default().to_owned();
        self.lenient(key, |v| v.as_str().map(str::to_owned), d)
    }

    /// An optional string (null or absent → `None`), lenient.
    pub fn opt_string(&mut self, key: &str) -> Option<String> {
        self.lenient(key, |v| v.as_str().map(|s| Some(s.to_owned())), None)
    }

    /// A list of strings, lenient.
    pub fn strings(&mut self, key: &str) -> Vec<String> {
        let parse = |v: &Value| -> Option<Vec<String>> {
            v.as_array()?.iter().map(|x| x.as_str().map(str::to_owned)).collect()
        };
        let d = parse(&self.default(key)).unwrap_or_default();
        self.lenient(key, parse, d)
    }

    /// An optional list of strings (null → `None`), lenient.
    pub fn opt_strings(&mut self, key: &str) -> Option<Vec<String>> {
        if self.raw(key).is_none() {
            self.record(key, Value::Null);
            return None;
        }
        Some(self.strings(key))
    }

    /// An integer that must be usable: a bad value stops start-up.
    pub fn strict_int(&mut self, key: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
        let n = match self.raw(key) {
            None => self.default(key).as_i64().unwrap_or(min),
            Some(v) => v.as_i64().filter(|n| (min..=max).contains(n)).ok_or_else(|| ConfigError::Invalid {
                key: key.to_owned(),
                reason: format!("expected an integer from {min} to {max}, got {v}"),
            })?,
        };
        self.record(key, n);
        Ok(n)
    }

    /// A string that must be usable when present: any other type stops start-up.
    pub fn strict_string(&mut self, key: &str) -> Result<String, ConfigError> {
        let s = match self.raw(key) {
            None => self.default(key).as_str().unwrap_or_default().to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => {
                return Err(ConfigError::Invalid {
                    key: key.to_owned(),
                    reason: format!("expected a string, got {v}"),
                });
            }
        };
        self.record(key, s.clone());
        Ok(s)
    }

    /// The configuration that runs: defaults, the user's known keys, and every value as it
    /// was resolved. Secrets are not masked here.
    pub fn effective(&self) -> Value {
        self.resolved.clone()
    }
}

fn remove(v: &mut Value, key: &str) {
    let (parent, last) = match key.rsplit_once('.') {
        Some((p, l)) => (lookup_mut(v, p), l),
        None => (Some(v), key),
    };
    if let Some(Value::Object(m)) = parent {
        m.remove(last);
    }
}

fn lookup_mut<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    key.split('.').try_fold(v, |v, part| v.get_mut(part))
}

fn merge(into: &mut Value, over: &Value) {
    match (into, over) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

fn find_unknown(user: &Value, defaults: &Value, prefix: &str, out: &mut Vec<String>) {
    let Value::Object(map) = user else { return };
    for (k, v) in map {
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        if OPEN_SECTIONS.contains(&path.as_str()) || (prefix.is_empty() && EXTRA_TOP_LEVEL.contains(&k.as_str())) {
            continue;
        }
        match defaults.get(k) {
            None => out.push(path),
            Some(d) if d.is_object() => find_unknown(v, d, &path, out),
            Some(_) => {}
        }
    }
}
