//! What client handles send to the session task: [`Command`].
//!
//! Every client method builds its [`Request`] (paths already chrooted and validated) and sends
//! it as a command *before* returning its future. The channel is FIFO, so the order of calls is
//! the order of requests on the wire, however the futures are later polled.

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use zk_proto::{Request, Response};

use crate::chroot::Chroot;
use crate::error::Result;
use crate::watcher::WatchedEvent;

/// Identifies one local watcher for the lifetime of a session task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct WatcherId(pub(crate) u64);

/// The kinds of local watch registrations, mirroring the lists of setWatches2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum WatchKind {
    /// One-shot data watch: getData, or exists on an existing node.
    Data,
    /// One-shot exists watch on a node that did not exist.
    Exist,
    /// One-shot child watch.
    Child,
    /// Persistent watch (addWatch mode 0).
    Persistent,
    /// Persistent recursive watch (addWatch mode 1).
    PersistentRecursive,
}

/// Where a watcher's events go.
#[derive(Debug)]
pub(crate) enum WatchSink {
    /// A one-shot watcher's single event.
    Oneshot(oneshot::Sender<WatchedEvent>),
    /// A persistent watcher's stream.
    Stream(mpsc::UnboundedSender<WatchedEvent>),
}

/// A watch to register locally once the request that sets it succeeds (as Java does: a failed
/// getData leaves no watch).
#[derive(Debug)]
pub(crate) struct WatchSpec {
    pub(crate) id: WatcherId,
    /// The kind on success. An `exists` that answers NONODE registers [`WatchKind::Exist`]
    /// instead of [`WatchKind::Data`].
    pub(crate) kind: WatchKind,
    /// The server path (chroot included).
    pub(crate) path: String,
    /// The chroot of the view that set the watch, stripped from event paths.
    pub(crate) chroot: Chroot,
    pub(crate) sink: WatchSink,
}

/// One request for the server and where its answer goes.
#[derive(Debug)]
pub(crate) struct Operation {
    pub(crate) request: Request,
    /// The reply body on success; the error code as an [`Error`](crate::Error) otherwise.
    /// `exists` on a missing node answers `Ok(Response::Empty)` (NONODE is not a failure).
    pub(crate) reply: oneshot::Sender<Result<Response>>,
    pub(crate) watch: Option<WatchSpec>,
}

/// A message from a client handle to the session task.
#[derive(Debug)]
pub(crate) enum Command {
    /// Send a request.
    Request(Box<Operation>),
    /// Add credentials (re-sent on every reconnection); answered when the server accepts them.
    Auth {
        scheme: String,
        auth: Bytes,
        reply: oneshot::Sender<Result<()>>,
    },
    /// A watcher was dropped: remove it, and its server registration if nothing else needs it.
    DropWatcher(WatcherId),
    /// Close the session (closeSession) and stop; answered when done.
    Close(oneshot::Sender<()>),
}
