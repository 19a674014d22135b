//! [`LearnerInfo`], the data of a learner's first packet, and [`QuorumAuthPacket`].

use bytes::Bytes;

record! {
    /// The data of FOLLOWERINFO and OBSERVERINFO: who the learner is (20 bytes).
    ///
    /// ```text
    /// long serverid; int protocolVersion; long configVersion
    /// ```
    #[derive(Copy, Hash)]
    pub struct LearnerInfo {
        /// The learner's server id (`myid`).
        pub server_id: i64,
        /// The learner's ZAB protocol version, [`LearnerInfo::PROTOCOL_VERSION`] since 3.4.
        pub protocol_version: i32,
        /// The version of the learner's last activated dynamic configuration; the leader drops a
        /// learner whose configuration is newer than its own.
        pub config_version: i64,
    }
}

impl LearnerInfo {
    /// The protocol version 3.4 to 3.9 learners send (`0x10000`).
    pub const PROTOCOL_VERSION: i32 = 0x10000;
    /// What `LearnerHandler` assumes when the learner sent no protocol version (pre-3.4).
    pub const DEFAULT_PROTOCOL_VERSION: i32 = 0x1;

    /// Reads FOLLOWERINFO/OBSERVERINFO data as Apache's `LearnerHandler` does, accepting the
    /// shorter forms of older learners: 8 bytes (id only), 12 (id and protocol version) or 20.
    /// A missing protocol version is [`LearnerInfo::DEFAULT_PROTOCOL_VERSION`], a missing
    /// config version 0 (never newer than the leader's). `None` when there is not even a
    /// server id: the leader then assigns one from its observer counter.
    pub fn from_packet_data(data: Option<&[u8]>) -> Option<LearnerInfo> {
        let data = data?;
        let long = |at: usize| {
            let bytes: [u8; 8] = data.get(at..at + 8)?.try_into().ok()?;
            Some(i64::from_be_bytes(bytes))
        };
        let server_id = long(0)?;
        let protocol_version = data
            .get(8..12)
            .map(|b| i32::from_be_bytes(b.try_into().expect("4 bytes")))
            .unwrap_or(LearnerInfo::DEFAULT_PROTOCOL_VERSION);
        Some(LearnerInfo {
            server_id,
            protocol_version,
            config_version: long(12).unwrap_or(0),
        })
    }
}

record! {
    /// A quorum SASL authentication message (`quorum.auth.enableSasl`), exchanged on the quorum
    /// and election connections before anything else.
    ///
    /// ```text
    /// long magic; int status; buffer token
    /// ```
    pub struct QuorumAuthPacket {
        /// A fixed magic number identifying auth packets.
        pub magic: i64,
        /// `QuorumAuth.Status`: 0 in progress, 1 success, -1 error.
        pub status: i32,
        /// The SASL token.
        pub token: Bytes,
    }
}
