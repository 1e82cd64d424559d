//! Escaping, for every format: finding the bytes that need it, eight at a time, and writing
//! strings escaped. The bottom floor: it knows nothing of metrics or formats' structure.

use std::io::{self, Write};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Nonzero if a byte of `x` equals `b`.
#[inline(always)]
fn has_byte(x: u64, b: u8) -> u64 {
    let y = x ^ (ONES * u64::from(b));
    y.wrapping_sub(ONES) & !y & HIGHS
}

/// Nonzero if a byte of `x` is below `n` (for `n <= 128`).
#[inline(always)]
fn has_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS
}

/// Whether any byte of `bytes` passes `test`, eight at a time: the bytes past the last whole
/// word are read as the last eight bytes (overlapping the word before), or for strings shorter
/// than a word, one by one.
#[inline(always)]
fn any_byte(bytes: &[u8], word_test: impl Fn(u64) -> u64, byte_test: impl Fn(u8) -> bool) -> bool {
    let word = |w: &[u8]| w.first_chunk::<8>().map_or(0, |w| u64::from_le_bytes(*w));
    if bytes.len() < 8 {
        return bytes.iter().any(|b| byte_test(*b));
    }
    let chunks = bytes.chunks_exact(8);
    let rest = !chunks.remainder().is_empty();
    chunks.into_iter().any(|w| word_test(word(w)) != 0)
        || (rest && word_test(word(&bytes[bytes.len() - 8..])) != 0)
}

/// Whether a label value needs escaping in the text formats: `\`, `"` or a newline.
#[inline]
pub(crate) fn needs_text_escape(bytes: &[u8]) -> bool {
    any_byte(
        bytes,
        |x| has_byte(x, b'\\') | has_byte(x, b'"') | has_byte(x, b'\n'),
        |b| matches!(b, b'\\' | b'"' | b'\n'),
    )
}

/// Whether a string needs escaping in JSON: `\`, `"` or a control character.
#[inline]
pub(crate) fn needs_json_escape(bytes: &[u8]) -> bool {
    any_byte(
        bytes,
        |x| has_byte(x, b'\\') | has_byte(x, b'"') | has_below(x, 0x20),
        |b| b == b'\\' || b == b'"' || b < 0x20,
    )
}

const NO: u8 = 0;
const UU: u8 = b'u';
/// For each byte, the letter after the backslash that escapes it, `u` for `\u00XX`, or 0.
/// The same set as `serde_json` escapes: `"`, `\` and the control characters.
static ESCAPE: [u8; 256] = {
    let mut table = [NO; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = UU;
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Writes `s` as a JSON string, quotes included, escaped per RFC 8259.
pub(crate) fn write_json_str<W: Write + ?Sized>(w: &mut W, s: &str) -> io::Result<()> {
    w.write_all(b"\"")?;
    write_json_str_body(w, s.as_bytes())?;
    w.write_all(b"\"")
}

/// Writes `s` escaped per RFC 8259, without the quotes.
pub(crate) fn write_json_str_body<W: Write + ?Sized>(w: &mut W, bytes: &[u8]) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if !needs_json_escape(bytes) {
        return w.write_all(bytes);
    }
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[byte as usize];
        if escape == NO {
            continue;
        }
        w.write_all(&bytes[start..i])?;
        if escape == UU {
            w.write_all(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(byte >> 4) as usize],
                HEX[(byte & 0xf) as usize],
            ])?;
        } else {
            w.write_all(&[b'\\', escape])?;
        }
        start = i + 1;
    }
    w.write_all(&bytes[start..])
}

/// Writes a label value with `\`, `"` and newline escaped, as both text formats require.
#[inline]
pub(crate) fn write_label_value<W: Write + ?Sized>(w: &mut W, bytes: &[u8]) -> io::Result<()> {
    if !needs_text_escape(bytes) {
        return w.write_all(bytes);
    }
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escaped: &[u8] = match byte {
            b'\\' => b"\\\\",
            b'"' => b"\\\"",
            b'\n' => b"\\n",
            _ => continue,
        };
        w.write_all(&bytes[start..i])?;
        w.write_all(escaped)?;
        start = i + 1;
    }
    w.write_all(&bytes[start..])
}

/// Help text escaped for a `# HELP` line: `\\` and newline, and `"` too in OpenMetrics.
pub(crate) fn escape_help(help: &str, openmetrics: bool) -> String {
    let mut out = String::with_capacity(help.len());
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if openmetrics => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_scans_find_every_byte_that_needs_it() {
        for len in 0..40 {
            let plain = vec![b'a'; len];
            assert!(!needs_text_escape(&plain));
            assert!(!needs_json_escape(&plain));
            for at in 0..len {
                for special in [b'\\', b'"', b'\n'] {
                    let mut s = plain.clone();
                    s[at] = special;
                    assert!(needs_text_escape(&s), "{len} {at} {special}");
                    assert!(needs_json_escape(&s), "{len} {at} {special}");
                }
                for control in [0u8, 1, 0x1f, b'\t', b'\r'] {
                    let mut s = plain.clone();
                    s[at] = control;
                    assert!(needs_json_escape(&s), "{len} {at} {control}");
                    assert_eq!(needs_text_escape(&s), control == b'\n');
                }
                for fine in [0x20u8, 0x7f, 0x80, 0xff, b'~'] {
                    let mut s = plain.clone();
                    s[at] = fine;
                    assert!(!needs_json_escape(&s), "{len} {at} {fine}");
                    assert!(!needs_text_escape(&s), "{len} {at} {fine}");
                }
            }
        }
    }
}
