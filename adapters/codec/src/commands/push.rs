//! Web Push commands (docs/push.md): `push_get_vapid`, `push_subscribe`,
//! `push_unsubscribe`.

use application::errors::PushError;
use application::ports::Subscription;
use serde_json::Value;

use super::{commands, handler};
use crate::request::{Request, truthy};

commands!(push_get_vapid, push_subscribe, push_unsubscribe);

/// A field the original requires to be truthy. A truthy value that is not a string is no
/// usable endpoint or key: it becomes empty text, which the subscription checks refuse.
fn required(value: Option<&Value>) -> Option<String> {
    value.filter(|v| truthy(v)).map(|v| v.as_str().unwrap_or_default().to_owned())
}

/// The `subscription` object, checked as the original checks it: present, an object, not
/// empty; then `endpoint`, `keys.p256dh` and `keys.auth` all truthy.
fn subscription(req: &Request) -> Result<Subscription, PushError> {
    let Some(Value::Object(sub)) = req.get("subscription").filter(|v| truthy(v)) else {
        return Err(PushError::MissingSubscription);
    };
    let keys = sub.get("keys").and_then(Value::as_object);
    let key = |name: &str| required(keys.and_then(|k| k.get(name)));
    match (required(sub.get("endpoint")), key("p256dh"), key("auth")) {
        (Some(endpoint), Some(p256dh), Some(auth)) => Ok(Subscription { endpoint, p256dh, auth }),
        _ => Err(PushError::SubscriptionFieldsMissing),
    }
}

handler!(push_get_vapid(app, session, _req) { app.push.vapid(session) });

handler!(push_subscribe(app, session, req) { app.push.subscribe(session, subscription(req)).await });

handler!(push_unsubscribe(app, session, req) {
    app.push.unsubscribe(session, required(req.get("endpoint"))).await
});
