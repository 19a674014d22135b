//! Records for a node's ACL: getACL and setACL.

use crate::{Acl, Stat};

record! {
    /// `getACL` (op 6). Needs READ or ADMIN; without ADMIN, digest ids come back masked.
    #[derive(Hash)]
    pub struct GetAclRequest {
        /// The node.
        pub path: String,
    }
}

record! {
    /// Reply to `getACL`.
    #[derive(Hash)]
    pub struct GetAclResponse {
        /// The node's ACL.
        pub acl: Vec<Acl>,
        /// The node's Stat.
        pub stat: Stat,
    }
}

record! {
    /// `setACL` (op 7).
    #[derive(Hash)]
    pub struct SetAclRequest {
        /// The node.
        pub path: String,
        /// The new ACL (an empty list is INVALIDACL).
        pub acl: Vec<Acl>,
        /// The expected ACL version (`aversion`), -1 for any.
        pub version: i32,
    }
}

record! {
    /// Reply to `setACL`: the node's Stat, with `aversion` bumped.
    #[derive(Hash)]
    pub struct SetAclResponse {
        /// The node's Stat after the write.
        pub stat: Stat,
    }
}
