//! `4lw.commands.whitelist`: which four-letter words the client port answers.

use std::collections::BTreeSet;

/// The four-letter words the server may answer, from `4lw.commands.whitelist`.
///
/// Apache ZooKeeper's default is `srvr` alone, which breaks every `ruok` health check in the
/// wild ("ruok is not executed because it is not in the whitelist"). Our default, when the key
/// is absent, is the cheap read-only set `ruok, srvr, mntr, isro`. When the key is present it
/// means what it means in Apache: a comma-separated list (blanks around names ignored), `*`
/// anywhere for every command, and `srvr` always allowed because `zkServer.sh status` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FourLetterWhitelist {
    /// `*`: every command.
    All,
    /// Exactly these commands.
    Only(BTreeSet<String>),
}

impl FourLetterWhitelist {
    /// Every four-letter word ZooKeeper 3.9 knows (`FourLetterCommands.java`).
    pub const KNOWN: &'static [&'static str] = &[
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro", "mntr", "ruok",
        "srst", "srvr", "stat", "stmk", "wchc", "wchp", "wchs",
    ];

    /// Our default when `4lw.commands.whitelist` is not set (Apache's is `srvr` only).
    pub const DEFAULT: &'static [&'static str] = &["ruok", "srvr", "mntr", "isro"];

    /// Parses a whitelist value as `FourLetterCommands.isEnabled` does. The second result lists
    /// names that are not four-letter words ZooKeeper knows (likely typos), for a warning.
    pub fn parse(value: &str) -> (Self, Vec<String>) {
        let mut names = BTreeSet::new();
        let mut unknown = Vec::new();
        for name in value.split(',').map(super::value::java_trim) {
            if name == "*" {
                return (FourLetterWhitelist::All, Vec::new());
            }
            if name.is_empty() {
                continue;
            }
            if !Self::KNOWN.contains(&name) {
                unknown.push(name.to_owned());
            }
            names.insert(name.to_owned());
        }
        // Apache always allows srvr: zkServer.sh status depends on it.
        names.insert("srvr".to_owned());
        (FourLetterWhitelist::Only(names), unknown)
    }

    /// Whether `command` (for example `"ruok"`) may be answered.
    pub fn is_enabled(&self, command: &str) -> bool {
        match self {
            FourLetterWhitelist::All => true,
            FourLetterWhitelist::Only(names) => names.contains(command),
        }
    }
}

impl Default for FourLetterWhitelist {
    fn default() -> Self {
        FourLetterWhitelist::Only(Self::DEFAULT.iter().map(|s| (*s).to_owned()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_allows_the_safe_health_check_commands() {
        let w = FourLetterWhitelist::default();
        for cmd in ["ruok", "srvr", "mntr", "isro"] {
            assert!(w.is_enabled(cmd), "{cmd}");
        }
        for cmd in ["dump", "wchc", "conf", "stat"] {
            assert!(!w.is_enabled(cmd), "{cmd}");
        }
    }

    #[test]
    fn explicit_list_replaces_the_default_but_keeps_srvr() {
        let (w, unknown) = FourLetterWhitelist::parse(" stat , ruok,,");
        assert!(unknown.is_empty());
        assert!(w.is_enabled("stat") && w.is_enabled("ruok") && w.is_enabled("srvr"));
        assert!(!w.is_enabled("mntr"));
        let (w, _) = FourLetterWhitelist::parse("");
        assert_eq!(
            w,
            FourLetterWhitelist::Only(BTreeSet::from(["srvr".to_owned()]))
        );
    }

    #[test]
    fn star_anywhere_allows_everything() {
        let (w, _) = FourLetterWhitelist::parse("ruok, *");
        assert_eq!(w, FourLetterWhitelist::All);
        assert!(w.is_enabled("dump"));
    }

    #[test]
    fn unknown_names_are_reported_for_a_warning() {
        let (w, unknown) = FourLetterWhitelist::parse("rouk,srvr");
        assert_eq!(unknown, vec!["rouk".to_owned()]);
        assert!(!w.is_enabled("ruok"));
    }
}
