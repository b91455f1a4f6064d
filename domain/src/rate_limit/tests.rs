use super::*;
use proptest::prelude::*;

fn settings() -> RateSettings {
    RateSettings { per_minute: 5, burst_limit: 3, burst_window: 10.0, cooldown: 30.0 }
}

#[test]
fn burst_trips_a_cooldown_with_the_original_texts() {
    let s = settings();
    let mut b = Bucket::default();
    for i in 0..3 {
        assert!(b.try_take(i as f64, &s).is_ok());
    }
    let d = b.try_take(3.0, &s).unwrap_err();
    assert_eq!(d.reason, "Burst limit exceeded. You're in cooldown for 30 seconds");
    assert_eq!(d.length_ms(), 30_000);
    let d = b.try_take(13.0, &s).unwrap_err();
    assert_eq!(d.reason, "You are in cooldown for 20.0 more seconds");
    assert!(b.try_take(33.0, &s).is_ok());
}

#[test]
fn per_minute_limit_waits_for_the_oldest() {
    let s = RateSettings { per_minute: 2, burst_limit: 10, ..settings() };
    let mut b = Bucket::default();
    b.try_take(0.0, &s).unwrap();
    b.try_take(20.0, &s).unwrap();
    let d = b.try_take(30.0, &s).unwrap_err();
    assert_eq!(d.reason, "Rate limit exceeded. Wait 30.0 seconds");
    assert!(b.try_take(60.5, &s).is_ok());
}

#[test]
fn timeouts() {
    assert_eq!(timeout_denial(None, 5.0), None);
    assert_eq!(timeout_denial(Some(5.0), 5.0), None);
    let d = timeout_denial(Some(305.0), 5.0).unwrap();
    assert_eq!(d.reason, "You are in timeout for 300.0 more seconds");
    assert_eq!(d.length_ms(), 300_000);
}

#[test]
fn reset_clears_everything() {
    let s = settings();
    let mut b = Bucket::default();
    for i in 0..4 {
        let _ = b.try_take(i as f64, &s);
    }
    b.reset();
    assert!(b.try_take(4.0, &s).is_ok());
}

proptest! {
    /// Never more than `per_minute` accepted in any 60 s window, nor more than `burst_limit`
    /// in any burst window; and no acceptance during a cooldown.
    #[test]
    fn accepted_actions_respect_every_window(
        per_minute in 1usize..20, burst in 1usize..10, cooldown in 0.0f64..40.0,
        gaps in proptest::collection::vec(0.0f64..8.0, 1..200)
    ) {
        let s = RateSettings { per_minute, burst_limit: burst, burst_window: 10.0, cooldown };
        let mut b = Bucket::default();
        let mut now = 0.0;
        let mut accepted: Vec<f64> = vec![];
        let mut tripped: Vec<f64> = vec![];
        for g in gaps {
            now += g;
            match b.try_take(now, &s) {
                Ok(()) => {
                    prop_assert!(accepted.iter().filter(|t| now - **t <= WINDOW_SECONDS).count() < per_minute);
                    prop_assert!(accepted.iter().filter(|t| now - **t <= 10.0).count() < burst);
                    prop_assert!(tripped.iter().all(|t| now - t >= cooldown));
                    accepted.push(now);
                }
                Err(d) => {
                    prop_assert!(d.wait_seconds >= 0.0);
                    if d.reason.starts_with("Burst limit exceeded") { tripped.push(now); }
                }
            }
        }
    }

    #[test]
    fn reset_always_allows_the_next_action(gaps in proptest::collection::vec(0.0f64..3.0, 1..50)) {
        let s = settings();
        let mut b = Bucket::default();
        let mut now = 0.0;
        for g in gaps { now += g; let _ = b.try_take(now, &s); }
        b.reset();
        prop_assert!(b.try_take(now, &s).is_ok());
    }
}
