//! ACL decisions: [`AclChecker::check`] (`ZooKeeperServer.checkACL`), [`AclChecker::fixup`]
//! (`PrepRequestProcessor.fixupACL`, run on every create and setACL) and
//! [`mask_digest_ids`] (getACL for callers without ADMIN, CVE-2019-0201).
//!
//! Which permission each operation needs: CREATE on the parent to create, DELETE on the parent
//! to delete, WRITE to setData, ADMIN to setACL, READ to read (getACL: READ *or* ADMIN), READ on
//! the node (the parent for NodeChildrenChanged) to receive a watch event.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use zk_proto::{Acl, ErrorCode, Id, Perms};
//! use zk_tree::acl_check::AclChecker;
//! use zk_tree::auth::{generate_digest, AuthInfo};
//!
//! let checker = AclChecker::default();
//! let mut alice = AuthInfo::for_address(IpAddr::V4(Ipv4Addr::LOCALHOST));
//! // `auth` needs an authenticated id; the automatic ip id does not count.
//! assert_eq!(checker.fixup(&Acl::creator_all_acl(), &alice), Err(ErrorCode::InvalidAcl));
//!
//! checker.providers().authenticate(&mut alice, "digest", b"alice:pw").unwrap();
//! let acl = checker.fixup(&Acl::creator_all_acl(), &alice).unwrap();
//! assert_eq!(acl, [Acl::new(Perms::ALL, Id::new("digest", generate_digest("alice:pw")))]);
//! assert!(checker.check(&acl, &alice, Perms::WRITE));
//!
//! let stranger = AuthInfo::for_address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)));
//! assert!(!checker.check(&acl, &stranger, Perms::READ));
//! ```

use zk_proto::{Acl, ErrorCode, Id, Perms};

use crate::auth::{AuthInfo, AuthProviders};

/// Makes ACL decisions with the server's providers and its `zookeeper.skipACL` setting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AclChecker {
    providers: AuthProviders,
    skip_acl: bool,
}

impl AclChecker {
    /// A checker using `providers`, with ACL checks on.
    pub fn new(providers: AuthProviders) -> Self {
        AclChecker {
            providers,
            skip_acl: false,
        }
    }

    /// `zookeeper.skipACL=yes`: every check passes (fix-up still runs).
    pub fn with_skip_acl(mut self, skip: bool) -> Self {
        self.skip_acl = skip;
        self
    }

    /// The authentication providers.
    pub fn providers(&self) -> &AuthProviders {
        &self.providers
    }

    /// True if ACL checks are skipped.
    pub fn skip_acl(&self) -> bool {
        self.skip_acl
    }

    /// `checkACL`: may a caller holding `auth` do something needing any bit of `perm` to a node
    /// whose ACL is `acl`?
    ///
    /// In order: skipACL allows; an empty ACL allows; a `super` id allows; then an entry
    /// sharing a bit with `perm` allows if it is `world:anyone` or if one of the caller's ids of
    /// the same scheme matches it (digest: equality; ip: address or CIDR). Entries of schemes
    /// without a provider never match.
    pub fn check(&self, acl: &[Acl], auth: &AuthInfo, perm: Perms) -> bool {
        if self.skip_acl || acl.is_empty() || auth.is_super() {
            return true;
        }
        acl.iter()
            .filter(|entry| entry.perms.intersects(perm))
            .any(|entry| {
                let id = &entry.id;
                if id.scheme == "world" && id.id == "anyone" {
                    return true;
                }
                self.providers.has_provider(&id.scheme)
                    && auth.ids().iter().any(|caller| {
                        caller.scheme == id.scheme
                            && self.providers.matches(&id.scheme, &caller.id, &id.id)
                    })
            })
    }

    /// `checkACL` as a result: `Err(NoAuth)` when [`check`](Self::check) fails.
    pub fn require(&self, acl: &[Acl], auth: &AuthInfo, perm: Perms) -> Result<(), ErrorCode> {
        if self.check(acl, auth, perm) {
            Ok(())
        } else {
            Err(ErrorCode::NoAuth)
        }
    }

    /// `fixupACL`: the ACL to store for a create or setACL, or `Err(InvalidAcl)`.
    ///
    /// Exact duplicates are dropped (first occurrence kept); an empty list is invalid;
    /// `world:anyone` is kept; an `auth` entry (any id) becomes one entry with its perms for
    /// each of the caller's ids whose provider is authenticated (digest: yes; ip: no; `super`
    /// has no provider and is skipped), invalid if there is none; any other entry needs a
    /// provider that finds the id valid.
    pub fn fixup(&self, acl: &[Acl], auth: &AuthInfo) -> Result<Vec<Acl>, ErrorCode> {
        let mut unique: Vec<&Acl> = Vec::with_capacity(acl.len());
        for entry in acl {
            if !unique.contains(&entry) {
                unique.push(entry);
            }
        }
        if unique.is_empty() {
            return Err(ErrorCode::InvalidAcl);
        }
        let mut out = Vec::with_capacity(unique.len());
        for entry in unique {
            let id = &entry.id;
            if id.scheme == "world" && id.id == "anyone" {
                out.push(entry.clone());
            } else if id.scheme == "auth" {
                let before = out.len();
                out.extend(
                    auth.ids()
                        .iter()
                        .filter(|caller| self.providers.is_authenticated(&caller.scheme))
                        .map(|caller| Acl::new(entry.perms, caller.clone())),
                );
                if out.len() == before {
                    return Err(ErrorCode::InvalidAcl);
                }
            } else if self.providers.is_valid(&id.scheme, &id.id) {
                out.push(entry.clone());
            } else {
                return Err(ErrorCode::InvalidAcl);
            }
        }
        Ok(out)
    }

