//! Session states and the session-event stream: [`SessionState`], [`SessionEvent`],
//! [`SessionEvents`].
//!
//! ```text
//!             ┌────────────── Reconnected / ConnectedReadOnly ──────────────┐
//!             ▼                                                             │
//! Connecting ──Connected──▶ Connected ──Disconnected──▶ Disconnected ───────┘
//!                               │                            │
//!                               └──────────┬─────────────────┘
//!                                          ▼
//!                              Expired | AuthFailed | Closed   (terminal)
//! ```
//!
//! `Disconnected` is Curator's SUSPENDED: the session may still be alive, but until the
//! client reconnects nothing it holds (a lock, leadership) can be trusted. `Expired` is LOST:
//! the server deleted the session's ephemerals; this client is finished and
//! [`Client::reconnect_new_session`](crate::Client::reconnect_new_session) starts another.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use zk_proto::SessionId;

use crate::error::Error;

/// Where a session is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// No session yet: the first connection attempt is under way.
    Connecting,
    /// Connected to a server that serves writes.
    Connected,
    /// Connected to a read-only server (reads only; writes fail with NOTREADONLY).
    ConnectedReadOnly,
    /// The connection dropped; the client is reconnecting within the session timeout.
    Disconnected,
    /// The session expired (terminal).
    Expired,
    /// The server refused the session's credentials (terminal).
    AuthFailed,
    /// The client was closed (terminal).
    Closed,
}

impl SessionState {
    /// True while a connection is up (read-write or read-only).
    pub fn is_connected(self) -> bool {
        matches!(
            self,
            SessionState::Connected | SessionState::ConnectedReadOnly
        )
    }

    /// True for the states a session never leaves.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SessionState::Expired | SessionState::AuthFailed | SessionState::Closed
        )
    }

    /// The error every call fails with in a terminal state.
    pub fn terminal_error(self) -> Option<Error> {
        match self {
            SessionState::Expired => Some(Error::SessionExpired),
            SessionState::AuthFailed => Some(Error::AuthFailed),
            SessionState::Closed => Some(Error::Closed),
            _ => None,
        }
    }
}

/// A session transition, as delivered by [`SessionEvents`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionEvent {
    /// The session was established (first connection, read-write server).
    Connected,
    /// Connected to a read-only server (first connection or reconnection).
    ConnectedReadOnly,
    /// The connection dropped (Curator's SUSPENDED). Requests in flight failed with
    /// [`Error::ConnectionLoss`]; new requests wait for the reconnection.
    Disconnected,
    /// The same session is back on a read-write server; watches were re-registered.
    Reconnected,
    /// The session expired (Curator's LOST). Terminal.
    Expired,
    /// The server refused the credentials. Terminal.
    AuthFailed,
    /// The client was closed. Terminal.
    Closed,
}

impl SessionEvent {
    /// The state this transition leads to.
    pub fn state(self) -> SessionState {
        match self {
            SessionEvent::Connected | SessionEvent::Reconnected => SessionState::Connected,
            SessionEvent::ConnectedReadOnly => SessionState::ConnectedReadOnly,
            SessionEvent::Disconnected => SessionState::Disconnected,
            SessionEvent::Expired => SessionState::Expired,
            SessionEvent::AuthFailed => SessionState::AuthFailed,
            SessionEvent::Closed => SessionState::Closed,
        }
    }
}

/// A stream of [`SessionEvent`]s from the moment it was created
/// ([`Client::session_events`](crate::Client::session_events)). It ends after a terminal
/// event. Events are buffered without bound, so a slow reader never misses one.
#[derive(Debug)]
pub struct SessionEvents {
    rx: mpsc::UnboundedReceiver<SessionEvent>,
}

impl SessionEvents {
    /// The next transition; `None` once the session is over and every event was read.
    pub async fn next(&mut self) -> Option<SessionEvent> {
        self.rx.recv().await
    }
}

impl futures_core::Stream for SessionEvents {
    type Item = SessionEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SessionEvent>> {
        self.rx.poll_recv(cx)
    }
}

/// What the session is, as last negotiated.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionInfo {
    pub(crate) id: SessionId,
    pub(crate) password: Bytes,
    pub(crate) timeout: Duration,
}

/// The session state shared by the actor (writer) and every client handle (readers).
#[derive(Debug)]
pub(crate) struct StateHub {
    inner: Mutex<HubInner>,
}

#[derive(Debug)]
struct HubInner {
    state: SessionState,
    session: SessionInfo,
    subscribers: Vec<mpsc::UnboundedSender<SessionEvent>>,
}

impl StateHub {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(StateHub {
            inner: Mutex::new(HubInner {
                state: SessionState::Connecting,
                session: SessionInfo::default(),
                subscribers: Vec::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HubInner> {
        // A panic while holding this lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn state(&self) -> SessionState {
        self.lock().state
    }

    pub(crate) fn session(&self) -> SessionInfo {
        self.lock().session.clone()
    }

    pub(crate) fn set_session(&self, session: SessionInfo) {
        self.lock().session = session;
    }

    /// A new subscriber. Taken under the same lock as transitions, so it sees every
    /// transition after the current state and none before.
    pub(crate) fn subscribe(&self) -> SessionEvents {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut inner = self.lock();
        if !inner.state.is_terminal() {
            inner.subscribers.push(tx);
        }
        SessionEvents { rx }
    }

    /// Records a transition and tells every subscriber. After a terminal event the
    /// subscribers are dropped, which ends their streams.
    pub(crate) fn transition(&self, event: SessionEvent) {
        let mut inner = self.lock();
        if inner.state.is_terminal() {
            return;
        }
        inner.state = event.state();
        inner.subscribers.retain(|tx| tx.send(event).is_ok());
        if inner.state.is_terminal() {
            inner.subscribers.clear();
        }
        tracing::debug!(?event, "session transition");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_see_transitions_and_end_after_terminal() {
        let hub = StateHub::new();
        let mut events = hub.subscribe();
        hub.transition(SessionEvent::Connected);
        hub.transition(SessionEvent::Disconnected);
        hub.transition(SessionEvent::Expired);
        hub.transition(SessionEvent::Reconnected); // ignored: terminal
        assert_eq!(events.next().await, Some(SessionEvent::Connected));
        assert_eq!(events.next().await, Some(SessionEvent::Disconnected));
        assert_eq!(events.next().await, Some(SessionEvent::Expired));
        assert_eq!(events.next().await, None);
        assert_eq!(hub.state(), SessionState::Expired);
        assert_eq!(hub.state().terminal_error(), Some(Error::SessionExpired));
    }
}
