//! [`WatchManager`]: who watches which path, and which watchers a change fires.
//!
//! ZooKeeper keeps two tables (`DataTree.dataWatches` and `childWatches`), each mapping a path
//! to the watchers registered on it and, per watcher and path, the set of [`WatcherMode`]s held.
//! A watcher is one client connection ([`WatcherId`], chosen by the server).
//!
//! Registration (§7.2 of the wire reference), via [`WatchManager::add_watch`]:
//!
//! ```text
//! getData / exists (watch=true)      data table,  STANDARD   (exists: even for a missing node)
//! getChildren / getChildren2         child table, STANDARD
//! addWatch PERSISTENT                both tables, PERSISTENT
//! addWatch PERSISTENT_RECURSIVE      data table,  PERSISTENT_RECURSIVE
//! ```
//!
//! Triggers: [`DataTree::apply`](crate::data_tree::DataTree::apply) reports, per transaction,
//! the `triggerWatch` calls Apache's DataTree makes, as [`WatchTrigger`] values; the server
//! hands each to [`WatchManager::fire`] (or a whole outcome to [`WatchManager::fire_all`]):
//!
//! ```text
//! create P    data(P, NodeCreated)           child(parent P, NodeChildrenChanged)
//! delete P    data(P, NodeDeleted)           child(P, NodeDeleted) minus those already fired
//!                                            child(parent P, NodeChildrenChanged)
//! setData P   data(P, NodeDataChanged)
//! ```
//!
//! One trigger of a table fires every registration on the exact path (STANDARD ones are
//! consumed, persistent ones stay) and the PERSISTENT_RECURSIVE registrations on every
//! ancestor; each watcher gets at most one event per trigger. Ancestors are walked only while
//! the table holds recursive watches, so a trigger costs O(depth), never O(watches).
//!
//! Delivery is filtered by READ permission on the node's ACL (the parent's for
//! NodeChildrenChanged), CVE-2024-23944: the caller passes a [`WatchFilter`] that knows each
//! watcher's auth ids. The events returned are in watcher-id order, so the output is
//! deterministic.
//!
//! This follows ZooKeeper 3.9.5, where a watcher may hold several modes on one path
//! (`WatchStats`); 3.8 kept one mode per watcher and path, so there a later getData watch
//! replaced a persistent one (ZOOKEEPER-4466).
//!
//! ```
//! use std::sync::Arc;
//! use zk_proto::watch::{EventType, WatcherType};
//! use zk_proto::{Acl, Zxid};
//! use zk_tree::apply::{WatchTable, WatchTrigger};
//! use zk_tree::watch_manager::{WatchKind, WatchManager, WatcherId};
//!
//! let mut watches = WatchManager::new();
//! watches.add_watch("/app", WatcherId(1), WatchKind::PersistentRecursive);
//! watches.add_watch("/app/x", WatcherId(2), WatchKind::Data);
//! let trigger = WatchTrigger {
//!     path: "/app/x".into(),
//!     event: EventType::NodeDataChanged,
//!     table: WatchTable::Data,
//!     acl: Arc::from(Acl::open_acl_unsafe()),
//! };
//! let fired = watches.fire(&trigger, Zxid(7), &mut |_: WatcherId, _: &[Acl]| true);
//! let who: Vec<_> = fired.iter().map(|n| (n.watcher, n.event.event_type)).collect();
//! assert_eq!(who, [(WatcherId(1), EventType::NodeDataChanged),
//!                  (WatcherId(2), EventType::NodeDataChanged)]);
//! // The one-shot watch was consumed; the recursive one stays.
//! assert!(watches.check_watches("/app/x", WatcherId(2), WatcherType::Data).is_err());
//! assert!(watches.check_watches("/app", WatcherId(1), WatcherType::Any).is_ok());
//! ```

use std::collections::{BTreeMap, BTreeSet};

use foldhash::HashMap;
use std::sync::Arc;

use zk_proto::watch::{EventType, KeeperState, WatcherEvent, WatcherType};
use zk_proto::{Acl, ErrorCode, Zxid};

