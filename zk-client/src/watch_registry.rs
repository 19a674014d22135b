//! [`WatchRegistry`]: the session's local watchers, keyed by server path.
//!
//! It decides which watchers an incoming notification fires (ZooKeeper's
//! `ZKWatchManager.materialize` rules), builds the setWatches/setWatches2 requests that
//! re-register everything after a reconnection, and works out which removeWatches request,
//! if any, a dropped watcher calls for.
//!
//! Firing rules for a server event on path P:
//!
//! ```text
//! NodeCreated, NodeDataChanged  one-shot data + exist watches on P; persistent on P;
//!                               recursive on P and every ancestor
//! NodeChildrenChanged           one-shot child watches on P; persistent on P
//! NodeDeleted                   one-shot data + exist + child watches on P; persistent on P;
//!                               recursive on P and every ancestor
//! ```

use std::collections::{HashMap, HashSet};

use zk_proto::path::parent;
use zk_proto::{
    EventType, KeeperState, Request, SetWatches, SetWatches2, WatcherEvent, WatcherType, Zxid,
};

use crate::chroot::Chroot;
use crate::command::{WatchKind, WatchSink, WatchSpec, WatcherId};
use crate::watcher::WatchedEvent;

/// Java's limit on the path characters of one setWatches request (`SET_WATCHES_MAX_LENGTH`),
/// so that re-registering many watches never exceeds `jute.maxbuffer`.
const SET_WATCHES_MAX_BYTES: usize = 128 * 1024;

/// A registered watcher.
#[derive(Debug)]
struct Entry {
    id: WatcherId,
    chroot: Chroot,
    sink: WatchSink,
}

/// The watchers on one path, by kind.
#[derive(Debug, Default)]
struct PathWatches {
    data: Vec<Entry>,
    exist: Vec<Entry>,
    child: Vec<Entry>,
    persistent: Vec<Entry>,
    recursive: Vec<Entry>,
}

impl PathWatches {
    fn list(&mut self, kind: WatchKind) -> &mut Vec<Entry> {
        match kind {
            WatchKind::Data => &mut self.data,
            WatchKind::Exist => &mut self.exist,
            WatchKind::Child => &mut self.child,
            WatchKind::Persistent => &mut self.persistent,
            WatchKind::PersistentRecursive => &mut self.recursive,
        }
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
            && self.exist.is_empty()
            && self.child.is_empty()
            && self.persistent.is_empty()
            && self.recursive.is_empty()
    }
}

/// The session's local watchers.
#[derive(Debug, Default)]
pub(crate) struct WatchRegistry {
    by_path: HashMap<String, PathWatches>,
    by_id: HashMap<WatcherId, (String, WatchKind)>,
    /// Paths whose persistent watchers were all dropped while one-shot watchers on the same
    /// path kept the server registration alive: removed from the server once the path has no
    /// local watcher left.
    lingering: HashSet<String>,
    recursive_count: usize,
}

impl WatchRegistry {
    /// Registers `spec` as `kind` (which may differ from `spec.kind` for exists).
    pub(crate) fn add(&mut self, spec: WatchSpec, kind: WatchKind) {
        let entry = Entry {
            id: spec.id,
            chroot: spec.chroot,
            sink: spec.sink,
        };
        if kind == WatchKind::PersistentRecursive {
            self.recursive_count += 1;
        }
        self.by_id.insert(entry.id, (spec.path.clone(), kind));
        self.by_path
            .entry(spec.path)
            .or_default()
            .list(kind)
            .push(entry);
    }

