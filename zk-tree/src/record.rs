//! The packed byte record one znode's name, stat, ACL id and data are stored as.
//!
//! A tree of a million znodes is mostly small, similar records, so the stat is stored in the
//! fewest bytes that give it back exactly: zxids and times as differences from the node's
//! `czxid` and `ctime` (0 for a node never changed), and every field that is 0 in the common
//! case (versions, ephemeralOwner, a difference of 0, ACL id -1) left out, its absence marked
//! by one bit of a flags byte. A freshly created persistent node's stat takes 12 bytes instead
//! of 60.
//!
//! # Layout
//!
//! ```text
//! owner    u32 LE   slot of the node (lets page compaction find and fix the slot)
//! name     varint length, then the UTF-8 bytes
//! meta     flags u8, ACL id + 1 if its flag bit is set, czxid, ctime, then, each only if
//!          its flag bit is set: mzxid−czxid, pzxid−czxid, mtime−ctime, version, cversion,
//!          aversion, ephemeralOwner        (all zigzag varints; differences wrap)
//! data     varint length + 1 (0: null data, distinct from empty), then the bytes
//! ```
//!
//! Records are written only by [`NodeStore`](crate::node_store::NodeStore) from values it was
//! given, so decoding one that does not parse is a broken invariant (a panic), never input.
//!
//! A record is read in place, never decoded as a whole: the name sits at a fixed offset for
//! path lookups, the data is returned as a slice of the page, and the stat is decoded only
//! when asked for (see the round-trip tests at the end of this file).

use zk_proto::{StatPersisted, Zxid};

use crate::acl_cache::AclId;

/// The stat and ACL id of a record: the part that changes without the data changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) stat: StatPersisted,
    pub(crate) acl: AclId,
}

/// Bytes before the name: the owner slot.
const OWNER_BYTES: usize = 4;

