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
//! # Fairness
//!
//! Free slots are handed out in the order the connections asked for them (a FIFO-fair
//! [`Semaphore`]), one request at a time, and a connection task yields after forwarding each
//! write, so under saturation the connections take turns at the group commits. The core
//! frees slots in bursts (a group commit answers hundreds of writes at once), more than there
//! are waiting connections; without turns, the connections that run first would take the
//! whole burst for their read buffers and the rest would wait for the next commit.
//! An earlier design woke every waiting connection whenever a slot freed and let them race:
//! the first to run — the most recently woken task, through tokio's LIFO slot — took every
//! free slot for its whole read buffer, and the same few sessions kept winning while others
//! waited hundreds of milliseconds (issue 10: p99 at 160x the p50).
//!
//! # Layout
//!
//! The semaphore's permits are the free slots, `limit - in_flight`. Connections take one per
//! request ([`Throttle::admit`]); after each step the core task gives back as many as
//! requests left it ([`Throttle::on_core_step`]: those it received, less the growth of what
//! it holds). When it holds more than it received (requests of its own), it withdraws free
//! slots, owing the rest until some are given back. Permits are only ever handed over, never
//! recomputed from counts that connections update concurrently, so they stay exact however
//! late woken connections run.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use zk_server::net::throttle::Throttle;
//!
//! let throttle = Throttle::new(2);
//! throttle.admit().await;
//! throttle.admit().await;
//! assert_eq!(throttle.in_flight(), 2); // a third admit() would wait
//! throttle.on_core_step(2, 0); // the core received both and answered both
//! assert_eq!(throttle.in_flight(), 0);
//! # });
//! ```
//!
//! [`ServerCore::outstanding_requests`]: crate::core::ServerCore::outstanding_requests

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

/// Shared between the connection tasks and the core task. See the module docs.
#[derive(Debug)]
pub struct Throttle {
    /// `globalOutstandingLimit`; 0 disables throttling.
    limit: usize,
    /// Requests sent to the core task and not yet taken off the channel.
    queued: AtomicUsize,
    /// Requests the core holds unanswered, as of its last step.
    in_core: AtomicUsize,
    /// Free slots, given to waiting connections in the order they asked.
    slots: Semaphore,
    /// Slots the core must still withdraw: it took on more requests than it received while
    /// none were free. Only the core task touches it.
    owed: AtomicUsize,
}

impl Throttle {
    /// A throttle for `globalOutstandingLimit` = `limit` (0: unlimited).
    pub fn new(limit: usize) -> Self {
        Throttle {
            limit,
            queued: AtomicUsize::new(0),
            in_core: AtomicUsize::new(0),
            slots: Semaphore::new(limit.min(Semaphore::MAX_PERMITS)),
            owed: AtomicUsize::new(0),
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

    /// Waits (a connection task, before forwarding a request) for a free slot, behind the
    /// connections that asked earlier, then counts the request as queued.
    ///
    /// Cancel-safe: dropped while waiting, it takes no slot.
    pub async fn admit(&self) {
        if self.limit != 0 {
            self.slots
                .acquire()
                .await
                .expect("the throttle's semaphore is never closed")
                .forget();
        }
        self.queued.fetch_add(1, Ordering::SeqCst);
    }

    /// Un-counts a request that was admitted but could not be forwarded (the core is gone).
    pub fn cancel(&self) {
        self.queued.fetch_sub(1, Ordering::SeqCst);
        if self.limit != 0 {
            self.slots.add_permits(1);
        }
    }

    /// The core task took `received` requests off the channel and now holds `in_core`
    /// unanswered ones: gives throttled connections the slots of the requests that left.
    /// Called by the core task only.
    pub fn on_core_step(&self, received: usize, in_core: usize) {
        let held_before = self.in_core.swap(in_core, Ordering::SeqCst);
        if received > 0 {
            self.queued.fetch_sub(received, Ordering::SeqCst);
        }
        if self.limit == 0 {
            return;
        }
        // Requests that left the core this step (negative: it took on requests of its own).
        let left = (received + held_before) as isize - in_core as isize;
        let mut owed = self.owed.load(Ordering::SeqCst);
        if left >= 0 {
            let repaid = owed.min(left as usize);
            owed -= repaid;
            if left as usize > repaid {
                self.slots.add_permits(left as usize - repaid);
            }
        } else {
            owed += left.unsigned_abs();
        }
        if owed > 0 {
            owed -= self.slots.forget_permits(owed);
        }
        self.owed.store(owed, Ordering::SeqCst);
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

    /// Spawns a connection that records `id` in `order` once admitted.
    fn waiter(
        throttle: &Arc<Throttle>,
        order: &Arc<std::sync::Mutex<Vec<usize>>>,
        id: usize,
    ) -> tokio::task::JoinHandle<()> {
        let (throttle, order) = (throttle.clone(), order.clone());
        tokio::spawn(async move {
            throttle.admit().await;
            order.lock().unwrap().push(id);
        })
    }

    #[tokio::test]
    async fn frees_slots_to_waiting_connections_in_the_order_they_asked() {
        let throttle = Arc::new(Throttle::new(1));
        throttle.admit().await;
        let order = Arc::default();
        let mut waiters = Vec::new();
        for id in 0..5 {
            waiters.push(waiter(&throttle, &order, id));
            tokio::task::yield_now().await; // let it start waiting before the next one
        }
        for _ in 0..5 {
            // The core received one request and answered it: one slot frees.
            throttle.on_core_step(1, 0);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for waiter in waiters {
            tokio::time::timeout(Duration::from_secs(5), waiter)
                .await
                .expect("admitted")
                .expect("task");
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_slot_is_not_handed_out_twice_while_its_connection_has_not_run_yet() {
        let throttle = Arc::new(Throttle::new(2));
        throttle.admit().await;
        throttle.admit().await;
        let order = Arc::default();
        let waiters: Vec<_> = (0..3).map(|id| waiter(&throttle, &order, id)).collect();
        tokio::task::yield_now().await;
        // Both answered; then more core steps with nothing new, before the woken connections
        // get to run (on this single-threaded runtime they cannot until we yield).
        throttle.on_core_step(2, 0);
        throttle.on_core_step(0, 0);
        throttle.on_core_step(0, 0);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            order.lock().unwrap().len(),
            2,
            "two slots freed, two admitted"
        );
        assert_eq!(throttle.in_flight(), 2);
        waiters.iter().for_each(|w| w.abort());
    }

    #[tokio::test]
    async fn requests_the_core_takes_on_itself_withdraw_free_slots() {
        let throttle = Throttle::new(3);
        // The core holds two requests it did not receive from a connection (and none free
        // up): one slot is left.
        throttle.on_core_step(0, 2);
        throttle.admit().await;
        let blocked = tokio::time::timeout(Duration::from_millis(20), throttle.admit()).await;
        assert!(blocked.is_err(), "the limit counts what the core holds");
        // The core received the admitted request and answered everything.
        throttle.on_core_step(1, 0);
        tokio::time::timeout(Duration::from_secs(5), throttle.admit())
            .await
            .expect("slots came back");
    }

    #[tokio::test]
    async fn a_cancelled_request_gives_its_slot_back() {
        let throttle = Throttle::new(1);
        throttle.admit().await;
        throttle.cancel();
        assert_eq!(throttle.in_flight(), 0);
        tokio::time::timeout(Duration::from_secs(5), throttle.admit())
            .await
            .expect("the slot is free again");
    }
}
