//! The pieces of the protobuf wire format the binary encoders write with: field keys, varints
//! (by `prost`'s coding), and messages whose length is filled in when they end.

use prost::encoding::{encode_varint, encoded_len_varint};

/// A field's key: its number and wire type, in the one byte every field used here takes.
pub(crate) const fn key(field: u8, wire_type: u8) -> u8 {
    (field << 3) | wire_type
}

pub(crate) const VARINT: u8 = 0;
pub(crate) const FIXED64: u8 = 1;
pub(crate) const LEN: u8 = 2;

/// The `sint` coding of `v`: small magnitudes, of either sign, in few bytes.
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Starts a message field, with one byte kept for its length; returns where the message
/// starts, for [`end`].
#[inline]
pub(crate) fn begin(buf: &mut Vec<u8>, field: u8) -> usize {
    buf.extend_from_slice(&[field, 0]);
    buf.len()
}

/// Ends the message started at `start`: puts its length in the byte kept before it, or, from
/// 128 bytes on, in as many bytes as the varint takes, moving the message up.
#[inline]
pub(crate) fn end(buf: &mut Vec<u8>, start: usize) {
    let len = buf.len() - start;
    if len < 0x80 {
        buf[start - 1] = len as u8;
    } else {
        widen(buf, start, len);
    }
}

#[cold]
fn widen(buf: &mut Vec<u8>, start: usize, len: usize) {
    let mut varint = Vec::with_capacity(10);
    encode_varint(len as u64, &mut varint);
    buf.splice(start - 1..start, varint);
}

#[inline]
pub(crate) fn put_key_len(buf: &mut Vec<u8>, field: u8, len: usize) {
    buf.push(field);
    if len < 0x80 {
        buf.push(len as u8);
    } else {
        encode_varint(len as u64, buf);
    }
}

#[inline]
pub(crate) fn put_bytes(buf: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    put_key_len(buf, field, bytes.len());
    buf.extend_from_slice(bytes);
}

#[inline]
pub(crate) fn put_varint(buf: &mut Vec<u8>, field: u8, v: u64) {
    buf.push(field);
    encode_varint(v, buf);
}

#[inline]
pub(crate) fn put_f64(buf: &mut Vec<u8>, field: u8, v: f64) {
    buf.push(field);
    buf.extend_from_slice(&v.to_le_bytes());
}

/// The fields of a label message: `LabelPair` in Prometheus's `metrics.proto`, `Label` in
/// remote write's `types.proto`.
const PAIR_NAME: u8 = key(1, LEN);
const PAIR_VALUE: u8 = key(2, LEN);

/// A label message, of `name` and `value`, as field `field`.
#[inline]
pub(crate) fn put_label(buf: &mut Vec<u8>, field: u8, name: &[u8], value: &[u8]) {
    let len = 2
        + encoded_len_varint(name.len() as u64)
        + name.len()
        + encoded_len_varint(value.len() as u64)
        + value.len();
    put_key_len(buf, field, len);
    put_bytes(buf, PAIR_NAME, name);
    put_bytes(buf, PAIR_VALUE, value);
}

/// A `fixed64` field.
#[inline]
pub(crate) fn put_fixed64(buf: &mut Vec<u8>, field: u8, v: u64) {
    buf.push(field);
    buf.extend_from_slice(&v.to_le_bytes());
}
