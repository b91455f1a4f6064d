//! The read-through cache in front of a real store: writes through it are seen at once,
//! reads are served from memory.

use std::sync::Arc;

use application::ports::UserRepository;
use cache::CachedStore;
use domain::{User, UserId};
use memory::MemoryStore;

#[tokio::test]
async fn writes_through_the_cache_are_seen_at_once() {
    let inner = Arc::new(MemoryStore::new());
    let cached = CachedStore::new(inner.clone());
    let mut u = User::new(UserId("1".into()), "a".into(), vec!["user".into()], vec![]);
    assert_eq!(cached.user(&u.id).await.unwrap(), None);
    cached.insert_user(&u).await.unwrap();
    assert_eq!(cached.user(&u.id).await.unwrap().unwrap().roles, vec!["user"]);
    u.roles.insert(0, "owner".into());
    cached.update_user(&u).await.unwrap();
    assert_eq!(cached.user(&u.id).await.unwrap().unwrap().roles, vec!["owner", "user"]);
    assert_eq!(cached.users().await.unwrap()[0].roles, vec!["owner", "user"]);
}

#[tokio::test]
async fn reads_are_served_from_memory() {
    let inner = Arc::new(MemoryStore::new());
    let cached = CachedStore::new(inner.clone());
    let u = User::new(UserId("1".into()), "a".into(), vec![], vec![]);
    cached.insert_user(&u).await.unwrap();
    assert!(cached.user(&u.id).await.unwrap().is_some());
    let mut changed = u.clone();
    changed.roles = vec!["x".into()];
    inner.update_user(&changed).await.unwrap();
    assert_eq!(cached.user(&u.id).await.unwrap().unwrap().roles, Vec::<String>::new(), "served from cache");
}

#[tokio::test]
async fn lookups_of_users_that_do_not_exist_keep_nothing() {
    let cached = CachedStore::new(Arc::new(MemoryStore::new()));
    for i in 0..200 {
        let name = format!("{i}{}", "x".repeat(10_000));
        assert_eq!(cached.user(&UserId(name)).await.unwrap(), None);
    }
    assert_eq!(cached.cached_users().await, 0, "a miss is never cached");
    let u = User::new(UserId("1".into()), "a".into(), vec![], vec![]);
    cached.insert_user(&u).await.unwrap();
    assert!(cached.user(&u.id).await.unwrap().is_some());
    assert_eq!(cached.cached_users().await, 1, "a hit is");
}

#[tokio::test]
async fn the_users_cache_is_bounded_in_bytes() {
    let inner = Arc::new(MemoryStore::new());
    let cached = CachedStore::new(inner.clone());
    // 400 users with 200 KB ids: 80 MB if kept, over the cache's 32 MiB.
    for i in 0..400 {
        let u = User::new(UserId(format!("{i}{}", "y".repeat(200_000))), format!("u{i}"), vec![], vec![]);
        inner.insert_user(&u).await.unwrap();
        assert!(cached.user(&u.id).await.unwrap().is_some());
    }
    let kept = cached.cached_users().await;
    assert!(kept < 200, "{kept} users of 200 KB kept");
}