    /// True if no watcher is registered.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.by_id.is_empty() && self.by_path.is_empty()
    }

    /// Delivers a server notification to the watchers it fires, removing one-shot ones.
    /// Returns removeWatches requests made necessary by paths that emptied (see
    /// [`WatchRegistry::drop_watcher`]).
    pub(crate) fn dispatch(&mut self, event: &WatcherEvent, zxid: Zxid) -> Vec<Request> {
        let path = event.path.as_str();
        let deliver = |entry: &Entry| {
            let local = WatchedEvent {
                event_type: event.event_type,
                state: KeeperState::SyncConnected,
                path: entry.chroot.strip_or_keep(path),
                zxid,
            };
            send(&entry.sink, local)
        };
        let (one_shot, recursive): (&[WatchKind], bool) = match event.event_type {
            EventType::NodeCreated | EventType::NodeDataChanged => {
                (&[WatchKind::Data, WatchKind::Exist], true)
            }
            EventType::NodeDeleted => {
                (&[WatchKind::Data, WatchKind::Exist, WatchKind::Child], true)
            }
            EventType::NodeChildrenChanged => (&[WatchKind::Child], false),
            _ => return Vec::new(),
        };
        let mut fired: Vec<Entry> = Vec::new();
        let mut closed: Vec<WatcherId> = Vec::new();
        if let Some(watches) = self.by_path.get_mut(path) {
            for &kind in one_shot {
                fired.append(watches.list(kind));
            }
            for entry in &watches.persistent {
                if !deliver(entry) {
                    closed.push(entry.id);
                }
            }
        }
        if recursive && self.recursive_count > 0 {
            let mut at = Some(path);
            while let Some(p) = at {
                if let Some(watches) = self.by_path.get(p) {
                    for entry in &watches.recursive {
                        if !deliver(entry) {
                            closed.push(entry.id);
                        }
                    }
                }
                at = parent(p);
            }
        }
        for entry in fired {
            self.by_id.remove(&entry.id);
            let local = WatchedEvent {
                event_type: event.event_type,
                state: KeeperState::SyncConnected,
                path: entry.chroot.strip_or_keep(path),
                zxid,
            };
            fire(entry.sink, local);
        }
        let mut removals = Vec::new();
        removals.extend(self.cleanup(path));
        // Streams whose receiver is gone: their guard is dropping them too; do it now.
        for id in closed {
            removals.extend(self.drop_watcher(id));
        }
        removals
    }

    /// Forgets `path` if it has no watcher left; a lingering server-side persistent
    /// registration is then removed with removeWatches(Any).
    fn cleanup(&mut self, path: &str) -> Option<Request> {
        if self.by_path.get(path).is_some_and(PathWatches::is_empty) {
            self.by_path.remove(path);
            if self.lingering.remove(path) {
                return Some(remove_watches(path, WatcherType::Any));
            }
        }
        None
    }

    /// Removes a dropped watcher. Returns the removeWatches request that removes its server
    /// registration, when no other local watcher needs that registration:
    ///
    /// - the path has no watcher left: `Any`;
    /// - the last one-shot data/exist watcher went and no persistent watch shares the
    ///   server's data table: `Data`;
    /// - the last one-shot child watcher went and no persistent watch shares the child
    ///   table: `Children`;
    /// - otherwise nothing: the server keeps sending events, which find no local watcher.
    ///
    /// Typed removal of persistent watches (types 4 and 5) is never sent: ZooKeeper 3.8 does
    /// not know those types.
    pub(crate) fn drop_watcher(&mut self, id: WatcherId) -> Option<Request> {
        let (path, kind) = self.by_id.remove(&id)?;
        let watches = self.by_path.get_mut(&path)?;
        watches.list(kind).retain(|e| e.id != id);
        if kind == WatchKind::PersistentRecursive {
            self.recursive_count -= 1;
        }
        if watches.is_empty() {
            self.by_path.remove(&path);
            self.lingering.remove(&path);
            return Some(remove_watches(&path, WatcherType::Any));
        }
        let no_persistent = watches.persistent.is_empty() && watches.recursive.is_empty();
        match kind {
            WatchKind::Data | WatchKind::Exist
                if watches.data.is_empty() && watches.exist.is_empty() && no_persistent =>
            {
                Some(remove_watches(&path, WatcherType::Data))
            }
            WatchKind::Child if watches.child.is_empty() && watches.persistent.is_empty() => {
                Some(remove_watches(&path, WatcherType::Children))
            }
            WatchKind::Persistent | WatchKind::PersistentRecursive if no_persistent => {
                self.lingering.insert(path);
                None
            }
            _ => None,
        }
    }

    /// Removes the local watchers that a removeWatches/`type` on `path` removed on the
    /// server, telling each with a `*WatchRemoved` event (as Java does). Persistent streams end.
    pub(crate) fn remove_local(&mut self, path: &str, watcher_type: WatcherType) {
        let Some(watches) = self.by_path.get_mut(path) else {
            return;
        };
        let kinds: &[WatchKind] = match watcher_type {
            WatcherType::Data => &[WatchKind::Data, WatchKind::Exist],
            WatcherType::Children => &[WatchKind::Child],
            WatcherType::Persistent => &[WatchKind::Persistent],
            WatcherType::PersistentRecursive => &[WatchKind::PersistentRecursive],
            WatcherType::Any => &[
                WatchKind::Data,
                WatchKind::Exist,
                WatchKind::Child,
                WatchKind::Persistent,
                WatchKind::PersistentRecursive,
            ],
        };
        let mut removed = Vec::new();
        for &kind in kinds {
            for entry in watches.list(kind).drain(..) {
                removed.push((kind, entry));
            }
        }
        for (kind, entry) in removed {
            self.by_id.remove(&entry.id);
            if kind == WatchKind::PersistentRecursive {
                self.recursive_count -= 1;
            }
            let event_type = match kind {
                WatchKind::Data | WatchKind::Exist => EventType::DataWatchRemoved,
                WatchKind::Child => EventType::ChildWatchRemoved,
                WatchKind::Persistent | WatchKind::PersistentRecursive => {
                    EventType::PersistentWatchRemoved
                }
            };
            fire(
                entry.sink,
                WatchedEvent {
                    event_type,
                    state: KeeperState::SyncConnected,
                    path: entry.chroot.strip_or_keep(path),
                    zxid: Zxid::NONE,
                },
            );
            // Dropping the entry's sender ends a persistent stream.
        }
        self.cleanup(path);
    }

    /// Tells persistent watchers about a connection change (`Disconnected` or
    /// `SyncConnected`): they get no catch-up from the server and may have missed events.
    pub(crate) fn connection_event(&mut self, state: KeeperState) {
        let mut closed = Vec::new();
        for watches in self.by_path.values() {
            for entry in watches.persistent.iter().chain(&watches.recursive) {
                if !send(&entry.sink, WatchedEvent::session(state)) {
                    closed.push(entry.id);
                }
            }
        }
        for id in closed {
            // The server registration goes with the connection's next setWatches anyway.
            self.drop_watcher(id);
        }
        self.lingering.clear();
    }

    /// Ends every watcher with a terminal session event (`Expired`, `Closed`, `AuthFailed`).
    pub(crate) fn end_session(&mut self, state: KeeperState) {
        for (_, watches) in self.by_path.drain() {
            let PathWatches {
                data,
                exist,
                child,
                persistent,
                recursive,
            } = watches;
            for entry in data
                .into_iter()
                .chain(exist)
                .chain(child)
                .chain(persistent)
                .chain(recursive)
            {
                fire(entry.sink, WatchedEvent::session(state));
            }
        }
        self.by_id.clear();
        self.lingering.clear();
        self.recursive_count = 0;
    }

    /// The requests that re-register every watch after a reconnection, relative to
    /// `last_zxid`: setWatches2 if any persistent watch exists (setWatches otherwise, for
    /// servers older than 3.6), split so that no request carries more than 128 KiB of paths.
    pub(crate) fn set_watches(&self, last_zxid: Zxid) -> Vec<Request> {
        let mut lists: [Vec<&str>; 5] = Default::default();
        for (path, w) in &self.by_path {
            let kinds = [&w.data, &w.exist, &w.child, &w.persistent, &w.recursive];
            for (list, entries) in lists.iter_mut().zip(kinds) {
                if !entries.is_empty() {
                    list.push(path);
                }
            }
        }
        let persistent = !lists[3].is_empty() || !lists[4].is_empty();
        let mut requests = Vec::new();
        let mut batch: [Vec<String>; 5] = Default::default();
        let mut bytes = 0;
        for (i, list) in lists.iter().enumerate() {
            for path in list {
                if bytes + path.len() > SET_WATCHES_MAX_BYTES && bytes > 0 {
                    requests.push(set_watches_request(
                        last_zxid,
                        std::mem::take(&mut batch),
                        persistent,
                    ));
                    bytes = 0;
                }
                bytes += path.len();
                batch[i].push((*path).to_owned());
            }
        }
        if bytes > 0 {
            requests.push(set_watches_request(last_zxid, batch, persistent));
        }
        requests
    }
}

