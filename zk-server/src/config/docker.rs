//! The official Docker image's `ZOO_*` variables (Docker Hub `zookeeper`, repository
//! `31z4/zookeeper-docker`).
//!
//! That image's `docker-entrypoint.sh` generates `$ZOO_CONF_DIR/zoo.cfg` from environment
//! variables **only if the file does not exist**, and writes `$ZOO_DATA_DIR/myid` **only if it
//! does not exist**; then `zkServer.sh start-foreground` reads the file. [`DockerEnv`] does the
//! same, so our server can replace the image's command without changing a compose file:
//!
//! | variable | image default | written as |
//! |---|---|---|
//! | `ZOO_DATA_DIR` / `ZOO_DATA_LOG_DIR` | `/data` / `/datalog` | `dataDir` / `dataLogDir` |
//! | `ZOO_TICK_TIME` / `ZOO_INIT_LIMIT` / `ZOO_SYNC_LIMIT` | 2000 / 5 / 2 | `tickTime` / `initLimit` / `syncLimit` |
//! | `ZOO_AUTOPURGE_SNAPRETAINCOUNT` | 3 | `autopurge.snapRetainCount` |
//! | `ZOO_AUTOPURGE_PURGEINTERVAL` | 0 in the image, **1 here** | `autopurge.purgeInterval` |
//! | `ZOO_MAX_CLIENT_CNXNS` | 60 | `maxClientCnxns` |
//! | `ZOO_STANDALONE_ENABLED` | true | `standaloneEnabled` |
//! | `ZOO_ADMINSERVER_ENABLED` | true | `admin.enableServer` |
//! | `ZOO_SERVERS` | `server.1=localhost:2888:3888;2181` | each blank-separated word as a line |
//! | `ZOO_4LW_COMMANDS_WHITELIST` | unset | `4lw.commands.whitelist`, only if non-empty |
//! | `ZOO_CFG_EXTRA` | unset | each blank-separated word as a line, appended last |
//! | `ZOO_MY_ID` | 1 | the `myid` file (empty also means 1) |
//! | `ZOO_CONF_DIR` | `/conf` | where `zoo.cfg` lives |
//!
//! The one deliberate difference: when `ZOO_AUTOPURGE_PURGEINTERVAL` is not set at all, we write
//! `autopurge.purgeInterval=1` instead of the image's `0`, because disk-full is the most common
//! ZooKeeper outage and the operator did not ask for purging to be off. Setting the variable
//! (even to `0`) is honoured exactly — including inside the official image itself, whose
//! Dockerfile puts `ZOO_AUTOPURGE_PURGEINTERVAL=0` in every container's environment.
//!
//! The environment is an explicit input (a map), never read from the process here, so all of
//! this is testable.
//!
//! ```
//! use zk_server::config::DockerEnv;
//!
//! let env = DockerEnv::from_vars([("ZOO_MY_ID", "2"), ("ZOO_SERVERS", "server.1=zk1:2888:3888;2181 server.2=zk2:2888:3888;2181")]);
//! let cfg = env.zoo_cfg();
//! assert!(cfg.starts_with("dataDir=/data\ndataLogDir=/datalog\ntickTime=2000\n"));
//! assert!(cfg.ends_with("server.1=zk1:2888:3888;2181\nserver.2=zk2:2888:3888;2181\n"));
//! assert_eq!(env.myid(), "2\n");
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The Dockerfile's `ENV` defaults (3.9.x), with our one change to the purge interval.
const IMAGE_DEFAULTS: &[(&str, &str)] = &[
    ("ZOO_CONF_DIR", "/conf"),
    ("ZOO_DATA_DIR", "/data"),
    ("ZOO_DATA_LOG_DIR", "/datalog"),
    ("ZOO_LOG_DIR", "/logs"),
    ("ZOO_TICK_TIME", "2000"),
    ("ZOO_INIT_LIMIT", "5"),
    ("ZOO_SYNC_LIMIT", "2"),
    // The image says 0 (purging off); see the module documentation.
    ("ZOO_AUTOPURGE_PURGEINTERVAL", "1"),
    ("ZOO_AUTOPURGE_SNAPRETAINCOUNT", "3"),
    ("ZOO_MAX_CLIENT_CNXNS", "60"),
    ("ZOO_STANDALONE_ENABLED", "true"),
    ("ZOO_ADMINSERVER_ENABLED", "true"),
];

/// `ZOO_SERVERS` when it is empty or unset.
const DEFAULT_SERVERS: &str = "server.1=localhost:2888:3888;2181";

/// The `ZOO_*` variables of a container's environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DockerEnv {
    vars: BTreeMap<String, String>,
}

/// What `docker-entrypoint.sh` would write: each file with its content, or `None` when the file
/// already exists and is left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerFiles {
    /// `$ZOO_CONF_DIR/zoo.cfg` (or the given conf dir).
    pub zoo_cfg_path: PathBuf,
    /// The generated `zoo.cfg`, if it does not exist yet.
    pub zoo_cfg: Option<String>,
    /// `$ZOO_DATA_DIR/myid`.
    pub myid_path: PathBuf,
    /// The `myid` content, if the file does not exist yet.
    pub myid: Option<String>,
}

impl DockerEnv {
    /// Keeps the `ZOO_*` variables of this process's environment (values that are not valid
    /// UTF-8 are converted lossily).
    pub fn from_env() -> Self {
        Self::from_vars(super::env::process_vars())
    }

