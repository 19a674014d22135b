//! [`Reader`]: a bounds-checked cursor over one record or frame.

use bytes::Bytes;

use crate::error::{Error, Result};

/// A cursor over received bytes that decodes jute primitives.
///
/// The reader owns a [`Bytes`] handle, so `buffer` fields are returned as zero-copy slices of the
/// frame. Every read checks the remaining length first: a length prefix can never make the
/// reader allocate more than the input holds.
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
    pos: usize,
}

impl Reader {
    /// A reader positioned at the start of `buf`.
    pub fn new(buf: impl Into<Bytes>) -> Self {
        Self {
            buf: buf.into(),
            pos: 0,
        }
    }

    /// Byte offset of the next read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes, without consuming them.
    pub fn peek_rest(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Consumes and returns the unread bytes.
    pub fn take_rest(&mut self) -> Bytes {
        let rest = self.buf.slice(self.pos..);
        self.pos = self.buf.len();
        rest
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&[u8]> {
        if self.remaining() < n {
            return Err(Error::Truncated {
                field,
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            });
        }
        let start = self.pos;
        self.pos += n;
        Ok(&self.buf[start..self.pos])
    }

    fn take_array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    /// Reads a jute `byte`.
    pub fn read_u8(&mut self, field: &'static str) -> Result<u8> {
        Ok(self.take_array::<1>(field)?[0])
    }

    /// Reads a jute `boolean`. Like Java's reader, any nonzero byte is `true`.
    pub fn read_bool(&mut self, field: &'static str) -> Result<bool> {
        Ok(self.read_u8(field)? != 0)
    }

    /// Reads a jute `int` (4 bytes, big-endian).
    pub fn read_i32(&mut self, field: &'static str) -> Result<i32> {
        Ok(i32::from_be_bytes(self.take_array(field)?))
    }

    /// Reads a jute `long` (8 bytes, big-endian).
    pub fn read_i64(&mut self, field: &'static str) -> Result<i64> {
        Ok(i64::from_be_bytes(self.take_array(field)?))
    }

    /// Reads a length prefix: `Ok(None)` for -1 (null), an error for any other negative value or
    /// for a length larger than what remains (`min_item_bytes` per counted item).
    fn read_len(&mut self, field: &'static str, min_item_bytes: usize) -> Result<Option<usize>> {
        let offset = self.pos;
        let len = self.read_i32(field)?;
        if len == -1 {
            return Ok(None);
        }
        let invalid = Error::InvalidLength {
            field,
            offset,
            len: i64::from(len),
        };
        let len = usize::try_from(len).map_err(|_| invalid.clone())?;
        if len.saturating_mul(min_item_bytes) > self.remaining() {
            return Err(invalid);
        }
        Ok(Some(len))
    }

    /// Reads a jute `buffer`; `None` is the null buffer (length -1).
    pub fn read_buffer(&mut self, field: &'static str) -> Result<Option<Bytes>> {
        match self.read_len(field, 1)? {
            None => Ok(None),
            Some(len) => {
                let start = self.pos;
                self.pos += len;
                Ok(Some(self.buf.slice(start..self.pos)))
            }
        }
    }

    /// Reads a jute `ustring`; `None` is the null string (length -1).
    ///
    /// Accepts standard UTF-8 and Java's modified UTF-8, in which a character outside the Basic
    /// Multilingual Plane is written as two 3-byte surrogate encodings. Anything else is
    /// [`Error::InvalidUtf8`].
    pub fn read_ustring(&mut self, field: &'static str) -> Result<Option<String>> {
        let offset = self.pos + 4;
        let Some(bytes) = self.read_buffer(field)? else {
            return Ok(None);
        };
        match std::str::from_utf8(&bytes) {
            Ok(s) => Ok(Some(s.to_owned())),
            Err(_) => decode_cesu8(&bytes)
                .map(Some)
                .ok_or(Error::InvalidUtf8 { field, offset }),
        }
    }

    /// Reads a vector count prefix; `None` is the null vector. `min_item_bytes` is the smallest
    /// encoding of one element, used to reject counts the input cannot hold before allocating.
    pub fn read_count(
        &mut self,
        field: &'static str,
        min_item_bytes: usize,
    ) -> Result<Option<usize>> {
        self.read_len(field, min_item_bytes.max(1))
    }
}

/// Decodes Java's modified UTF-8 / CESU-8: standard UTF-8 except that supplementary characters
/// appear as surrogate pairs, each surrogate encoded in three bytes. Returns `None` for anything
/// that is not valid in that encoding (including lone surrogates).
fn decode_cesu8(bytes: &[u8]) -> Option<String> {
    let mut units: Vec<u16> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b0 = bytes[i];
        let cont = |k: usize| -> Option<u32> {
            let b = *bytes.get(i + k)?;
            (b & 0xC0 == 0x80).then_some(u32::from(b & 0x3F))
        };
        if b0 < 0x80 {
            units.push(u16::from(b0));
            i += 1;
        } else if b0 & 0xE0 == 0xC0 {
            let c = (u32::from(b0 & 0x1F) << 6) | cont(1)?;
            // Java writes U+0000 as C0 80 in modified UTF-8; accept that, reject other overlongs.
            if c < 0x80 && c != 0 {
                return None;
            }
            units.push(c as u16);
            i += 2;
        } else if b0 & 0xF0 == 0xE0 {
            let c = (u32::from(b0 & 0x0F) << 12) | (cont(1)? << 6) | cont(2)?;
            if c < 0x800 {
                return None;
            }
            units.push(c as u16);
            i += 3;
        } else if b0 & 0xF8 == 0xF0 {
            // A standard 4-byte sequence mixed with surrogate pairs: re-split it into UTF-16.
            let c = (u32::from(b0 & 0x07) << 18) | (cont(1)? << 12) | (cont(2)? << 6) | cont(3)?;
            let ch = char::from_u32(c).filter(|_| c >= 0x10000)?;
            let mut pair = [0u16; 2];
            units.extend_from_slice(ch.encode_utf16(&mut pair));
            i += 4;
        } else {
            return None;
        }
    }
    String::from_utf16(&units).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cesu8_surrogate_pair_decodes_to_one_char() {
        // U+1F600 as Java's writer emits it: D83D DE00, each as 3 bytes.
        let mut r = Reader::new(vec![0, 0, 0, 6, 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]);
        assert_eq!(r.read_ustring("s").unwrap().as_deref(), Some("\u{1F600}"));
    }

    #[test]
    fn lone_surrogate_is_invalid_utf8() {
        let mut r = Reader::new(vec![0, 0, 0, 3, 0xED, 0xA0, 0xBD]);
        assert_eq!(
            r.read_ustring("s"),
            Err(Error::InvalidUtf8 {
                field: "s",
                offset: 4
            })
        );
    }

    #[test]
    fn huge_length_is_rejected_before_allocating() {
        let mut r = Reader::new(vec![0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
        assert!(matches!(
            r.read_buffer("b"),
            Err(Error::InvalidLength {
                field: "b",
                offset: 0,
                len: 0x7fff_ffff
            })
        ));
        let mut r = Reader::new(vec![0xff, 0xff, 0xff, 0xfe]);
        assert!(matches!(
            r.read_buffer("b"),
            Err(Error::InvalidLength { len: -2, .. })
        ));
    }

    #[test]
    fn null_and_empty_buffers_differ() {
        let mut r = Reader::new(vec![0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        assert_eq!(r.read_buffer("b").unwrap(), None);
        assert_eq!(r.read_buffer("b").unwrap(), Some(Bytes::new()));
        assert!(r.is_empty());
    }

    #[test]
    fn truncated_long_names_field_and_offset() {
        let mut r = Reader::new(vec![0, 0, 0, 1, 2]);
        r.read_i32("a").unwrap();
        assert_eq!(
            r.read_i64("Stat.czxid"),
            Err(Error::Truncated {
                field: "Stat.czxid",
                offset: 4,
                needed: 8,
                available: 1
            })
        );
    }
}