/// Sends to a persistent watcher's stream; false if its receiver is gone. One-shot sinks
/// are consumed by [`fire`] instead (a oneshot sender can send only by value).
fn send(sink: &WatchSink, event: WatchedEvent) -> bool {
    match sink {
        WatchSink::Stream(tx) => tx.send(event).is_ok(),
        WatchSink::Oneshot(_) => true,
    }
}

/// Delivers `event` to a watcher being removed, whatever its kind.
fn fire(sink: WatchSink, event: WatchedEvent) {
    // A receiver that is gone has nobody to tell.
    let _ = match sink {
        WatchSink::Oneshot(tx) => tx.send(event).is_ok(),
        WatchSink::Stream(tx) => tx.send(event).is_ok(),
    };
}

fn remove_watches(path: &str, watcher_type: WatcherType) -> Request {
    Request::RemoveWatches(zk_proto::RemoveWatchesRequest {
        path: path.to_owned(),
        type_code: watcher_type.code(),
    })
}

fn set_watches_request(relative_zxid: Zxid, lists: [Vec<String>; 5], persistent: bool) -> Request {
    let [data_watches, exist_watches, child_watches, persistent_watches, persistent_recursive_watches] =
        lists;
    if persistent {
        Request::SetWatches2(SetWatches2 {
            relative_zxid,
            data_watches,
            exist_watches,
            child_watches,
            persistent_watches,
            persistent_recursive_watches,
        })
    } else {
        Request::SetWatches(SetWatches {
            relative_zxid,
            data_watches,
            exist_watches,
            child_watches,
        })
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::{mpsc, oneshot};

    use super::*;

    fn oneshot_spec(
        registry: &mut WatchRegistry,
        id: u64,
        path: &str,
        kind: WatchKind,
    ) -> oneshot::Receiver<WatchedEvent> {
        let (tx, rx) = oneshot::channel();
        let spec = WatchSpec {
            id: WatcherId(id),
            kind,
            path: path.into(),
            chroot: Chroot::default(),
            sink: WatchSink::Oneshot(tx),
        };
        registry.add(spec, kind);
        rx
    }

    fn stream_spec(
        registry: &mut WatchRegistry,
        id: u64,
        path: &str,
        kind: WatchKind,
        chroot: &str,
    ) -> mpsc::UnboundedReceiver<WatchedEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        let spec = WatchSpec {
            id: WatcherId(id),
            kind,
            path: path.into(),
            chroot: Chroot::new(chroot).unwrap(),
            sink: WatchSink::Stream(tx),
        };
        registry.add(spec, kind);
        rx
    }

    fn event(event_type: EventType, path: &str) -> WatcherEvent {
        WatcherEvent {
            event_type,
            state: KeeperState::SyncConnected,
            path: path.into(),
        }
    }

    fn removal(path: &str, watcher_type: WatcherType) -> Request {
        remove_watches(path, watcher_type)
    }

    #[test]
    fn data_change_fires_data_exist_and_recursive_ancestors_but_not_children() {
        let mut reg = WatchRegistry::default();
        let mut data = oneshot_spec(&mut reg, 1, "/a/b", WatchKind::Data);
        let mut exist = oneshot_spec(&mut reg, 2, "/a/b", WatchKind::Exist);
        let mut child = oneshot_spec(&mut reg, 3, "/a/b", WatchKind::Child);
        let mut tree = stream_spec(&mut reg, 4, "/a", WatchKind::PersistentRecursive, "/a");
        let mut exact = stream_spec(&mut reg, 5, "/a", WatchKind::Persistent, "");
        assert!(reg
            .dispatch(&event(EventType::NodeDataChanged, "/a/b"), Zxid(9))
            .is_empty());
        assert_eq!(
            data.try_recv().unwrap().event_type,
            EventType::NodeDataChanged
        );
        assert_eq!(exist.try_recv().unwrap().zxid, Zxid(9));
        assert!(
            child.try_recv().is_err(),
            "child watches ignore data changes"
        );
        // The recursive watcher's chroot is stripped from the path.
        assert_eq!(tree.try_recv().unwrap().path, "/b");
        assert!(
            exact.try_recv().is_err(),
            "a persistent watch sees only its own path"
        );

        // Children changes reach child and persistent watches, never recursive ones.
        reg.dispatch(&event(EventType::NodeChildrenChanged, "/a"), Zxid(10));
        assert_eq!(
            exact.try_recv().unwrap().event_type,
            EventType::NodeChildrenChanged
        );
        assert!(tree.try_recv().is_err());
        reg.dispatch(&event(EventType::NodeChildrenChanged, "/a/b"), Zxid(11));
        assert_eq!(
            child.try_recv().unwrap().event_type,
            EventType::NodeChildrenChanged
        );
    }

    #[test]
    fn deletion_fires_every_one_shot_kind_once() {
        let mut reg = WatchRegistry::default();
        let mut data = oneshot_spec(&mut reg, 1, "/x", WatchKind::Data);
        let mut child = oneshot_spec(&mut reg, 2, "/x", WatchKind::Child);
        reg.dispatch(&event(EventType::NodeDeleted, "/x"), Zxid::NONE);
        assert_eq!(data.try_recv().unwrap().event_type, EventType::NodeDeleted);
        assert_eq!(child.try_recv().unwrap().event_type, EventType::NodeDeleted);
        assert!(reg.is_empty());
    }

    #[test]
    fn dropping_watchers_removes_server_watches_only_when_unneeded() {
        let mut reg = WatchRegistry::default();
        let _data = oneshot_spec(&mut reg, 1, "/p", WatchKind::Data);
        let _child = oneshot_spec(&mut reg, 2, "/p", WatchKind::Child);
        assert_eq!(
            reg.drop_watcher(WatcherId(1)),
            Some(removal("/p", WatcherType::Data))
        );
        assert_eq!(
            reg.drop_watcher(WatcherId(2)),
            Some(removal("/p", WatcherType::Any))
        );
        assert_eq!(
            reg.drop_watcher(WatcherId(2)),
            None,
            "unknown ids are ignored"
        );
        assert!(reg.is_empty());

        // A persistent watch shares the server's data table: dropping the one-shot must not
        // remove it, and dropping the persistent one while a one-shot remains lingers until
        // the path empties.
        let _stream = stream_spec(&mut reg, 3, "/q", WatchKind::Persistent, "");
        let mut data = oneshot_spec(&mut reg, 4, "/q", WatchKind::Data);
        assert_eq!(reg.drop_watcher(WatcherId(3)), None);
        let removals = reg.dispatch(&event(EventType::NodeDataChanged, "/q"), Zxid(1));
        assert!(data.try_recv().is_ok());
        assert_eq!(removals, [removal("/q", WatcherType::Any)]);
        assert!(reg.is_empty());
    }

    #[test]
    fn remove_local_tells_watchers_and_ends_streams() {
        let mut reg = WatchRegistry::default();
        let mut data = oneshot_spec(&mut reg, 1, "/r", WatchKind::Data);
        let mut stream = stream_spec(&mut reg, 2, "/r", WatchKind::Persistent, "");
        reg.remove_local("/r", WatcherType::Any);
        assert_eq!(
            data.try_recv().unwrap().event_type,
            EventType::DataWatchRemoved
        );
        assert_eq!(
            stream.try_recv().unwrap().event_type,
            EventType::PersistentWatchRemoved
        );
        assert!(matches!(
            stream.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        assert!(reg.is_empty());
    }

    #[test]
    fn set_watches_lists_every_kind_and_splits_large_sets() {
        let mut reg = WatchRegistry::default();
        let _a = oneshot_spec(&mut reg, 1, "/a", WatchKind::Data);
        let _b = oneshot_spec(&mut reg, 2, "/b", WatchKind::Exist);
        let _c = oneshot_spec(&mut reg, 3, "/c", WatchKind::Child);
        let requests = reg.set_watches(Zxid(42));
        assert_eq!(
            requests,
            [Request::SetWatches(SetWatches {
                relative_zxid: Zxid(42),
                data_watches: vec!["/a".into()],
                exist_watches: vec!["/b".into()],
                child_watches: vec!["/c".into()],
            })]
        );
        let _p = stream_spec(&mut reg, 4, "/p", WatchKind::PersistentRecursive, "");
        assert!(matches!(
            &reg.set_watches(Zxid(42))[..],
            [Request::SetWatches2(w)] if w.persistent_recursive_watches == ["/p"]
        ));

        let mut big = WatchRegistry::default();
        let long = "x".repeat(1000);
        let mut keep = Vec::new();
        for i in 0..300 {
            keep.push(oneshot_spec(
                &mut big,
                i,
                &format!("/{long}{i}"),
                WatchKind::Data,
            ));
        }
        let requests = big.set_watches(Zxid(1));
        assert_eq!(requests.len(), 3, "300 KB of paths in 128 KiB batches");
        let total: usize = requests
            .iter()
            .map(|r| match r {
                Request::SetWatches(w) => w.data_watches.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(total, 300);
    }

    #[test]
    fn session_end_resolves_every_watcher() {
        let mut reg = WatchRegistry::default();
        let mut data = oneshot_spec(&mut reg, 1, "/a", WatchKind::Data);
        let mut stream = stream_spec(&mut reg, 2, "/a", WatchKind::Persistent, "");
        reg.connection_event(KeeperState::Disconnected);
        assert_eq!(stream.try_recv().unwrap().state, KeeperState::Disconnected);
        assert!(
            data.try_recv().is_err(),
            "one-shot watches survive a disconnection"
        );
        reg.end_session(KeeperState::Expired);
        assert!(data.try_recv().unwrap().is_session_end());
        assert_eq!(stream.try_recv().unwrap().state, KeeperState::Expired);
        assert!(stream.try_recv().is_err());
        assert!(reg.is_empty());
    }
}