    /// Keeps the `ZOO_*` variables of an environment given as name/value pairs. The environment
    /// is an explicit input so that tests do not touch the process environment.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let vars = vars
            .into_iter()
            .filter(|(k, _)| k.as_ref().starts_with("ZOO_"))
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        DockerEnv { vars }
    }

    /// Whether any `ZOO_*` variable is set, i.e. the process looks like it runs where the
    /// official image's conventions apply.
    pub fn is_present(&self) -> bool {
        !self.vars.is_empty()
    }

    /// A variable as the entrypoint sees it: the environment's value (even if empty), else the
    /// image's default, else empty.
    pub fn get(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .map(String::as_str)
            .or_else(|| {
                IMAGE_DEFAULTS
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| *v)
            })
            .unwrap_or("")
    }

    /// `$ZOO_CONF_DIR` (default `/conf`).
    pub fn conf_dir(&self) -> PathBuf {
        PathBuf::from(self.get("ZOO_CONF_DIR"))
    }

    /// `$ZOO_DATA_DIR` (default `/data`).
    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(self.get("ZOO_DATA_DIR"))
    }

    /// The `zoo.cfg` text the entrypoint writes, line for line.
    pub fn zoo_cfg(&self) -> String {
        let mut out = String::new();
        let mut line = |s: &str| {
            out.push_str(s);
            out.push('\n');
        };
        for (key, var) in [
            ("dataDir", "ZOO_DATA_DIR"),
            ("dataLogDir", "ZOO_DATA_LOG_DIR"),
            ("tickTime", "ZOO_TICK_TIME"),
            ("initLimit", "ZOO_INIT_LIMIT"),
            ("syncLimit", "ZOO_SYNC_LIMIT"),
            ("autopurge.snapRetainCount", "ZOO_AUTOPURGE_SNAPRETAINCOUNT"),
            ("autopurge.purgeInterval", "ZOO_AUTOPURGE_PURGEINTERVAL"),
            ("maxClientCnxns", "ZOO_MAX_CLIENT_CNXNS"),
            ("standaloneEnabled", "ZOO_STANDALONE_ENABLED"),
            ("admin.enableServer", "ZOO_ADMINSERVER_ENABLED"),
        ] {
            line(&format!("{key}={}", self.get(var)));
        }
        let servers = match self.get("ZOO_SERVERS") {
            "" => DEFAULT_SERVERS,
            s => s,
        };
        for server in shell_words(servers) {
            line(server);
        }
        let whitelist = self.get("ZOO_4LW_COMMANDS_WHITELIST");
        if !whitelist.is_empty() {
            line(&format!("4lw.commands.whitelist={whitelist}"));
        }
        for extra in shell_words(self.get("ZOO_CFG_EXTRA")) {
            line(extra);
        }
        out
    }

    /// The `myid` content: `${ZOO_MY_ID:-1}` and a newline.
    pub fn myid(&self) -> String {
        match self.vars.get("ZOO_MY_ID").map(String::as_str) {
            None | Some("") => "1\n".to_owned(),
            Some(id) => format!("{id}\n"),
        }
    }

    /// What the entrypoint would write, given the directory holding `zoo.cfg` (normally
    /// [`DockerEnv::conf_dir`]). Checks which files exist; writes nothing.
    pub fn plan(&self, conf_dir: &Path) -> DockerFiles {
        let zoo_cfg_path = conf_dir.join("zoo.cfg");
        let myid_path = self.data_dir().join("myid");
        DockerFiles {
            zoo_cfg: (!zoo_cfg_path.is_file()).then(|| self.zoo_cfg()),
            myid: (!myid_path.is_file()).then(|| self.myid()),
            zoo_cfg_path,
            myid_path,
        }
    }
}

impl DockerFiles {
    /// Writes the files that are missing. The directories must exist, as in the image (its
    /// volumes). Returns whether anything was written.
    pub fn write(&self) -> Result<bool> {
        let mut wrote = false;
        for (path, content) in [
            (&self.zoo_cfg_path, &self.zoo_cfg),
            (&self.myid_path, &self.myid),
        ] {
            if let Some(content) = content {
                write_new(path, content)?;
                wrote = true;
            }
        }
        Ok(wrote)
    }
}

/// Creates `path` with `content`, never overwriting a file that appeared in the meantime.
fn write_new(path: &Path, content: &str) -> Result<()> {
    use std::io::Write;
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io)?;
    file.write_all(content.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Unquoted `$VAR` word splitting in bash: on spaces, tabs and newlines; no quote removal.
fn shell_words(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', '\t', '\n']).filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_zoo_variables_are_kept() {
        let env = DockerEnv::from_vars([("PATH", "/bin"), ("ZOO_MY_ID", "3")]);
        assert!(env.is_present());
        assert_eq!(env.get("PATH"), "");
        assert!(!DockerEnv::from_vars([("HOME", "/root")]).is_present());
    }

    #[test]
    fn empty_variable_is_written_empty_but_empty_servers_and_myid_use_defaults() {
        let env = DockerEnv::from_vars([
            ("ZOO_TICK_TIME", ""),
            ("ZOO_SERVERS", ""),
            ("ZOO_MY_ID", ""),
        ]);
        let cfg = env.zoo_cfg();
        assert!(cfg.contains("\ntickTime=\n"), "{cfg}");
        assert!(
            cfg.contains("\nserver.1=localhost:2888:3888;2181\n"),
            "{cfg}"
        );
        assert_eq!(env.myid(), "1\n");
    }

    #[test]
    fn purge_interval_defaults_on_but_an_explicit_zero_is_honoured() {
        assert!(DockerEnv::default()
            .zoo_cfg()
            .contains("\nautopurge.purgeInterval=1\n"));
        let env = DockerEnv::from_vars([("ZOO_AUTOPURGE_PURGEINTERVAL", "0")]);
        assert!(env.zoo_cfg().contains("\nautopurge.purgeInterval=0\n"));
    }
}
