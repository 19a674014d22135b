//! Barrier, DoubleBarrier, Queue, SharedCount and DistributedAtomicLong against our server.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{within, Env};
use zk_recipes::{Barrier, DistributedAtomicLong, DoubleBarrier, Queue, SharedCount};

#[tokio::test]
async fn a_barrier_holds_waiters_until_removed() {
    let env = Env::new("barrier").await;
    let a = env.client().await;
    let barrier = Barrier::new(&a, "/gate/b");
    barrier.set().await.expect("set");
    barrier.set().await.expect("set twice");
    assert!(barrier.is_set().await.unwrap());
    let mut waiters = Vec::new();
    for _ in 0..3 {
        let b = Barrier::new(&env.client().await, "/gate/b");
        waiters.push(tokio::spawn(async move { b.wait().await }));
    }
    assert!(!barrier
        .wait_timeout(Duration::from_millis(100))
        .await
        .unwrap());
    assert!(waiters.iter().all(|w| !w.is_finished()));
    barrier.remove().await.expect("remove");
    for waiter in waiters {
        within("waiter", waiter).await.unwrap().expect("wait");
    }
    assert!(barrier.wait_timeout(Duration::ZERO).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_barrier_lets_members_in_and_out_together() {
    let env = Env::new("double-barrier").await;
    let members = 4;
    let entered = Arc::new(AtomicUsize::new(0));
    let left = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..members {
        let client = env.client().await;
        let (entered, left) = (entered.clone(), left.clone());
        tasks.push(tokio::spawn(async move {
            // Stagger arrivals so that early members really wait.
            tokio::time::sleep(Duration::from_millis(30 * i as u64)).await;
            let barrier = DoubleBarrier::new(&client, "/db", members);
            barrier.enter().await.expect("enter");
            entered.fetch_add(1, Ordering::SeqCst);
            // Nobody passes `enter` before everyone has arrived.
            let in_now = client.get_children("/db").await.unwrap();
            assert!(in_now.len() >= members, "entered early: {in_now:?}");
            tokio::time::sleep(Duration::from_millis(20 * (members - i) as u64)).await;
            barrier.leave().await.expect("leave");
            left.fetch_add(1, Ordering::SeqCst);
            // Nobody passes `leave` before everyone has left.
            let members_left = client.get_children("/db").await.unwrap_or_default();
            assert!(
                members_left.iter().all(|c| c == "ready"),
                "left early: {members_left:?}"
            );
        }));
    }
    for task in tasks {
        within("members", task).await.expect("member");
    }
    assert_eq!(entered.load(Ordering::SeqCst), members);
    assert_eq!(left.load(Ordering::SeqCst), members);
    let check = env.client().await;
    let rest = check.get_children("/db").await.unwrap_or_default();
    assert!(
        rest.is_empty(),
        "the last member out removes ready: {rest:?}"
    );
}

#[tokio::test]
async fn a_double_barrier_entry_times_out_without_the_others() {
    let env = Env::new("double-barrier-timeout").await;
    let client = env.client().await;
    let barrier = DoubleBarrier::new(&client, "/db", 2);
    assert!(!barrier
        .enter_timeout(Duration::from_millis(100))
        .await
        .unwrap());
    assert!(
        client.get_children("/db").await.unwrap().is_empty(),
        "our node was removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_delivers_each_item_once_in_order() {
    let env = Env::new("queue").await;
    let producer = env.client().await;
    let queue = Queue::new(&producer, "/q");
    assert_eq!(queue.poll().await.unwrap(), None);
    assert!(queue
        .take_timeout(Duration::from_millis(50))
        .await
        .unwrap()
        .is_none());
    for i in 0..5 {
        queue
            .offer(format!("item-{i}").as_bytes())
            .await
            .expect("offer");
    }
    assert_eq!(queue.len().await.unwrap(), 5);
    assert_eq!(queue.peek().await.unwrap().as_deref(), Some(&b"item-0"[..]));
    assert_eq!(queue.take().await.unwrap(), &b"item-0"[..]);
    assert_eq!(queue.poll().await.unwrap().as_deref(), Some(&b"item-1"[..]));

    // Competing consumers, with producers still offering: every item exactly once.
    let mut consumers = Vec::new();
    for _ in 0..3 {
        let q = Queue::new(&env.client().await, "/q");
        consumers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(item) = q.take_timeout(Duration::from_millis(500)).await.unwrap() {
                got.push(String::from_utf8(item.to_vec()).unwrap());
            }
            got
        }));
    }
    for i in 5..30 {
        queue
            .offer(format!("item-{i}").as_bytes())
            .await
            .expect("offer");
    }
    let mut all = Vec::new();
    for consumer in consumers {
        let got = within("consumers", consumer).await.unwrap();
        // Each consumer sees items in queue order.
        let numbers: Vec<u32> = got.iter().map(|s| s[5..].parse().unwrap()).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        all.extend(got);
    }
    let expected: BTreeSet<String> = (2..30).map(|i| format!("item-{i}")).collect();
    assert_eq!(
        all.len(),
        expected.len(),
        "an item was delivered twice or lost"
    );
    assert_eq!(all.into_iter().collect::<BTreeSet<_>>(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_count_compare_and_set_loses_no_update_under_contention() {
    let env = Env::new("shared-count").await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let client = env.client().await;
        tasks.push(tokio::spawn(async move {
            let count = SharedCount::new(&client, "/counters/c", 100);
            let mut conflicts = 0;
            for _ in 0..10 {
                loop {
                    let current = count.get().await.expect("get");
                    if count
                        .try_set(current.value + 1, &current)
                        .await
                        .expect("set")
                    {
                        break;
                    }
                    conflicts += 1;
                }
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        conflicts += within("incrementers", task).await.unwrap();
    }
    let client = env.client().await;
    let count = SharedCount::new(&client, "/counters/c", 0);
    let value = count.get().await.unwrap();
    assert_eq!(
        value.value, 160,
        "seed 100 + 60 increments ({conflicts} conflicts retried)"
    );
    // Curator's layout: 4 bytes, big-endian.
    let (raw, _) = client.get_data("/counters/c").await.unwrap();
    assert_eq!(&raw[..], &160i32.to_be_bytes());
    // A stale version is refused.
    let stale = zk_recipes::VersionedValue {
        value: 0,
        version: value.version - 1,
    };
    assert!(!count.try_set(5, &stale).await.unwrap());
    // Waiting for a change.
    let waiter = {
        let count = count.clone();
        tokio::spawn(async move { count.changed(&value).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    count.set(7).await.unwrap();
    assert_eq!(within("change", waiter).await.unwrap().unwrap().value, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atomic_long_increments_are_all_counted() {
    let env = Env::new("atomic-long").await;
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let client = env.client().await;
        tasks.push(tokio::spawn(async move {
            let counter = DistributedAtomicLong::new(&client, "/counters/hits");
            for _ in 0..10 {
                let outcome = counter.increment().await.expect("increment");
                assert_eq!(outcome.post, outcome.pre + 1);
            }
        }));
    }
    for task in tasks {
        within("incrementers", task).await.unwrap();
    }
    let client = env.client().await;
    let counter = DistributedAtomicLong::new(&client, "/counters/hits");
    assert_eq!(counter.get().await.unwrap(), 50);
    let (raw, _) = client.get_data("/counters/hits").await.unwrap();
    assert_eq!(&raw[..], &50i64.to_be_bytes());
    assert!(!counter.compare_and_set(49, 0).await.unwrap());
    assert!(counter.compare_and_set(50, -3).await.unwrap());
    assert_eq!(counter.decrement().await.unwrap().post, -4);
    assert_eq!(
        DistributedAtomicLong::new(&client, "/counters/none")
            .get()
            .await
            .unwrap(),
        0
    );
}
