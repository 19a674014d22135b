//! Records about who the session is: auth, SASL, whoAmI.

use bytes::Bytes;

record! {
    /// `auth` (op 100, xid -4): add credentials to the connection. Answered at once, outside
    /// the FIFO order; a failure (AUTHFAILED) closes the connection.
    #[derive(Hash)]
    pub struct AuthPacket {
        /// Always 0 (`type` on the wire).
        pub auth_type: i32,
        /// The auth scheme, e.g. `digest`.
        pub scheme: String,
        /// The credentials, e.g. `user:password` for digest.
        pub auth: Bytes,
    }
}

record! {
    /// `sasl` (op 102): one client SASL token (`GetSASLRequest`).
    #[derive(Hash)]
    pub struct GetSaslRequest {
        /// The client's token.
        pub token: Option<Bytes>,
    }
}

record! {
    /// Reply to `sasl`: the server's challenge (`SetSASLResponse`); null when done.
    #[derive(Hash)]
    pub struct SetSaslResponse {
        /// The server's token.
        pub token: Option<Bytes>,
    }
}

record! {
    /// One identity of the connection, in a [`WhoAmIResponse`].
    #[derive(Hash)]
    pub struct ClientInfo {
        /// The scheme, e.g. `ip` or `digest`.
        pub auth_scheme: String,
        /// The provider's user name: the IP for `ip`, the user for `digest`, "" if unknown.
        pub user: String,
    }
}

record! {
    /// Reply to `whoAmI` (op 107): every auth id of the connection, including its `ip` id.
    #[derive(Hash)]
    pub struct WhoAmIResponse {
        /// The connection's identities.
        pub client_info: Vec<ClientInfo>,
    }
}
