//! The real clock, random identifiers, and what the OS says about this process.

pub mod process;

use application::ports::{Clock, IdSource};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// Wall-clock time from the OS.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default()
    }
}

/// Ids and tokens from the OS random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

impl IdSource for RandomIds {
    fn message_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    fn session_token(&self) -> String {
        random_b64(32)
    }

    fn validator_key(&self) -> String {
        format!("originChats-{}", random_b64(24))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_the_spec() {
        let ids = RandomIds;
        assert_eq!(ids.session_token().len(), 43);
        let key = ids.validator_key();
        assert!(key.starts_with("originChats-"));
        assert_eq!(key.len(), "originChats-".len() + 32);
        assert_eq!(ids.message_id().len(), 36);
    }
}
