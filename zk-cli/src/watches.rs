//! [`WatchSet`]: every watch the shell holds, polled as one source of events.
//!
//! zkCli registers all its watches with one default watcher, and the Java client calls a
//! watcher once per notification however many of its watches the notification fires (the
//! watchers are collected in a set). `zk-client` gives one watcher value per watch instead,
//! so a node deleted under both `get -w` and `ls -w` resolves two watchers. The set merges
//! them back: within one batch of ready events, an event (type and path) is printed as many
//! times as the watcher that saw it most often saw it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use zk_client::{EventType, OneshotWatcher, PersistentWatcher, WatchedEvent};

enum Watcher {
    Oneshot(OneshotWatcher),
    Persistent(PersistentWatcher),
}

/// What a watch was set by, for `removewatches`' local check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchKind {
    /// `get -w`, `stat -w`, `ls -R -w` on the root, `config -w`.
    Data,
    /// `ls -w`.
    Child,
    /// `addWatch`.
    Persistent,
}

struct Entry {
    path: String,
    kind: WatchKind,
    watcher: Watcher,
}

/// The watches of one session, polled together.
#[derive(Default)]
pub struct WatchSet {
    entries: Vec<Option<Entry>>,
}

impl std::fmt::Debug for WatchSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchSet")
            .field("watches", &self.len())
            .finish()
    }
}

impl WatchSet {
    /// Adds a one-shot watch of `kind` on `path`.
    pub fn add_oneshot(&mut self, path: &str, kind: WatchKind, watcher: OneshotWatcher) {
        self.entries.push(Some(Entry {
            path: path.to_owned(),
            kind,
            watcher: Watcher::Oneshot(watcher),
        }));
    }

    /// Adds a persistent watch on `path`.
    pub fn add_persistent(&mut self, path: &str, watcher: PersistentWatcher) {
        self.entries.push(Some(Entry {
            path: path.to_owned(),
            kind: WatchKind::Persistent,
            watcher: Watcher::Persistent(watcher),
        }));
    }

    /// True if a live watch on `path` is of a kind `removewatches` of `wanted` removes, by
    /// the Java client's rules: children removes child watches, data removes data and exist
    /// watches, any removes everything (persistent watches included).
    pub fn holds(&self, path: &str, wanted: zk_client::WatcherType) -> bool {
        use zk_client::WatcherType as T;
        self.entries.iter().flatten().any(|e| {
            e.path == path
                && match wanted {
                    T::Children => e.kind == WatchKind::Child,
                    T::Data => e.kind == WatchKind::Data,
                    _ => true,
                }
        })
    }

    /// The number of live watches.
    pub fn len(&self) -> usize {
        self.entries.iter().filter(|e| e.is_some()).count()
    }

    /// True if no watch is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every watch (the session is gone or being replaced).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The events ready now, without waiting.
    pub fn ready(&mut self) -> Vec<WatchedEvent> {
        let mut cx = Context::from_waker(Waker::noop());
        self.poll_batch(&mut cx)
    }

    /// Waits for at least one event, then returns every event ready. Never resolves while
    /// the set is empty.
    pub async fn next_batch(&mut self) -> Vec<WatchedEvent> {
        std::future::poll_fn(|cx| {
            let batch = self.poll_batch(cx);
            if batch.is_empty() {
                Poll::Pending
            } else {
                Poll::Ready(batch)
            }
        })
        .await
    }

    fn poll_batch(&mut self, cx: &mut Context<'_>) -> Vec<WatchedEvent> {
        let mut seen: Vec<(usize, WatchedEvent)> = Vec::new();
        for (index, slot) in self.entries.iter_mut().enumerate() {
            let Some(entry) = slot else { continue };
            match &mut entry.watcher {
                Watcher::Oneshot(watcher) => {
                    if let Poll::Ready(event) = Pin::new(watcher).poll(cx) {
                        seen.push((index, event));
                        *slot = None;
                    }
                }
                Watcher::Persistent(watcher) => loop {
                    match Pin::new(&mut *watcher).poll_next(cx) {
                        Poll::Ready(Some(event)) => seen.push((index, event)),
                        Poll::Ready(None) => {
                            *slot = None;
                            break;
                        }
                        Poll::Pending => break,
                    }
                },
            }
        }
        self.entries.retain(Option::is_some);
        merge(seen)
    }
}

/// Drops session events (the shell prints those from the session's own stream) and merges
/// the copies of one notification seen by several watchers (see the module docs): the n-th
/// occurrence of an event at one watcher is printed only if no watcher's n-th occurrence of
/// it was printed yet.
fn merge(seen: Vec<(usize, WatchedEvent)>) -> Vec<WatchedEvent> {
    let mut occurrences: HashMap<(usize, WatchedEvent), usize> = HashMap::new();
    let mut printed: HashMap<WatchedEvent, usize> = HashMap::new();
    let mut out = Vec::new();
    for (index, event) in seen {
        if event.event_type == EventType::None {
            continue;
        }
        let nth = occurrences.entry((index, event.clone())).or_default();
        *nth += 1;
        let done = printed.entry(event.clone()).or_default();
        if *nth > *done {
            *done = *nth;
            out.push(event);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use zk_client::{KeeperState, Zxid};

    fn event(event_type: EventType, path: &str) -> WatchedEvent {
        WatchedEvent {
            event_type,
            state: KeeperState::SyncConnected,
            path: path.into(),
            zxid: Zxid::NONE,
        }
    }

    #[test]
    fn one_notification_through_two_watchers_prints_once() {
        let deleted = event(EventType::NodeDeleted, "/a");
        let merged = merge(vec![(0, deleted.clone()), (1, deleted.clone())]);
        assert_eq!(merged, vec![deleted]);
    }

    #[test]
    fn repeated_notifications_through_one_watcher_all_print() {
        let changed = event(EventType::NodeDataChanged, "/a");
        let created = event(EventType::NodeCreated, "/a/b");
        let merged = merge(vec![
            (0, changed.clone()),
            (1, changed.clone()),
            (1, created.clone()),
            (1, changed.clone()),
            (2, WatchedEvent::session(KeeperState::Disconnected)),
        ]);
        assert_eq!(merged, vec![changed.clone(), created, changed]);
    }
}
