//! Records that manage watches: addWatch, checkWatches, removeWatches, setWatches,
//! setWatches2.

use crate::id::Zxid;
use crate::watch::{AddWatchMode, WatcherType};

record! {
    /// `addWatch` (op 106): a persistent (optionally recursive) watch. The reply body is an
    /// [`ErrorResponse`](super::ErrorResponse) with `err` = 0.
    #[derive(Hash)]
    pub struct AddWatchRequest {
        /// The node (need not exist).
        pub path: String,
        /// The raw [`AddWatchMode`]: 0 persistent, 1 persistent recursive.
        pub mode: i32,
    }
}

impl AddWatchRequest {
    /// The watch mode, `None` for an unknown value.
    pub fn watch_mode(&self) -> Option<AddWatchMode> {
        AddWatchMode::from_code(self.mode)
    }
}

record! {
    /// `checkWatches` (op 17): does this connection hold such a watch? NOWATCHER if not.
    /// The Java client sends it for `removeWatches(path, watcher, type, local)`.
    #[derive(Hash)]
    pub struct CheckWatchesRequest {
        /// The node.
        pub path: String,
        /// The raw [`WatcherType`] (`type` on the wire).
        pub type_code: i32,
    }
}

impl CheckWatchesRequest {
    /// The watcher type, `None` for an unknown value.
    pub fn watcher_type(&self) -> Option<WatcherType> {
        WatcherType::from_code(self.type_code)
    }
}

record! {
    /// `removeWatches` (op 18): remove this connection's watches of a type; NOWATCHER if none.
    #[derive(Hash)]
    pub struct RemoveWatchesRequest {
        /// The node.
        pub path: String,
        /// The raw [`WatcherType`] (`type` on the wire).
        pub type_code: i32,
    }
}

impl RemoveWatchesRequest {
    /// The watcher type, `None` for an unknown value.
    pub fn watcher_type(&self) -> Option<WatcherType> {
        WatcherType::from_code(self.type_code)
    }
}

record! {
    /// `setWatches` (op 101, xid -8): re-register one-shot watches after a reconnect.
    /// The server fires at once the events missed since `relative_zxid`.
    #[derive(Hash)]
    pub struct SetWatches {
        /// The client's last seen zxid.
        pub relative_zxid: Zxid,
        /// Paths with a data watch (from getData, or exists on an existing node).
        pub data_watches: Vec<String>,
        /// Paths with an exists watch on a node that did not exist.
        pub exist_watches: Vec<String>,
        /// Paths with a child watch.
        pub child_watches: Vec<String>,
    }
}

record! {
    /// `setWatches2` (op 105, xid -8): setWatches plus persistent watches.
    #[derive(Hash)]
    pub struct SetWatches2 {
        /// The client's last seen zxid.
        pub relative_zxid: Zxid,
        /// Paths with a data watch.
        pub data_watches: Vec<String>,
        /// Paths with an exists watch on a missing node.
        pub exist_watches: Vec<String>,
        /// Paths with a child watch.
        pub child_watches: Vec<String>,
        /// Paths with a persistent watch.
        pub persistent_watches: Vec<String>,
        /// Paths with a persistent recursive watch.
        pub persistent_recursive_watches: Vec<String>,
    }
}
