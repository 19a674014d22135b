//! Java system properties passed as `-D` flags in `SERVER_JVMFLAGS` and `JVMFLAGS`.
//!
//! Users of Apache ZooKeeper (and of its official Docker image) set the keys that ZooKeeper
//! only reads as system properties — `jute.maxbuffer`, `zookeeper.4lw.commands.whitelist`,
//! `zookeeper.extendedTypesEnabled`, `zookeeper.DigestAuthenticationProvider.superDigest`,
//! `zookeeper.snapCount` and friends — through these two variables, which `zkServer.sh`
//! expands into the `java` command line. We read the same variables so that the same
//! deployment works unchanged.
//!
//! # How the flags are read
//!
//! Exactly as `zkServer.sh` does: the command line is `$SERVER_JVMFLAGS $JVMFLAGS`, expanded
//! unquoted, so each variable is split on blanks (space, tab, newline) with no quote
//! processing, and when the same property appears twice the later flag wins — a flag in
//! `JVMFLAGS` beats the same flag in `SERVER_JVMFLAGS`. Only `-D<name>=<value>` (or `-D<name>`,
//! which sets an empty value) is looked at; every other JVM flag (`-Xmx1g`,
//! `-XX:+UseG1GC`, `-server`) is ignored silently, since there is no JVM to give it to.
//!
//! How the properties combine with `zoo.cfg` is described in [`super`] ("Precedence").

use std::collections::BTreeMap;

use super::Origin;

/// One `-D<name>=<value>` flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemProperty {
    /// The property name after `-D` (`zookeeper.snapCount`).
    pub name: String,
    /// The value after the first `=`; empty for a bare `-Dname`.
    pub value: String,
    /// The environment variable the flag came from.
    pub variable: String,
}

impl SystemProperty {
    /// Where this property came from, for errors and warnings.
    pub fn origin(&self) -> Origin {
        Origin::JvmFlag {
            variable: self.variable.clone(),
            property: self.name.clone(),
        }
    }
}

/// The system properties set by `-D` flags, last flag winning, as the JVM would see them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JvmOverrides {
    properties: BTreeMap<String, SystemProperty>,
}

impl JvmOverrides {
    /// The variables read by [`JvmOverrides::from_vars`], in command-line order (a flag in a
    /// later variable wins).
    pub const VARIABLES: [&'static str; 2] = ["SERVER_JVMFLAGS", "JVMFLAGS"];

    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads [`JvmOverrides::VARIABLES`] from this process's environment (values that are not
    /// valid UTF-8 are converted lossily).
    pub fn from_env() -> Self {
        Self::from_vars(super::env::process_vars())
    }

    /// Reads [`JvmOverrides::VARIABLES`] from an environment given as name/value pairs. The
    /// environment is an explicit input so that tests do not touch the process environment.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        let mut overrides = JvmOverrides::new();
        for variable in Self::VARIABLES {
            if let Some(flags) = vars.get(variable) {
                overrides.add_flags(variable, flags);
            }
        }
        overrides
    }

    /// Adds the flags of one variable; later calls win over earlier ones.
    pub fn add_flags(&mut self, variable: &str, flags: &str) {
        // Unquoted `$VAR` expansion in bash: split on IFS (space, tab, newline), no quote
        // removal. A quoted value therefore keeps its quotes, exactly as the JVM would see it.
        for word in flags.split([' ', '\t', '\n']).filter(|w| !w.is_empty()) {
            let Some(definition) = word.strip_prefix("-D") else {
                continue;
            };
            let (name, value) = definition.split_once('=').unwrap_or((definition, ""));
            if name.is_empty() {
                continue;
            }
            let property = SystemProperty {
                name: name.to_owned(),
                value: value.to_owned(),
                variable: variable.to_owned(),
            };
            self.properties.insert(name.to_owned(), property);
        }
    }

    /// Sets one property directly, as if by `-D<name>=<value>` in `variable`.
    pub fn set(&mut self, variable: &str, name: &str, value: &str) {
        let property = SystemProperty {
            name: name.to_owned(),
            value: value.to_owned(),
            variable: variable.to_owned(),
        };
        self.properties.insert(name.to_owned(), property);
    }

    /// The property called `name`, if set.
    pub fn get(&self, name: &str) -> Option<&SystemProperty> {
        self.properties.get(name)
    }

    /// Every property, by name.
    pub fn iter(&self) -> impl Iterator<Item = &SystemProperty> {
        self.properties.values()
    }

    /// Whether no property is set.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }
}

/// This process's environment as name/value strings; values that are not valid UTF-8 are
/// converted lossily. The one place the config layer reads `std::env`.
pub(crate) fn process_vars() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().map(|(k, v)| {
        (
            k.to_string_lossy().into_owned(),
            v.to_string_lossy().into_owned(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dash_d_flags_are_kept_and_other_jvm_flags_ignored() {
        let o = JvmOverrides::from_vars([(
            "SERVER_JVMFLAGS",
            "-Xmx1g -XX:+UseG1GC -Djute.maxbuffer=4194304 -server\t-Dzookeeper.skipACL=yes\n-Dflag",
        )]);
        let names: Vec<&str> = o.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["flag", "jute.maxbuffer", "zookeeper.skipACL"]);
        assert_eq!(o.get("jute.maxbuffer").unwrap().value, "4194304");
        assert_eq!(o.get("flag").unwrap().value, "");
        assert_eq!(
            o.get("zookeeper.skipACL").unwrap().variable,
            "SERVER_JVMFLAGS"
        );
    }

    #[test]
    fn jvmflags_wins_over_server_jvmflags_and_later_flags_win() {
        let env = BTreeMap::from([
            ("JVMFLAGS".to_owned(), "-Dzookeeper.snapCount=2".to_owned()),
            (
                "SERVER_JVMFLAGS".to_owned(),
                "-Dzookeeper.snapCount=1 -Dzookeeper.forceSync=no -Dzookeeper.forceSync=yes"
                    .to_owned(),
            ),
            ("OTHER".to_owned(), "-Dzookeeper.tickTime=1".to_owned()),
        ]);
        let o = JvmOverrides::from_vars(&env);
        assert_eq!(o.get("zookeeper.snapCount").unwrap().value, "2");
        assert_eq!(o.get("zookeeper.snapCount").unwrap().variable, "JVMFLAGS");
        assert_eq!(o.get("zookeeper.forceSync").unwrap().value, "yes");
        assert!(o.get("zookeeper.tickTime").is_none());
    }

    #[test]
    fn value_keeps_equals_signs_and_quotes_like_the_shell_would() {
        let o = JvmOverrides::from_vars([(
            "JVMFLAGS",
            "-Dzookeeper.DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU= -Da=\"x\"",
        )]);
        assert_eq!(
            o.get("zookeeper.DigestAuthenticationProvider.superDigest")
                .unwrap()
                .value,
            "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
        );
        assert_eq!(o.get("a").unwrap().value, "\"x\"");
    }
}
