//! Lock against our server: mutual exclusion under contention, arrival order, expiry,
//! try/timeout/cancel cleanup, and both naming schemes on one path.

mod common;

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{expire, within, Env};
use zk_recipes::{Lock, LockLoss, NodeNaming};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_contenders_never_hold_the_lock_together() {
    let env = Env::new("lock-exclusion").await;
    let holders = Arc::new(AtomicI32::new(0));
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..12 {
        let client = env.client().await;
        let holders = holders.clone();
        let tokens = tokens.clone();
        // Half the contenders use kazoo's names: one lock, two naming schemes.
        let naming = if i % 2 == 0 {
            NodeNaming::Curator
        } else {
            NodeNaming::Kazoo
        };
        tasks.push(tokio::spawn(async move {
            let lock = Lock::new(&client, "/lock").with_naming(naming);
            for _ in 0..4 {
                let guard = lock.acquire().await.expect("acquire");
                let inside = holders.fetch_add(1, Ordering::SeqCst) + 1;
                assert_eq!(inside, 1, "two holders at once");
                tokens.lock().unwrap().push(guard.fencing_token());
                tokio::time::sleep(Duration::from_millis(2)).await;
                holders.fetch_sub(1, Ordering::SeqCst);
                guard.release().await.expect("release");
            }
            client.close().await;
        }));
    }
    for task in tasks {
        within("contenders", task)
            .await
            .expect("contender panicked");
    }
    let tokens = tokens.lock().unwrap().clone();
    assert_eq!(tokens.len(), 48);
    assert!(
        tokens.windows(2).all(|w| w[0] < w[1]),
        "fencing tokens must increase from holder to holder: {tokens:?}"
    );
}

#[tokio::test]
async fn waiters_are_served_in_arrival_order() {
    let env = Env::new("lock-order").await;
    let client = env.client().await;
    let lock = Lock::new(&client, "/lock");
    let first = lock.acquire().await.expect("acquire");
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..5 {
        let waiter_client = env.client().await;
        let order = order.clone();
        tasks.push(tokio::spawn(async move {
            let lock = Lock::new(&waiter_client, "/lock");
            let guard = lock.acquire().await.expect("acquire");
            order.lock().unwrap().push(i);
            tokio::time::sleep(Duration::from_millis(5)).await;
            guard.release().await.expect("release");
        }));
        // The next waiter starts only once this one's node exists.
        within("waiter node", async {
            while lock.contenders().await.unwrap().len() < i + 2 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
    }
    first.release().await.expect("release");
    for task in tasks {
        within("waiters", task).await.expect("waiter panicked");
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    assert!(lock.contenders().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_expired_holder_loses_the_lock_to_the_next_waiter() {
    let env = Env::new("lock-expiry").await;
    let holder_client = env.client().await;
    let waiter_client = env.client().await;
    let held = Lock::new(&holder_client, "/lock")
        .acquire()
        .await
        .expect("acquire");
    assert!(held.is_held());
    let waiter = {
        let lock = Lock::new(&waiter_client, "/lock");
        tokio::spawn(async move { lock.acquire().await })
    };
    let lock = Lock::new(&waiter_client, "/lock");
    within("waiter node", async {
        while lock.contenders().await.unwrap().len() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;

    expire(&holder_client).await;
    assert_eq!(within("loss", held.lost()).await, LockLoss::SessionEnded);
    assert!(!held.is_held());
    let next = within("the waiter to take over", waiter)
        .await
        .expect("join")
        .expect("acquire");
    assert!(next.fencing_token() > held.fencing_token());
    assert!(next.sequence() > held.sequence());
    // Releasing a lock lost with its session reports the session's end.
    assert!(held.release().await.unwrap_err().is_session_end());
    next.release().await.expect("release");
}

#[tokio::test]
async fn try_acquire_and_timeouts_leave_no_node_behind() {
    let env = Env::new("lock-try").await;
    let a = env.client().await;
    let b = env.client().await;
    let held = Lock::new(&a, "/lock").try_acquire().await.expect("try");
    let held = held.expect("a free lock is taken at once");
    let other = Lock::new(&b, "/lock");
    assert!(other.try_acquire().await.expect("try").is_none());
    let started = std::time::Instant::now();
    let timed = other
        .acquire_timeout(Duration::from_millis(300))
        .await
        .expect("acquire");
    assert!(timed.is_none());
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        other.contenders().await.unwrap().len(),
        1,
        "only the holder's node"
    );
    drop(held); // release on drop
    let again = within("acquire after drop", other.acquire())
        .await
        .expect("acquire");
    again.release().await.expect("release");
}

#[tokio::test]
async fn a_cancelled_acquire_deletes_its_node() {
    let env = Env::new("lock-cancel").await;
    let a = env.client().await;
    let b = env.client().await;
    let held = Lock::new(&a, "/lock").acquire().await.expect("acquire");
    let waiting = {
        let lock = Lock::new(&b, "/lock");
        tokio::spawn(async move { lock.acquire().await })
    };
    let lock = Lock::new(&a, "/lock");
    within("waiter node", async {
        while lock.contenders().await.unwrap().len() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    waiting.abort();
    let _ = waiting.await;
    within("the cancelled waiter's node to go", async {
        while lock.contenders().await.unwrap().len() > 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    held.release().await.expect("release");
    assert!(Lock::new(&b, "/lock")
        .try_acquire()
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_deleted_lock_node_is_reported_lost() {
    let env = Env::new("lock-deleted").await;
    let client = env.client().await;
    let held = Lock::new(&client, "/lock")
        .with_data("me")
        .acquire()
        .await
        .expect("acquire");
    let (data, _) = client.get_data(held.node_path()).await.expect("get");
    assert_eq!(&data[..], b"me");
    let admin = env.client().await;
    let path = held.node_path().to_owned();
    let loss = tokio::spawn(async move { held.lost().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    admin.delete(&path, None).await.expect("delete");
    assert_eq!(within("loss", loss).await.unwrap(), LockLoss::NodeDeleted);
}