use crate::apply::ApplyOutcome;
pub use crate::apply::{WatchTable, WatchTrigger};

/// A watcher: one client connection on this server. The server chooses the numbers; a session
/// has at most one connection per server, so a session id can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct WatcherId(pub u64);

/// How a registration behaves when it fires (`WatcherMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatcherMode {
    /// One-shot: removed when it fires.
    Standard,
    /// Stays; fires for its exact path only.
    Persistent,
    /// Stays; fires for its path and every descendant (data table only).
    PersistentRecursive,
}

impl WatcherMode {
    fn bit(self) -> u8 {
        match self {
            WatcherMode::Standard => 1,
            WatcherMode::Persistent => 2,
            WatcherMode::PersistentRecursive => 4,
        }
    }
}

/// What a client asked to watch; decides table and mode (§7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchKind {
    /// getData or exists with `watch`: data table, one-shot.
    Data,
    /// getChildren / getChildren2 with `watch`: child table, one-shot.
    Child,
    /// addWatch PERSISTENT: both tables.
    Persistent,
    /// addWatch PERSISTENT_RECURSIVE: data table only.
    PersistentRecursive,
}

/// A notification to send: `event` goes to `watcher` in a frame whose header zxid is `zxid`
/// (the triggering txn's; [`Zxid::NONE`] for setWatches catch-up events). A ZooKeeper 3.8
/// compatible server writes [`Zxid::NONE`] whatever this says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The connection to notify.
    pub watcher: WatcherId,
    /// The triggering transaction's zxid.
    pub zxid: Zxid,
    /// The event (state is always SyncConnected).
    pub event: WatcherEvent,
}

/// Decides whether `watcher` may see an event about a node whose ACL is `acl`: READ
/// permission, as `ServerCnxn.process(event, acl)` checks. Any `FnMut(WatcherId, &[Acl]) ->
/// bool` is one; `|_: WatcherId, _: &[Acl]| true` delivers everything.
///
/// ```
/// # use std::collections::HashMap;
/// # use std::net::{IpAddr, Ipv4Addr};
/// use zk_proto::{Acl, Perms};
/// use zk_tree::acl_check::AclChecker;
/// use zk_tree::auth::AuthInfo;
/// use zk_tree::watch_manager::WatcherId;
///
/// let checker = AclChecker::default();
/// let mut connections: HashMap<WatcherId, AuthInfo> = HashMap::new();
/// connections.insert(WatcherId(1), AuthInfo::for_address(IpAddr::V4(Ipv4Addr::LOCALHOST)));
/// let mut filter = |w: WatcherId, acl: &[Acl]| {
///     connections.get(&w).is_some_and(|auth| checker.check(acl, auth, Perms::READ))
/// };
/// # let _ = &mut filter;
/// ```
pub trait WatchFilter {
    /// True if the event may be delivered.
    fn may_read(&mut self, watcher: WatcherId, acl: &[Acl]) -> bool;
}

impl<F: FnMut(WatcherId, &[Acl]) -> bool> WatchFilter for F {
    fn may_read(&mut self, watcher: WatcherId, acl: &[Acl]) -> bool {
        self(watcher, acl)
    }
}

/// `zxid`s of an existing node, as setWatches needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeZxids {
    /// Zxid of the last data change.
    pub mzxid: Zxid,
    /// Zxid of the last child create or delete.
    pub pzxid: Zxid,
}

/// The watch lists of a setWatches (op 101) or setWatches2 (op 105) request.
#[derive(Debug, Clone, Copy, Default)]
pub struct SetWatchesLists<'a> {
    /// The last zxid the client saw.
    pub relative_zxid: Zxid,
    /// Data watches (getData, and exists on a node that existed).
    pub data_watches: &'a [String],
    /// Exist watches (exists on a node that did not exist).
    pub exist_watches: &'a [String],
    /// Child watches.
    pub child_watches: &'a [String],
    /// Persistent watches (setWatches2 only).
    pub persistent_watches: &'a [String],
    /// Persistent recursive watches (setWatches2 only).
    pub persistent_recursive_watches: &'a [String],
}

