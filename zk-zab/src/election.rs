//! Fast leader election (ZooKeeper's `FastLeaderElection.lookForLeader` and its
//! `WorkerReceiver`; phase 0, "leader election", of Zab as Medeiros describes ZooKeeper's
//! implementation in "ZooKeeper's atomic broadcast protocol: Theory and practice", 2012).
//!
//! Each looking voter proposes a vote (leader, last zxid, peer epoch), starting with itself,
//! and adopts any vote that beats its own in the total order (peer epoch, zxid, server id),
//! re-broadcasting on every change. Rounds are numbered by the logical clock (the election
//! epoch): a notification from a later round resets the round, one from an earlier round is
//! answered with our vote and otherwise ignored. Once a quorum of the round's votes equals our
//! proposal, we wait `finalize_wait_ticks` for a better vote; if none comes, the proposal wins.
//!
//! A late peer joins an established ensemble through the FOLLOWING/LEADING notifications it
//! gets in reply: once a quorum of them names the same leader (and peer epoch), and the leader
//! itself says LEADING (`checkLeader`), it follows. Observers never vote: voters answer an
//! observer's notification with their vote without recording it, and observers count only
//! voters' votes. Peers that are not looking answer looking voters with the vote they settled
//! on, so a lone re-electing peer finds the existing leader.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Config;
use crate::message::{Message, Notification, ServerState, Vote};
use crate::peer::Peer;
use crate::quorum::ServerId;

/// The election's state. It lives on across roles: peers that are not looking answer looking
/// ones with `current_vote`.
#[derive(Debug, Clone)]
pub(crate) struct Election {
    /// The round number (`logicalclock`).
    pub(crate) logical_clock: u64,
    /// Our proposal this round; `None` for an observer that has not heard a voter yet.
    proposal: Option<Vote>,
    /// This round's votes (`recvset`), with the state their sender announced.
    recvset: BTreeMap<ServerId, (Vote, ServerState)>,
    /// Votes of peers that are following or leading, from any round (`outofelection`).
    outofelection: BTreeMap<ServerId, (Vote, ServerState, u64)>,
    /// Ticks without a notification before re-sending ours.
    notification_timeout: u64,
    /// Ticks since the last notification.
    ticks_since_notification: u64,
    /// While a quorum agrees: the tick at which the proposal wins.
    finalize_deadline: Option<u64>,
    /// The vote of the last finished election, and its round.
    pub(crate) current_vote: Vote,
    /// The round of `current_vote`.
    pub(crate) current_vote_epoch: u64,
}

impl Election {
    /// The election state of a starting peer.
    pub(crate) fn new(me: ServerId, config: &Config) -> Election {
        Election {
            logical_clock: 0,
            proposal: None,
            recvset: BTreeMap::new(),
            outofelection: BTreeMap::new(),
            notification_timeout: config.min_notification_interval_ticks,
            ticks_since_notification: 0,
            finalize_deadline: None,
            current_vote: Vote {
                leader: me,
                zxid: zk_proto::Zxid::ZERO,
                peer_epoch: zk_proto::Epoch(0),
            },
            current_vote_epoch: 0,
        }
    }
}

/// Vote equality as `Vote.equals` applies it: the full vote when either side is looking,
/// only (leader, peer epoch) between established peers (their zxids move on).
fn votes_match(a: &Vote, a_state: ServerState, b: &Vote, b_state: ServerState) -> bool {
    if a_state == ServerState::Looking || b_state == ServerState::Looking {
        a == b
    } else {
        a.leader == b.leader && a.peer_epoch == b.peer_epoch
    }
}

impl Peer {
    /// Starts a new round: bumps the logical clock, votes for ourselves (voters) and tells every
    /// voter.
    pub(crate) fn start_election(&mut self) {
        let e = &mut self.election;
        e.logical_clock += 1;
        e.recvset.clear();
        e.outofelection.clear();
        e.finalize_deadline = None;
        e.notification_timeout = self.config.min_notification_interval_ticks;
        e.ticks_since_notification = 0;
        let initial = self.initial_vote();
        self.election.proposal = initial;
        self.send_notifications();
        self.record_own_vote();
        self.check_looking_quorum();
    }

