//! Who a connection is: [`AuthInfo`], the auth ids it holds, and [`AuthProviders`], ZooKeeper's
//! `digest` and `ip` authentication providers.
//!
//! Every connection starts with the id `ip:<client address>`; each successful `addauth` adds
//! more. The `digest` scheme turns the credentials `user:password` into the id
//! `user:base64(sha1("user:password"))`; when that equals the configured super digest
//! (`zookeeper.DigestAuthenticationProvider.superDigest`) the connection also gets `super:`,
//! which passes every ACL check. The `ip` scheme matches ACL ids that are an address or a CIDR
//! block, IPv4 or IPv6 (IPv6 ACLs are accepted as ZooKeeper 3.9 does; 3.8 rejected them).
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use zk_tree::auth::{generate_digest, AuthInfo, AuthProviders};
//!
//! assert_eq!(generate_digest("alice:secret"), "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
//! let providers = AuthProviders::default()
//!     .with_super_digest(generate_digest("super:adminpw"));
//! let mut auth = AuthInfo::for_address(IpAddr::V4(Ipv4Addr::LOCALHOST));
//! providers.authenticate(&mut auth, "digest", b"super:adminpw").unwrap();
//! assert!(auth.is_super());
//! assert_eq!(auth.ids()[0].to_string(), "ip:127.0.0.1");
//! assert!(AuthProviders::ip_matches("10.1.2.3", "10.0.0.0/8"));
//! ```

use std::net::IpAddr;

use base64::Engine;
use sha1::{Digest, Sha1};
use zk_proto::{ErrorCode, Id};

/// The auth ids of one connection (`ServerCnxn.authInfo`): always `ip:<address>`, plus one or
/// two ids per successful `addauth`. A set: adding an id twice keeps one copy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthInfo {
    ids: Vec<Id>,
}

impl AuthInfo {
    /// The ids of a fresh connection from `address`: just `ip:<address>`, formatted as Java's
    /// `InetAddress.getHostAddress` does (see [`java_host_address`]).
    pub fn for_address(address: IpAddr) -> Self {
        AuthInfo {
            ids: vec![Id::new("ip", java_host_address(address))],
        }
    }

    /// Auth info holding exactly `ids` (duplicates dropped), e.g. for the server's own
    /// internal requests, which carry no ids at all.
    pub fn from_ids(ids: impl IntoIterator<Item = Id>) -> Self {
        let mut auth = AuthInfo::default();
        for id in ids {
            auth.add(id);
        }
        auth
    }

    /// The ids, in the order they were added.
    pub fn ids(&self) -> &[Id] {
        &self.ids
    }

    /// Adds an id unless already present. Returns true if it was new.
    pub fn add(&mut self, id: Id) -> bool {
        if self.ids.contains(&id) {
            return false;
        }
        self.ids.push(id);
        true
    }

    /// True if the connection authenticated as the super user (an id with scheme `super`).
    pub fn is_super(&self) -> bool {
        self.ids.iter().any(|id| id.scheme == "super")
    }