/// Counts for `wchs`: connections, paths and registrations in one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatchesSummary {
    /// Connections with at least one watch.
    pub connections: usize,
    /// Watched paths.
    pub paths: usize,
    /// (connection, path) registrations.
    pub total_watches: usize,
}

/// The set of modes one watcher holds on one path (`WatchStats`), as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Modes(u8);

impl Modes {
    fn has(self, mode: WatcherMode) -> bool {
        self.0 & mode.bit() != 0
    }
    fn with(self, mode: WatcherMode) -> Modes {
        Modes(self.0 | mode.bit())
    }
    fn without(self, mode: WatcherMode) -> Modes {
        Modes(self.0 & !mode.bit())
    }
    fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// One table (`WatchManager` in Java): path → watchers, watcher → path → modes. Paths are
/// shared between the two maps, not copied.
#[derive(Debug, Default)]
struct Table {
    by_path: HashMap<Arc<str>, BTreeSet<WatcherId>>,
    by_watcher: HashMap<WatcherId, HashMap<Arc<str>, Modes>>,
    /// Registrations holding PERSISTENT_RECURSIVE; ancestors are walked only when nonzero.
    recursive: usize,
}

impl Table {
    /// `addWatch(path, watcher, mode)`: true if the mode was new for this watcher and path.
    fn add(&mut self, path: &str, watcher: WatcherId, mode: WatcherMode) -> bool {
        let key = match self.by_path.get_key_value(path) {
            Some((key, _)) => Arc::clone(key),
            None => Arc::from(path),
        };
        self.by_path
            .entry(Arc::clone(&key))
            .or_default()
            .insert(watcher);
        let modes = self
            .by_watcher
            .entry(watcher)
            .or_default()
            .entry(key)
            .or_default();
        if modes.has(mode) {
            return false;
        }
        *modes = modes.with(mode);
        if mode == WatcherMode::PersistentRecursive {
            self.recursive += 1;
        }
        true
    }

    fn modes(&self, path: &str, watcher: WatcherId) -> Modes {
        self.by_watcher
            .get(&watcher)
            .and_then(|paths| paths.get(path))
            .copied()
            .unwrap_or_default()
    }

    /// Drops the whole registration of `watcher` on `path`, returning the modes it had.
    fn unwatch(&mut self, path: &str, watcher: WatcherId) -> Modes {
        let Some(paths) = self.by_watcher.get_mut(&watcher) else {
            return Modes::default();
        };
        let Some(modes) = paths.remove(path) else {
            return Modes::default();
        };
        if paths.is_empty() {
            self.by_watcher.remove(&watcher);
        }
        if let Some(watchers) = self.by_path.get_mut(path) {
            watchers.remove(&watcher);
            if watchers.is_empty() {
                self.by_path.remove(path);
            }
        }
        if modes.has(WatcherMode::PersistentRecursive) {
            self.recursive -= 1;
        }
        modes
    }

    /// `removeWatcher(path, watcher, mode)`: removes `mode` (all modes for `None`); true if
    /// anything was removed.
    fn remove(&mut self, path: &str, watcher: WatcherId, mode: Option<WatcherMode>) -> bool {
        let old = self.modes(path, watcher);
        let Some(mode) = mode else {
            return !self.unwatch(path, watcher).is_empty();
        };
        let new = old.without(mode);
        if new == old {
            return false;
        }
        if new.is_empty() {
            self.unwatch(path, watcher);
        } else {
            if let Some(modes) = self
                .by_watcher
                .get_mut(&watcher)
                .and_then(|p| p.get_mut(path))
            {
                *modes = new;
            }
            if mode == WatcherMode::PersistentRecursive {
                self.recursive -= 1;
            }
        }
        true
    }

    /// `containsWatcher(path, watcher, mode)`; `None` matches any mode.
    fn contains(&self, path: &str, watcher: WatcherId, mode: Option<WatcherMode>) -> bool {
        let modes = self.modes(path, watcher);
        !modes.is_empty() && mode.is_none_or(|m| modes.has(m))
    }

