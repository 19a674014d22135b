//! Records that list or count nodes: getChildren, getChildren2, getEphemerals,
//! getAllChildrenNumber.

use crate::Stat;

record! {
    /// `getChildren` (op 8). No watch is left on a missing node.
    #[derive(Hash)]
    pub struct GetChildrenRequest {
        /// The parent node.
        pub path: String,
        /// Leave a child watch.
        pub watch: bool,
    }
}

record! {
    /// Reply to `getChildren`: child names (not paths), in no particular order.
    #[derive(Hash)]
    pub struct GetChildrenResponse {
        /// The children's names.
        pub children: Vec<String>,
    }
}

record! {
    /// `getChildren2` (op 12): getChildren plus the parent's Stat.
    #[derive(Hash)]
    pub struct GetChildren2Request {
        /// The parent node.
        pub path: String,
        /// Leave a child watch.
        pub watch: bool,
    }
}

record! {
    /// Reply to `getChildren2`.
    #[derive(Hash)]
    pub struct GetChildren2Response {
        /// The children's names.
        pub children: Vec<String>,
        /// The parent's Stat.
        pub stat: Stat,
    }
}

record! {
    /// `getEphemerals` (op 103): the calling session's ephemerals under a prefix.
    #[derive(Hash)]
    pub struct GetEphemeralsRequest {
        /// A plain string prefix of the paths; empty, blank or `/` means all.
        pub prefix_path: String,
    }
}

record! {
    /// Reply to `getEphemerals`: full paths.
    #[derive(Hash)]
    pub struct GetEphemeralsResponse {
        /// The ephemerals' full paths.
        pub ephemerals: Vec<String>,
    }
}

record! {
    /// `getAllChildrenNumber` (op 104): the number of all descendants.
    #[derive(Hash)]
    pub struct GetAllChildrenNumberRequest {
        /// The node.
        pub path: String,
    }
}

record! {
    /// Reply to `getAllChildrenNumber`.
    #[derive(Copy, Hash)]
    pub struct GetAllChildrenNumberResponse {
        /// The number of descendants, recursively, not counting the node itself.
        pub total_number: i32,
    }
}