// Flag bits of the meta section: set when the field is stored.
const F_MZXID: u8 = 1;
const F_PZXID: u8 = 1 << 1;
const F_MTIME: u8 = 1 << 2;
const F_VERSION: u8 = 1 << 3;
const F_CVERSION: u8 = 1 << 4;
const F_AVERSION: u8 = 1 << 5;
const F_OWNER: u8 = 1 << 6;
const F_ACL: u8 = 1 << 7;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint at `*at`, advancing it.
#[inline]
fn get_varint(rec: &[u8], at: &mut usize) -> u64 {
    let first = rec[*at];
    if first < 0x80 {
        // Most fields (differences, versions, lengths) are one byte.
        *at += 1;
        return u64::from(first);
    }
    if let Some(word) = rec.get(*at..*at + 8) {
        // Zxids and times are 5-6 bytes: decode up to 8 at once from one little-endian word.
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let stops = !word & 0x8080_8080_8080_8080;
        if stops != 0 {
            let len = (stops.trailing_zeros() / 8 + 1) as usize;
            let keep = if len == 8 {
                u64::MAX
            } else {
                (1u64 << (len * 8)) - 1
            };
            // Squeeze the 7-bit groups together: 8 → 14 → 28 → 56 bits.
            let mut x = word & keep & 0x7f7f_7f7f_7f7f_7f7f;
            x = ((x & 0x7f00_7f00_7f00_7f00) >> 1) | (x & 0x007f_007f_007f_007f);
            x = ((x & 0x3fff_0000_3fff_0000) >> 2) | (x & 0x0000_3fff_0000_3fff);
            x = ((x & 0x0fff_ffff_0000_0000) >> 4) | (x & 0x0000_0000_0fff_ffff);
            *at += len;
            return x;
        }
    }
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = rec[*at];
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

fn get_signed(rec: &[u8], at: &mut usize) -> i64 {
    let v = get_varint(rec, at);
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Skips `n` varints from `*at`: counts their last bytes (high bit clear) eight at a time.
fn skip_varints(rec: &[u8], at: &mut usize, mut n: u32) {
    while n > 0 {
        let Some(word) = rec.get(*at..*at + 8) else {
            // The last few bytes of a page: one at a time.
            if rec[*at] < 0x80 {
                n -= 1;
            }
            *at += 1;
            continue;
        };
        let mut stops =
            !u64::from_le_bytes(word.try_into().expect("8 bytes")) & 0x8080_8080_8080_8080;
        let count = stops.count_ones();
        if count < n {
            *at += 8;
            n -= count;
            continue;
        }
        for _ in 1..n {
            stops &= stops - 1; // drop the lowest stop
        }
        *at += (stops.trailing_zeros() / 8 + 1) as usize;
        return;
    }
}

/// The longest meta section: flags and nine 10-byte varints.
const META_MAX: usize = 1 + 9 * 10;

/// A meta section being written into a stack buffer (one copy into the record at the end,
/// rather than a capacity check per byte).
struct MetaWriter {
    buf: [u8; META_MAX],
    len: usize,
}

impl MetaWriter {
    #[inline(always)]
    fn put_signed(&mut self, v: i64) {
        let mut v = ((v << 1) ^ (v >> 63)) as u64;
        while v >= 0x80 {
            self.buf[self.len] = (v as u8) | 0x80;
            self.len += 1;
            v >>= 7;
        }
        self.buf[self.len] = v as u8;
        self.len += 1;
    }

    /// Writes `v` if it is not 0 and sets `bit` in the flags.
    #[inline(always)]
    fn opt(&mut self, bit: u8, v: i64) {
        if v != 0 {
            self.buf[0] |= bit;
            self.put_signed(v);
        }
    }
}

/// Appends the meta section of `meta` to `out`.
pub(crate) fn encode_meta(out: &mut Vec<u8>, meta: &Meta) {
    let s = &meta.stat;
    let mut w = MetaWriter {
        buf: [0; META_MAX],
        len: 1,
    };
    // First, so that the access check of a read finds it without skipping the stat. -1
    // (OPEN_ACL_UNSAFE) is the id left out, so id + 1 is stored.
    w.opt(F_ACL, meta.acl.0.wrapping_add(1));
    w.put_signed(s.czxid.0);
    w.put_signed(s.ctime);
    w.opt(F_MZXID, s.mzxid.0.wrapping_sub(s.czxid.0));
    w.opt(F_PZXID, s.pzxid.0.wrapping_sub(s.czxid.0));
    w.opt(F_MTIME, s.mtime.wrapping_sub(s.ctime));
    w.opt(F_VERSION, i64::from(s.version));
    w.opt(F_CVERSION, i64::from(s.cversion));
    w.opt(F_AVERSION, i64::from(s.aversion));
    w.opt(F_OWNER, s.ephemeral_owner);
    out.extend_from_slice(&w.buf[..w.len]);
}

/// Appends a whole record to `out`.
pub(crate) fn encode(out: &mut Vec<u8>, owner: u32, name: &str, meta: &Meta, data: Option<&[u8]>) {
    out.extend_from_slice(&owner.to_le_bytes());
    put_varint(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
    encode_meta(out, meta);
    encode_data(out, data);
}

/// Appends a data section to `out`.
pub(crate) fn encode_data(out: &mut Vec<u8>, data: Option<&[u8]>) {
    put_varint(out, data.map_or(0, |d| d.len() as u64 + 1));
    if let Some(d) = data {
        out.extend_from_slice(d);
    }
}

/// The owner slot of the record at the start of `rec`.
pub(crate) fn owner(rec: &[u8]) -> u32 {
    u32::from_le_bytes(rec[..OWNER_BYTES].try_into().expect("4 bytes"))
}

/// The name's bytes of the record at the start of `rec`.
pub(crate) fn name(rec: &[u8]) -> &[u8] {
    let mut at = OWNER_BYTES;
    let len = get_varint(rec, &mut at) as usize;
    &rec[at..at + len]
}

/// Where the meta section starts.
fn meta_start(rec: &[u8]) -> usize {
    let mut at = OWNER_BYTES;
    let len = get_varint(rec, &mut at) as usize;
    at + len
}

/// The end of the meta section starting at `at`.
fn meta_end(rec: &[u8], mut at: usize) -> usize {
    let flags = rec[at];
    at += 1;
    skip_varints(rec, &mut at, 2 + flags.count_ones());
    at
}

/// The byte range of the meta section.
pub(crate) fn meta_range(rec: &[u8]) -> std::ops::Range<usize> {
    let start = meta_start(rec);
    start..meta_end(rec, start)
}

/// Where the meta section starts and where the record ends, in one pass.
pub(crate) fn meta_start_and_len(rec: &[u8]) -> (usize, usize) {
    let start = meta_start(rec);
    let mut at = meta_end(rec, start);
    let tagged = get_varint(rec, &mut at) as usize;
    (start, at + tagged.saturating_sub(1))
}

/// The decoded meta section.
pub(crate) fn meta(rec: &[u8]) -> Meta {
    meta_and_end(rec).0
}

/// The decoded meta section and where it ends (where the data section starts).
pub(crate) fn meta_and_end(rec: &[u8]) -> (Meta, usize) {
    let mut at = meta_start(rec);
    let flags = rec[at];
    at += 1;
    let acl = if flags & F_ACL != 0 {
        AclId(get_signed(rec, &mut at).wrapping_sub(1))
    } else {
        AclId::OPEN_ACL_UNSAFE
    };
    let czxid = get_signed(rec, &mut at);
    let ctime = get_signed(rec, &mut at);
    let mut opt = |bit: u8| {
        if flags & bit != 0 {
            get_signed(rec, &mut at)
        } else {
            0
        }
    };
    // Versions were stored from i32s, so the truncations give them back exactly.
    let stat = StatPersisted {
        czxid: Zxid(czxid),
        mzxid: Zxid(czxid.wrapping_add(opt(F_MZXID))),
        pzxid: Zxid(czxid.wrapping_add(opt(F_PZXID))),
        ctime,
        mtime: ctime.wrapping_add(opt(F_MTIME)),
        version: opt(F_VERSION) as i32,
        cversion: opt(F_CVERSION) as i32,
        aversion: opt(F_AVERSION) as i32,
        ephemeral_owner: opt(F_OWNER),
    };
    (Meta { stat, acl }, at)
}

/// The ACL id alone (the access check of every read wants only this).
pub(crate) fn acl(rec: &[u8]) -> AclId {
    let start = meta_start(rec);
    let flags = rec[start];
    if flags & F_ACL == 0 {
        return AclId::OPEN_ACL_UNSAFE;
    }
    let mut at = start + 1;
    AclId(get_signed(rec, &mut at).wrapping_sub(1))
}

/// The data of the record whose data section starts at `start`.
pub(crate) fn data_at(rec: &[u8], start: usize) -> Option<&[u8]> {
    let mut at = start;
    let tagged = get_varint(rec, &mut at) as usize;
    (tagged > 0).then(|| &rec[at..at + tagged - 1])
}

/// The data section: its start and, for non-null data, the data's byte range.
fn data_section(rec: &[u8]) -> (usize, Option<std::ops::Range<usize>>) {
    let start = meta_end(rec, meta_start(rec));
    let mut at = start;
    let tagged = get_varint(rec, &mut at) as usize;
    let range = (tagged > 0).then(|| at..at + tagged - 1);
    (start, range)
}

/// The data (`None` for null data).
pub(crate) fn data(rec: &[u8]) -> Option<&[u8]> {
    data_section(rec).1.map(|r| &rec[r])
}

/// The data section's bytes (length and data), to copy into a rewritten record.
pub(crate) fn data_bytes(rec: &[u8]) -> &[u8] {
    let (start, _) = data_section(rec);
    &rec[start..len(rec)]
}

/// The record's total length.
pub(crate) fn len(rec: &[u8]) -> usize {
    let (start, range) = data_section(rec);
    match range {
        Some(r) => r.end,
        None => start + 1,
    }
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;

    use super::*;

    fn stat_of(v: [i64; 9]) -> StatPersisted {
        StatPersisted {
            czxid: Zxid(v[0]),
            mzxid: Zxid(v[1]),
            ctime: v[2],
            mtime: v[3],
            version: v[4] as i32,
            cversion: v[5] as i32,
            aversion: v[6] as i32,
            ephemeral_owner: v[7],
            pzxid: Zxid(v[8]),
        }
    }

    quickcheck! {
        fn every_field_round_trips(
            z: (i64, i64, i64, i64, i64),
            versions: (i32, i32, i32),
            acl: i64,
            name: String,
            data: Option<Vec<u8>>,
            owner: u32
        ) -> bool {
            let (v, w) = (z, versions);
            let stat = stat_of([v.0, v.1, v.2, v.3, w.0.into(), w.1.into(), w.2.into(), v.4, acl ^ v.0]);
            let meta = Meta { stat, acl: AclId(acl) };
            let mut buf = Vec::new();
            encode(&mut buf, owner, &name, &meta, data.as_deref());
            let end = buf.len();
            // At a page's end (no bytes after the record) and inside a page.
            let exact = record_ok(&buf, end, owner, &name, &meta, data.as_deref());
            buf.extend_from_slice(b"\xff\xfftrailing");
            exact && record_ok(&buf, end, owner, &name, &meta, data.as_deref())
        }
    }

    fn record_ok(
        buf: &[u8],
        end: usize,
        owner_slot: u32,
        name_: &str,
        meta_: &Meta,
        data_: Option<&[u8]>,
    ) -> bool {
        len(buf) == end
            && owner(buf) == owner_slot
            && name(buf) == name_.as_bytes()
            && meta(buf) == *meta_
            && acl(buf) == meta_.acl
            && data(buf) == data_
            && meta_range(buf).end + data_bytes(buf).len() == end
            && meta_start_and_len(buf) == (meta_range(buf).start, end)
    }

    #[test]
    fn varints_of_every_length_round_trip_inside_and_at_the_end_of_a_page() {
        for shift in 0..64 {
            for v in [
                1i64 << shift,
                (1i64 << shift).wrapping_sub(1),
                (1i64 << shift).wrapping_neg(),
                !(1i64 << shift),
            ] {
                let stat = stat_of([
                    v,
                    v ^ 5,
                    v,
                    !v,
                    i64::from(v as i32),
                    1,
                    -1,
                    v,
                    v.wrapping_mul(3),
                ]);
                let meta = Meta {
                    stat,
                    acl: AclId(v),
                };
                let mut buf = Vec::new();
                encode(&mut buf, v as u32, "x", &meta, None);
                let end = buf.len();
                assert!(record_ok(&buf, end, v as u32, "x", &meta, None), "{v}");
                buf.extend_from_slice(&[0x80; 9]);
                assert!(record_ok(&buf, end, v as u32, "x", &meta, None), "{v}");
            }
        }
    }

    #[test]
    fn fresh_persistent_node_is_small_and_null_differs_from_empty() {
        let stat = StatPersisted {
            czxid: Zxid(0x1_0000_0001),
            mzxid: Zxid(0x1_0000_0001),
            pzxid: Zxid(0x1_0000_0001),
            ctime: 1_764_000_000_000,
            mtime: 1_764_000_000_000,
            ..Default::default()
        };
        let meta = Meta {
            stat,
            acl: AclId::OPEN_ACL_UNSAFE,
        };
        let mut buf = Vec::new();
        encode(&mut buf, 1, "n1", &meta, Some(b""));
        // owner 4, name 1 + 2, flags 1, czxid 5, ctime 6, data 1.
        assert_eq!(buf.len(), 20);
        assert_eq!(meta_range(&buf).len(), 12);
        assert_eq!(data(&buf), Some(&b""[..]));
        let mut null = Vec::new();
        encode(&mut null, 1, "n1", &meta, None);
        assert_eq!((data(&null), len(&null)), (None, 20));
    }
}