    /// `removeWatcher(watcher)`: a connection went away.
    fn remove_watcher(&mut self, watcher: WatcherId) {
        let Some(paths) = self.by_watcher.remove(&watcher) else {
            return;
        };
        for (path, modes) in paths {
            if let Some(watchers) = self.by_path.get_mut(&path) {
                watchers.remove(&watcher);
                if watchers.is_empty() {
                    self.by_path.remove(&path);
                }
            }
            if modes.has(WatcherMode::PersistentRecursive) {
                self.recursive -= 1;
            }
        }
    }

    /// `triggerWatch(path)`: every watcher registered on `path` (STANDARD registrations are
    /// consumed) and every PERSISTENT_RECURSIVE watcher of an ancestor.
    fn trigger(&mut self, path: &str) -> BTreeSet<WatcherId> {
        let mut fired = BTreeSet::new();
        if let Some(watchers) = self.by_path.get(path) {
            let watchers: Vec<WatcherId> = watchers.iter().copied().collect();
            for watcher in watchers {
                fired.insert(watcher);
                self.remove(path, watcher, Some(WatcherMode::Standard));
            }
        }
        if self.recursive == 0 {
            return fired;
        }
        let mut ancestor = zk_proto::path::parent(path);
        while let Some(local) = ancestor {
            if let Some(watchers) = self.by_path.get(local) {
                for watcher in watchers {
                    if self
                        .modes(local, *watcher)
                        .has(WatcherMode::PersistentRecursive)
                    {
                        fired.insert(*watcher);
                    }
                }
            }
            ancestor = zk_proto::path::parent(local);
        }
        fired
    }

    fn size(&self) -> usize {
        self.by_path.values().map(BTreeSet::len).sum()
    }

    fn summary(&self) -> WatchesSummary {
        WatchesSummary {
            connections: self.by_watcher.len(),
            paths: self.by_path.len(),
            total_watches: self.by_watcher.values().map(HashMap::len).sum(),
        }
    }
}

/// The data and child watch tables of one server (see the [module docs](self)).
#[derive(Debug, Default)]
pub struct WatchManager {
    data: Table,
    child: Table,
}

impl WatchManager {
    /// No watches.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tables `table` names: one, or both for [`WatchTable::DataThenChild`].
    fn tables(&self, table: WatchTable) -> Vec<&Table> {
        match table {
            WatchTable::Data => vec![&self.data],
            WatchTable::Child => vec![&self.child],
            WatchTable::DataThenChild => vec![&self.data, &self.child],
        }
    }

    fn table_mut(&mut self, table: WatchTable) -> &mut Table {
        match table {
            WatchTable::Data | WatchTable::DataThenChild => &mut self.data,
            WatchTable::Child => &mut self.child,
        }
    }

    /// Registers a watch (see the table in the [module docs](self)). No existence or ACL check:
    /// the server does those for getData/getChildren before calling this. Returns true if any
    /// registration was new.
    pub fn add_watch(&mut self, path: &str, watcher: WatcherId, kind: WatchKind) -> bool {
        match kind {
            WatchKind::Data => self.data.add(path, watcher, WatcherMode::Standard),
            WatchKind::Child => self.child.add(path, watcher, WatcherMode::Standard),
            WatchKind::Persistent => {
                let data = self.data.add(path, watcher, WatcherMode::Persistent);
                self.child.add(path, watcher, WatcherMode::Persistent) | data
            }
            WatchKind::PersistentRecursive => {
                self.data
                    .add(path, watcher, WatcherMode::PersistentRecursive)
            }
        }
    }