    /// Our own vote: ourselves with our history.
    fn self_vote(&self) -> Vote {
        Vote {
            leader: self.config.my_id,
            zxid: self.log.last(),
            peer_epoch: self.epochs.current,
        }
    }

    /// Voters start by voting for themselves; observers have no vote of their own.
    fn initial_vote(&self) -> Option<Vote> {
        (!self.config.is_observer()).then(|| self.self_vote())
    }

    /// What we tell others: our proposal while looking, our settled vote otherwise.
    fn my_notification(&self) -> Notification {
        match self.server_state() {
            ServerState::Looking => Notification {
                state: ServerState::Looking,
                vote: self.election.proposal.unwrap_or_else(|| self.self_vote()),
                election_epoch: self.election.logical_clock,
            },
            state => Notification {
                state,
                vote: self.election.current_vote,
                election_epoch: self.election.current_vote_epoch,
            },
        }
    }

    /// Sends our notification to every other voter.
    fn send_notifications(&mut self) {
        let n = self.my_notification();
        let me = self.config.my_id;
        for voter in self.config.quorum.voters().iter().filter(|v| **v != me) {
            self.out.send(*voter, Message::Notification(n));
        }
    }

    /// Our own vote counts in our round, as ZooKeeper's notification to self does.
    fn record_own_vote(&mut self) {
        if let (Some(p), false) = (self.election.proposal, self.config.is_observer()) {
            self.election
                .recvset
                .insert(self.config.my_id, (p, ServerState::Looking));
        }
    }

    /// A notification from `from`.
    pub(crate) fn handle_notification(&mut self, from: ServerId, n: Notification) {
        let looking = matches!(self.server_state(), ServerState::Looking);
        let observer = self.config.is_observer();
        if !self.config.quorum.is_voter(from) {
            // Observers do not vote; a voter tells a looking observer what it knows
            // (`WorkerReceiver`). Nobody answers an observer's answer, so nothing ping-pongs.
            if !observer && n.state == ServerState::Looking {
                self.out
                    .send(from, Message::Notification(self.my_notification()));
            }
            return;
        }
        if !looking {
            if n.state == ServerState::Looking && !observer {
                self.out
                    .send(from, Message::Notification(self.my_notification()));
            }
            return;
        }
        if n.state == ServerState::Looking && n.election_epoch < self.election.logical_clock {
            // A lagging voter: bring it to our round (observers have no round to offer).
            if !observer {
                self.out
                    .send(from, Message::Notification(self.my_notification()));
            }
            return;
        }
        if !self.config.quorum.is_voter(n.vote.leader) {
            return;
        }
        self.election.ticks_since_notification = 0;
        if self.election.finalize_deadline.is_some() {
            // Finalizing: only a better vote reopens the round (`finalizeWait` loop).
            match self.election.proposal {
                Some(p) if !n.vote.beats(&p) => return,
                _ => self.election.finalize_deadline = None,
            }
        }
        match n.state {
            ServerState::Looking => self.handle_looking_notification(from, n),
            ServerState::Observing => {}
            ServerState::Following | ServerState::Leading => {
                self.handle_established_notification(from, n)
            }
        }
    }

    /// A LOOKING voter's notification, from our round or a later one.
    fn handle_looking_notification(&mut self, from: ServerId, n: Notification) {
        let e = &mut self.election;
        if n.election_epoch > e.logical_clock {
            e.logical_clock = n.election_epoch;
            e.recvset.clear();
            let initial = self.initial_vote();
            self.election.proposal = match initial {
                Some(own) if !n.vote.beats(&own) => Some(own),
                _ => Some(n.vote),
            };
            self.send_notifications();
            self.record_own_vote();
        } else if self.election.proposal.is_none_or(|p| n.vote.beats(&p)) {
            self.election.proposal = Some(n.vote);
            self.send_notifications();
            self.record_own_vote();
        }
        self.election
            .recvset
            .insert(from, (n.vote, ServerState::Looking));
        self.check_looking_quorum();
    }

