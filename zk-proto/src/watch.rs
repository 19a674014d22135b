//! Watches on the wire: the [`WatcherEvent`] notification, its [`EventType`] and
//! [`KeeperState`], and the [`AddWatchMode`] / [`WatcherType`] codes of addWatch, checkWatches
//! and removeWatches.
//!
//! A notification is a reply frame with xid -1 and a WatcherEvent body:
//!
//! ```text
//! [len] ReplyHeader{xid = -1, zxid, err = 0} WatcherEvent{int type; int state; ustring path}
//! ```
//!
//! ZooKeeper 3.8 sends `zxid = -1`; 3.9 sends the zxid of the transaction that fired the watch
//! (still -1 for events fired by setWatches). The state is always SyncConnected on the wire; the
//! other [`KeeperState`]s and the `None`/`*WatchRemoved` event types are synthesized by clients.
//!
//! ```
//! use bytes::BytesMut;
//! use zk_proto::{EventType, KeeperState, WatcherEvent, Zxid};
//! let event = WatcherEvent {
//!     event_type: EventType::NodeDataChanged,
//!     state: KeeperState::SyncConnected,
//!     path: "/app".into(),
//! };
//! let mut out = BytesMut::new();
//! event.write_frame(Zxid::NONE, &mut out);
//! let (header, decoded) = WatcherEvent::decode_frame(out.split_off(4).freeze()).unwrap();
//! assert_eq!((header.xid.0, decoded), (-1, event));
//! ```

use bytes::{Bytes, BytesMut};

use crate::error::{Error, Result};
use crate::frame::write_frame;
use crate::id::{Xid, Zxid};
use crate::jute::{Jute, Reader};
use crate::{ErrorCode, ReplyHeader};

jute_enum! {
    /// What happened to a watched node (`Watcher.Event.EventType`).
    pub enum EventType {
        /// A session state change, not a node event (client-local).
        None = -1,
        /// The node was created (data watch, exists watch, persistent watches).
        NodeCreated = 1,
        /// The node was deleted.
        NodeDeleted = 2,
        /// The node's data changed.
        NodeDataChanged = 3,
        /// A child was created or deleted (child watches, persistent non-recursive watches).
        NodeChildrenChanged = 4,
        /// A data watch was removed (client-local).
        DataWatchRemoved = 5,
        /// A child watch was removed (client-local).
        ChildWatchRemoved = 6,
        /// A persistent watch was removed (client-local).
        PersistentWatchRemoved = 7,
    }
}

jute_enum! {
    /// The session state a notification reports (`Watcher.Event.KeeperState`). There is no
    /// state 2. Servers only ever send `SyncConnected`.
    pub enum KeeperState {
        /// Deprecated; unused.
        Unknown = -1,
        /// Disconnected from the ensemble.
        Disconnected = 0,
        /// Deprecated; unused.
        NoSyncConnected = 1,
        /// Connected to a server that serves writes.
        SyncConnected = 3,
        /// Authentication failed.
        AuthFailed = 4,
        /// Connected to a read-only server.
        ConnectedReadOnly = 5,
        /// SASL authentication succeeded.
        SaslAuthenticated = 6,
        /// The client closed the session.
        Closed = 7,
        /// The session expired.
        Expired = -112,
    }
}

jute_enum! {
    /// The `mode` of an addWatch request (`AddWatchMode`).
    pub enum AddWatchMode {
        /// Like a data and a child watch on the path that are not removed when they fire.
        Persistent = 0,
        /// Data events for the path and every descendant; never NodeChildrenChanged.
        PersistentRecursive = 1,
    }
}

