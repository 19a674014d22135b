//! The client's integration suite, run twice: against this workspace's `zk-server` (module
//! `ours`) and against Apache ZooKeeper 3.8 (module `apache`, when `ZK_JAVA_CLASSPATH` is set;
//! otherwise each Apache test prints a SKIP line). The same test body runs against both, so the
//! client is proven against the reference server and our server against our client.
//!
//! Tests that do not restart anything share one server per kind, each under its own root node;
//! the reconnect and expiry tests start their own servers (and a cutting proxy).

mod harness;
mod operations;
mod sessions;
mod watches;

use harness::Kind;
use operations::*;
use sessions::*;
use watches::*;

/// Runs each listed test body against both servers.
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod ours {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Kind::Ours).await;
                }
            )*
        }
        mod apache {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if !super::Kind::Apache.available() {
                        // Straight to stderr: the test harness captures `println!`.
                        use std::io::Write as _;
                        let _ = writeln!(
                            std::io::stderr(),
                            "SKIP apache::{}: ZK_JAVA_CLASSPATH is not set",
                            stringify!($name)
                        );
                        return;
                    }
                    super::$name(super::Kind::Apache).await;
                }
            )*
        }
    };
}

suite! {
    crud_round_trip,
    create_modes,
    acl_and_digest_auth,
    unknown_auth_scheme_ends_the_session,
    multi_commits_atomically_and_reports_every_result,
    one_shot_watches_fire_once,
    persistent_watches_stream_events,
    dropping_a_watcher_removes_it,
    requests_complete_in_call_order_when_awaited_in_reverse,
    session_info_operations,
    close_ends_the_session,
    fail_eagerly_and_failover_between_hosts,
    reconnect_to_restarted_server_keeps_session_and_watches,
    session_expires_when_no_server_answers_in_time,
    expiry_reported_by_the_server_is_surfaced,
    server_behind_our_last_zxid_is_skipped,
    idle_session_is_kept_alive_by_pings,
    request_timeout_fails_a_call_without_a_reply,
}
