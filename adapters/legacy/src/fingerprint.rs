//! A stable content fingerprint of the files an import reads.
//!
//! Not cryptographic: it only has to tell "the same folder with the same content" from
//! "something changed", identically across runs, builds and platforms. Each file
//! contributes its relative path and a 128-bit digest of its bytes; files are combined in
//! path order so the reading order does not matter.

use std::collections::BTreeMap;

/// Two 64-bit lanes mixed word by word (multiply, rotate, xor), finished with a
/// SplitMix64-style avalanche. Processes eight bytes per step, which keeps it fast even
/// in unoptimised builds.
#[derive(Debug, Clone)]
struct Digest {
    a: u64,
    b: u64,
    len: u64,
}

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;

fn avalanche(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl Digest {
    fn new() -> Self {
        Self { a: 0x6A09_E667_F3BC_C908, b: 0xBB67_AE85_84CA_A73B, len: 0 }
    }

    fn word(&mut self, w: u64) {
        self.a = (self.a ^ w.wrapping_mul(K1)).rotate_left(31).wrapping_mul(K2);
        self.b = (self.b ^ w.wrapping_mul(K2)).rotate_left(29).wrapping_mul(K1).wrapping_add(self.a);
    }

    fn update(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 60));
        }
        self.len = self.len.wrapping_add(bytes.len() as u64);
    }

    fn finish(&self) -> u128 {
        let a = avalanche(self.a ^ self.len.wrapping_mul(K1));
        let b = avalanche(self.b ^ a ^ self.len);
        (u128::from(a) << 64) | u128::from(b)
    }
}

/// A 128-bit digest of `bytes`, as 32 lowercase hex digits.
pub fn digest_hex(bytes: &[u8]) -> String {
    let mut d = Digest::new();
    d.update(bytes);
    format!("{:032x}", d.finish())
}

/// The key recording an import of the folder `source` whose files have `fingerprint`:
/// the same folder with the same content is recognised when imported again.
pub fn record_key(source: &std::path::Path, fingerprint: &str) -> String {
    let who = format!("{}\0{}", source.display(), fingerprint);
    format!("import:{}", digest_hex(who.as_bytes()))
}

/// Collects the files of one import and combines them into one fingerprint.
#[derive(Debug, Default, Clone)]
pub struct Fingerprint {
    files: BTreeMap<String, u128>,
}

impl Fingerprint {
    /// Records one file by its path relative to the source folder.
    pub fn add(&mut self, relative: &str, bytes: &[u8]) {
        let mut d = Digest::new();
        d.update(bytes);
        self.files.insert(relative.to_owned(), d.finish());
    }

    /// The combined fingerprint, 32 lowercase hex digits.
    pub fn hex(&self) -> String {
        let mut d = Digest::new();
        for (path, digest) in &self.files {
            d.update(path.as_bytes());
            d.update(&[0]);
            d.update(&digest.to_le_bytes());
        }
        format!("{:032x}", d.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_stable_and_sensitive() {
        assert_eq!(digest_hex(b"hello"), digest_hex(b"hello"));
        assert_ne!(digest_hex(b"hello"), digest_hex(b"hellp"));
        assert_ne!(digest_hex(b""), digest_hex(b"\0"));
        assert_ne!(digest_hex(b"abcdefgh"), digest_hex(b"abcdefgh\0"));
        assert_eq!(digest_hex(b"x").len(), 32);
    }

    #[test]
    fn fingerprints_ignore_reading_order_but_not_content_or_names() {
        let mut a = Fingerprint::default();
        a.add("db/users.json", b"{}");
        a.add("db/roles.json", b"{\"user\":{}}");
        let mut b = Fingerprint::default();
        b.add("db/roles.json", b"{\"user\":{}}");
        b.add("db/users.json", b"{}");
        assert_eq!(a.hex(), b.hex());
        let mut c = b.clone();
        c.add("db/users.json", b"{ }");
        assert_ne!(a.hex(), c.hex());
        let mut d = Fingerprint::default();
        d.add("db/user.json", b"{}");
        d.add("db/roles.json", b"{\"user\":{}}");
        assert_ne!(a.hex(), d.hex());
    }
}