    /// The whoAmI answer: `(scheme, user)` per id, in order. The user is the provider's user
    /// name (the address for `ip`, the part before the first `:` for `digest`) and empty for
    /// schemes without a provider, such as `super` (`AuthUtil.getClientInfos`).
    pub fn client_infos(&self, providers: &AuthProviders) -> Vec<(String, String)> {
        self.ids
            .iter()
            .map(|id| {
                (
                    id.scheme.clone(),
                    providers.user_name(id).unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// `InetAddress.getHostAddress()`: dotted quad for IPv4; for IPv6 eight groups of lowercase
/// hex without leading zeros and without `::` compression (`0:0:0:0:0:0:0:1`). An
/// IPv4-mapped IPv6 address is shown as IPv4, because Java turns it into an `Inet4Address`.
pub fn java_host_address(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let groups: Vec<String> = v6.segments().iter().map(|g| format!("{g:x}")).collect();
                groups.join(":")
            }
        },
    }
}

/// `DigestAuthenticationProvider.generateDigest`: `user:base64(sha1(user_password))`, where
/// the user is everything before the first `:` (all of it if there is none) and the hash
/// covers the whole string, user and colon included.
pub fn generate_digest(user_password: &str) -> String {
    let user = user_password.split(':').next().unwrap_or_default();
    let hash = Sha1::digest(user_password.as_bytes());
    format!(
        "{user}:{}",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// The authentication providers a server has (`ProviderRegistry`): `ip` always, `digest`
/// unless disabled (`zookeeper.DigestAuthenticationProvider.enabled=false`), and the optional
/// super digest. SASL and x509 are not provided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthProviders {
    digest_enabled: bool,
    super_digest: Option<String>,
}

impl Default for AuthProviders {
    /// `ip` and `digest`, no super digest: ZooKeeper's defaults.
    fn default() -> Self {
        AuthProviders {
            digest_enabled: true,
            super_digest: None,
        }
    }
}

impl AuthProviders {
    /// Sets the super digest, `super:<base64 sha1>` as [`generate_digest`] makes it.
    pub fn with_super_digest(mut self, digest: impl Into<String>) -> Self {
        self.super_digest = Some(digest.into());
        self
    }

    /// Enables or disables the `digest` provider.
    pub fn with_digest_enabled(mut self, enabled: bool) -> Self {
        self.digest_enabled = enabled;
        self
    }

    /// True if a provider exists for `scheme` (`ProviderRegistry.getServerProvider != null`).
    /// `world`, `auth` and `super` are not providers.
    pub fn has_provider(&self, scheme: &str) -> bool {
        scheme == "ip" || (scheme == "digest" && self.digest_enabled)
    }

    /// `isAuthenticated()` of the scheme's provider: true for `digest`, false for `ip` and for
    /// schemes without a provider. Only authenticated ids replace an `auth` ACL entry.
    pub fn is_authenticated(&self, scheme: &str) -> bool {
        scheme == "digest" && self.digest_enabled
    }

    /// `isValid(id)` of the scheme's provider; false if there is none.
    pub fn is_valid(&self, scheme: &str, id: &str) -> bool {
        match scheme {
            "ip" => Self::ip_is_valid(id),
            "digest" if self.digest_enabled => java_split_count(id, ':') == 2,
            _ => false,
        }
    }

    /// `matches(callerId, aclId)` of the scheme's provider; false if there is none.
    pub fn matches(&self, scheme: &str, caller_id: &str, acl_id: &str) -> bool {
        match scheme {
            "ip" => Self::ip_matches(caller_id, acl_id),
            "digest" if self.digest_enabled => caller_id == acl_id,
            _ => false,
        }
    }

    /// `getUserName(id)`: the address for `ip`, the part before the first `:` for `digest`,
    /// `None` for schemes without a provider.
    pub fn user_name(&self, id: &Id) -> Option<String> {
        match id.scheme.as_str() {
            "ip" => Some(id.id.clone()),
            "digest" if self.digest_enabled => {
                Some(id.id.split(':').next().unwrap_or_default().to_owned())
            }
            _ => None,
        }
    }

    /// Handles an auth packet (`addauth scheme data`), adding the resulting ids to `auth`.
    ///
    /// `digest` adds `digest:<generate_digest(data)>`, preceded by `super:` when it equals the
    /// super digest; `ip` re-adds the connection's address id (a no-op). Any other scheme is
    /// [`ErrorCode::AuthFailed`]; ZooKeeper then closes the connection. The data is decoded as
    /// UTF-8 with replacement characters, like Java's `new String(bytes)`.
    pub fn authenticate(
        &self,
        auth: &mut AuthInfo,
        scheme: &str,
        data: &[u8],
    ) -> Result<(), ErrorCode> {
        match scheme {
            "ip" => Ok(()),
            "digest" if self.digest_enabled => {
                let digest = generate_digest(&String::from_utf8_lossy(data));
                if self.super_digest.as_deref() == Some(digest.as_str()) {
                    auth.add(Id::new("super", ""));
                }
                auth.add(Id::new("digest", digest));
                Ok(())
            }
            _ => Err(ErrorCode::AuthFailed),
        }
    }

    /// `IPAuthenticationProvider.isValid`: an IPv4 or IPv6 address, optionally followed by
    /// `/bits` with `0 <= bits <= address bits`.
    pub fn ip_is_valid(id: &str) -> bool {
        let mut parts = id.splitn(2, '/');
        let Some(addr) = parts.next().and_then(addr_to_bytes) else {
            return false;
        };
        match parts.next() {
            None => true,
            Some(bits) => prefix_bits(bits, addr.len()).is_some(),
        }
    }

    /// `IPAuthenticationProvider.matches`: true if `caller_id` (an address) falls in the ACL's
    /// address or CIDR block. IPv4 never matches IPv6 and vice versa.
    pub fn ip_matches(caller_id: &str, acl_id: &str) -> bool {
        let mut parts = acl_id.splitn(2, '/');
        let Some(mut acl_addr) = parts.next().and_then(addr_to_bytes) else {
            return false;
        };
        let bits = match parts.next() {
            None => acl_addr.len() * 8,
            Some(bits) => match prefix_bits(bits, acl_addr.len()) {
                Some(bits) => bits,
                None => return false,
            },
        };
        mask(&mut acl_addr, bits);
        let Some(mut caller) = addr_to_bytes(caller_id) else {
            return false;
        };
        mask(&mut caller, bits);
        caller == acl_addr
    }
}

/// The length of Java's `s.split(String.valueOf(sep))`: trailing empty strings are dropped,
/// but a string without the separator splits into itself.
fn java_split_count(s: &str, sep: char) -> usize {
    let parts: Vec<&str> = s.split(sep).collect();
    if parts.len() == 1 {
        return 1;
    }
    let trailing_empty = parts.iter().rev().take_while(|p| p.is_empty()).count();
    parts.len() - trailing_empty
}

/// Java's `Integer.parseInt(s, radix)`: an optional sign and at least one digit. (Java also
/// accepts non-ASCII Unicode digits; this does not.)
fn java_parse_int(s: &str, radix: u32) -> Option<i32> {
    i32::from_str_radix(s, radix).ok()
}

/// The `/bits` suffix of an ip ACL: a Java int within `0..=8 * address_len`.
fn prefix_bits(bits: &str, address_len: usize) -> Option<usize> {
    let bits = java_parse_int(bits, 10)?;
    let bits = usize::try_from(bits).ok()?;
    (bits <= address_len * 8).then_some(bits)
}

/// `addr2Bytes`: IPv6 if the string contains `:`, else IPv4 if it contains `.`.
fn addr_to_bytes(addr: &str) -> Option<Vec<u8>> {
    if addr.contains(':') {
        v6_to_bytes(addr).map(|b| b.to_vec())
    } else if addr.contains('.') {
        v4_to_bytes(addr).map(|b| b.to_vec())
    } else {
        None
    }
}

/// Exactly four dot-separated Java ints, each in 0..=255.
fn v4_to_bytes(addr: &str) -> Option<[u8; 4]> {
    let parts: Vec<&str> = addr.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = [0u8; 4];
    for (byte, part) in out.iter_mut().zip(parts) {
        *byte = u8::try_from(java_parse_int(part, 10)?).ok()?;
    }
    Some(out)
}

/// `IPAuthenticationProvider.parseV6addr`: eight groups, or fewer around one `::`; each group
/// one to four characters parsed as a Java hex int (whose low 16 bits are kept).
fn v6_to_bytes(addr: &str) -> Option<[u8; 16]> {
    let parts: Vec<&str> = addr.split("::").collect();
    let (head, tail): (Vec<&str>, Vec<&str>) = match parts.as_slice() {
        [all] => {
            let groups: Vec<&str> = all.split(':').collect();
            if groups.len() != 8 {
                return None;
            }
            (groups, Vec::new())
        }
        [before, after] => {
            fn groups(s: &str) -> Vec<&str> {
                if s.is_empty() {
                    Vec::new()
                } else {
                    s.split(':').collect()
                }
            }
            let (head, tail) = (groups(before), groups(after));
            if head.len() + tail.len() >= 8 {
                return None;
            }
            (head, tail)
        }
        _ => return None,
    };
    let mut out = [0u8; 16];
    let tail_start = 16 - tail.len() * 2;
    for (start, groups) in [(0, &head), (tail_start, &tail)] {
        for (i, group) in groups.iter().enumerate() {
            if group.is_empty() || group.chars().count() > 4 {
                return None;
            }
            let value = java_parse_int(group, 16)?;
            out[start + 2 * i] = (value >> 8) as u8;
            out[start + 2 * i + 1] = value as u8;
        }
    }
    Some(out)
}

/// Clears every bit after the first `bits` (`IPAuthenticationProvider.mask`).
fn mask(bytes: &mut [u8], bits: usize) {
    for (i, byte) in bytes.iter_mut().enumerate() {
        let keep = bits.saturating_sub(i * 8).min(8);
        *byte &= !(0xFFu16 >> keep) as u8;
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    /// Values computed by ZooKeeper 3.8's own tool:
    /// `java -cp $CP org.apache.zookeeper.server.auth.DigestAuthenticationProvider alice:secret ...`
    /// (Debian zookeeper 3.8.0).
    #[test]
    fn digest_matches_zookeepers_generate_digest() {
        assert_eq!(
            generate_digest("alice:secret"),
            "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="
        );
        assert_eq!(
            generate_digest("super:test"),
            "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
        );
        // No colon: the whole string is the user and is hashed as is.
        assert_eq!(
            generate_digest("nocolon"),
            "nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g="
        );
        // Only the first colon separates the user; the hash covers everything.
        assert_eq!(generate_digest("a:b:c"), "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0=");
    }

    #[test]
    fn digest_auth_adds_digest_id_and_super_when_configured() {
        let providers = AuthProviders::default().with_super_digest(generate_digest("super:pw"));
        let mut auth = AuthInfo::for_address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        providers
            .authenticate(&mut auth, "digest", b"bob:x")
            .unwrap();
        assert!(!auth.is_super());
        providers
            .authenticate(&mut auth, "digest", b"super:pw")
            .unwrap();
        assert!(auth.is_super());
        let ids: Vec<String> = auth.ids().iter().map(Id::to_string).collect();
        assert_eq!(
            ids,
            [
                "ip:10.0.0.1".to_owned(),
                format!("digest:{}", generate_digest("bob:x")),
                "super:".to_owned(),
                format!("digest:{}", generate_digest("super:pw")),
            ]
        );
        // Adding the same credentials again changes nothing: the ids are a set.
        providers
            .authenticate(&mut auth, "digest", b"bob:x")
            .unwrap();
        assert_eq!(auth.ids().len(), 4);
    }

    #[test]
    fn unknown_scheme_fails_and_ip_auth_is_a_no_op() {
        let providers = AuthProviders::default();
        let mut auth = AuthInfo::for_address(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(
            providers.authenticate(&mut auth, "sasl", b"x"),
            Err(ErrorCode::AuthFailed)
        );
        assert_eq!(providers.authenticate(&mut auth, "ip", b"whatever"), Ok(()));
        assert_eq!(auth.ids().len(), 1);
        let disabled = AuthProviders::default().with_digest_enabled(false);
        assert_eq!(
            disabled.authenticate(&mut auth, "digest", b"a:b"),
            Err(ErrorCode::AuthFailed)
        );
    }

    #[test]
    fn host_addresses_are_formatted_like_java() {
        assert_eq!(
            java_host_address(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            "0:0:0:0:0:0:0:1"
        );
        let v6: Ipv6Addr = "fe80::1:abcd".parse().unwrap();
        assert_eq!(java_host_address(IpAddr::V6(v6)), "fe80:0:0:0:0:0:1:abcd");
        let mapped = Ipv4Addr::new(192, 168, 1, 2).to_ipv6_mapped();
        assert_eq!(java_host_address(IpAddr::V6(mapped)), "192.168.1.2");
    }

    #[test]
    fn digest_ids_are_valid_when_java_split_gives_two_parts() {
        let p = AuthProviders::default();
        for (id, valid) in [
            ("user:hash", true),
            (":hash", true),
            ("user:", false),
            ("user::", false),
            ("a:b:c", false),
            ("nocolon", false),
            ("", false),
            (":", false),
        ] {
            assert_eq!(p.is_valid("digest", id), valid, "{id:?}");
        }
    }

    #[test]
    fn ip_validity_follows_ip_authentication_provider() {
        for (id, valid) in [
            ("10.0.0.1", true),
            ("10.0.0.0/8", true),
            ("10.0.0.0/0", true),
            ("10.0.0.0/32", true),
            ("10.0.0.0/33", false),
            ("10.0.0.0/-1", false),
            ("10.0.0.0/x", false),
            ("10.0.0", false),
            ("10.0.0.256", false),
            ("+10.0.0.1", true), // Integer.parseInt accepts a sign
            ("localhost", false),
            ("::1", true),
            ("fe80::/10", true),
            ("2001:db8::/129", false),
            ("1:2:3:4:5:6:7:8", true),
            ("1:2:3:4:5:6:7", false),
            ("1:2:3:4::5:6:7:8", false),
            ("1::2::3", false),
            ("12345::", false),
            ("g::", false),
            ("::ffff:1.2.3.4", false), // Java's parser has no dotted tail
        ] {
            assert_eq!(AuthProviders::ip_is_valid(id), valid, "{id:?}");
        }
    }

    #[test]
    fn ip_matching_masks_both_sides_to_the_prefix() {
        assert!(AuthProviders::ip_matches("10.1.2.3", "10.1.2.3"));
        assert!(!AuthProviders::ip_matches("10.1.2.4", "10.1.2.3"));
        assert!(AuthProviders::ip_matches("10.1.2.3", "10.0.0.0/8"));
        assert!(AuthProviders::ip_matches("10.1.2.3", "10.1.2.128/24"));
        // The ACL side is masked too: 10.1.3.0/23 is the block 10.1.2.0-10.1.3.255.
        assert!(AuthProviders::ip_matches("10.1.2.3", "10.1.3.0/23"));
        assert!(!AuthProviders::ip_matches("10.1.2.3", "10.1.0.0/23"));
        assert!(AuthProviders::ip_matches("1.2.3.4", "9.9.9.9/0"));
        assert!(AuthProviders::ip_matches("0:0:0:0:0:0:0:1", "::1"));
        assert!(AuthProviders::ip_matches(
            "fe80:0:0:0:0:0:1:abcd",
            "fe80::/10"
        ));
        assert!(!AuthProviders::ip_matches(
            "fec0:0:0:0:0:0:0:1",
            "fe80::/10"
        ));
        // Families never match each other, even with a zero-length prefix.
        assert!(!AuthProviders::ip_matches("0:0:0:0:0:0:0:1", "0.0.0.0/0"));
        assert!(!AuthProviders::ip_matches("127.0.0.1", "::/0"));
        assert!(!AuthProviders::ip_matches("127.0.0.1", "bogus"));
        assert!(!AuthProviders::ip_matches("bogus", "127.0.0.1"));
    }

    #[test]
    fn who_am_i_names_users_per_provider() {
        let providers = AuthProviders::default().with_super_digest(generate_digest("super:pw"));
        let mut auth = AuthInfo::for_address(IpAddr::V4(Ipv4Addr::LOCALHOST));
        providers
            .authenticate(&mut auth, "digest", b"super:pw")
            .unwrap();
        assert_eq!(
            auth.client_infos(&providers),
            [
                ("ip".to_owned(), "127.0.0.1".to_owned()),
                ("super".to_owned(), String::new()),
                ("digest".to_owned(), "super".to_owned()),
            ]
        );
    }
}
