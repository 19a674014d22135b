//! [`Client`]: a handle on one ZooKeeper session, and every operation of the protocol.
//!
//! # Call order is wire order
//!
//! Every operation is a plain `fn` that validates its arguments, **sends the request to the
//! session task before returning**, and returns a `'static` future of the reply. So requests
//! reach the server in the order the methods were *called*, whatever order their futures are
//! awaited in, and any number can be in flight at once (ZooKeeper answers a session's
//! requests in order):
//!
//! ```no_run
//! # async fn example(client: zk_client::Client) -> zk_client::Result<()> {
//! let write = client.set_data("/config", b"v2", None); // sent now
//! let read = client.get_data("/config");               // sent now, after the write
//! let (data, _stat) = read.await?;                      // sees the write
//! assert_eq!(&data[..], b"v2");
//! write.await?;
//! # Ok(()) }
//! ```
//!
//! A future that is dropped does not cancel its request; the reply is discarded.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use zk_proto::path::validate_path;
use zk_proto::{
    Acl, AddWatchMode, AddWatchRequest, CheckWatchesRequest, ClientInfo, DeleteRequest,
    ExistsRequest, GetAclRequest, GetAllChildrenNumberRequest, GetChildren2Request,
    GetChildrenRequest, GetDataRequest, GetEphemeralsRequest, RemoveWatchesRequest, Request,
    Response, SessionId, SetAclRequest, SetDataRequest, Stat, SyncRequest, WatcherType,
};

use crate::builder::ClientBuilder;
use crate::chroot::Chroot;
use crate::command::{Command, Operation, WatchKind, WatchSink, WatchSpec, WatcherId};
use crate::error::{Error, Result};
use crate::multi::{MultiBuilder, MultiReadBuilder};
use crate::options::{create_body, CreateBody, CreateOptions};
use crate::state::{SessionEvents, SessionState, StateHub};
use crate::watcher::{OneshotWatcher, PersistentWatcher, WatchGuard};

/// What every clone of a client shares: the way to the session task and its state.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) hub: Arc<StateHub>,
    pub(crate) next_watcher_id: AtomicU64,
    pub(crate) builder: ClientBuilder,
}

/// A handle on a ZooKeeper session. Clones share the session (one connection, one task);
/// [`Client::chroot`] gives a view rooted at a sub-path of the same session.
///
/// When the last handle is dropped the session is closed (closeSession), as
/// [`Client::close`] does; watchers and builders in flight do not keep it open.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    pub(crate) chroot: Chroot,
}

