//! CRC-32 as the IIS module computes it, and the GF(2) algebra that turns
//! chained-CRC checks into table lookups.
//!
//! The module (`crc.cpp`) runs the reflected CRC-32 of zlib (polynomial
//! 0x04C11DB7, reflected 0xEDB88320) over the DER bytes of the client
//! certificate, but its register `crc_accum` is a static that is never reset.
//! The printed value is `~crc_accum`, so the printed value *is* the CRC state,
//! in exactly the form zlib's `crc32(prev, buf, len)` (and
//! [`crc32fast::Hasher::new_with_initial`]) takes to continue a CRC:
//!
//! ```text
//! printed_k = crc32(printed_{k-1}, cert_k)          (printed_0 = 0: process start)
//! ```
//!
//! CRC-32 is affine over GF(2). With `shift(a, n)` = "the CRC state `a`
//! followed by `n` zero bytes" (zlib's `crc32_combine(a, 0, n)`, a linear map
//! of `a`):
//!
//! ```text
//! crc32(a, B) = crc32_combine(a, crc32(B), len B) = shift(a, len B) XOR crc32(B)
//! ```
//!
//! so the plain CRC a certificate must have to explain a logged value is
//! `crc32(B) = logged XOR shift(prev, len B)` ([`required_plain_crc`]): one
//! multiplication and one XOR, then a lookup by (size, plain CRC) in the
//! catalog. No certificate bytes are hashed while decoding.

/// The reflected CRC-32 polynomial (zlib, `crc32fast`, the module's table).
pub const POLY_REFLECTED: u32 = 0xEDB8_8320;

/// Plain CRC-32 of `der` (what a corrected module build prints).
pub fn plain_crc(der: &[u8]) -> u32 {
    crc32fast::hash(der)
}

/// The value the shipped module prints for `der` when the previously printed
/// value in the same worker process was `prev_logged` (0 at process start).
/// Hashes the bytes: `crc32fast::Hasher::new_with_initial(prev)`.
pub fn chain(prev_logged: u32, der: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(prev_logged);
    h.update(der);
    h.finalize()
}

/// The values one worker process would print for `ders` hashed in this
/// order, starting at process start.
pub fn chain_all<'a>(ders: impl IntoIterator<Item = &'a [u8]>) -> Vec<u32> {
    let mut prev = 0;
    ders.into_iter()
        .map(|d| {
            prev = chain(prev, d);
            prev
        })
        .collect()
}

/// Multiplication modulo the CRC polynomial in the reflected representation
/// (zlib's `multmodp`): bit 31 is x^0.
const fn multmodp(a: u32, mut b: u32) -> u32 {
    let mut m: u32 = 1 << 31;
    let mut p: u32 = 0;
    loop {
        if a & m != 0 {
            p ^= b;
            if a & (m - 1) == 0 {
                break;
            }
        }
        m >>= 1;
        b = if b & 1 != 0 {
            (b >> 1) ^ POLY_REFLECTED
        } else {
            b >> 1
        };
    }
    p
}

/// `X2N[k]` = x^(2^k) modulo the polynomial.
const X2N: [u32; 64] = {
    let mut t = [0u32; 64];
    let mut p: u32 = 1 << 30; // x^1
    t[0] = p;
    let mut n = 1;
    while n < 64 {
        p = multmodp(p, p);
        t[n] = p;
        n += 1;
    }
    t
};

/// x^(n * 2^k) modulo the polynomial.
fn x2nmodp(mut n: u64, mut k: usize) -> u32 {
    let mut p: u32 = 1 << 31; // x^0
    while n != 0 {
        if n & 1 != 0 {
            p = multmodp(X2N[k & 63], p);
        }
        n >>= 1;
        k += 1;
    }
    p
}

/// zlib's `crc32_combine`: the CRC of `A ‖ B` from `crc32(A)`, `crc32(B)` and
/// `len(B)`. Equally: the value the module prints for a certificate with
/// plain CRC `crc_b` and length `len_b` when the previous printed value was
/// `prev` (see the module documentation).
pub fn combine(prev: u32, crc_b: u32, len_b: u64) -> u32 {
    multmodp(x2nmodp(len_b, 3), prev) ^ crc_b
}

/// The same as [`combine`], computed by `crc32fast::Hasher::combine`. Kept
/// for cross-checking the two implementations.
pub fn combine_crc32fast(prev: u32, crc_b: u32, len_b: u64) -> u32 {
    let mut a = crc32fast::Hasher::new_with_initial(prev);
    a.combine(&crc32fast::Hasher::new_with_initial_len(crc_b, len_b));
    a.finalize()
}

/// `shift(state, len)` = `combine(state, 0, len)`: the linear part of
/// continuing a CRC over `len` bytes.
pub fn shift(state: u32, len: u64) -> u32 {
    multmodp(x2nmodp(len, 3), state)
}

/// The plain CRC-32 a certificate of `len` bytes must have so that the module,
/// in state `prev`, prints `logged`: `logged XOR shift(prev, len)`.
pub fn required_plain_crc(prev: u32, logged: u32, len: u64) -> u32 {
    logged ^ shift(prev, len)
}

/// The linear map `state -> shift(state, len)` for one fixed length, as its
/// 32 columns (128 bytes, so a catalog with thousands of distinct sizes keeps
/// them all in cache); applying it is 32 branch-free XOR steps. The catalog
/// keeps one per distinct certificate size, and its inverse.
#[derive(Clone, PartialEq, Eq)]
pub struct ShiftOp {
    len: u64,
    cols: [u32; 32],
}

