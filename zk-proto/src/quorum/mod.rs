//! Server-to-server records: ZAB packets on the quorum port and leader-election messages on the
//! election port (`org.apache.zookeeper.server.quorum`).
//!
//! Two TCP connections link each pair of servers, and they are framed differently:
//!
//! ```text
//! quorum port (learner ↔ leader, ZAB):
//!     QuorumPacket QuorumPacket ...     jute records back to back, NO length prefix
//!                                       (BinaryOutputArchive.writeRecord); a SNAP packet is
//!                                       followed by the raw snapshot stream
//! election port (every pair, FastLeaderElection):
//!     InitialMessage                    once, from the connecting side, unframed
//!     int len, Notification             then framed, 0 < len <= 512 KiB (PACKETMAXSIZE)
//! ```
//!
//! # Layout
//!
//! - [`packet`]: [`QuorumPacket`], [`QuorumPacketType`] and the stream [`QuorumPacketDecoder`].
//! - [`learner`]: [`LearnerInfo`] (FOLLOWERINFO/OBSERVERINFO data) and [`QuorumAuthPacket`].
//! - [`election`]: [`InitialMessage`], [`Notification`], [`ServerState`].
//!
//! # Example
//!
//! ```
//! use bytes::BytesMut;
//! use zk_proto::quorum::{LearnerInfo, QuorumPacket, QuorumPacketDecoder, QuorumPacketType};
//! use zk_proto::{Jute, Zxid};
//!
//! let info = LearnerInfo { server_id: 2, protocol_version: LearnerInfo::PROTOCOL_VERSION,
//!                          config_version: 0 };
//! let packet = QuorumPacket::new(QuorumPacketType::FollowerInfo, Zxid(0x1_0000_0000))
//!     .with_data(info.to_vec());
//! let mut stream = BytesMut::new();
//! packet.write(&mut stream);
//! let decoder = QuorumPacketDecoder::default();
//! let mut partial = stream.split_to(10);
//! assert_eq!(decoder.decode(&mut partial).unwrap(), None); // incomplete: wait for more
//! partial.unsplit(stream);
//! let received = decoder.decode(&mut partial).unwrap().unwrap();
//! assert_eq!(received, packet);
//! assert_eq!(LearnerInfo::from_packet_data(received.data.as_deref()), Some(info));
//! ```

pub mod election;
pub mod learner;
pub mod packet;

pub use self::election::{InitialMessage, Notification, ServerState};
pub use self::learner::{LearnerInfo, QuorumAuthPacket};
pub use self::packet::{QuorumPacket, QuorumPacketDecoder, QuorumPacketType};

#[cfg(test)]
mod tests;
