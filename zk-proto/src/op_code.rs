//! [`OpCode`]: the operation a request asks for (`ZooDefs.OpCode`).

jute_enum! {
    /// The `type` of a request header, and of a transaction header (`ZooDefs.OpCode`).
    ///
    /// Identical in ZooKeeper 3.8 and 3.9. `Check` is valid only inside a multi;
    /// `CreateSession` never comes from a client (the handshake plays its role) but names the
    /// transaction that creates a session in the log; `Error` is the type of a failed write's
    /// transaction and of a failed multi sub-result.
    pub enum OpCode {
        /// Not a request: the op of a watch notification.
        Notification = 0,
        /// `create`: CreateRequest → CreateResponse.
        Create = 1,
        /// `delete`: DeleteRequest → (no body).
        Delete = 2,
        /// `exists`: ExistsRequest → ExistsResponse.
        Exists = 3,
        /// `getData`: GetDataRequest → GetDataResponse.
        GetData = 4,
        /// `setData`: SetDataRequest → SetDataResponse.
        SetData = 5,
        /// `getACL`: GetACLRequest → GetACLResponse.
        GetAcl = 6,
        /// `setACL`: SetACLRequest → SetACLResponse.
        SetAcl = 7,
        /// `getChildren`: GetChildrenRequest → GetChildrenResponse.
        GetChildren = 8,
        /// `sync`: SyncRequest → SyncResponse.
        Sync = 9,
        /// `ping` (xid -2, no body either way).
        Ping = 11,
        /// `getChildren2`: GetChildren2Request → GetChildren2Response.
        GetChildren2 = 12,
        /// `check` (inside multi only): CheckVersionRequest.
        Check = 13,
        /// `multi`: MultiOperationRecord → MultiResponse.
        Multi = 14,
        /// `create2`: CreateRequest → Create2Response.
        Create2 = 15,
        /// `reconfig`: ReconfigRequest → GetDataResponse.
        Reconfig = 16,
        /// `checkWatches`: CheckWatchesRequest → (no body).
        CheckWatches = 17,
        /// `removeWatches`: RemoveWatchesRequest → (no body).
        RemoveWatches = 18,
        /// `createContainer`: CreateRequest → Create2Response.
        CreateContainer = 19,
        /// `deleteContainer`: internal (the container reaper).
        DeleteContainer = 20,
        /// `createTTL`: CreateTTLRequest → Create2Response.
        CreateTtl = 21,
        /// `multiRead`: MultiOperationRecord → MultiResponse.
        MultiRead = 22,
        /// `auth` (xid -4): AuthPacket → (no body).
        Auth = 100,
        /// `setWatches` (xid -8): SetWatches → (no body).
        SetWatches = 101,
        /// `sasl`: GetSASLRequest → SetSASLResponse.
        Sasl = 102,
        /// `getEphemerals`: GetEphemeralsRequest → GetEphemeralsResponse.
        GetEphemerals = 103,
        /// `getAllChildrenNumber`: GetAllChildrenNumberRequest → GetAllChildrenNumberResponse.
        GetAllChildrenNumber = 104,
        /// `setWatches2` (xid -8): SetWatches2 → (no body).
        SetWatches2 = 105,
        /// `addWatch`: AddWatchRequest → ErrorResponse.
        AddWatch = 106,
        /// `whoAmI`: (no body) → WhoAmIResponse.
        WhoAmI = 107,
        /// `createSession`: a transaction type only.
        CreateSession = -10,
        /// `closeSession`: (no body) → (no body), then the server closes the socket.
        CloseSession = -11,
        /// `error`: the transaction type of a failed write; a failed multi sub-result.
        Error = -1,
    }
}

impl OpCode {
    /// True for operations that change the tree and so go through the leader as a transaction.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            OpCode::Create
                | OpCode::Create2
                | OpCode::CreateContainer
                | OpCode::CreateTtl
                | OpCode::Delete
                | OpCode::DeleteContainer
                | OpCode::SetData
                | OpCode::SetAcl
                | OpCode::Check
                | OpCode::Multi
                | OpCode::Reconfig
                | OpCode::CreateSession
                | OpCode::CloseSession
        )
    }
}