impl Client {
    /// Connects to `connect_string` (`host1:2181,host2:2181/optional/chroot`) with default
    /// options; see [`ClientBuilder`] for the others.
    ///
    /// ```no_run
    /// # async fn example() -> zk_client::Result<()> {
    /// let client = zk_client::Client::connect("127.0.0.1:2181/app").await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(connect_string: &str) -> Result<Client> {
        ClientBuilder::new(connect_string).connect().await
    }

    /// A builder for `connect_string`.
    pub fn builder(connect_string: &str) -> ClientBuilder {
        ClientBuilder::new(connect_string)
    }

    /// A view of the same session rooted at `path` (relative to this view's root). Paths
    /// given to the view and returned by it are relative to the new root.
    pub fn chroot(&self, path: &str) -> Result<Client> {
        Ok(Client {
            shared: self.shared.clone(),
            chroot: self.chroot.join(path)?,
        })
    }

    /// This view's root as a server path (`""` for none).
    pub fn chroot_path(&self) -> &str {
        self.chroot.as_str()
    }

    /// The session id (0 before the first handshake).
    pub fn session_id(&self) -> SessionId {
        self.shared.hub.session().id
    }

    /// The session password, with [`Client::session_id`] what
    /// [`ClientBuilder::with_session`] needs to resume the session from another client.
    pub fn session_password(&self) -> Bytes {
        self.shared.hub.session().password
    }

    /// The session timeout the server granted.
    pub fn session_timeout(&self) -> Duration {
        self.shared.hub.session().timeout
    }

    /// The current session state.
    pub fn state(&self) -> SessionState {
        self.shared.hub.state()
    }

    /// A stream of session transitions from now on (Connected, Disconnected, Reconnected,
    /// ConnectedReadOnly, Expired, AuthFailed, Closed).
    pub fn session_events(&self) -> SessionEvents {
        self.shared.hub.subscribe()
    }

    // ------------------------------------------------------------ plumbing

    fn server_path(&self, path: &str) -> Result<String> {
        validate_path(path)?;
        Ok(self.chroot.prefix(path))
    }

    fn next_watcher_id(&self) -> WatcherId {
        WatcherId(self.shared.next_watcher_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Sends `request` to the session task now and returns a future of its reply.
    pub(crate) fn submit(
        &self,
        request: Result<Request>,
        watch: Option<WatchSpec>,
    ) -> impl Future<Output = Result<Response>> + Send + 'static {
        let receiver = request.map(|request| {
            let (reply, receiver) = oneshot::channel();
            let op = Box::new(Operation {
                request,
                reply,
                watch,
            });
            if let Err(mpsc::error::SendError(Command::Request(op))) =
                self.shared.commands.send(Command::Request(op))
            {
                let _ = op.reply.send(Err(self.terminal_error()));
            }
            receiver
        });
        // The request timeout runs from the call, like the request itself.
        let deadline = self
            .shared
            .builder
            .request_timeout
            .map(|limit| tokio::time::Instant::now() + limit);
        let hub = self.shared.hub.clone();
        async move {
            let receiver = receiver?;
            let reply = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, receiver)
                    .await
                    .map_err(|_| Error::Timeout)?,
                None => receiver.await,
            };
            reply.unwrap_or_else(|_| Err(hub.state().terminal_error().unwrap_or(Error::Closed)))
        }
    }

    fn terminal_error(&self) -> Error {
        self.shared
            .hub
            .state()
            .terminal_error()
            .unwrap_or(Error::Closed)
    }

    /// Sends a read that sets a one-shot watch of `kind`, returning the reply future and the
    /// watcher (`None` if the path was invalid, in which case the reply is that error).
    fn submit_watched(
        &self,
        path: &str,
        kind: WatchKind,
        make: impl FnOnce(String) -> Request,
    ) -> (
        impl Future<Output = Result<Response>> + Send + 'static,
        Option<OneshotWatcher>,
    ) {
        match self.server_path(path) {
            Err(e) => (self.submit(Err(e), None), None),
            Ok(server_path) => {
                let id = self.next_watcher_id();
                let (tx, rx) = oneshot::channel();
                let spec = WatchSpec {
                    id,
                    kind,
                    path: server_path.clone(),
                    chroot: self.chroot.clone(),
                    sink: WatchSink::Oneshot(tx),
                };
                let reply = self.submit(Ok(make(server_path)), Some(spec));
                let guard = WatchGuard::new(id, self.shared.commands.downgrade());
                (reply, Some(OneshotWatcher::new(rx, guard)))
            }
        }
    }

    // ------------------------------------------------------------ writes

    /// Creates a node (create2, createContainer or createTTL, by mode) and returns its path
    /// (with the sequence suffix of sequential modes) and Stat.
    ///
    /// ```no_run
    /// use zk_client::CreateOptions;
    /// # async fn example(client: zk_client::Client) -> zk_client::Result<()> {
    /// let (path, stat) = client.create("/locks/lock-", b"", &CreateOptions::ephemeral_sequential()).await?;
    /// assert!(path.starts_with("/locks/lock-00"));
    /// assert_eq!(stat.ephemeral_owner, client.session_id().0);
    /// # Ok(()) }
    /// ```
    pub fn create(
        &self,
        path: &str,
        data: &[u8],
        options: &CreateOptions,
    ) -> impl Future<Output = Result<(String, Stat)>> + Send + 'static {
        let request = create_body(&self.chroot, path, data, options).map(|body| match body {
            CreateBody::Plain(r) => Request::Create2(r),
            CreateBody::Container(r) => Request::CreateContainer(r),
            CreateBody::Ttl(r) => Request::CreateTtl(r),
        });
        let reply = self.submit(request, None);
        let chroot = self.chroot.clone();
        async move {
            match reply.await? {
                Response::Create2(r) => Ok((chroot.strip_or_keep(&r.path), r.stat)),
                other => Err(unexpected(&other)),
            }
        }
    }

    /// Deletes a node; `version` is the expected data version (`None`: any).
    pub fn delete(
        &self,
        path: &str,
        version: Option<i32>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let request = self.server_path(path).map(|path| {
            Request::Delete(DeleteRequest {
                path,
                version: version.unwrap_or(-1),
            })
        });
        let reply = self.submit(request, None);
        async move { reply.await.map(drop) }
    }

    /// Replaces a node's data; `version` is the expected data version (`None`: any).
    /// Returns the new Stat.
    pub fn set_data(
        &self,
        path: &str,
        data: &[u8],
        version: Option<i32>,
    ) -> impl Future<Output = Result<Stat>> + Send + 'static {
        let request = self.server_path(path).map(|path| {
            Request::SetData(SetDataRequest {
                path,
                data: Some(Bytes::copy_from_slice(data)),
                version: version.unwrap_or(-1),
            })
        });
        let reply = self.submit(request, None);
        async move {
            match reply.await? {
                Response::SetData(r) => Ok(r.stat),
                other => Err(unexpected(&other)),
            }
        }
    }

    /// Replaces a node's ACL; `version` is the expected ACL version (`aversion`; `None`:
    /// any). Returns the new Stat.
    pub fn set_acl(
        &self,
        path: &str,
        acl: &[Acl],
        version: Option<i32>,
    ) -> impl Future<Output = Result<Stat>> + Send + 'static {
        let request = self.server_path(path).and_then(|path| {
            if acl.is_empty() {
                return Err(Error::InvalidAcl);
            }
            Ok(Request::SetAcl(SetAclRequest {
                path,
                acl: acl.to_vec(),
                version: version.unwrap_or(-1),
            }))
        });
        let reply = self.submit(request, None);
        async move {
            match reply.await? {
                Response::SetAcl(r) => Ok(r.stat),
                other => Err(unexpected(&other)),
            }
        }
    }

    /// An atomic multi: add ops to the builder, then [`MultiBuilder::commit`].
    pub fn multi(&self) -> MultiBuilder {
        MultiBuilder::new(self.clone())
    }

    // ------------------------------------------------------------ reads

    /// The node's Stat, `None` if it does not exist.
    pub fn exists(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<Option<Stat>>> + Send + 'static {
        let request = self
            .server_path(path)
            .map(|path| Request::Exists(ExistsRequest { path, watch: false }));
        let reply = self.submit(request, None);
        async move { exists_result(reply.await?) }
    }

    /// The node's data and Stat (null data reads as empty).
    pub fn get_data(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Bytes, Stat)>> + Send + 'static {
        let request = self
            .server_path(path)
            .map(|path| Request::GetData(GetDataRequest { path, watch: false }));
        let reply = self.submit(request, None);
        async move { data_result(reply.await?) }
    }

    /// Like [`get_data`](Client::get_data), but keeps ZooKeeper's distinction between null
    /// data (`None`: created with no data, as `zkCli`'s `create /x` does) and empty data.
    pub fn get_data_nullable(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Option<Bytes>, Stat)>> + Send + 'static {
        let request = self
            .server_path(path)
            .map(|path| Request::GetData(GetDataRequest { path, watch: false }));
        let reply = self.submit(request, None);
        async move { nullable_data_result(reply.await?) }
    }

    /// The node's child names (unsorted).
    pub fn get_children(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<Vec<String>>> + Send + 'static {
        let request = self
            .server_path(path)
            .map(|path| Request::GetChildren(GetChildrenRequest { path, watch: false }));
        let reply = self.submit(request, None);
        async move {
            match reply.await? {
                Response::GetChildren(r) => Ok(r.children),
                other => Err(unexpected(&other)),
            }
        }
    }

    /// The node's child names and its Stat (getChildren2).
    pub fn get_children2(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Vec<String>, Stat)>> + Send + 'static {
        let request = self
            .server_path(path)
            .map(|path| Request::GetChildren2(GetChildren2Request { path, watch: false }));
        let reply = self.submit(request, None);
        async move { children2_result(reply.await?) }
    }

    /// The node's ACL and Stat.
    pub fn get_acl(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Vec<Acl>, Stat)>> + Send + 'static {
        let request = self
            .server_path(path)
            .map(|path| Request::GetAcl(GetAclRequest { path }));
        let reply = self.submit(request, None);
        async move {
            match reply.await? {
                Response::GetAcl(r) => Ok((r.acl, r.stat)),
                other => Err(unexpected(&other)),
            }
        }
    }

    /// Waits until the connected server has applied every write committed before the sync
    /// started, so that later reads on this session see them.
    pub fn sync(&self, path: &str) -> impl Future<Output = Result<()>> + Send + 'static {
        let request = self
            .server_path(path)
            .map(|path| Request::Sync(SyncRequest { path }));
        let reply = self.submit(request, None);
        async move { reply.await.map(drop) }
    }

    /// Reads answered together ([`MultiReadBuilder::execute`]).
    pub fn multi_read(&self) -> MultiReadBuilder {
        MultiReadBuilder::new(self.clone())
    }

    /// This session's ephemeral nodes whose path starts with `prefix` (a plain string
    /// prefix; `/` for all), as paths of this view.
    pub fn get_ephemerals(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<String>>> + Send + 'static {
        let prefix_path = self
            .chroot
            .prefix(if prefix.is_empty() { "/" } else { prefix });
        let request = Ok(Request::GetEphemerals(GetEphemeralsRequest { prefix_path }));
        let reply = self.submit(request, None);
        let chroot = self.chroot.clone();
        async move {
            match reply.await? {
                Response::GetEphemerals(r) => Ok(r
                    .ephemerals
                    .iter()
                    .filter_map(|p| chroot.strip(p))
                    .collect()),
                other => Err(unexpected(&other)),
            }
        }
    }

    /// The number of descendants of the node, recursively (not counting the node).
    pub fn get_all_children_number(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<i32>> + Send + 'static {
        let request = self
            .server_path(path)
            .map(|path| Request::GetAllChildrenNumber(GetAllChildrenNumberRequest { path }));
        let reply = self.submit(request, None);
        async move {
            match reply.await? {
                Response::GetAllChildrenNumber(r) => Ok(r.total_number),
                other => Err(unexpected(&other)),
            }
        }
    }

    /// The identities of this connection (its `ip` id and any added credentials).
    pub fn who_am_i(&self) -> impl Future<Output = Result<Vec<ClientInfo>>> + Send + 'static {
        let reply = self.submit(Ok(Request::WhoAmI), None);
        async move {
            match reply.await? {
                Response::WhoAmI(r) => Ok(r.client_info),
                other => Err(unexpected(&other)),
            }
        }
    }

    // ------------------------------------------------------------ session

    /// Adds credentials to the session (e.g. `("digest", b"user:password")`). They are kept
    /// and re-sent after every reconnection. A refusal (AUTHFAILED) ends the session:
    /// [`SessionState::AuthFailed`].
    pub fn add_auth(
        &self,
        scheme: &str,
        auth: &[u8],
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let (reply, receiver) = oneshot::channel();
        let command = Command::Auth {
            scheme: scheme.to_owned(),
            auth: Bytes::copy_from_slice(auth),
            reply,
        };
        if let Err(mpsc::error::SendError(Command::Auth { reply, .. })) =
            self.shared.commands.send(command)
        {
            let _ = reply.send(Err(self.terminal_error()));
        }
        let hub = self.shared.hub.clone();
        async move {
            receiver
                .await
                .unwrap_or_else(|_| Err(hub.state().terminal_error().unwrap_or(Error::Closed)))
        }
    }

    /// Closes the session (closeSession): its ephemerals are deleted at once, every watcher
    /// gets a `Closed` event, and every handle's later calls fail with [`Error::Closed`].
    /// Requests issued before `close` are sent (and answered) first. Closing while
    /// disconnected ends the client at once; the server then expires the session (and its
    /// ephemerals) after the session timeout. Closing twice is harmless.
    pub fn close(&self) -> impl Future<Output = ()> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        let sent = self.shared.commands.send(Command::Close(tx)).is_ok();
        async move {
            if sent {
                let _ = rx.await;
            }
        }
    }

    /// Starts a **new** session with the options this client was built with (same hosts,
    /// credentials and chroot) and returns a handle on it. For use after
    /// [`SessionEvent::Expired`](crate::SessionEvent::Expired): the old session's ephemerals
    /// and watches are gone, so re-create the ephemerals and re-read what you watch. The old
    /// session is left as it is (close it first if it is still alive).
    ///
    /// ```no_run
    /// use zk_client::{Client, CreateOptions, SessionEvent};
    ///
    /// // Keep a membership node alive across session losses.
    /// async fn stay_member(mut client: Client) -> zk_client::Result<()> {
    ///     loop {
    ///         let mut events = client.session_events();
    ///         client.create("/members/me", b"", &CreateOptions::ephemeral()).await?;
    ///         while let Some(event) = events.next().await {
    ///             if event == SessionEvent::Expired {
    ///                 break;
    ///             }
    ///         }
    ///         client = client.reconnect_new_session().await?;
    ///     }
    /// }
    /// ```
    pub fn reconnect_new_session(&self) -> impl Future<Output = Result<Client>> + Send + 'static {
        let mut builder = self.shared.builder.clone();
        builder.resume = None;
        let chroot = self.chroot.clone();
        async move {
            let mut client = builder.connect().await?;
            client.chroot = chroot;
            Ok(client)
        }
    }

    // ------------------------------------------------------------ watches

    /// The node's data and Stat, plus a one-shot watcher resolved by the node's next change
    /// (NodeDataChanged or NodeDeleted) or by the session's end. A missing node is
    /// [`Error::NoNode`] and leaves no watch.
    ///
    /// ```no_run
    /// # async fn example(client: zk_client::Client) -> zk_client::Result<()> {
    /// let (data, _stat, watcher) = client.get_and_watch_data("/config").await?;
    /// let event = watcher.await;
    /// println!("{:?} on {} (was {data:?})", event.event_type, event.path);
    /// # Ok(()) }
    /// ```
    pub fn get_and_watch_data(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Bytes, Stat, OneshotWatcher)>> + Send + 'static {
        let (reply, watcher) = self.submit_watched(path, WatchKind::Data, |path| {
            Request::GetData(GetDataRequest { path, watch: true })
        });
        async move {
            let (data, stat) = data_result(reply.await?)?;
            Ok((data, stat, watcher.expect("sent requests have a watcher")))
        }
    }

    /// Like [`get_and_watch_data`](Client::get_and_watch_data), but null data is `None`.
    pub fn get_and_watch_data_nullable(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Option<Bytes>, Stat, OneshotWatcher)>> + Send + 'static {
        let (reply, watcher) = self.submit_watched(path, WatchKind::Data, |path| {
            Request::GetData(GetDataRequest { path, watch: true })
        });
        async move {
            let (data, stat) = nullable_data_result(reply.await?)?;
            Ok((data, stat, watcher.expect("sent requests have a watcher")))
        }
    }

    /// The node's Stat (`None` if missing), plus a one-shot watcher resolved by its creation,
    /// change or deletion, or by the session's end. The watch is set even if the node does not
    /// exist.
    pub fn check_and_watch_stat(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Option<Stat>, OneshotWatcher)>> + Send + 'static {
        let (reply, watcher) = self.submit_watched(path, WatchKind::Data, |path| {
            Request::Exists(ExistsRequest { path, watch: true })
        });
        async move {
            let stat = exists_result(reply.await?)?;
            Ok((stat, watcher.expect("sent requests have a watcher")))
        }
    }

    /// The node's child names and Stat, plus a one-shot watcher resolved by the next child
    /// change (NodeChildrenChanged) or the node's deletion, or by the session's end.
    pub fn get_and_watch_children(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Vec<String>, Stat, OneshotWatcher)>> + Send + 'static {
        let (reply, watcher) = self.submit_watched(path, WatchKind::Child, |path| {
            Request::GetChildren2(GetChildren2Request { path, watch: true })
        });
        async move {
            let (children, stat) = children2_result(reply.await?)?;
            Ok((
                children,
                stat,
                watcher.expect("sent requests have a watcher"),
            ))
        }
    }

    /// Adds a persistent watch (addWatch) on `path`, which need not exist, and returns its
    /// stream of events.
    ///
    /// - [`AddWatchMode::Persistent`]: NodeCreated, NodeDataChanged, NodeDeleted and
    ///   NodeChildrenChanged for `path` itself.
    /// - [`AddWatchMode::PersistentRecursive`]: NodeCreated, NodeDataChanged and NodeDeleted
    ///   for `path` and every descendant (never NodeChildrenChanged).
    ///
    /// The stream also carries `Disconnected`/`SyncConnected` session events: ZooKeeper does
    /// not replay what a persistent watch missed while disconnected, so re-read on
    /// `SyncConnected`.
    ///
    /// ```no_run
    /// use zk_proto::AddWatchMode;
    /// # async fn example(client: zk_client::Client) -> zk_client::Result<()> {
    /// let mut events = client.watch("/services", AddWatchMode::PersistentRecursive).await?;
    /// while let Some(event) = events.next().await {
    ///     println!("{:?} {}", event.event_type, event.path);
    /// }
    /// # Ok(()) }
    /// ```
    #[doc(alias = "add_watch")]
    #[doc(alias = "addWatch")]
    pub fn watch(
        &self,
        path: &str,
        mode: AddWatchMode,
    ) -> impl Future<Output = Result<PersistentWatcher>> + Send + 'static {
        let kind = match mode {
            AddWatchMode::Persistent => WatchKind::Persistent,
            AddWatchMode::PersistentRecursive => WatchKind::PersistentRecursive,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self.next_watcher_id();
        let request = self.server_path(path);
        let watch = request.as_ref().ok().map(|server_path| WatchSpec {
            id,
            kind,
            path: server_path.clone(),
            chroot: self.chroot.clone(),
            sink: WatchSink::Stream(tx),
        });
        let request = request.map(|path| {
            Request::AddWatch(AddWatchRequest {
                path,
                mode: mode.code(),
            })
        });
        let reply = self.submit(request, watch);
        let guard = WatchGuard::new(id, self.shared.commands.downgrade());
        async move {
            reply.await?;
            Ok(PersistentWatcher::new(rx, guard))
        }
    }

    /// Asks the server whether this connection holds a watch of `watcher_type` on `path`
    /// (checkWatches); [`Error::NoWatcher`] if not. ZooKeeper 3.8 knows only `Children`,
    /// `Data` and `Any`.
    pub fn check_watches(
        &self,
        path: &str,
        watcher_type: WatcherType,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let request = self.server_path(path).map(|path| {
            Request::CheckWatches(CheckWatchesRequest {
                path,
                type_code: watcher_type.code(),
            })
        });
        let reply = self.submit(request, None);
        async move { reply.await.map(drop) }
    }

    /// Removes every watch of `watcher_type` on `path` from the server (removeWatches) and
    /// locally: each local watcher gets a `DataWatchRemoved`, `ChildWatchRemoved` or
    /// `PersistentWatchRemoved` event (streams then end). [`Error::NoWatcher`] if the server
    /// had none. ZooKeeper 3.8 knows only `Children`, `Data` and `Any`.
    pub fn remove_watches(
        &self,
        path: &str,
        watcher_type: WatcherType,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let request = self.server_path(path).map(|path| {
            Request::RemoveWatches(RemoveWatchesRequest {
                path,
                type_code: watcher_type.code(),
            })
        });
        let reply = self.submit(request, None);
        async move { reply.await.map(drop) }
    }
}

