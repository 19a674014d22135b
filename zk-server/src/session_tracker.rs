//! [`SessionTracker`]: session ids, passwords and tick-bucketed expiry, as ZooKeeper's
//! `SessionTrackerImpl` and `ExpiryQueue` do it — with time passed in, so it is deterministic.
//!
//! # Expiry
//!
//! Sessions sit in buckets one `tickTime` wide. A session touched at `now` is due at
//! `round_up(now + timeout)`, where `round_up(t) = (t / tick + 1) * tick`; any packet from the
//! client (pings included) touches it. [`SessionTracker::take_expired`] drains every bucket
//! that is due and marks those sessions as closing: the caller then proposes a `closeSession`
//! transaction for each, which deletes its ephemerals once committed. Rounding up gives a grace
//! period of up to one tick and lets the tracker expire sessions in batches.
//!
//! # Ids and passwords
//!
//! A server's first session id is `(server_id << 56) | ((now_ms << 24) >>> 8)` and each new
//! session takes the next integer, skipping `i64::MIN`, the container marker in
//! `ephemeralOwner`. The 16-byte password is `java.util.Random(session_id ^ 0xB3415C00)`'s
//! first 16 bytes, exactly as Apache generates it, so that clients of an Apache server whose
//! data directory we take over can resume their sessions.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt, HashSet};

use zk_proto::SessionId;

/// The secret Apache ZooKeeper mixes into session passwords (`ZooKeeperServer.superSecret`).
const SUPER_SECRET: i64 = 0xB341_5C00;

/// One tracked session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session id.
    pub id: SessionId,
    /// The negotiated timeout.
    pub timeout_ms: i32,
    /// The bucket the session is due in (ms); it expires once the clock reaches this.
    pub expires_at_ms: i64,
    /// True once the session is being closed (expired or closeSession requested): further
    /// touches fail and the session can no longer be revalidated.
    pub closing: bool,
}

/// Tracks live sessions and hands out those whose timeout has passed.
#[derive(Debug, Clone)]
pub struct SessionTracker {
    tick_ms: i64,
    next_session_id: i64,
    sessions: HashMap<SessionId, Session>,
    /// Expiry buckets: due time → sessions due then.
    buckets: BTreeMap<i64, HashSet<SessionId>>,
}

impl SessionTracker {
    /// A tracker for server `server_id` (1 on a standalone server, as Apache uses) whose clock
    /// reads `now_ms`, with buckets `tick_ms` wide.
    pub fn new(server_id: u8, tick_ms: i64, now_ms: i64) -> Self {
        assert!(tick_ms > 0, "tickTime must be positive");
        SessionTracker {
            tick_ms,
            next_session_id: initial_session_id(server_id, now_ms),
            sessions: HashMap::new(),
            buckets: BTreeMap::new(),
        }
    }

    /// Allocates a fresh session id. The session is tracked only once the createSession
    /// transaction is applied ([`SessionTracker::add_session`]).
    pub fn next_session_id(&mut self) -> SessionId {
        let mut id = self.next_session_id;
        if id == i64::MIN {
            id += 1;
        }
        self.next_session_id = id.wrapping_add(1);
        SessionId(id)
    }

    /// Starts tracking `id` (a new session, or one restored from a snapshot or the log), due
    /// `timeout_ms` after `now_ms`. Re-adding a live session just touches it.
    pub fn add_session(&mut self, id: SessionId, timeout_ms: i32, now_ms: i64) {
        if let Some(session) = self.sessions.get_mut(&id) {
            session.timeout_ms = timeout_ms;
        } else {
            self.sessions.insert(
                id,
                Session {
                    id,
                    timeout_ms,
                    expires_at_ms: 0,
                    closing: false,
                },
            );
        }
        self.touch(id, now_ms);
    }

    /// Records activity on `id` at `now_ms`, pushing its expiry back. False if the session is
    /// unknown or closing — the caller must then treat it as expired.
    pub fn touch(&mut self, id: SessionId, now_ms: i64) -> bool {
        let tick = self.tick_ms;
        let Some(session) = self.sessions.get_mut(&id) else {
            return false;
        };
        if session.closing {
            return false;
        }
        let due = round_up_to_tick(now_ms + i64::from(session.timeout_ms), tick);
        if due > session.expires_at_ms {
            let old = std::mem::replace(&mut session.expires_at_ms, due);
            remove_from_bucket(&mut self.buckets, old, id);
            self.buckets.entry(due).or_default().insert(id);
        }
        true
    }

    /// Marks `id` closing (a closeSession was requested). False if unknown.
    pub fn set_closing(&mut self, id: SessionId) -> bool {
        match self.sessions.get_mut(&id) {
            Some(session) => {
                session.closing = true;
                true
            }
            None => false,
        }
    }

    /// Forgets `id` (its closeSession transaction was applied).
    pub fn remove_session(&mut self, id: SessionId) -> Option<Session> {
        let session = self.sessions.remove(&id)?;
        remove_from_bucket(&mut self.buckets, session.expires_at_ms, id);
        Some(session)
    }

    /// Removes every session due at or before `now_ms` from the buckets, marks it closing and
    /// returns it, oldest bucket first. Each needs a closeSession transaction.
    pub fn take_expired(&mut self, now_ms: i64) -> Vec<SessionId> {
        let mut expired = Vec::new();
        while let Some(entry) = self.buckets.first_entry() {
            if *entry.key() > now_ms {
                break;
            }
            let mut ids: Vec<SessionId> = entry.remove().into_iter().collect();
            ids.sort();
            for id in ids {
                if let Some(session) = self.sessions.get_mut(&id) {
                    if !session.closing {
                        session.closing = true;
                        expired.push(id);
                    }
                }
            }
        }
        expired
    }