    /// The getACL answer for a node with `acl`: `Err(NoAuth)` without READ or ADMIN; the ACL
    /// as stored with ADMIN; otherwise with digest hashes masked ([`mask_digest_ids`]).
    pub fn acl_for_get_acl(&self, acl: &[Acl], auth: &AuthInfo) -> Result<Vec<Acl>, ErrorCode> {
        self.require(acl, auth, Perms::READ | Perms::ADMIN)?;
        if self.check(acl, auth, Perms::ADMIN) {
            Ok(acl.to_vec())
        } else {
            Ok(mask_digest_ids(acl))
        }
    }
}

/// Hides digest hashes (CVE-2019-0201): every `digest` id becomes `user:x`. Exactly Java's
/// `id.replaceAll(":.*", ":x")`: each `:` up to the end of its line becomes `:x` (a regex `.`
/// does not cross line terminators, so a later line's colon is masked separately).
pub fn mask_digest_ids(acl: &[Acl]) -> Vec<Acl> {
    acl.iter()
        .map(|entry| {
            if entry.id.scheme == "digest" {
                let masked = mask_after_colons(&entry.id.id);
                Acl::new(entry.perms, Id::new("digest", masked))
            } else {
                entry.clone()
            }
        })
        .collect()
}

/// `s.replaceAll(":.*", ":x")` with Java's default (non-DOTALL) line terminators.
fn mask_after_colons(s: &str) -> String {
    let is_line_end = |c: char| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(colon) = rest.find(':') {
        out.push_str(&rest[..colon]);
        out.push_str(":x");
        let after = &rest[colon + 1..];
        let line_end = after.find(is_line_end).unwrap_or(after.len());
        rest = &after[line_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::auth::generate_digest;

    fn ip(a: u8, b: u8, c: u8, d: u8) -> AuthInfo {
        AuthInfo::for_address(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
    }

    fn digest_user(user_password: &str) -> AuthInfo {
        let mut auth = ip(127, 0, 0, 1);
        AuthProviders::default()
            .authenticate(&mut auth, "digest", user_password.as_bytes())
            .unwrap();
        auth
    }

    fn acl(perms: Perms, scheme: &str, id: &str) -> Acl {
        Acl::new(perms, Id::new(scheme, id))
    }

    #[test]
    fn empty_acl_allows_everything() {
        assert!(AclChecker::default().check(&[], &ip(1, 2, 3, 4), Perms::ADMIN));
    }

    #[test]
    fn world_anyone_allows_only_its_bits() {
        let c = AclChecker::default();
        let read_only = Acl::read_acl_unsafe();
        assert!(c.check(&read_only, &ip(1, 2, 3, 4), Perms::READ));
        assert!(!c.check(&read_only, &ip(1, 2, 3, 4), Perms::WRITE));
        // Any shared bit is enough (getACL asks READ|ADMIN).
        assert!(c.check(&read_only, &ip(1, 2, 3, 4), Perms::READ | Perms::ADMIN));
        // world with another id is not anyone.
        assert!(!c.check(
            &[acl(Perms::ALL, "world", "someone")],
            &ip(1, 2, 3, 4),
            Perms::READ
        ));
    }

    #[test]
    fn digest_entries_match_by_equality_and_ip_entries_by_cidr() {
        let c = AclChecker::default();
        let alice = digest_user("alice:pw");
        let entry = [acl(Perms::ALL, "digest", &generate_digest("alice:pw"))];
        assert!(c.check(&entry, &alice, Perms::DELETE));
        assert!(!c.check(&entry, &digest_user("alice:wrong"), Perms::DELETE));
        let net = [acl(Perms::READ, "ip", "10.0.0.0/8")];
        assert!(c.check(&net, &ip(10, 9, 9, 9), Perms::READ));
        assert!(!c.check(&net, &ip(11, 0, 0, 1), Perms::READ));
    }

    #[test]
    fn super_and_skip_acl_allow_everything() {
        let providers = AuthProviders::default().with_super_digest(generate_digest("super:s"));
        let c = AclChecker::new(providers.clone());
        let mut root = ip(1, 1, 1, 1);
        providers
            .authenticate(&mut root, "digest", b"super:s")
            .unwrap();
        let locked = [acl(Perms::READ, "digest", &generate_digest("a:b"))];
        assert!(c.check(&locked, &root, Perms::ADMIN));
        assert!(!c.check(&locked, &ip(1, 1, 1, 1), Perms::ADMIN));
        let skip = AclChecker::default().with_skip_acl(true);
        assert!(skip.check(&locked, &ip(1, 1, 1, 1), Perms::ADMIN));
    }

    #[test]
    fn entries_of_unknown_schemes_never_match() {
        let c = AclChecker::default();
        let mut auth = ip(1, 1, 1, 1);
        auth.add(Id::new("sasl", "bob"));
        assert!(!c.check(&[acl(Perms::ALL, "sasl", "bob")], &auth, Perms::READ));
    }

    #[test]
    fn fixup_dedupes_and_keeps_order() {
        let c = AclChecker::default();
        let input = [
            acl(Perms::READ, "ip", "10.0.0.1"),
            Acl::new(Perms::ALL, Id::anyone()),
            acl(Perms::READ, "ip", "10.0.0.1"),
        ];
        assert_eq!(
            c.fixup(&input, &ip(1, 1, 1, 1)).unwrap(),
            [input[0].clone(), input[1].clone()]
        );
    }

    #[test]
    fn fixup_rejects_empty_unknown_and_malformed_ids() {
        let c = AclChecker::default();
        let anyone = ip(1, 1, 1, 1);
        for bad in [
            vec![],
            vec![acl(Perms::ALL, "sasl", "bob")],
            vec![acl(Perms::ALL, "super", "")],
            vec![acl(Perms::ALL, "world", "everyone")],
            vec![acl(Perms::ALL, "digest", "nohash")],
            vec![acl(Perms::ALL, "ip", "10.0.0.0/40")],
            vec![acl(Perms::ALL, "ip", "host.example")],
            // One bad entry spoils the list.
            vec![
                Acl::new(Perms::ALL, Id::anyone()),
                acl(Perms::ALL, "x509", "CN=a"),
            ],
        ] {
            assert_eq!(
                c.fixup(&bad, &anyone),
                Err(ErrorCode::InvalidAcl),
                "{bad:?}"
            );
        }
    }

    /// Observed on Apache ZooKeeper 3.8.0 (kazoo): `auth:` by a client with `digest alice:secret`
    /// stored `digest:alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=`; without credentials, INVALIDACL.
    #[test]
    fn auth_entries_expand_to_authenticated_ids_only() {
        let providers = AuthProviders::default().with_super_digest(generate_digest("super:s"));
        let c = AclChecker::new(providers.clone());
        let entry = [acl(Perms::READ | Perms::WRITE, "auth", "ignored")];
        assert_eq!(c.fixup(&entry, &ip(1, 1, 1, 1)), Err(ErrorCode::InvalidAcl));
        let mut auth = ip(1, 1, 1, 1);
        providers.authenticate(&mut auth, "digest", b"a:1").unwrap();
        providers
            .authenticate(&mut auth, "digest", b"super:s")
            .unwrap();
        // super has no provider and is skipped; both digest ids are used.
        assert_eq!(
            c.fixup(&entry, &auth).unwrap(),
            [
                acl(Perms(3), "digest", &generate_digest("a:1")),
                acl(Perms(3), "digest", &generate_digest("super:s")),
            ]
        );
        // An ip-only caller with an extra non-provider id still has nothing to expand to.
        let mut odd = ip(1, 1, 1, 1);
        odd.add(Id::new("super", ""));
        assert_eq!(c.fixup(&entry, &odd), Err(ErrorCode::InvalidAcl));
    }

    /// Observed on Apache ZooKeeper 3.8.0 (kazoo): getACL of `[digest:alice:<hash> ALL,
    /// world:anyone READ]` by an unauthenticated client shows `alice:x`; by alice, the hash.
    #[test]
    fn get_acl_masks_digests_without_admin() {
        let c = AclChecker::default();
        let alice = generate_digest("alice:pw");
        let stored = [
            acl(Perms::READ, "world", "anyone"),
            acl(Perms::ALL, "digest", &alice),
            acl(Perms::READ, "ip", "10.0.0.0/8"),
        ];
        let masked = c.acl_for_get_acl(&stored, &ip(1, 1, 1, 1)).unwrap();
        assert_eq!(masked[1], acl(Perms::ALL, "digest", "alice:x"));
        assert_eq!((&masked[0], &masked[2]), (&stored[0], &stored[2]));
        assert_eq!(
            c.acl_for_get_acl(&stored, &digest_user("alice:pw"))
                .unwrap(),
            stored
        );
        let private = [acl(Perms::ALL, "digest", &alice)];
        assert_eq!(
            c.acl_for_get_acl(&private, &ip(1, 1, 1, 1)),
            Err(ErrorCode::NoAuth)
        );
    }

    #[test]
    fn masking_follows_java_replace_all() {
        assert_eq!(mask_after_colons("u:hash"), "u:x");
        assert_eq!(mask_after_colons("u:a:b"), "u:x");
        assert_eq!(mask_after_colons("nocolon"), "nocolon");
        assert_eq!(mask_after_colons(":h"), ":x");
        assert_eq!(mask_after_colons("u:a\nv:b"), "u:x\nv:x");
        assert_eq!(mask_after_colons("u:a\nplain"), "u:x\nplain");
    }
}