fn exists_result(response: Response) -> Result<Option<Stat>> {
    match response {
        Response::Exists(r) => Ok(Some(r.stat)),
        Response::Empty => Ok(None),
        other => Err(unexpected(&other)),
    }
}

fn data_result(response: Response) -> Result<(Bytes, Stat)> {
    nullable_data_result(response).map(|(data, stat)| (data.unwrap_or_default(), stat))
}

fn nullable_data_result(response: Response) -> Result<(Option<Bytes>, Stat)> {
    match response {
        Response::GetData(r) => Ok((r.data, r.stat)),
        other => Err(unexpected(&other)),
    }
}

fn children2_result(response: Response) -> Result<(Vec<String>, Stat)> {
    match response {
        Response::GetChildren2(r) => Ok((r.children, r.stat)),
        other => Err(unexpected(&other)),
    }
}

/// A reply body of the wrong shape: the decoder chose it from our own op code, so this is a
/// bug, reported rather than panicking.
pub(crate) fn unexpected(response: &Response) -> Error {
    Error::Protocol(format!("unexpected reply body {response:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watcher::{OneshotWatcher, PersistentWatcher};

    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}

    #[test]
    fn handles_and_watchers_cross_threads() {
        assert_send_sync::<Client>();
        assert_send_sync::<ClientBuilder>();
        assert_send::<OneshotWatcher>();
        assert_send::<PersistentWatcher>();
        assert_send::<crate::SessionEvents>();
    }
}
