//! Who votes: [`ServerId`] and the majority [`QuorumVerifier`].
//!
//! Mirrors ZooKeeper's `QuorumMaj` (`server/quorum/flexible/QuorumMaj.java`): the voting
//! members are the `server.N` lines without `:observer`; a set of servers is a quorum when it
//! holds more than half of the voting members. Observers are members (they receive committed
//! txns) but never count towards any quorum: not in election, not in discovery, not for
//! NEWLEADER, not for commits.

use std::collections::BTreeSet;
use std::fmt;

/// A server's id: the `N` of `server.N` in zoo.cfg and the content of `dataDir/myid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ServerId(pub u64);

impl fmt::Display for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The ensemble's membership and its majority rule.
///
/// ```
/// use std::collections::BTreeSet;
/// use zk_zab::{QuorumVerifier, ServerId};
///
/// let qv = QuorumVerifier::new([1, 2, 3].map(ServerId), [4].map(ServerId));
/// let two: BTreeSet<_> = [1, 3].map(ServerId).into();
/// let with_observer: BTreeSet<_> = [1, 4].map(ServerId).into();
/// assert!(qv.has_quorum(&two));
/// assert!(!qv.has_quorum(&with_observer)); // observers never count
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumVerifier {
    voters: BTreeSet<ServerId>,
    observers: BTreeSet<ServerId>,
}

impl QuorumVerifier {
    /// A verifier for these voting members and observers. A server listed in both is a voter.
    pub fn new(
        voters: impl IntoIterator<Item = ServerId>,
        observers: impl IntoIterator<Item = ServerId>,
    ) -> Self {
        let voters: BTreeSet<ServerId> = voters.into_iter().collect();
        let observers = observers
            .into_iter()
            .filter(|id| !voters.contains(id))
            .collect();
        QuorumVerifier { voters, observers }
    }

    /// The voting members.
    pub fn voters(&self) -> &BTreeSet<ServerId> {
        &self.voters
    }

    /// The observers.
    pub fn observers(&self) -> &BTreeSet<ServerId> {
        &self.observers
    }

    /// Whether `id` votes.
    pub fn is_voter(&self, id: ServerId) -> bool {
        self.voters.contains(&id)
    }

    /// Whether `id` is an observer.
    pub fn is_observer(&self, id: ServerId) -> bool {
        self.observers.contains(&id)
    }

    /// Whether `id` is in the ensemble at all.
    pub fn is_member(&self, id: ServerId) -> bool {
        self.is_voter(id) || self.is_observer(id)
    }

    /// The number of voters that make a quorum: a strict majority.
    pub fn quorum_size(&self) -> usize {
        self.voters.len() / 2 + 1
    }

    /// Whether the voters in `ids` form a quorum. Non-voters in `ids` are ignored.
    pub fn has_quorum(&self, ids: &BTreeSet<ServerId>) -> bool {
        ids.iter().filter(|id| self.voters.contains(id)).count() >= self.quorum_size()
    }
}