    /// Fires one trigger of a transaction: the watchers of `trigger.path` in its table(s) (and
    /// the recursive watchers of its ancestors), as notifications carrying `zxid`, in watcher
    /// order, leaving out those `filter` refuses for `trigger.acl`. For
    /// [`WatchTable::DataThenChild`] (a delete) the child table skips every watcher the data
    /// table fired, so each connection gets one NodeDeleted.
    pub fn fire(
        &mut self,
        trigger: &WatchTrigger,
        zxid: Zxid,
        filter: &mut dyn WatchFilter,
    ) -> Vec<Notification> {
        let fired = match trigger.table {
            WatchTable::Data => self.data.trigger(&trigger.path),
            WatchTable::Child => self.child.trigger(&trigger.path),
            WatchTable::DataThenChild => {
                let mut fired = self.data.trigger(&trigger.path);
                // Java passes the first set as `supress`: a watcher in both gets one event.
                fired.extend(self.child.trigger(&trigger.path));
                fired
            }
        };
        fired
            .into_iter()
            .filter(|w| filter.may_read(*w, &trigger.acl))
            .map(|watcher| Notification {
                watcher,
                zxid,
                event: WatcherEvent {
                    event_type: trigger.event,
                    state: KeeperState::SyncConnected,
                    path: trigger.path.clone(),
                },
            })
            .collect()
    }

    /// Fires every trigger of an applied transaction, in order.
    pub fn fire_all(
        &mut self,
        outcome: &ApplyOutcome,
        filter: &mut dyn WatchFilter,
    ) -> Vec<Notification> {
        let mut out = Vec::new();
        for trigger in &outcome.triggers {
            out.extend(self.fire(trigger, outcome.zxid, filter));
        }
        out
    }

    /// The table lookups and mode of a checkWatches/removeWatches type, as
    /// `DataTree.containsWatcher` / `removeWatch` use them.
    fn targets(kind: WatcherType) -> &'static [(WatchTable, Option<WatcherMode>)] {
        use WatchTable::{Child, Data};
        // Never DataThenChild: each entry names one table.
        match kind {
            WatcherType::Children => &[(Child, Some(WatcherMode::Standard))],
            WatcherType::Data => &[(Data, Some(WatcherMode::Standard))],
            WatcherType::Any => &[(Child, None), (Data, None)],
            WatcherType::Persistent => &[
                (Child, Some(WatcherMode::Persistent)),
                (Data, Some(WatcherMode::Persistent)),
            ],
            WatcherType::PersistentRecursive => &[(Data, Some(WatcherMode::PersistentRecursive))],
        }
    }

    /// checkWatches: `Err(NoWatcher)` unless `watcher` holds a watch of `kind` on `path`.
    ///
    /// Children/Data match one-shot watches only; Any matches every mode in either table;
    /// Persistent and PersistentRecursive (3.9 only: a 3.8 server answers MARSHALLINGERROR,
    /// which is the caller's business) look in the data table, as 3.9.5 does.
    pub fn check_watches(
        &self,
        path: &str,
        watcher: WatcherId,
        kind: WatcherType,
    ) -> Result<(), ErrorCode> {
        let found = match kind {
            // 3.9.5's containsWatcher looks only at the data table for Persistent.
            WatcherType::Persistent => {
                self.data
                    .contains(path, watcher, Some(WatcherMode::Persistent))
            }
            _ => Self::targets(kind)
                .iter()
                .any(|&(t, mode)| self.tables(t)[0].contains(path, watcher, mode)),
        };
        if found {
            Ok(())
        } else {
            Err(ErrorCode::NoWatcher)
        }
    }

    /// removeWatches: removes `watcher`'s watches of `kind` on `path` (Persistent and Any from
    /// both tables); `Err(NoWatcher)` if nothing was removed.
    pub fn remove_watches(
        &mut self,
        path: &str,
        watcher: WatcherId,
        kind: WatcherType,
    ) -> Result<(), ErrorCode> {
        let mut removed = false;
        for &(t, mode) in Self::targets(kind) {
            removed |= self.table_mut(t).remove(path, watcher, mode);
        }
        if removed {
            Ok(())
        } else {
            Err(ErrorCode::NoWatcher)
        }
    }

    /// Drops every watch of a connection that closed (`DataTree.removeCnxn`).
    pub fn remove_watcher(&mut self, watcher: WatcherId) {
        self.data.remove_watcher(watcher);
        self.child.remove_watcher(watcher);
    }