impl std::fmt::Debug for ShiftOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShiftOp").field("len", &self.len).finish()
    }
}

impl ShiftOp {
    pub fn new(len: u64) -> Self {
        let m = x2nmodp(len, 3);
        let mut cols = [0u32; 32];
        for (i, c) in cols.iter_mut().enumerate() {
            *c = multmodp(m, 1u32 << i);
        }
        ShiftOp { len, cols }
    }

    /// The number of bytes this operator appends (for an inverse: the
    /// number it removes).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `shift(state, self.len())`.
    #[inline]
    pub fn apply(&self, state: u32) -> u32 {
        let mut r = 0u32;
        let mut s = state;
        for c in &self.cols {
            r ^= c & 0u32.wrapping_sub(s & 1);
            s >>= 1;
        }
        r
    }

    /// The module's printed value for a certificate of this length with plain
    /// CRC `crc_b`, from state `prev`.
    #[inline]
    pub fn combine(&self, prev: u32, crc_b: u32) -> u32 {
        self.apply(prev) ^ crc_b
    }

    /// The inverse map: the state before `len` bytes given the state after
    /// (multiplication by x^(8 len) modulo the CRC polynomial is invertible
    /// because the polynomial has a constant term). Gauss-Jordan over GF(2).
    pub fn inverse(&self) -> ShiftOp {
        // pairs (M v, v), starting from (M e_j, e_j); reduce the first
        // components to unit vectors.
        let mut pairs: [(u32, u32); 32] = std::array::from_fn(|j| (self.cols[j], 1u32 << j));
        for bit in 0..32 {
            let p = (bit..32)
                .find(|&i| pairs[i].0 & (1 << bit) != 0)
                .expect("shift operator is invertible");
            pairs.swap(bit, p);
            let (pm, pv) = pairs[bit];
            for (i, q) in pairs.iter_mut().enumerate() {
                if i != bit && q.0 & (1 << bit) != 0 {
                    q.0 ^= pm;
                    q.1 ^= pv;
                }
            }
        }
        ShiftOp {
            len: self.len,
            cols: std::array::from_fn(|j| pairs[j].1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn certs_crc_known_vectors() {
        assert_eq!(plain_crc(b"123456789"), 0xCBF4_3926);
        assert_eq!(plain_crc(b""), 0);
        // continuing from the printed value equals hashing the concatenation
        let a = b"first certificate bytes";
        let b = b"second one";
        let whole: Vec<u8> = a.iter().chain(b.iter()).copied().collect();
        assert_eq!(chain(plain_crc(a), b), plain_crc(&whole));
        assert_eq!(chain(0, a), plain_crc(a));
    }

    /// A literal transcription of the module's genCRC with its static
    /// register, to check the claim that printed values chain like zlib.
    struct ModuleCrc {
        accum: u32,
        table: [u32; 256],
    }
    impl ModuleCrc {
        fn new() -> Self {
            let mut table = [0u32; 256];
            for (i, t) in table.iter_mut().enumerate() {
                let mut c = i as u32;
                for _ in 0..8 {
                    c = if c & 1 != 0 {
                        (c >> 1) ^ POLY_REFLECTED
                    } else {
                        c >> 1
                    };
                }
                *t = c;
            }
            ModuleCrc {
                accum: 0xFFFF_FFFF,
                table,
            }
        }
        fn gen_crc(&mut self, data: &[u8]) -> u32 {
            for &byte in data {
                let i = ((self.accum ^ byte as u32) & 0xff) as usize;
                self.accum = (self.accum >> 8) ^ self.table[i];
            }
            !self.accum
        }
    }

    #[test]
    fn certs_crc_module_transcription_matches_chain() {
        let mut m = ModuleCrc::new();
        // The module's table starts 0x00000000, 0x77073096, 0xEE0E612C
        assert_eq!(&m.table[..3], &[0, 0x7707_3096, 0xEE0E_612C]);
        let certs: [&[u8]; 3] = [b"alpha", b"bravo certificate", b"c"];
        let expect = chain_all(certs.iter().copied());
        let got: Vec<u32> = certs.iter().map(|c| m.gen_crc(c)).collect();
        assert_eq!(got, expect);
    }

    proptest! {
        #[test]
        fn certs_crc_combine_equals_chain(prev: u32, data in proptest::collection::vec(any::<u8>(), 0..3000)) {
            let c = plain_crc(&data);
            let n = data.len() as u64;
            let direct = chain(prev, &data);
            prop_assert_eq!(combine(prev, c, n), direct);
            prop_assert_eq!(combine_crc32fast(prev, c, n), direct);
            prop_assert_eq!(ShiftOp::new(n).combine(prev, c), direct);
            prop_assert_eq!(required_plain_crc(prev, direct, n), c);
        }

        #[test]
        fn certs_crc_shift_is_linear(a: u32, b: u32, n in 0u64..100_000) {
            prop_assert_eq!(shift(a ^ b, n), shift(a, n) ^ shift(b, n));
            let op = ShiftOp::new(n);
            prop_assert_eq!(op.apply(a), shift(a, n));
            let inv = op.inverse();
            prop_assert_eq!(inv.apply(op.apply(a)), a);
            prop_assert_eq!(op.apply(inv.apply(b)), b);
        }
    }
}
