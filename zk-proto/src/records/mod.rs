//! The request and response records of the client protocol (`zookeeper.jute`, §4.2 of the wire
//! reference), one struct per record, fields in wire order.
//!
//! Each record is declared with `record!`, which derives its [`Jute`](crate::Jute) codec from the
//! field list. Field types follow one rule: znode data and other values where ZooKeeper tells
//! null from empty are `Option<Bytes>`/`Option<String>`; paths and names are `String`. Fields
//! whose bad values the server must answer with a specific error code rather than fail to decode
//! (`CreateRequest.flags`, `AddWatchRequest.mode`, the watcher `type` of checkWatches and
//! removeWatches) stay raw `i32`, with a typed accessor.
//!
//! # Layout
//!
//! - [`data`]: create, delete, exists, getData, setData, check, sync, reconfig.
//! - [`acl`]: getACL, setACL.
//! - [`children`]: getChildren, getChildren2, getEphemerals, getAllChildrenNumber.
//! - [`watches`]: addWatch, checkWatches, removeWatches, setWatches, setWatches2.
//! - [`session`]: auth, SASL, whoAmI.
//! - [`ErrorResponse`], here: the body of an addWatch reply and of a failed multi sub-result.
//!
//! ```
//! use bytes::Bytes;
//! use zk_proto::{Acl, CreateMode, CreateRequest, Jute};
//! let req = CreateRequest {
//!     path: "/app/lock-".into(),
//!     data: Some(Bytes::from_static(b"me")),
//!     acl: Acl::open_acl_unsafe(),
//!     flags: CreateMode::EphemeralSequential.flag(),
//! };
//! assert_eq!(req.mode(), Some(CreateMode::EphemeralSequential));
//! assert_eq!(CreateRequest::from_bytes(req.to_vec()).unwrap(), req);
//! ```

pub mod acl;
pub mod children;
pub mod data;
pub mod session;
pub mod watches;

use crate::ErrorCode;

pub use self::acl::{GetAclRequest, GetAclResponse, SetAclRequest, SetAclResponse};
pub use self::children::{
    GetAllChildrenNumberRequest, GetAllChildrenNumberResponse, GetChildren2Request,
    GetChildren2Response, GetChildrenRequest, GetChildrenResponse, GetEphemeralsRequest,
    GetEphemeralsResponse,
};
pub use self::data::{
    CheckVersionRequest, Create2Response, CreateRequest, CreateResponse, CreateTtlRequest,
    DeleteContainerRequest, DeleteRequest, ExistsRequest, ExistsResponse, GetDataRequest,
    GetDataResponse, ReconfigRequest, SetDataRequest, SetDataResponse, SyncRequest, SyncResponse,
};
pub use self::session::{AuthPacket, ClientInfo, GetSaslRequest, SetSaslResponse, WhoAmIResponse};
pub use self::watches::{
    AddWatchRequest, CheckWatchesRequest, RemoveWatchesRequest, SetWatches, SetWatches2,
};

record! {
    /// A bare result code (`ErrorResponse`): the body of a successful addWatch reply
    /// (`err` = 0) and of each failed multi sub-result, which carries its code twice (once in
    /// the MultiHeader, once here).
    #[derive(Copy, Hash)]
    pub struct ErrorResponse {
        /// The result code.
        pub err: ErrorCode,
    }
}
