//! Output put together by stores of fixed sizes straight into a buffer's spare capacity, each
//! possibly longer than what it adds, the next store starting where the bytes that count end:
//! no call to copy a piece of varying length, and no copy from a scratch buffer afterwards
//! (which, reading back bytes just stored by narrower stores, stalls).
//!
//! The `unsafe` operations are the `set_len` in [`append`], whose invariant [`Spare`]'s methods
//! keep (every byte before `at` has been stored), and the copy of a fixed-size array into a
//! slice of the same length in [`store`].

#![allow(unsafe_code)]

use std::mem::MaybeUninit;

/// The spare capacity of a buffer being written, and how much of it has been put together.
pub(crate) struct Spare<'a> {
    bytes: &'a mut [MaybeUninit<u8>],
    /// Every byte before this has been stored.
    at: usize,
}

impl Spare<'_> {
    /// Puts the first `len` (at most `N`) bytes of `block`, by a store of all `N`.
    #[inline(always)]
    pub(crate) fn block<const N: usize>(&mut self, block: &[u8; N], len: usize) {
        store(self.bytes, self.at, block);
        self.at += len.min(N);
    }

    /// Puts the `len` (at most 8) low bytes of `word`, lowest first, by one store of eight.
    #[inline(always)]
    pub(crate) fn word(&mut self, word: u64, len: usize) {
        self.block(&word.to_le_bytes(), len);
    }

    /// Puts the first `len` bytes of `chunks`, by stores of 16 bytes.
    #[inline(always)]
    pub(crate) fn chunks(&mut self, chunks: &[[u8; 16]], len: usize) {
        let to = &mut self.bytes[self.at..self.at + 16 * chunks.len()];
        for (to, chunk) in to.chunks_exact_mut(16).zip(chunks) {
            store(to, 0, chunk);
        }
        self.at += len.min(16 * chunks.len());
    }

    /// Sets the byte `back` bytes before the end of what is put.
    #[inline(always)]
    pub(crate) fn set_back(&mut self, back: usize, byte: u8) {
        self.bytes[..self.at][self.at - back] = MaybeUninit::new(byte);
    }

    /// Sets the eight bytes from `back` bytes before the end of what is put to `word`, lowest
    /// first.
    #[inline(always)]
    pub(crate) fn set_word_back(&mut self, back: usize, word: u64) {
        let at = self.at - back;
        store(&mut self.bytes[..self.at], at, &word.to_le_bytes());
    }

    /// Puts `bytes`, by stores of fixed sizes: 16 bytes at a time, then the last 16,
    /// overlapping what went before; fewer by two words the same way, or by one.
    #[inline(always)]
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        let to = &mut self.bytes[self.at..];
        if let Some(last) = bytes.last_chunk::<16>() {
            let mut from = 0;
            while from + 16 < n {
                if let Some(chunk) = bytes[from..].first_chunk::<16>() {
                    store(to, from, chunk);
                }
                from += 16;
            }
            // Stores at 0, 16, ... below n - 16, then n - 16: all of 0..n.
            store(to, n - 16, last);
        } else if let (Some(first), Some(last)) =
            (bytes.first_chunk::<8>(), bytes.last_chunk::<8>())
        {
            store(to, 0, first);
            store(to, n - 8, last);
        } else {
            store(to, 0, &crate::label::short_word(bytes).to_le_bytes());
        }
        self.at += n;
    }
}

/// Stores `from` in `to` from `at` on; panics if `to` is too short. (What
/// `<[MaybeUninit<u8>]>::write_copy_of_slice` does, which is newer than the crate's minimum
/// Rust version; a loop over the bytes is not compiled into one copy.)
#[inline(always)]
fn store<const N: usize>(to: &mut [MaybeUninit<u8>], at: usize, from: &[u8; N]) {
    let to = &mut to[at..at + N];
    // SAFETY: both are `N` bytes long (`to` by the bounds-checked slice above), `u8` and
    // `MaybeUninit<u8>` have the same layout, and they cannot overlap, `to` being borrowed
    // mutably while `from` is borrowed.
    unsafe { std::ptr::copy_nonoverlapping(from.as_ptr(), to.as_mut_ptr().cast::<u8>(), N) }
}

/// Appends to `buf` what `f` puts through a [`Spare`] of `room` bytes, if `f` returns `true`;
/// nothing otherwise. A store past `room` panics (every store is bounds-checked), so `room`
/// must count each store at its full size.
#[inline(always)]
pub(crate) fn append(
    buf: &mut Vec<u8>,
    room: usize,
    f: impl FnOnce(&mut Spare<'_>) -> bool,
) -> bool {
    buf.reserve(room);
    let mut spare = Spare {
        bytes: &mut buf.spare_capacity_mut()[..room],
        at: 0,
    };
    if !f(&mut spare) {
        return false;
    }
    let n = spare.at;
    // SAFETY: `reserve` made room for `room` bytes past the length, and `n` is at most `room`
    // (every store, and so `at`, stays inside the `room` bytes given to `Spare`, slices being
    // bounds-checked). Every byte before `at` has been stored: `at` starts at 0, each method
    // of `Spare` stores from `at` on and moves `at` at most past the bytes it stored, and
    // nothing else changes it.
    unsafe { buf.set_len(buf.len() + n) };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length of piece, after every length of word, lands exactly, however the stores
    /// overlap.
    #[test]
    fn pieces_land_exactly_whatever_their_lengths() {
        let source: Vec<u8> = (0..200u8).collect();
        for word_len in 0..=8 {
            for n in 0..=source.len() {
                let mut buf = b"head".to_vec();
                let piece = &source[..n];
                let word = u64::from_le_bytes(*b"ABCDEFGH");
                assert!(append(&mut buf, 8 + n.max(8) + 64, |s| {
                    s.word(word, word_len);
                    s.bytes(piece);
                    s.block(b"tail....", 4);
                    true
                }));
                let mut want = b"head".to_vec();
                want.extend_from_slice(&b"ABCDEFGH"[..word_len]);
                want.extend_from_slice(piece);
                want.extend_from_slice(b"tail");
                assert_eq!(buf, want, "word {word_len}, piece {n}");
            }
        }
    }

    #[test]
    fn nothing_is_appended_when_the_writer_gives_up() {
        let mut buf = b"kept".to_vec();
        assert!(!append(&mut buf, 64, |s| {
            s.bytes(b"dropped");
            false
        }));
        assert_eq!(buf, b"kept");
    }
}
