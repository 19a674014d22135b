//! [`ConnectString`]: `host1:2181,host2:2181/optional/chroot`, as every ZooKeeper client
//! accepts it.
//!
//! Hosts are separated by commas; a host without a port uses 2181; an IPv6 address is written
//! in brackets (`[::1]:2181`). Everything from the first `/` on is the chroot.
//!
//! ```
//! use zk_client::ConnectString;
//! let cs = ConnectString::parse("zk1:2181,zk2,[::1]:2182/app/prod").unwrap();
//! assert_eq!(cs.hosts, [("zk1".to_string(), 2181), ("zk2".to_string(), 2181), ("::1".to_string(), 2182)]);
//! assert_eq!(cs.chroot, "/app/prod");
//! assert!(ConnectString::parse("").is_err());
//! ```

use crate::chroot::Chroot;
use crate::error::{Error, Result};

/// The port a host without one uses.
pub const DEFAULT_PORT: u16 = 2181;

/// A parsed connect string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectString {
    /// The servers, in the order given: host name or address (IPv6 without brackets), port.
    pub hosts: Vec<(String, u16)>,
    /// The chroot, `""` for none (a lone `/` is none too).
    pub chroot: String,
}

impl ConnectString {
    /// Parses a connect string; an empty host list, a bad port or an invalid chroot is
    /// [`Error::InvalidConnectString`].
    pub fn parse(s: &str) -> Result<Self> {
        let invalid = |why: String| Error::InvalidConnectString(format!("{s:?}: {why}"));
        let (hosts_part, chroot) = match s.find('/') {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        };
        let chroot = Chroot::new(chroot).map_err(|e| invalid(e.to_string()))?;
        let mut hosts = Vec::new();
        for item in hosts_part
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
        {
            hosts.push(parse_host(item).map_err(invalid)?);
        }
        if hosts.is_empty() {
            return Err(invalid("no host".into()));
        }
        Ok(ConnectString {
            hosts,
            chroot: chroot.as_str().to_owned(),
        })
    }
}

fn parse_host(item: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = item.strip_prefix('[') {
        let (addr, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in {item:?}"))?;
        match after {
            "" => (addr, None),
            _ => (
                addr,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| format!("junk after ']' in {item:?}"))?,
                ),
            ),
        }
    } else {
        match item.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (item, None),
        }
    };
    if host.is_empty() {
        return Err(format!("empty host in {item:?}"));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("bad port {p:?}"))?,
    };
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_ports_and_chroot() {
        let cs = ConnectString::parse("127.0.0.1:2181, localhost:2182/").unwrap();
        assert_eq!(
            cs.hosts,
            [("127.0.0.1".into(), 2181), ("localhost".into(), 2182)]
        );
        assert_eq!(cs.chroot, "");
        assert_eq!(ConnectString::parse("h/a").unwrap().chroot, "/a");
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "", ",", "h:0", "h:x", "h:70000", "[::1", "[::1]x", ":2181", "h/a/",
        ] {
            assert!(ConnectString::parse(bad).is_err(), "{bad:?}");
        }
    }
}
