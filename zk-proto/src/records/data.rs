//! Records for a node's existence and data: create, delete, exists, getData, setData, check,
//! sync, reconfig.

use bytes::Bytes;

use crate::create_mode::CreateMode;
use crate::{Acl, Stat};

record! {
    /// `create` (op 1), `create2` (op 15) and `createContainer` (op 19).
    ///
    /// ```text
    /// ustring path; buffer data; vector<ACL> acl; int flags
    /// ```
    #[derive(Hash)]
    pub struct CreateRequest {
        /// The path to create; for sequential modes the server appends a 10-digit suffix.
        pub path: String,
        /// The initial data; `None` (null) is stored and returned as null.
        pub data: Option<Bytes>,
        /// The node's ACL (an empty list is INVALIDACL).
        pub acl: Vec<Acl>,
        /// The raw [`CreateMode`] flag; an invalid value is answered with BADARGUMENTS.
        pub flags: i32,
    }
}

impl CreateRequest {
    /// The create mode, `None` for an invalid flag.
    pub fn mode(&self) -> Option<CreateMode> {
        CreateMode::from_flag(self.flags)
    }
}

record! {
    /// `createTTL` (op 21): a create with a time-to-live.
    ///
    /// ```text
    /// ustring path; buffer data; vector<ACL> acl; int flags; long ttl
    /// ```
    #[derive(Hash)]
    pub struct CreateTtlRequest {
        /// The path to create.
        pub path: String,
        /// The initial data.
        pub data: Option<Bytes>,
        /// The node's ACL.
        pub acl: Vec<Acl>,
        /// The raw [`CreateMode`] flag (must be a TTL mode).
        pub flags: i32,
        /// Time-to-live in ms, `1..=0xFF_FFFF_FFFF`
        /// (see [`CreateMode::is_valid_ttl`]).
        pub ttl: i64,
    }
}

impl CreateTtlRequest {
    /// The create mode, `None` for an invalid flag.
    pub fn mode(&self) -> Option<CreateMode> {
        CreateMode::from_flag(self.flags)
    }
}

record! {
    /// Reply to `create` (op 1): the created path, including any sequence suffix.
    #[derive(Hash)]
    pub struct CreateResponse {
        /// The path actually created.
        pub path: String,
    }
}

record! {
    /// Reply to `create2`, `createContainer` and `createTTL`: the path and the new node's Stat.
    #[derive(Hash)]
    pub struct Create2Response {
        /// The path actually created.
        pub path: String,
        /// The new node's Stat.
        pub stat: Stat,
    }
}

record! {
    /// `delete` (op 2). The reply has no body.
    #[derive(Hash)]
    pub struct DeleteRequest {
        /// The node to delete.
        pub path: String,
        /// The expected data version, -1 for any.
        pub version: i32,
    }
}

record! {
    /// `deleteContainer` (op 20), sent by the server's container reaper, not by clients.
    #[derive(Hash)]
    pub struct DeleteContainerRequest {
        /// The container to delete.
        pub path: String,
    }
}

record! {
    /// `check` (op 13): a version check, valid only inside a multi.
    #[derive(Hash)]
    pub struct CheckVersionRequest {
        /// The node to check.
        pub path: String,
        /// The expected data version, -1 for any.
        pub version: i32,
    }
}

record! {
    /// `exists` (op 3). With `watch`, a data watch is set even if the node does not exist.
    #[derive(Hash)]
    pub struct ExistsRequest {
        /// The node.
        pub path: String,
        /// Leave a data watch.
        pub watch: bool,
    }
}

record! {
    /// Reply to `exists`. A missing node is the NONODE result code with no body.
    #[derive(Hash)]
    pub struct ExistsResponse {
        /// The node's Stat.
        pub stat: Stat,
    }
}

record! {
    /// `getData` (op 4). No watch is left on a missing node.
    #[derive(Hash)]
    pub struct GetDataRequest {
        /// The node.
        pub path: String,
        /// Leave a data watch.
        pub watch: bool,
    }
}

record! {
    /// Reply to `getData`, and to `reconfig` (the new config bytes and the Stat of
    /// `/zookeeper/config`).
    #[derive(Hash)]
    pub struct GetDataResponse {
        /// The node's data; `None` if it was created with null data.
        pub data: Option<Bytes>,
        /// The node's Stat.
        pub stat: Stat,
    }
}

record! {
    /// `setData` (op 5).
    #[derive(Hash)]
    pub struct SetDataRequest {
        /// The node.
        pub path: String,
        /// The new data (null allowed).
        pub data: Option<Bytes>,
        /// The expected data version, -1 for any.
        pub version: i32,
    }
}

record! {
    /// Reply to `setData`: the node's new Stat.
    #[derive(Hash)]
    pub struct SetDataResponse {
        /// The node's Stat after the write.
        pub stat: Stat,
    }
}

record! {
    /// `sync` (op 9): wait until this server has applied every write committed before it.
    #[derive(Hash)]
    pub struct SyncRequest {
        /// Echoed back; not interpreted.
        pub path: String,
    }
}

record! {
    /// Reply to `sync`: the request's path, echoed.
    #[derive(Hash)]
    pub struct SyncResponse {
        /// The request's path.
        pub path: String,
    }
}

record! {
    /// `reconfig` (op 16): dynamic reconfiguration. The reply is a [`GetDataResponse`].
    ///
    /// The three server lists are null when unused (incremental versus bulk reconfig).
    #[derive(Hash)]
    pub struct ReconfigRequest {
        /// Servers to add (`server.N=...` lines, comma-separated), incremental mode.
        pub joining_servers: Option<String>,
        /// Server ids to remove, incremental mode.
        pub leaving_servers: Option<String>,
        /// The whole new membership, bulk mode.
        pub new_members: Option<String>,
        /// The config version the change is based on, -1 for any.
        pub cur_config_id: i64,
    }
}
