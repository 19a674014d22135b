//! The broadcast hot path of the ZAB core: proposals through a 3-voter quorum to commit.
//!
//! `cargo bench -p zk-zab --bench broadcast` elects a leader in the in-memory harness
//! ([`zk_zab::testing::Cluster`]), takes the three established [`Peer`]s out of it and then
//! drives them directly, with a disk and a network that complete at once: the leader proposes
//! a batch of 1 KiB txns, logs them, sends PROPOSALs; each follower logs them and ACKs once per
//! durable batch; the leader commits on a quorum and sends COMMIT; every peer emits its
//! `Commit` actions. What is measured is the core's own CPU per batch (state machines, message
//! building, commit bookkeeping), the part of a server's write path that does not depend on
//! the disk or sockets. Batches of 1 and 100 txns: a lone write, and a group commit under load.

use std::collections::VecDeque;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput};
use zk_proto::Zxid;
use zk_zab::testing::{Cluster, ClusterOptions};
use zk_zab::{Action, Message, Peer, ServerId};

/// Three established peers, leader first.
struct Quorum {
    peers: Vec<(ServerId, Peer)>,
    /// Messages in flight: (from, to, message).
    wire: VecDeque<(ServerId, ServerId, Message)>,
}

impl Quorum {
    fn established() -> Quorum {
        let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 7));
        let leader = cluster
            .run_until_leader(5_000)
            .expect("a leader is elected");
        let zxid = cluster
            .write(b"warm-up")
            .expect("the leader accepts a write");
        assert!(cluster.run_until(5_000, |c| c.is_acknowledged(zxid)));
        assert!(cluster.run_until_converged(10_000), "the replicas converge");
        let mut ids = cluster.ids();
        ids.sort_by_key(|id| *id != leader);
        let peers = ids
            .into_iter()
            .map(|id| {
                let mut peer = cluster.replica_mut(id).peer.take().expect("peer is up");
                peer.take_actions();
                (id, peer)
            })
            .collect();
        Quorum {
            peers,
            wire: VecDeque::new(),
        }
    }

    /// Proposes `txns` at the leader and runs the quorum until nothing is left to do;
    /// returns how many `Commit` actions the three peers emitted.
    fn broadcast(&mut self, txns: &[Bytes]) -> usize {
        for txn in txns {
            self.peers[0]
                .1
                .propose(txn.clone())
                .expect("the leader proposes");
        }
        let mut commits = 0;
        loop {
            let mut busy = false;
            for (id, peer) in &mut self.peers {
                let actions = peer.take_actions();
                busy |= !actions.is_empty();
                let mut logged: Option<Zxid> = None;
                for action in actions {
                    match action {
                        Action::Send { to, msg } => self.wire.push_back((*id, to, msg)),
                        Action::AppendTxns(proposals) => {
                            logged = proposals.last().map(|p| p.zxid).or(logged);
                        }
                        Action::Commit(proposal) => {
                            black_box(proposal);
                            commits += 1;
                        }
                        _ => {}
                    }
                }
                // The disk: everything appended this round is durable at once (group commit).
                if let Some(zxid) = logged {
                    peer.on_log_persisted(zxid);
                }
            }
            while let Some((from, to, msg)) = self.wire.pop_front() {
                busy = true;
                if let Some((_, peer)) = self.peers.iter_mut().find(|(id, _)| *id == to) {
                    peer.step(from, msg);
                }
            }
            if !busy {
                return commits;
            }
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("broadcast");
    for batch in [1usize, 100] {
        let txns: Vec<Bytes> = (0..batch).map(|_| Bytes::from(vec![b'x'; 1024])).collect();
        group.throughput(Throughput::Elements(batch as u64));
        let mut quorum = Quorum::established();
        assert_eq!(
            quorum.broadcast(&txns),
            3 * batch,
            "every peer commits every txn"
        );
        group.bench_function(format!("3 voters, {batch} txns of 1 KiB"), |b| {
            b.iter_batched(
                || txns.clone(),
                |txns| quorum.broadcast(&txns),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
    c.final_summary();
}
