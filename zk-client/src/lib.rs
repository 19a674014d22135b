//! An async client for ZooKeeper-protocol servers (Apache ZooKeeper 3.5–3.9 and this
//! workspace's `zk-server`), built on tokio.
//!
//! - **One session, many handles.** [`Client`] is cheap to clone; every clone shares one
//!   session, owned by a background task that holds the connection. [`Client::chroot`] gives a
//!   view rooted at a sub-path.
//! - **Call order is wire order.** Each operation sends its request before returning its
//!   future, so requests reach the server in the order the methods were called, with any
//!   number in flight (see [`client`]).
//! - **Watches are values.** `get_and_watch_*` return a [`OneshotWatcher`] future beside the
//!   result; [`Client::watch`] returns a [`PersistentWatcher`] stream. Dropping a watcher
//!   removes its watch.
//! - **Failover without losing events.** On connection loss the client reconnects to the next
//!   host within the session timeout, presenting its session and last seen zxid, re-sends its
//!   credentials and re-registers its watches with setWatches2, so the server reports at once
//!   what changed meanwhile. Calls in flight fail with [`Error::ConnectionLoss`] (retryable).
//! - **Expiry is surfaced, never hidden.** The session-event stream says `Expired`, every call
//!   fails with [`Error::SessionExpired`], and [`Client::reconnect_new_session`] starts over
//!   explicitly.
//!
//! # Layout
//!
//! - [`client`]: [`Client`] and every operation.
//! - [`builder`]: [`ClientBuilder`], connection options.
//! - [`connect_string`]: [`ConnectString`], `host:port,host:port/chroot`.
//! - [`options`]: [`CreateOptions`] (mode, ACL, TTL).
//! - [`multi`]: [`MultiBuilder`], [`MultiReadBuilder`] and their results.
//! - [`watcher`]: [`WatchedEvent`], [`OneshotWatcher`], [`PersistentWatcher`].
//! - [`state`]: [`SessionState`], [`SessionEvent`], [`SessionEvents`].
//! - [`error`]: [`Error`] and its classifiers.
//! - internal: `actor` (the session task), `connection` (one TCP connection),
//!   `watch_registry` (local watchers, setWatches), `command`, `chroot`.
//!
//! # Examples
//!
//! Connect, then create, read, update and delete:
//!
//! ```no_run
//! use zk_client::{Client, CreateOptions, Error};
//!
//! # async fn example() -> zk_client::Result<()> {
//! let client = Client::connect("127.0.0.1:2181").await?;
//! let (path, stat) = client.create("/app", b"v1", &CreateOptions::persistent()).await?;
//! assert_eq!((path.as_str(), stat.version), ("/app", 0));
//!
//! let (data, stat) = client.get_data("/app").await?;
//! assert_eq!(&data[..], b"v1");
//! client.set_data("/app", b"v2", Some(stat.version)).await?;
//! // A stale version is refused.
//! assert_eq!(client.set_data("/app", b"v3", Some(0)).await, Err(Error::BadVersion));
//!
//! client.delete("/app", None).await?;
//! assert_eq!(client.exists("/app").await?, None);
//! client.close().await;
//! # Ok(()) }
//! ```
//!
//! Watches, one-shot and persistent:
//!
//! ```no_run
//! use zk_client::Client;
//! use zk_proto::{AddWatchMode, EventType};
//!
//! # async fn example(client: Client) -> zk_client::Result<()> {
//! let (_data, _stat, watcher) = client.get_and_watch_data("/config").await?;
//! client.set_data("/config", b"new", None).await?;
//! assert_eq!(watcher.await.event_type, EventType::NodeDataChanged);
//!
//! let mut tree = client.watch("/services", AddWatchMode::PersistentRecursive).await?;
//! while let Some(event) = tree.next().await {
//!     if event.is_session_end() {
//!         break;
//!     }
//!     println!("{:?} {}", event.event_type, event.path);
//! }
//! # Ok(()) }
//! ```
//!
//! An atomic multi, whose failure carries every op's result:
//!
//! ```no_run
//! use zk_client::{Client, CreateOptions, Error};
//!
//! # async fn example(client: Client) -> zk_client::Result<()> {
//! let outcome = client
//!     .multi()
//!     .create("/jobs/1", b"", &CreateOptions::persistent())
//!     .delete("/queue/1", Some(0))
//!     .commit()
//!     .await;
//! if let Err(Error::Multi(failed)) = &outcome {
//!     eprintln!("op {} failed with {}; codes {:?}", failed.index, failed.code, failed.results);
//! }
//! # Ok(()) }
//! ```
//!
//! Session events, and recovering from expiry:
//!
//! ```no_run
//! use zk_client::{Client, SessionEvent};
//!
//! # async fn example(client: Client) -> zk_client::Result<()> {
//! let mut events = client.session_events();
//! while let Some(event) = events.next().await {
//!     match event {
//!         SessionEvent::Disconnected => { /* suspend: stop acting as lock holder */ }
//!         SessionEvent::Reconnected => { /* resume */ }
//!         SessionEvent::Expired => {
//!             let client = client.reconnect_new_session().await?;
//!             // re-create ephemerals, re-read watched data...
//!             # drop(client);
//!             break;
//!         }
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Not (yet) supported
//!
//! TLS, SASL (only schemes that fit one auth packet, such as `digest`), `reconfig`, and
//! searching for a read-write server while connected read-only (the client moves only when its
//! connection is lost).

mod actor;
pub mod builder;
mod chroot;
pub mod client;
mod command;
pub mod connect_string;
mod connection;
pub mod error;
pub mod multi;
pub mod options;
pub mod state;
mod watch_registry;
pub mod watcher;

pub use builder::ClientBuilder;
pub use client::Client;
pub use connect_string::ConnectString;
pub use error::{Error, Result};
pub use multi::{MultiBuilder, MultiError, MultiReadBuilder, OpResult, ReadResult};
pub use options::CreateOptions;
pub use state::{SessionEvent, SessionEvents, SessionState};
pub use watcher::{OneshotWatcher, PersistentWatcher, WatchedEvent};
pub use zk_proto::{
    Acl, AddWatchMode, ClientInfo, CreateMode, EventType, Id, KeeperState, Perms, SessionId, Stat,
    WatcherType, Zxid,
};
