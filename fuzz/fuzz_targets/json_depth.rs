//! Any text as one frame of a connection that has not logged in: it is refused as "not
//! valid JSON" exactly when it does not parse or nests deeper than the limit, and the
//! codec's depth agrees with a recursive count (docs/security.md#fuzzing).

#![no_main]

use libfuzzer_sys::fuzz_target;
use originchats_fuzz::{MAX_DEPTH, Sender, World, runtime};
use serde_json::Value;

fn recursive_depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(recursive_depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(recursive_depth).max().unwrap_or(0),
        _ => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = serde_json::from_str::<Value>(text).ok();
    if let Some(v) = &parsed {
        assert_eq!(codec::request::depth(v), recursive_depth(v), "depth of {text}");
    }
    let refused = parsed.as_ref().is_none_or(|v| recursive_depth(v) > MAX_DEPTH);
    runtime().block_on(async {
        let mut world = World::new().await;
        let before = world.frames(Sender::Anonymous).len();
        world.frame(Sender::Anonymous, text).await;
        let frames = world.frames(Sender::Anonymous);
        let first: Value = serde_json::from_str(&frames[before]).unwrap();
        let not_json = serde_json::json!({"cmd": "error", "val": "Invalid message format: not valid JSON"});
        assert_eq!(first == not_json, refused, "answer {first} to {text}");
    });
});
