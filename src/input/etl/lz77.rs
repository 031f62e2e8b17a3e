//! Plain LZ77 decompression as specified in [MS-XCA] 2.4 ("LZ77
//! Decompression Algorithm"), the compression the ETW relogger applies to
//! buffers flagged `0x40` (`ETW_BUFFER_FLAG_COMPRESSED`).
//!
//! No well-kept crate on crates.io implements the plain (non-Huffman) variant,
//! so this is a small implementation of the published pseudo-code. It never
//! writes more than `max_out` bytes and never panics on malformed input.

/// Why a compressed block could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Lz77Error {
    #[error("compressed data ends in the middle of a token at input byte {0}")]
    Truncated(usize),
    #[error(
        "match at input byte {at} refers {distance} bytes back, before the start of the output"
    )]
    BadDistance { at: usize, distance: usize },
    #[error("output would exceed {0} bytes")]
    TooLong(usize),
    #[error("invalid match length at input byte {0}")]
    BadLength(usize),
}

fn u16_at(input: &[u8], at: usize) -> Result<u16, Lz77Error> {
    input
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or(Lz77Error::Truncated(at))
}

fn u32_at(input: &[u8], at: usize) -> Result<u32, Lz77Error> {
    input
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(Lz77Error::Truncated(at))
}

/// Decompresses `input` into `out` (cleared first), producing at most
/// `max_out` bytes.
pub fn decompress(input: &[u8], out: &mut Vec<u8>, max_out: usize) -> Result<(), Lz77Error> {
    out.clear();
    let mut pos = 0usize;
    let mut flags = 0u32;
    let mut flag_count = 0u32;
    let mut last_half_byte: Option<usize> = None;
    loop {
        if flag_count == 0 {
            if pos >= input.len() {
                return Ok(());
            }
            flags = u32_at(input, pos)?;
            pos += 4;
            flag_count = 32;
        }
        flag_count -= 1;
        if flags & (1 << flag_count) == 0 {
            // Literal byte.
            let Some(&b) = input.get(pos) else {
                return Ok(());
            };
            if out.len() >= max_out {
                return Err(Lz77Error::TooLong(max_out));
            }
            out.push(b);
            pos += 1;
        } else {
            if pos >= input.len() {
                return Ok(());
            }
            let token_at = pos;
            let match_bytes = u16_at(input, pos)? as usize;
            pos += 2;
            let mut length = match_bytes % 8;
            let distance = match_bytes / 8 + 1;
            if length == 7 {
                match last_half_byte.take() {
                    None => {
                        let b = *input.get(pos).ok_or(Lz77Error::Truncated(pos))?;
                        length = (b % 16) as usize;
                        last_half_byte = Some(pos);
                        pos += 1;
                    }
                    Some(at) => length = (input[at] / 16) as usize,
                }
                if length == 15 {
                    let b = *input.get(pos).ok_or(Lz77Error::Truncated(pos))?;
                    pos += 1;
                    length = b as usize;
                    if length == 255 {
                        length = u16_at(input, pos)? as usize;
                        pos += 2;
                        if length == 0 {
                            length = u32_at(input, pos)? as usize;
                            pos += 4;
                        }
                        if length < 15 + 7 {
                            return Err(Lz77Error::BadLength(token_at));
                        }
                        length -= 15 + 7;
                    }
                    length += 15;
                }
                length += 7;
            }
            length += 3;
            if distance > out.len() {
                return Err(Lz77Error::BadDistance {
                    at: token_at,
                    distance,
                });
            }
            if length > max_out.saturating_sub(out.len()) {
                return Err(Lz77Error::TooLong(max_out));
            }
            let start = out.len() - distance;
            if distance >= length {
                out.extend_from_within(start..start + length);
            } else {
                // Overlapping copy: byte by byte, repeating the pattern.
                for i in 0..length {
                    let b = out[start + i];
                    out.push(b);
                }
            }
        }
    }
}

