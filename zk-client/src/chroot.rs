//! [`Chroot`]: the path prefix a client view lives under.
//!
//! A chrooted client sends `chroot + path` and strips the chroot from every path the server
//! returns (created paths, sync, getEphemerals, watch events), exactly as the Java client does:
//! the created path `/app/a` seen through the chroot `/app` is `/a`, and the chroot itself is
//! `/`.

use std::sync::Arc;

use zk_proto::path::validate_path;

use crate::error::Result;

/// A validated chroot: empty for none, otherwise a valid path other than `/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Chroot(Arc<str>);

impl Chroot {
    /// The chroot `path` (validated); `/` and `""` mean none.
    pub(crate) fn new(path: &str) -> Result<Self> {
        if path.is_empty() || path == "/" {
            return Ok(Chroot::default());
        }
        validate_path(path)?;
        Ok(Chroot(path.into()))
    }

    /// This chroot with `sub` (a valid path) appended.
    pub(crate) fn join(&self, sub: &str) -> Result<Self> {
        validate_path(sub)?;
        Chroot::new(&self.prefix(sub))
    }

    /// The chroot as a path prefix (`""` for none).
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The server path of the client path `path`.
    pub(crate) fn prefix(&self, path: &str) -> String {
        match (self.0.is_empty(), path) {
            (true, _) => path.to_owned(),
            (false, "/") => self.0.to_string(),
            (false, _) => format!("{}{}", self.0, path),
        }
    }

    /// The client path of the server path `path`; `None` if it lies outside the chroot.
    pub(crate) fn strip(&self, path: &str) -> Option<String> {
        if self.0.is_empty() {
            return Some(path.to_owned());
        }
        let rest = path.strip_prefix(&*self.0)?;
        match rest {
            "" => Some("/".to_owned()),
            _ if rest.starts_with('/') => Some(rest.to_owned()),
            _ => None,
        }
    }

    /// Like [`Chroot::strip`], but a path outside the chroot is returned unchanged (a server
    /// answer that should not happen; better shown than dropped).
    pub(crate) fn strip_or_keep(&self, path: &str) -> String {
        self.strip(path).unwrap_or_else(|| path.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_strip_are_inverse() {
        let c = Chroot::new("/app").unwrap();
        assert_eq!(c.prefix("/"), "/app");
        assert_eq!(c.prefix("/a/b"), "/app/a/b");
        assert_eq!(c.strip("/app").as_deref(), Some("/"));
        assert_eq!(c.strip("/app/a").as_deref(), Some("/a"));
        assert_eq!(c.strip("/application"), None);
        assert_eq!(c.strip("/other"), None);
        let none = Chroot::new("/").unwrap();
        assert_eq!(none.prefix("/x"), "/x");
        assert_eq!(none.strip("/x").as_deref(), Some("/x"));
    }

    #[test]
    fn join_nests_and_validates() {
        let c = Chroot::new("/app").unwrap().join("/sub").unwrap();
        assert_eq!(c.as_str(), "/app/sub");
        assert!(Chroot::new("/app/").is_err());
        assert!(Chroot::default().join("relative").is_err());
        assert_eq!(Chroot::default().join("/").unwrap(), Chroot::default());
    }
}
