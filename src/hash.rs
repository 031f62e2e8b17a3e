//! One fast hasher for the hash maps of the hot paths (pids, thread ids,
//! process and certificate-summary keys, the catalog's (size, CRC) keys):
//! the FxHash mix used by rustc. Keys come from captures and certificate
//! files, so HashDoS is not a concern here.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    /// Eight bytes a step (certificate thumbprints are 40-byte keys).
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.write_u64(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;
pub type FxMap<K, V> = HashMap<K, V, FxBuild>;
pub type FxSet<T> = HashSet<T, FxBuild>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash, Hasher};

    fn hash_of<T: Hash + ?Sized>(v: &T) -> u64 {
        FxBuild::default().hash_one(v)
    }

    /// Keys hashed eight bytes a step: every length across the word
    /// boundaries, and a change in any byte, give another value; equal keys
    /// the same one.
    #[test]
    fn byte_keys_hash_by_every_byte() {
        let key = "0123456789abcdef0123456789abcdef01234567";
        let mut seen = FxSet::default();
        for n in 0..=key.len() {
            assert!(seen.insert(hash_of(&key[..n])), "prefix of {n} bytes");
        }
        for i in 0..key.len() {
            let mut b = key.as_bytes().to_vec();
            b[i] ^= 1;
            assert_ne!(hash_of(&b[..]), hash_of(key.as_bytes()), "byte {i}");
        }
        assert_eq!(hash_of(key), hash_of(&key.to_string()));
        let mut h = FxHasher::default();
        h.write(&[]);
        assert_eq!(h.finish(), FxHasher::default().finish());
    }
}