/// A simple (greedy, hash-free) MS-XCA plain LZ77 compressor, used by the
/// tests' ETL writer to build relogged-style compressed buffers.
pub fn compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 8 + 8);
    let mut flag_pos = out.len();
    out.extend_from_slice(&[0; 4]);
    let mut flags = 0u32;
    let mut flag_count = 0u32;
    let mut half_byte_pos: Option<usize> = None;
    let mut i = 0usize;
    let push_flag = |out: &mut Vec<u8>, flags: &mut u32, count: &mut u32, pos: &mut usize, bit| {
        *flags = (*flags << 1) | bit;
        *count += 1;
        if *count == 32 {
            out[*pos..*pos + 4].copy_from_slice(&flags.to_le_bytes());
            *flags = 0;
            *count = 0;
            *pos = out.len();
            out.extend_from_slice(&[0; 4]);
        }
    };
    while i < input.len() {
        // Longest match within the last 2048 bytes (the format allows 8192).
        let mut best_len = 0usize;
        let mut best_dist = 0usize;
        let window = i.saturating_sub(2048);
        for s in (window..i).rev() {
            let mut l = 0;
            while i + l < input.len() && input[s + l] == input[i + l] && l < 0xFFFF {
                l += 1;
            }
            if l > best_len {
                best_len = l;
                best_dist = i - s;
                if l >= 258 {
                    break;
                }
            }
        }
        if best_len >= 3 {
            let len = best_len - 3;
            let token = ((best_dist - 1) << 3) as u16;
            if len < 7 {
                out.extend_from_slice(&(token | len as u16).to_le_bytes());
            } else {
                out.extend_from_slice(&(token | 7).to_le_bytes());
                let rest = len - 7;
                let nibble = rest.min(15) as u8;
                match half_byte_pos.take() {
                    None => {
                        half_byte_pos = Some(out.len());
                        out.push(nibble);
                    }
                    Some(p) => out[p] |= nibble << 4,
                }
                if rest >= 15 {
                    let rest = rest - 15;
                    if rest < 255 {
                        out.push(rest as u8);
                    } else {
                        out.push(255);
                        out.extend_from_slice(&((rest + 15 + 7) as u16).to_le_bytes());
                    }
                }
            }
            push_flag(&mut out, &mut flags, &mut flag_count, &mut flag_pos, 1);
            i += best_len;
        } else {
            out.push(input[i]);
            push_flag(&mut out, &mut flags, &mut flag_count, &mut flag_pos, 0);
            i += 1;
        }
    }
    // Terminating match flag (the decoder stops at the end of input), then
    // pad the remaining flag bits with ones.
    let remaining = 32 - flag_count;
    flags = (((flags as u64) << remaining) | ((1u64 << remaining) - 1)) as u32;
    out[flag_pos..flag_pos + 4].copy_from_slice(&flags.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_abc() {
        // [MS-XCA] 3.1: "abcdefghijklmnopqrstuvwxyz" is stored as literals.
        let input = b"abcdefghijklmnopqrstuvwxyz";
        let mut c = vec![0x3f, 0x00, 0x00, 0x00];
        c.extend_from_slice(input);
        let mut out = Vec::new();
        decompress(&c, &mut out, 1000).unwrap();
        assert_eq!(out, input);
    }

    #[test]
    fn spec_example_repeated() {
        // [MS-XCA] 3.2: "abc" repeated 100 times.
        let c = [
            0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01,
        ];
        let mut out = Vec::new();
        decompress(&c, &mut out, 1000).unwrap();
        assert_eq!(out, b"abc".repeat(100));
    }

    #[test]
    fn round_trip_and_limits() {
        let mut data = Vec::new();
        for i in 0..3000u32 {
            data.extend_from_slice(
                format!("Line: {} rMsg1638: cnt = {}\n", i % 50, i % 7).as_bytes(),
            );
        }
        data.extend(std::iter::repeat_n(0u8, 70_000));
        let c = compress(&data);
        assert!(c.len() < data.len() / 4);
        let mut out = Vec::new();
        decompress(&c, &mut out, data.len()).unwrap();
        assert_eq!(out, data);
        assert_eq!(
            decompress(&c, &mut out, data.len() - 1),
            Err(Lz77Error::TooLong(data.len() - 1))
        );
        // Every truncation fails cleanly or yields a prefix.
        for cut in 0..200 {
            if decompress(&c[..cut], &mut out, data.len()).is_ok() {
                assert!(data.starts_with(&out));
            }
        }
    }
}
