//! Frames, one per line of the input, from the owner, a plain user and a connection that
//! has not logged in, through the wire codec into an in-process server; every packet the
//! server sends must be well formed, and nothing may panic (docs/security.md#fuzzing).

#![no_main]

use libfuzzer_sys::fuzz_target;
use originchats_fuzz::{World, frames, runtime};

fuzz_target!(|data: &[u8]| {
    runtime().block_on(async {
        let mut world = World::new().await;
        for (sender, text) in frames(data) {
            world.frame(sender, text).await;
        }
        world.close_all().await;
    });
});