jute_enum! {
    /// The `type` of a checkWatches or removeWatches request (`Watcher.WatcherType`).
    ///
    /// `Persistent` and `PersistentRecursive` exist only in ZooKeeper 3.9; a 3.8 server
    /// answers them with MARSHALLINGERROR, so clients talking to 3.8 must use `Any`.
    pub enum WatcherType {
        /// One-shot child watches.
        Children = 1,
        /// One-shot data watches (getData and exists watches).
        Data = 2,
        /// Every watch on the path, of any mode.
        Any = 3,
        /// Persistent watches (3.9+).
        Persistent = 4,
        /// Persistent recursive watches (3.9+).
        PersistentRecursive = 5,
    }
}

impl WatcherType {
    /// True for the types a ZooKeeper 3.8 server does not know.
    pub fn requires_3_9(self) -> bool {
        matches!(
            self,
            WatcherType::Persistent | WatcherType::PersistentRecursive
        )
    }
}

record! {
    /// A watch notification's body (`WatcherEvent`).
    ///
    /// ```text
    /// int type     // EventType
    /// int state    // KeeperState, SyncConnected on the wire
    /// ustring path // the full server path; clients strip their chroot
    /// ```
    pub struct WatcherEvent {
        /// What happened.
        pub event_type: EventType,
        /// The session state (SyncConnected for server-sent events).
        pub state: KeeperState,
        /// The node's full path.
        pub path: String,
    }
}

impl WatcherEvent {
    /// Appends a whole notification frame: `[len][ReplyHeader{-1, zxid, 0}][WatcherEvent]`.
    /// `zxid` is [`Zxid::NONE`] for a 3.8-compatible server, or the triggering zxid (3.9).
    pub fn write_frame(&self, zxid: Zxid, out: &mut BytesMut) {
        let header = ReplyHeader {
            xid: Xid::NOTIFICATION,
            zxid,
            err: ErrorCode::Ok,
        };
        write_frame(out, |b| {
            header.write(b);
            self.write(b);
        });
    }

    /// Decodes a notification frame's payload (after the length prefix). A frame whose xid is
    /// not -1 is [`Error::Malformed`]: it is a reply, not a notification.
    pub fn decode_frame(frame: Bytes) -> Result<(ReplyHeader, WatcherEvent)> {
        let mut r = Reader::new(frame);
        let header = ReplyHeader::read(&mut r, "ReplyHeader")?;
        if header.xid != Xid::NOTIFICATION {
            return Err(Error::Malformed {
                record: "WatcherEvent",
                reason: "notification frame without xid -1",
            });
        }
        let event = WatcherEvent::read(&mut r, "WatcherEvent")?;
        Ok((header, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    quickcheck::quickcheck! {
        fn watcher_event_round_trips(event: WatcherEvent) -> bool {
            WatcherEvent::from_bytes(event.to_vec()) == Ok(event)
        }
    }

    #[test]
    fn codes_match_zookeeper() {
        assert_eq!(EventType::NodeChildrenChanged.code(), 4);
        assert_eq!(KeeperState::Expired.code(), -112);
        assert_eq!(KeeperState::from_code(2), None);
        assert_eq!(AddWatchMode::PersistentRecursive.code(), 1);
        assert_eq!(WatcherType::from_code(0), None);
        assert!(WatcherType::Persistent.requires_3_9());
        assert!(!WatcherType::Any.requires_3_9());
    }

    #[test]
    fn unknown_event_type_is_invalid_value() {
        let bytes = [0, 0, 0, 9, 0, 0, 0, 3, 0, 0, 0, 0];
        assert_eq!(
            WatcherEvent::from_bytes(bytes.to_vec()),
            Err(Error::InvalidValue {
                field: "WatcherEvent.event_type",
                offset: 0,
                value: 9
            })
        );
    }

    #[test]
    fn reply_frame_is_not_a_notification() {
        let mut out = BytesMut::new();
        ReplyHeader {
            xid: Xid(3),
            zxid: Zxid(1),
            err: ErrorCode::Ok,
        }
        .write(&mut out);
        assert!(matches!(
            WatcherEvent::decode_frame(out.freeze()),
            Err(Error::Malformed { .. })
        ));
    }
}
