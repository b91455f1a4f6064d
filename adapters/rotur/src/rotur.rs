//! Rotur validation over HTTPS (docs/design/authentication.md#rotur-validation): `GET <url>?key=<key>&v=<validator>`.

use std::time::Duration;

use application::ports::{AuthFailure, AuthValidator, RoturIdentity};
use async_trait::async_trait;
use serde_json::Value;

/// Asks Rotur whether a validator is good.
#[derive(Debug, Clone)]
pub struct RoturAuth {
    client: reqwest::Client,
    url: String,
}

impl RoturAuth {
    /// A validator calling `url` with a per-request timeout.
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("originchats/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, url: url.to_owned() })
    }
}

fn text_field(body: &Value, key: &str) -> String {
    match body.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[async_trait]
impl AuthValidator for RoturAuth {
    async fn validate(&self, key: &str, validator: Option<String>) -> Result<RoturIdentity, AuthFailure> {
        let started = std::time::Instant::now();
        let result = self.ask(key, validator).await;
        let outcome = match &result {
            Ok(_) => "valid",
            Err(AuthFailure::Invalid) => "invalid",
            Err(AuthFailure::Unavailable) => "unavailable",
        };
        application::telemetry::auth_check(outcome, started.elapsed());
        result
    }
}

impl RoturAuth {
    /// One validation call.
    async fn ask(&self, key: &str, validator: Option<String>) -> Result<RoturIdentity, AuthFailure> {
        let mut query = vec![("key", key)];
        if let Some(v) = validator.as_deref() {
            query.push(("v", v));
        }
        // Errors are logged without their URL: its query carries the user's validator.
        let response = self.client.get(&self.url).query(&query).send().await.map_err(|e| {
            tracing::warn!(error = %e.without_url(), "rotur unreachable");
            AuthFailure::Unavailable
        })?;
        let status = response.status();
        if status.is_server_error() {
            tracing::warn!(%status, "rotur answered with a server error");
            return Err(AuthFailure::Unavailable);
        }
        if status.is_client_error() {
            return Err(AuthFailure::Invalid);
        }
        let body: Value = response.json().await.map_err(|e| {
            tracing::warn!(error = %e.without_url(), "rotur answered with a body that is not JSON");
            AuthFailure::Unavailable
        })?;
        if status.as_u16() != 200 || body.get("valid") != Some(&Value::Bool(true)) {
            return Err(AuthFailure::Invalid);
        }
        let identity = RoturIdentity { id: text_field(&body, "id"), username: text_field(&body, "username") };
        if identity.id.is_empty() {
            // Every such login would share the empty id.
            tracing::warn!("rotur said valid but named no user id");
            return Err(AuthFailure::Unavailable);
        }
        Ok(identity)
    }
}