    /// Gives every session a fresh timeout from `now_ms` and clears every closing mark: what a
    /// new leader does, since it cannot know when its predecessor last heard from a session,
    /// and a close that never committed did not happen.
    pub fn reset_timeouts(&mut self, now_ms: i64) {
        self.buckets.clear();
        let tick = self.tick_ms;
        for session in self.sessions.values_mut() {
            session.closing = false;
            session.expires_at_ms = round_up_to_tick(now_ms + i64::from(session.timeout_ms), tick);
            self.buckets
                .entry(session.expires_at_ms)
                .or_default()
                .insert(session.id);
        }
    }

    /// The session `id`, if tracked.
    pub fn session(&self, id: SessionId) -> Option<&Session> {
        self.sessions.get(&id)
    }

    /// True if `id` is tracked and not closing.
    pub fn is_live(&self, id: SessionId) -> bool {
        self.sessions.get(&id).is_some_and(|s| !s.closing)
    }

    /// Every tracked session with its timeout (what snapshots store), in id order.
    pub fn sessions_with_timeouts(&self) -> Vec<(SessionId, i32)> {
        let mut all: Vec<_> = self
            .sessions
            .values()
            .map(|s| (s.id, s.timeout_ms))
            .collect();
        all.sort();
        all
    }

    /// Number of tracked sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// True when no session is tracked.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Expiry buckets (due time → sessions), for the `dump` four-letter word.
    pub fn buckets(&self) -> impl Iterator<Item = (i64, &HashSet<SessionId>)> {
        self.buckets.iter().map(|(due, ids)| (*due, ids))
    }
}

/// The session password Apache ZooKeeper gives session `id`.
pub fn session_password(id: SessionId) -> [u8; 16] {
    let mut random = JavaRandom::new(id.0 ^ SUPER_SECRET);
    let mut out = [0u8; 16];
    for chunk in out.chunks_mut(4) {
        let word = random.next_int();
        for (i, byte) in chunk.iter_mut().enumerate() {
            *byte = (word >> (8 * i)) as u8;
        }
    }
    out
}

fn initial_session_id(server_id: u8, now_ms: i64) -> i64 {
    let time_bits = ((now_ms << 24) as u64 >> 8) as i64;
    (i64::from(server_id) << 56) | time_bits
}

fn round_up_to_tick(t: i64, tick: i64) -> i64 {
    (t / tick + 1) * tick
}

fn remove_from_bucket(buckets: &mut BTreeMap<i64, HashSet<SessionId>>, due: i64, id: SessionId) {
    if let Some(ids) = buckets.get_mut(&due) {
        ids.remove(&id);
        if ids.is_empty() {
            buckets.remove(&due);
        }
    }
}

/// `java.util.Random`'s 48-bit linear congruential generator, for [`session_password`].
struct JavaRandom {
    seed: i64,
}

impl JavaRandom {
    const MULTIPLIER: i64 = 0x5_DEEC_E66D;
    const MASK: i64 = (1 << 48) - 1;

    fn new(seed: i64) -> Self {
        JavaRandom {
            seed: (seed ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next_int(&mut self) -> i32 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        (self.seed >> 16) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_matches_apache_for_a_captured_session() {
        // From zk-proto/tests/golden/01-s2c-connect-response.bin (Apache ZooKeeper 3.8.0).
        let id = SessionId(0x0100_0008_ec08_0000);
        let expected = [
            0x8a, 0x7b, 0xce, 0x08, 0x4f, 0xc7, 0xb5, 0x9e, 0x78, 0xa2, 0x4b, 0xcb, 0xb0, 0x45,
            0x6e, 0xef,
        ];
        assert_eq!(session_password(id), expected);
    }

    #[test]
    fn first_session_id_carries_server_id_and_clock() {
        let mut t = SessionTracker::new(1, 2000, 0x0008_ec08);
        assert_eq!(t.next_session_id(), SessionId(0x0100_0008_ec08_0000));
        assert_eq!(t.next_session_id(), SessionId(0x0100_0008_ec08_0001));
    }

    #[test]
    fn session_expires_at_the_tick_after_its_timeout() {
        let mut t = SessionTracker::new(1, 2000, 0);
        let id = t.next_session_id();
        t.add_session(id, 4000, 1000); // due round_up(5000) = 6000
        assert_eq!(t.session(id).unwrap().expires_at_ms, 6000);
        assert!(t.take_expired(5999).is_empty());
        assert_eq!(t.take_expired(6000), vec![id]);
        assert!(!t.is_live(id));
        assert!(!t.touch(id, 6001), "a closing session cannot be revived");
    }

    #[test]
    fn touching_pushes_expiry_back() {
        let mut t = SessionTracker::new(1, 2000, 0);
        let id = t.next_session_id();
        t.add_session(id, 4000, 0); // due 6000
        assert!(t.touch(id, 3000)); // due 8000
        assert!(t.take_expired(7999).is_empty());
        assert_eq!(t.take_expired(8000), vec![id]);
    }

    #[test]
    fn removed_sessions_never_expire() {
        let mut t = SessionTracker::new(1, 2000, 0);
        let id = t.next_session_id();
        t.add_session(id, 4000, 0);
        t.remove_session(id);
        assert!(t.take_expired(i64::MAX / 2).is_empty());
        assert!(t.is_empty());
    }

    #[test]
    fn session_ids_skip_the_container_marker() {
        let mut t = SessionTracker::new(0, 2000, 0);
        t.next_session_id = i64::MIN;
        assert_eq!(t.next_session_id(), SessionId(i64::MIN + 1));
    }
}
