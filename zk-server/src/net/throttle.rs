//! [`Throttle`]: `globalOutstandingLimit`, the bound on requests in flight across all
//! connections.
//!
//! A request is in flight from the moment a connection task forwards it to the core until the
//! core has answered it: it is either queued in the channel to the core ([`Throttle::queued`])
//! or held by the core, waiting for its session's earlier writes or for its own commit
//! ([`ServerCore::outstanding_requests`]). While the sum is at or above the limit, connection
//! tasks stop reading their sockets — TCP flow control then slows the clients down — exactly
//! as Apache ZooKeeper stops reading from connections when `globalOutstandingLimit` is
//! exceeded. The core never needs more input to finish what it holds (commits only wait for
//! the disk), so throttled connections always resume.
//!
//! [`ServerCore::outstanding_requests`]: crate::core::ServerCore::outstanding_requests

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Shared between the connection tasks and the core task. See the module docs.
#[derive(Debug)]
pub struct Throttle {
    /// `globalOutstandingLimit`; 0 disables throttling.
    limit: usize,
    /// Requests sent to the core task and not yet taken off the channel.
    queued: AtomicUsize,
    /// Requests the core holds unanswered, as of its last step.
    in_core: AtomicUsize,
    /// Set by a connection before it waits, so the core only wakes anyone when needed.
    waiting: AtomicBool,
    resume: Notify,
}

impl Throttle {
    /// A throttle for `globalOutstandingLimit` = `limit` (0: unlimited).
    pub fn new(limit: usize) -> Self {
        Throttle {
            limit,
            queued: AtomicUsize::new(0),
            in_core: AtomicUsize::new(0),
            waiting: AtomicBool::new(false),
            resume: Notify::new(),
        }
    }

    /// Requests in flight (queued for or held by the core).
    pub fn in_flight(&self) -> usize {
        self.queued.load(Ordering::SeqCst) + self.in_core.load(Ordering::SeqCst)
    }

    /// Requests forwarded to the core and not yet received by it.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    fn is_over(&self) -> bool {
        self.limit != 0 && self.in_flight() >= self.limit
    }

    /// Waits (a connection task, before forwarding a request) until fewer than the limit are
    /// in flight, then counts the request as queued.
    pub async fn admit(&self) {
        loop {
            let resumed = self.resume.notified();
            tokio::pin!(resumed);
            // Register before checking, so a wake-up between the check and the wait is kept.
            resumed.as_mut().enable();
            if !self.is_over() {
                break;
            }
            // Ask the core for a wake-up, then look again: the core may have caught up
            // before it could see the request.
            self.waiting.store(true, Ordering::SeqCst);
            if !self.is_over() {
                break;
            }
            resumed.await;
        }
        self.queued.fetch_add(1, Ordering::SeqCst);
    }

    /// Un-counts a request that was admitted but could not be forwarded (the core is gone).
    pub fn cancel(&self) {
        self.queued.fetch_sub(1, Ordering::SeqCst);
    }

    /// The core task took `received` requests off the channel and now holds `in_core`
    /// unanswered ones. Wakes throttled connections if the total fell below the limit.
    pub fn on_core_step(&self, received: usize, in_core: usize) {
        // Publish the core's count first, so the total is never under-estimated.
        self.in_core.store(in_core, Ordering::SeqCst);
        if received > 0 {
            self.queued.fetch_sub(received, Ordering::SeqCst);
        }
        if !self.is_over() && self.waiting.swap(false, Ordering::SeqCst) {
            self.resume.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn admits_until_the_limit_then_waits_for_the_core() {
        let throttle = Arc::new(Throttle::new(2));
        throttle.admit().await;
        throttle.admit().await;
        assert_eq!(throttle.in_flight(), 2);
        let blocked = tokio::spawn({
            let throttle = throttle.clone();
            async move { throttle.admit().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!blocked.is_finished(), "a third request waits at limit 2");
        // The core took both and still holds one.
        throttle.on_core_step(2, 1);
        tokio::time::timeout(Duration::from_secs(5), blocked)
            .await
            .expect("resumed")
            .expect("task");
        assert_eq!(throttle.in_flight(), 2);
    }

    #[tokio::test]
    async fn zero_means_unlimited() {
        let throttle = Throttle::new(0);
        for _ in 0..10_000 {
            throttle.admit().await;
        }
        assert_eq!(throttle.queued(), 10_000);
    }
}
