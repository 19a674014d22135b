//! ReadWriteLock and Semaphore against our server.

mod common;

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{expire, within, Env};
use zk_recipes::{ReadWriteLock, Semaphore};

#[tokio::test]
async fn readers_share_and_writers_exclude() {
    let env = Env::new("rwlock").await;
    let a = env.client().await;
    let b = env.client().await;
    let rw_a = ReadWriteLock::new(&a, "/rw");
    let rw_b = ReadWriteLock::new(&b, "/rw");
    let r1 = rw_a.read().await.expect("read");
    let r2 = within("second reader", rw_b.read()).await.expect("read");
    assert!(
        rw_b.try_write().await.unwrap().is_none(),
        "readers hold the lock"
    );
    // A writer queues; a reader arriving after it waits for it (no writer starvation).
    let writer = {
        let rw = ReadWriteLock::new(&b, "/rw");
        tokio::spawn(async move { rw.write().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(rw_a
        .read_timeout(Duration::from_millis(100))
        .await
        .unwrap()
        .is_none());
    r1.release().await.unwrap();
    r2.release().await.unwrap();
    let w = within("writer", writer).await.unwrap().expect("write");
    assert!(
        rw_a.try_read().await.unwrap().is_none(),
        "the writer excludes readers"
    );
    w.release().await.unwrap();
    assert!(rw_a.try_read().await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_write_exclusion_holds_under_contention() {
    let env = Env::new("rwlock-contention").await;
    let readers = Arc::new(AtomicI32::new(0));
    let writers = Arc::new(AtomicI32::new(0));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let client = env.client().await;
        let (readers, writers) = (readers.clone(), writers.clone());
        tasks.push(tokio::spawn(async move {
            let rw = ReadWriteLock::new(&client, "/rw");
            for round in 0..4 {
                if (i + round) % 3 == 0 {
                    let guard = rw.write().await.expect("write");
                    assert_eq!(writers.fetch_add(1, Ordering::SeqCst), 0);
                    assert_eq!(readers.load(Ordering::SeqCst), 0, "reader inside a write");
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    writers.fetch_sub(1, Ordering::SeqCst);
                    guard.release().await.unwrap();
                } else {
                    let guard = rw.read().await.expect("read");
                    readers.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(writers.load(Ordering::SeqCst), 0, "writer inside a read");
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    readers.fetch_sub(1, Ordering::SeqCst);
                    guard.release().await.unwrap();
                }
            }
        }));
    }
    for task in tasks {
        within("contenders", task).await.expect("contender");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn semaphore_never_grants_more_leases_than_it_has() {
    let env = Env::new("semaphore").await;
    let holding = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = env.client().await;
        let (holding, most) = (holding.clone(), most.clone());
        tasks.push(tokio::spawn(async move {
            let semaphore = Semaphore::new(&client, "/sem", 3);
            for _ in 0..3 {
                let lease = semaphore.acquire().await.expect("lease");
                let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                assert!(now <= 3, "{now} leases out of 3");
                tokio::time::sleep(Duration::from_millis(30)).await;
                holding.fetch_sub(1, Ordering::SeqCst);
                lease.release().await.expect("release");
            }
        }));
    }
    for task in tasks {
        within("lease holders", task).await.expect("holder");
    }
    // Liveness: leases were shared, not handed out one at a time.
    assert!(most.load(Ordering::SeqCst) >= 2, "leases never overlapped");
}

#[tokio::test]
async fn semaphore_leases_are_counted_and_freed_by_expiry() {
    let env = Env::new("semaphore-count").await;
    let a = env.client().await;
    let b = env.client().await;
    let sem_a = Semaphore::new(&a, "/sem", 2);
    let sem_b = Semaphore::new(&b, "/sem", 2);
    let l1 = sem_a.acquire().await.unwrap();
    let l2 = sem_a.acquire().await.unwrap();
    assert_eq!(sem_b.leases().await.unwrap().len(), 2);
    assert!(sem_b.try_acquire().await.unwrap().is_none());
    assert_eq!(
        sem_b.leases().await.unwrap().len(),
        2,
        "a failed try leaves no lease"
    );
    let waiting = {
        let sem = sem_b.clone();
        tokio::spawn(async move { sem.acquire().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    expire(&a).await;
    let lease = within("a lease after expiry", waiting)
        .await
        .unwrap()
        .expect("lease");
    assert!(sem_b.leases().await.unwrap().len() == 1);
    drop((l1, l2));
    lease.release().await.unwrap();
}
