//! `zk-cli`: a ZooKeeper shell that speaks zkCli's language, plus what zkCli lacks.
//!
//! - **zkCli-compatible.** Every command of Apache ZooKeeper 3.8's `zkCli.sh` with its flags
//!   (`create -s -e -c -t`, `ls -s -w -R`, `get -s -w -b -x`, `set -s -v -b`, `stat -w`,
//!   `delete -v`, `deleteall -b`/`rmr`, `getAcl`, `setAcl -s -v -R`, `addauth`, `whoami`,
//!   `sync`, `addWatch -m`, `removewatches`, quotas, `config`, `reconfig`, `getEphemerals`,
//!   `getAllChildrenNumber`, `connect`, `close`, `history`, `redo`, `printwatches`, `version`,
//!   `quit`), printing what zkCli prints: the Stat block, `[a, b]` lists, `Created /p`, error
//!   sentences such as `Node does not exist: /p`, and `WATCHER::` blocks for watch events.
//! - **Better for scripts.** One-shot mode exits non-zero on any failure; `-o json` gives
//!   every read command a JSON form.
//! - **More.** `tree`, `find`, `grep`, `dump`/`restore` of a subtree as JSON, `watch` with an
//!   exec hook, `lock`/`elect` around a command, and `cluster status`.
//!
//! # Layout
//!
//! - [`shell`]: the shell loop, one-shot runs, `connect`/`close`/`history`/`redo`.
//! - [`commands`]: every other command, by family.
//! - [`parse`]: zkCli's line splitting and commons-cli option parsing.
//! - [`format`](mod@format): Apache's text formats (Stat block, dates, ACL ids, events, quotas).
//! - [`session`]: the connection (a root client and a chrooted view).
//! - [`watches`]: the watches the shell holds, polled as one event source.
//! - [`editor`]: line editing, history and completion (rustyline).
//! - [`raw`]: reconfig and four-letter words, which `zk-client` has no method for.
//! - [`out`]: buffered command output; [`error`]: [`CliError`].
//!
//! # Example
//!
//! The formats are plain functions:
//!
//! ```
//! use zk_cli::format::{java_list, perm_string};
//! use zk_client::Perms;
//!
//! assert_eq!(java_list(&["a", "b"]), "[a, b]");
//! assert_eq!(perm_string(Perms::ALL), "cdrwa");
//! ```
//!
//! Running a command against a server, as the binary does for `zk-cli -server ... ls /`:
//!
//! ```no_run
//! use zk_cli::shell::{Shell, ShellOptions};
//!
//! # async fn example() {
//! let options = ShellOptions { server: "127.0.0.1:2181".into(), ..ShellOptions::default() };
//! let status = Shell::new(options).run_once(vec!["ls".into(), "/".into()]).await;
//! assert_eq!(status, 0);
//! # }
//! ```

pub mod commands;
pub mod editor;
pub mod error;
pub mod format;
pub mod out;
pub mod parse;
pub mod raw;
pub mod session;
pub mod shell;
pub mod watches;

pub use error::CliError;
