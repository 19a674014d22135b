//! Watches as values: [`WatchedEvent`], [`OneshotWatcher`] and [`PersistentWatcher`].
//!
//! A one-shot watcher is returned beside the result of the read that set it
//! ([`Client::get_and_watch_data`](crate::Client::get_and_watch_data),
//! [`Client::check_and_watch_stat`](crate::Client::check_and_watch_stat),
//! [`Client::get_and_watch_children`](crate::Client::get_and_watch_children)) and is a future
//! resolved by exactly one event. A persistent watcher ([`Client::watch`](crate::Client::watch))
//! is a [`Stream`](futures_core::Stream) of events.
//!
//! Both survive reconnections: the client re-registers them with setWatches/setWatches2,
//! passing the last zxid it saw, so that a one-shot watch whose node changed while the client
//! was away fires at once. Persistent watches get no such catch-up from ZooKeeper; their
//! stream therefore also carries the session events `Disconnected` and `SyncConnected` (with
//! [`EventType::None`]) so that a cache can re-read what it watches after a reconnection.
//!
//! A session end (expiry, close, auth failure) resolves every one-shot watcher and ends every
//! stream with an [`EventType::None`] event whose `state` says why.
//!
//! Dropping a watcher removes it: locally at once, and on the server with removeWatches when
//! no other local watcher needs the server's registration.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::{mpsc, oneshot};
use zk_proto::{EventType, KeeperState, Zxid};

use crate::command::{Command, WatcherId};

/// A watch notification, or a session event delivered to a watcher.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WatchedEvent {
    /// What happened; [`EventType::None`] for a session event.
    pub event_type: EventType,
    /// The session state: `SyncConnected` for node events; `Disconnected`, `SyncConnected`,
    /// `Expired`, `Closed` or `AuthFailed` for session events.
    pub state: KeeperState,
    /// The node's path as seen through the watcher's chroot; empty for session events.
    pub path: String,
    /// The zxid of the change that fired the watch when the server says (ZooKeeper 3.9); -1
    /// otherwise (3.8, setWatches catch-up events, session events).
    pub zxid: Zxid,
}

impl WatchedEvent {
    /// A session event (`EventType::None`) in `state`.
    pub fn session(state: KeeperState) -> Self {
        WatchedEvent {
            event_type: EventType::None,
            state,
            path: String::new(),
            zxid: Zxid::NONE,
        }
    }

    /// True for session events rather than node events.
    pub fn is_session_event(&self) -> bool {
        self.event_type == EventType::None
    }

    /// True for a session end: expired, closed or auth failed.
    pub fn is_session_end(&self) -> bool {
        self.is_session_event()
            && matches!(
                self.state,
                KeeperState::Expired | KeeperState::Closed | KeeperState::AuthFailed
            )
    }
}

/// Removes a watcher from the session when dropped, unless disarmed because it already fired.
#[derive(Debug)]
pub(crate) struct WatchGuard {
    id: WatcherId,
    commands: mpsc::WeakUnboundedSender<Command>,
    armed: bool,
}

impl WatchGuard {
    pub(crate) fn new(id: WatcherId, commands: mpsc::WeakUnboundedSender<Command>) -> Self {
        WatchGuard {
            id,
            commands,
            armed: true,
        }
    }
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        if self.armed {
            // A weak sender: watchers must not keep a session alive whose clients are gone.
            if let Some(commands) = self.commands.upgrade() {
                let _ = commands.send(Command::DropWatcher(self.id));
            }
        }
    }
}

/// A one-shot watch: a future resolved by the first event on its node, or by the session's
/// end. Dropping it before then removes the watch.
#[derive(Debug)]
#[must_use = "a dropped watcher removes its watch"]
pub struct OneshotWatcher {
    rx: oneshot::Receiver<WatchedEvent>,
    guard: WatchGuard,
}

impl OneshotWatcher {
    pub(crate) fn new(rx: oneshot::Receiver<WatchedEvent>, guard: WatchGuard) -> Self {
        OneshotWatcher { rx, guard }
    }

    /// Waits for the event (the same as `.await`ing the watcher).
    pub async fn changed(self) -> WatchedEvent {
        self.await
    }
}

impl Future for OneshotWatcher {
    type Output = WatchedEvent;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<WatchedEvent> {
        let event = match Pin::new(&mut self.rx).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(event)) => event,
            // The session is gone without a word (its task ended): report it closed.
            Poll::Ready(Err(_)) => WatchedEvent::session(KeeperState::Closed),
        };
        self.guard.armed = false;
        Poll::Ready(event)
    }
}

/// A persistent (optionally recursive) watch: a stream of events until it is dropped or the
/// session ends. Events are buffered without bound.
#[derive(Debug)]
#[must_use = "a dropped watcher removes its watch"]
pub struct PersistentWatcher {
    rx: mpsc::UnboundedReceiver<WatchedEvent>,
    _guard: WatchGuard,
}

impl PersistentWatcher {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<WatchedEvent>, guard: WatchGuard) -> Self {
        PersistentWatcher { rx, _guard: guard }
    }

    /// The next event; `None` after the session ended (the last event says how) or the watch
    /// was removed with [`Client::remove_watches`](crate::Client::remove_watches).
    pub async fn next(&mut self) -> Option<WatchedEvent> {
        self.rx.recv().await
    }
}

impl futures_core::Stream for PersistentWatcher {
    type Item = WatchedEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<WatchedEvent>> {
        self.rx.poll_recv(cx)
    }
}