    /// setWatches / setWatches2 after a reconnect (`DataTree.setWatches`), against the node
    /// state `node` reports (`None`: no such node):
    ///
    /// ```text
    /// data watch    missing → NodeDeleted; mzxid > relative → NodeDataChanged; else register
    /// exist watch   exists → NodeCreated; else register (data table)
    /// child watch   missing → NodeDeleted; pzxid > relative → NodeChildrenChanged; else register
    /// persistent, persistent recursive: always register, no catch-up event
    /// ```
    ///
    /// Catch-up events carry [`Zxid::NONE`] and, as in ZooKeeper, are not ACL-filtered.
    pub fn set_watches(
        &mut self,
        watcher: WatcherId,
        lists: SetWatchesLists<'_>,
        node: &mut dyn FnMut(&str) -> Option<NodeZxids>,
    ) -> Vec<Notification> {
        let mut out = Vec::new();
        let mut fire = |path: &str, event_type| {
            out.push(Notification {
                watcher,
                zxid: Zxid::NONE,
                event: WatcherEvent {
                    event_type,
                    state: KeeperState::SyncConnected,
                    path: path.to_owned(),
                },
            })
        };
        let relative = lists.relative_zxid;
        for path in lists.data_watches {
            match node(path) {
                None => fire(path, EventType::NodeDeleted),
                Some(z) if z.mzxid > relative => fire(path, EventType::NodeDataChanged),
                Some(_) => {
                    self.data.add(path, watcher, WatcherMode::Standard);
                }
            }
        }
        for path in lists.exist_watches {
            match node(path) {
                Some(_) => fire(path, EventType::NodeCreated),
                None => {
                    self.data.add(path, watcher, WatcherMode::Standard);
                }
            }
        }
        for path in lists.child_watches {
            match node(path) {
                None => fire(path, EventType::NodeDeleted),
                Some(z) if z.pzxid > relative => fire(path, EventType::NodeChildrenChanged),
                Some(_) => {
                    self.child.add(path, watcher, WatcherMode::Standard);
                }
            }
        }
        for path in lists.persistent_watches {
            self.add_watch(path, watcher, WatchKind::Persistent);
        }
        for path in lists.persistent_recursive_watches {
            self.add_watch(path, watcher, WatchKind::PersistentRecursive);
        }
        out
    }

    /// Registrations in both tables (`DataTree.getWatchCount`, the `watch_count` metric).
    pub fn size(&self) -> usize {
        self.data.size() + self.child.size()
    }

    /// `wchs` counts for one table, or both added up for [`WatchTable::DataThenChild`].
    /// ZooKeeper's 4lw commands report the data table only.
    pub fn summary(&self, table: WatchTable) -> WatchesSummary {
        let mut total = WatchesSummary::default();
        for t in self.tables(table) {
            let s = t.summary();
            total.connections += s.connections;
            total.paths += s.paths;
            total.total_watches += s.total_watches;
        }
        total
    }

    /// `wchc`: each watcher's watched paths, sorted (both tables merged for
    /// [`WatchTable::DataThenChild`]).
    pub fn paths_by_watcher(&self, table: WatchTable) -> BTreeMap<WatcherId, Vec<String>> {
        let mut out: BTreeMap<WatcherId, BTreeSet<String>> = BTreeMap::new();
        for t in self.tables(table) {
            for (w, paths) in &t.by_watcher {
                out.entry(*w)
                    .or_default()
                    .extend(paths.keys().map(|p| p.to_string()));
            }
        }
        out.into_iter()
            .map(|(w, paths)| (w, paths.into_iter().collect()))
            .collect()
    }

    /// `wchp`: each watched path's watchers, in id order (both tables merged for
    /// [`WatchTable::DataThenChild`]).
    pub fn watchers_by_path(&self, table: WatchTable) -> BTreeMap<String, Vec<WatcherId>> {
        let mut out: BTreeMap<String, BTreeSet<WatcherId>> = BTreeMap::new();
        for t in self.tables(table) {
            for (p, ws) in &t.by_path {
                out.entry(p.to_string())
                    .or_default()
                    .extend(ws.iter().copied());
            }
        }
        out.into_iter()
            .map(|(p, ws)| (p, ws.into_iter().collect()))
            .collect()
    }
}

#[cfg(test)]
#[path = "watch_manager_tests.rs"]
mod tests;