    /// Starts finalizing when a quorum of this round's votes equals our proposal.
    fn check_looking_quorum(&mut self) {
        let Some(p) = self.election.proposal else {
            return;
        };
        if self.election.finalize_deadline.is_some()
            || !self.votes_form_quorum(&self.election.recvset, &p, ServerState::Looking)
        {
            return;
        }
        if self.config.finalize_wait_ticks == 0 {
            let round = self.election.logical_clock;
            self.finish_election(p, round);
        } else {
            self.election.finalize_deadline = Some(self.now + self.config.finalize_wait_ticks);
        }
    }

    /// Whether the voters whose recorded vote matches `vote` form a quorum.
    fn votes_form_quorum(
        &self,
        votes: &BTreeMap<ServerId, (Vote, ServerState)>,
        vote: &Vote,
        state: ServerState,
    ) -> bool {
        let agreeing: BTreeSet<ServerId> = votes
            .iter()
            .filter(|(_, (v, s))| votes_match(v, *s, vote, state))
            .map(|(id, _)| *id)
            .collect();
        self.config.quorum.has_quorum(&agreeing)
    }

    /// A FOLLOWING or LEADING voter's notification: join the established leader once a quorum
    /// agrees on it and it says it leads.
    fn handle_established_notification(&mut self, from: ServerId, n: Notification) {
        if n.election_epoch == self.election.logical_clock {
            self.election.recvset.insert(from, (n.vote, n.state));
            if self.votes_form_quorum(&self.election.recvset, &n.vote, n.state)
                && self.check_leader(&self.election.recvset, n.vote.leader, n.election_epoch)
            {
                self.finish_election(n.vote, n.election_epoch);
                return;
            }
        }
        self.election
            .outofelection
            .insert(from, (n.vote, n.state, n.election_epoch));
        let out: BTreeMap<ServerId, (Vote, ServerState)> = self
            .election
            .outofelection
            .iter()
            .map(|(id, (v, s, _))| (*id, (*v, *s)))
            .collect();
        if self.votes_form_quorum(&out, &n.vote, n.state)
            && self.check_leader(&out, n.vote.leader, n.election_epoch)
        {
            self.election.logical_clock = n.election_epoch;
            self.finish_election(n.vote, n.election_epoch);
        }
    }

    /// `checkLeader`: the proposed leader must itself have said it leads (or be us, in our
    /// own round), so that peers do not keep electing a leader that crashed.
    fn check_leader(
        &self,
        votes: &BTreeMap<ServerId, (Vote, ServerState)>,
        leader: ServerId,
        election_epoch: u64,
    ) -> bool {
        if leader == self.config.my_id {
            self.election.logical_clock == election_epoch
        } else {
            votes
                .get(&leader)
                .is_some_and(|(_, s)| *s == ServerState::Leading)
        }
    }

    /// The election ended on `vote`: lead, follow or observe.
    fn finish_election(&mut self, vote: Vote, election_epoch: u64) {
        let e = &mut self.election;
        e.current_vote = vote;
        e.current_vote_epoch = election_epoch;
        e.proposal = None;
        e.finalize_deadline = None;
        e.recvset.clear();
        e.outofelection.clear();
        if vote.leader == self.config.my_id {
            self.become_leader();
        } else {
            self.become_learner(vote.leader);
        }
    }

    /// Once synced in `epoch`, the vote we tell late peers names that epoch, so that every
    /// member of the ensemble reports the same (leader, peer epoch) whichever election round
    /// it joined in (`QuorumPeer.updateElectionVote`, ZOOKEEPER-1732).
    pub(crate) fn update_election_vote(&mut self, epoch: zk_proto::Epoch) {
        self.election.current_vote.peer_epoch = epoch;
    }

    /// Election timers: the end of `finalizeWait`, and re-sending our vote with back-off.
    pub(crate) fn election_tick(&mut self) {
        if let Some(deadline) = self.election.finalize_deadline {
            if self.now >= deadline {
                if let Some(p) = self.election.proposal {
                    let round = self.election.logical_clock;
                    self.finish_election(p, round);
                }
            }
            return;
        }
        let e = &mut self.election;
        e.ticks_since_notification += 1;
        if e.ticks_since_notification >= e.notification_timeout {
            e.ticks_since_notification = 0;
            e.notification_timeout =
                (e.notification_timeout * 2).min(self.config.max_notification_interval_ticks);
            self.send_notifications();
        }
    }
}
