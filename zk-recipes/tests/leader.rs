//! LeaderLatch and LeaderElection against our server: one leader at a time, succession when
//! the leader's client is closed or its session expires, fencing tokens, suspension.

mod common;

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{expire, within, Env};
use zk_recipes::{LatchState, LeaderElection, LeaderLatch};

/// Waits until exactly one of `latches` leads; returns its index.
async fn sole_leader(latches: &[Option<LeaderLatch>]) -> usize {
    within("a single leader", async {
        loop {
            let leaders: Vec<usize> = latches
                .iter()
                .enumerate()
                .filter(|(_, l)| l.as_ref().is_some_and(|l| l.has_leadership()))
                .map(|(i, _)| i)
                .collect();
            if leaders.len() == 1 {
                return leaders[0];
            }
            assert!(leaders.len() < 2, "two leaders at once: {leaders:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

async fn wait_for_state(latch: &LeaderLatch, wanted: LatchState) {
    let mut states = latch.subscribe();
    within("latch state", states.wait_for(|s| *s == wanted))
        .await
        .expect("latch task alive");
}

#[tokio::test]
async fn leadership_passes_on_when_the_leader_is_killed() {
    let env = Env::new("latch-kill").await;
    let mut clients = Vec::new();
    let mut latches = Vec::new();
    for i in 0..3 {
        let client = env.client().await;
        let id = format!("p{i}");
        latches.push(Some(
            LeaderLatch::start(&client, "/leader", id.as_bytes())
                .await
                .expect("start"),
        ));
        clients.push(client);
    }
    let first = sole_leader(&latches).await;
    let first_token = latches[first].as_ref().unwrap().fencing_token().unwrap();
    // `start` returns before a latch's node exists (its task creates it), so the first leader
    // can be chosen before the others have joined: wait for all three.
    let participants = within("all three joined", async {
        loop {
            let now = latches[first]
                .as_ref()
                .unwrap()
                .participants()
                .await
                .unwrap();
            if now.len() == 3 {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(participants[0].is_leader);
    assert_eq!(participants[0].id, format!("p{first}").as_bytes());

    // Kill the leader by closing its client: its ephemeral node goes at once.
    clients[first].close().await;
    let old = latches[first].take().unwrap();
    // Closed: the latch sees the session end at once.
    wait_for_state(&old, LatchState::Lost).await;
    let second = sole_leader(&latches).await;
    assert_ne!(second, first);
    let second_token = latches[second].as_ref().unwrap().fencing_token().unwrap();
    assert!(second_token > first_token, "fencing tokens must increase");

    // Expire the next leader's session instead.
    expire(&clients[second]).await;
    let expired = latches[second].take().unwrap();
    // On the way it may be Suspended (the session's connection was taken over first).
    wait_for_state(&expired, LatchState::Lost).await;
    assert!(expired
        .await_leadership()
        .await
        .unwrap_err()
        .is_session_end());
    let third = sole_leader(&latches).await;
    assert!(latches[third].as_ref().unwrap().fencing_token().unwrap() > second_token);
    for latch in latches.into_iter().flatten() {
        latch.close().await.expect("close");
    }
}

#[tokio::test]
async fn closing_the_leader_latch_hands_leadership_to_the_next_in_line() {
    let env = Env::new("latch-close").await;
    let a = env.client().await;
    let b = env.client().await;
    let first = LeaderLatch::start(&a, "/leader", b"a")
        .await
        .expect("start");
    within("a leads", first.await_leadership())
        .await
        .expect("lead");
    let second = LeaderLatch::start(&b, "/leader", b"b")
        .await
        .expect("start");
    assert_eq!(
        second
            .await_leadership_timeout(Duration::from_millis(200))
            .await
            .unwrap(),
        None
    );
    assert_eq!(second.state(), LatchState::Follower);
    first.close().await.expect("close");
    within("b leads", second.await_leadership())
        .await
        .expect("lead");
    assert_eq!(second.participants().await.unwrap().len(), 1);
}

#[tokio::test]
async fn elections_run_one_task_at_a_time() {
    let env = Env::new("election").await;
    let running = Arc::new(AtomicI32::new(0));
    let mut tasks = Vec::new();
    for i in 0..4 {
        let client = env.client().await;
        let running = running.clone();
        tasks.push(tokio::spawn(async move {
            let election = LeaderElection::new(&client, "/election").with_id(format!("e{i}"));
            election
                .run(|token| async move {
                    assert_eq!(running.fetch_add(1, Ordering::SeqCst), 0, "two leaders");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    token
                })
                .await
                .expect("run")
                .expect("leadership kept")
        }));
    }
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(within("elections", task).await.expect("election task"));
    }
    tokens.sort_unstable();
    tokens.dedup();
    assert_eq!(tokens.len(), 4, "each leader had its own token");
}
