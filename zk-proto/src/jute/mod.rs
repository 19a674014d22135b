//! Jute, ZooKeeper's record serialization: the [`Jute`] trait, its primitive encodings and the
//! [`Reader`] that decodes them.
//!
//! Jute records are their fields concatenated in declaration order, big-endian, with no tags,
//! padding or delimiters:
//!
//! ```text
//! int      4 bytes, big-endian two's complement
//! long     8 bytes, big-endian two's complement
//! boolean  1 byte: 0 = false, anything else = true (written as 1)
//! buffer   int len, then len bytes; len = -1 is null, distinct from len = 0
//! ustring  int len, then len bytes of UTF-8; len = -1 is null
//! vector   int count, then count elements; count = -1 is null
//! record   its fields inline, no length prefix
//! ```
//!
//! Nullable `buffer`/`ustring` fields are `Option<Bytes>`/`Option<String>` where ZooKeeper
//! distinguishes null from empty (znode data); elsewhere they are `Bytes`/`String` and a null on
//! the wire reads as empty. A null vector reads as an empty `Vec`: no ZooKeeper 3.8 peer gives a
//! null vector a meaning of its own.

#[cfg(any(test, feature = "arbitrary"))]
pub mod arbitrary;
#[macro_use]
mod macros;
mod reader;

use bytes::{BufMut, Bytes};

pub use self::reader::Reader;
use crate::error::Result;

/// A value with a jute encoding: a primitive, a vector, a nested record or an enumeration.
pub trait Jute: Sized {
    /// The fewest bytes one value can encode to. Decoders use it to reject a vector count that
    /// the remaining input cannot hold, before allocating anything.
    const MIN_BYTES: usize;

    /// Appends the encoding of `self` to `out`.
    fn write<B: BufMut>(&self, out: &mut B);

    /// Decodes one value; `field` names it in errors (`Record.field`).
    fn read(r: &mut Reader, field: &'static str) -> Result<Self>;

    /// The encoding of `self` as a fresh vector.
    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// Decodes a value from the start of `bytes`; trailing bytes are ignored, as ZooKeeper does.
    fn from_bytes(bytes: impl Into<Bytes>) -> Result<Self> {
        Self::read(&mut Reader::new(bytes), std::any::type_name::<Self>())
    }
}

impl Jute for bool {
    const MIN_BYTES: usize = 1;
    fn write<B: BufMut>(&self, out: &mut B) {
        out.put_u8(u8::from(*self));
    }
    fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
        r.read_bool(field)
    }
}

impl Jute for i32 {
    const MIN_BYTES: usize = 4;
    fn write<B: BufMut>(&self, out: &mut B) {
        out.put_i32(*self);
    }
    fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
        r.read_i32(field)
    }
}

impl Jute for i64 {
    const MIN_BYTES: usize = 8;
    fn write<B: BufMut>(&self, out: &mut B) {
        out.put_i64(*self);
    }
    fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
        r.read_i64(field)
    }
}

/// Writes a jute `buffer` (`None` as the null buffer).
pub fn write_buffer<B: BufMut>(out: &mut B, bytes: Option<&[u8]>) {
    match bytes {
        None => out.put_i32(-1),
        Some(b) => {
            out.put_i32(len_i32(b.len()));
            out.put_slice(b);
        }
    }
}

/// A length as the `int` jute writes. Lengths above `i32::MAX` cannot be framed at all (frames
/// are limited to `jute.maxbuffer`), so reaching this is a caller bug.
fn len_i32(len: usize) -> i32 {
    i32::try_from(len).expect("jute length exceeds i32::MAX")
}

impl Jute for Option<Bytes> {
    const MIN_BYTES: usize = 4;
    fn write<B: BufMut>(&self, out: &mut B) {
        write_buffer(out, self.as_deref());
    }
    fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
        r.read_buffer(field)
    }
}

impl Jute for Bytes {
    const MIN_BYTES: usize = 4;
    fn write<B: BufMut>(&self, out: &mut B) {
        write_buffer(out, Some(self));
    }
    fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
        Ok(r.read_buffer(field)?.unwrap_or_default())
    }
}

impl Jute for Option<String> {
    const MIN_BYTES: usize = 4;
    fn write<B: BufMut>(&self, out: &mut B) {
        write_buffer(out, self.as_deref().map(str::as_bytes));
    }
    fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
        r.read_ustring(field)
    }
}

impl Jute for String {
    const MIN_BYTES: usize = 4;
    fn write<B: BufMut>(&self, out: &mut B) {
        write_buffer(out, Some(self.as_bytes()));
    }
    fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
        Ok(r.read_ustring(field)?.unwrap_or_default())
    }
}

impl<T: Jute> Jute for Vec<T> {
    const MIN_BYTES: usize = 4;
    fn write<B: BufMut>(&self, out: &mut B) {
        out.put_i32(len_i32(self.len()));
        for item in self {
            item.write(out);
        }
    }
    fn read(r: &mut Reader, field: &'static str) -> Result<Self> {
        let count = r.read_count(field, T::MIN_BYTES)?.unwrap_or(0);
        // `count` is bounded by the remaining input, so this allocation is too.
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            items.push(T::read(r, field)?);
        }
        Ok(items)
    }
}
