//! Mock auth (`auth.mode: "mock"`): accepts validators `mock:<user_id>:<username>`.
//! For development and tests only; the server logs a loud warning when it is on.

use application::ports::{AuthFailure, AuthValidator, RoturIdentity};
use async_trait::async_trait;

/// Accepts `mock:<id>:<username>` (the id may contain `:`) and nothing else.
#[derive(Debug, Default, Clone, Copy)]
pub struct MockAuth;

#[async_trait]
impl AuthValidator for MockAuth {
    async fn validate(&self, _key: &str, validator: Option<String>) -> Result<RoturIdentity, AuthFailure> {
        let rest = validator.as_deref().and_then(|v| v.strip_prefix("mock:")).ok_or(AuthFailure::Invalid)?;
        let (id, username) = rest.rsplit_once(':').ok_or(AuthFailure::Invalid)?;
        if id.is_empty() || username.is_empty() {
            return Err(AuthFailure::Invalid);
        }
        Ok(RoturIdentity { id: id.to_owned(), username: username.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepts_only_the_documented_form() {
        let m = MockAuth;
        let ok = m.validate("k", Some("mock:USR:1:alice".into())).await.unwrap();
        assert_eq!((ok.id.as_str(), ok.username.as_str()), ("USR:1", "alice"));
        assert_eq!(m.validate("k", Some("mock:u1:bob".into())).await.unwrap().username, "bob");
        assert_eq!(m.validate("k", Some("nope".into())).await, Err(AuthFailure::Invalid));
        assert_eq!(m.validate("k", None).await, Err(AuthFailure::Invalid));
        assert_eq!(m.validate("k", Some("mock:u1:".into())).await, Err(AuthFailure::Invalid));
    }
}
