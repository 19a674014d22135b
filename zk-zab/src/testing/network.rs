//! [`Network`]: the simulated network between peers.
//!
//! ZAB runs over TCP, so the quorum port is modelled as connections, not datagrams:
//!
//! - a learner opens a connection ([`crate::Action::Connect`]); messages on a connection
//!   arrive in order, after a random delay;
//! - loss is a connection dying: [`crate::Action::Disconnect`], a crash, or a test cutting
//!   the link. Everything in flight on it is lost, and so is everything sent on it later; the
//!   other end learns of the close at once (an RST) or, with `notify_close_prob` odds against,
//!   never (it must time out);
//! - a partition holds messages (TCP retransmits) until it heals, unless a side gives up on the
//!   connection first;
//! - a peer replies on the connection it last heard from, so a leader cannot write into a
//!   learner's new connection before it has read the learner's first packet.
//!
//! The election port is lossy on purpose: notifications may be dropped, duplicated and
//! reordered, and a partition drops them. Fast leader election must cope with all of that.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::message::Message;
use crate::quorum::ServerId;

use super::rng::SimRng;

/// Network fault knobs.
#[derive(Debug, Clone, Copy)]
pub struct NetOptions {
    /// Maximum delivery delay, in time units (0 = next step).
    pub max_delay: u64,
    /// Probability that an election notification is dropped.
    pub election_drop: f64,
    /// Probability that an election notification is duplicated.
    pub election_dup: f64,
    /// Probability that the other end is told when a connection closes.
    pub notify_close_prob: f64,
}

impl Default for NetOptions {
    fn default() -> NetOptions {
        NetOptions {
            max_delay: 4,
            election_drop: 0.0,
            election_dup: 0.0,
            notify_close_prob: 1.0,
        }
    }
}

/// Something the network hands to a peer.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// A message.
    Message {
        /// Sender.
        from: ServerId,
        /// Recipient.
        to: ServerId,
        /// The message.
        msg: Message,
        /// The quorum connection it travels on (`None`: the election port). Deliver it only
        /// if [`Network::is_open`] still holds: a connection may close while other
        /// deliveries of the same step are processed.
        conn: Option<u64>,
    },
    /// `at` learns that its quorum connection with `peer` closed.
    Disconnected {
        /// The peer told.
        at: ServerId,
        /// The other end.
        peer: ServerId,
    },
}

#[derive(Debug, Clone)]
struct Packet {
    deliver_at: u64,
    conn: u64,
    msg: Message,
}

/// The simulated network.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// Fault knobs.
    pub options: NetOptions,
    quorum: BTreeMap<(ServerId, ServerId), VecDeque<Packet>>,
    election: Vec<(u64, ServerId, ServerId, Message)>,
    /// The open connection of each unordered pair (absent: none).
    conns: BTreeMap<(ServerId, ServerId), u64>,
    /// The connection each side believes current: (me, peer) → id.
    views: BTreeMap<(ServerId, ServerId), u64>,
    blocked: BTreeSet<(ServerId, ServerId)>,
    next_conn: u64,
}

fn pair(a: ServerId, b: ServerId) -> (ServerId, ServerId) {
    (a.min(b), a.max(b))
}

impl Network {
    /// A network with these knobs.
    pub fn new(options: NetOptions) -> Network {
        Network {
            options,
            ..Network::default()
        }
    }

    /// Whether messages from `from` to `to` are held by a partition.
    pub fn is_blocked(&self, from: ServerId, to: ServerId) -> bool {
        self.blocked.contains(&(from, to))
    }

    /// Blocks traffic between the groups (both ways); traffic inside a group flows.
    pub fn partition(&mut self, groups: &[Vec<ServerId>]) {
        self.blocked.clear();
        for (i, a) in groups.iter().enumerate() {
            for b in groups.iter().skip(i + 1) {
                for x in a {
                    for y in b {
                        self.blocked.insert((*x, *y));
                        self.blocked.insert((*y, *x));
                    }
                }
            }
        }
    }

    /// Blocks traffic from `from` to `to` only (an asymmetric partition).
    pub fn block(&mut self, from: ServerId, to: ServerId) {
        self.blocked.insert((from, to));
    }

    /// Lifts every partition.
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    /// Whether connection `conn` between `a` and `b` is still the open one.
    pub fn is_open(&self, a: ServerId, b: ServerId, conn: u64) -> bool {
        self.conns.get(&pair(a, b)) == Some(&conn)
    }

    /// `me` read a message from `from` on `conn`: it now replies on that connection.
    pub fn note_received(&mut self, me: ServerId, from: ServerId, conn: u64) {
        self.views.insert((me, from), conn);
    }

    /// Whether a quorum connection between `a` and `b` is open.
    pub fn is_connected(&self, a: ServerId, b: ServerId) -> bool {
        self.conns.contains_key(&pair(a, b))
    }

    /// `from` opens a fresh connection to `to`, closing any previous one.
    pub fn connect(&mut self, from: ServerId, to: ServerId, rng: &mut SimRng) -> Vec<Delivery> {
        let closed = self.close(from, to, rng);
        self.next_conn += 1;
        self.conns.insert(pair(from, to), self.next_conn);
        self.views.insert((from, to), self.next_conn);
        closed
    }

    /// `from` closes the connection it uses with `peer` (a no-op if that one is already gone).
    pub fn disconnect(
        &mut self,
        from: ServerId,
        peer: ServerId,
        rng: &mut SimRng,
    ) -> Vec<Delivery> {
        match (
            self.views.get(&(from, peer)),
            self.conns.get(&pair(from, peer)),
        ) {
            (Some(mine), Some(open)) if mine == open => self.close(from, peer, rng),
            _ => Vec::new(),
        }
    }

    /// Closes the open connection between `from` and `peer`, losing everything in flight; `peer`
    /// may be told.
    fn close(&mut self, from: ServerId, peer: ServerId, rng: &mut SimRng) -> Vec<Delivery> {
        if self.conns.remove(&pair(from, peer)).is_none() {
            return Vec::new();
        }
        self.quorum.remove(&(from, peer));
        self.quorum.remove(&(peer, from));
        if rng.chance(self.options.notify_close_prob) {
            vec![Delivery::Disconnected {
                at: peer,
                peer: from,
            }]
        } else {
            Vec::new()
        }
    }

    /// `id` crashed: its connections die and its election traffic is lost.
    pub fn crash(&mut self, id: ServerId, rng: &mut SimRng) -> Vec<Delivery> {
        let peers: Vec<ServerId> = self
            .conns
            .keys()
            .filter_map(|(a, b)| match (*a == id, *b == id) {
                (true, _) => Some(*b),
                (_, true) => Some(*a),
                _ => None,
            })
            .collect();
        let mut told = Vec::new();
        for peer in peers {
            told.extend(self.close(id, peer, rng));
        }
        self.election.retain(|(_, f, t, _)| *f != id && *t != id);
        told
    }

    /// Sends `msg` from `from` to `to` at time `now`.
    pub fn send(&mut self, from: ServerId, to: ServerId, msg: Message, now: u64, rng: &mut SimRng) {
        let delay = rng.below(self.options.max_delay + 1);
        if msg.is_election() {
            if self.is_blocked(from, to) || rng.chance(self.options.election_drop) {
                return;
            }
            if rng.chance(self.options.election_dup) {
                let again = now + rng.below(self.options.max_delay + 1);
                self.election.push((again, from, to, msg.clone()));
            }
            self.election.push((now + delay, from, to, msg));
            return;
        }
        let Some(conn) = self.views.get(&(from, to)).copied() else {
            return;
        };
        if self.conns.get(&pair(from, to)) != Some(&conn) {
            return;
        }
        let queue = self.quorum.entry((from, to)).or_default();
        let deliver_at = queue
            .back()
            .map_or(now + delay, |p| p.deliver_at.max(now + delay));
        queue.push_back(Packet {
            deliver_at,
            conn,
            msg,
        });
    }

    /// Everything due at `now`, in a random interleaving that keeps each connection's order.
    pub fn due(&mut self, now: u64, rng: &mut SimRng) -> Vec<Delivery> {
        let mut lanes: Vec<VecDeque<Delivery>> = Vec::new();
        let links: Vec<(ServerId, ServerId)> = self.quorum.keys().copied().collect();
        for (from, to) in links {
            if self.is_blocked(from, to) {
                continue;
            }
            let open = self.conns.get(&pair(from, to)).copied();
            let Some(queue) = self.quorum.get_mut(&(from, to)) else {
                continue;
            };
            let mut lane = VecDeque::new();
            while queue.front().is_some_and(|p| p.deliver_at <= now) {
                let p = queue.pop_front().expect("front exists");
                if Some(p.conn) == open {
                    lane.push_back(Delivery::Message {
                        from,
                        to,
                        msg: p.msg,
                        conn: Some(p.conn),
                    });
                }
            }
            if !lane.is_empty() {
                lanes.push(lane);
            }
        }
        let mut i = 0;
        while i < self.election.len() {
            if self.election[i].0 <= now {
                let (_, from, to, msg) = self.election.swap_remove(i);
                if !self.is_blocked(from, to) {
                    lanes.push(VecDeque::from([Delivery::Message {
                        from,
                        to,
                        msg,
                        conn: None,
                    }]));
                }
            } else {
                i += 1;
            }
        }
        let mut out = Vec::new();
        while !lanes.is_empty() {
            let k = rng.below(lanes.len() as u64) as usize;
            out.push(lanes[k].pop_front().expect("lanes are non-empty"));
            if lanes[k].is_empty() {
                lanes.swap_remove(k);
            }
        }
        out
    }

    /// Whether nothing is in flight.
    pub fn is_idle(&self) -> bool {
        self.election.is_empty() && self.quorum.values().all(VecDeque::is_empty)
    }
}
