//! The commands: zkCli's, then this shell's own.
//!
//! Each command is an `async fn(&mut Ctx, &[String]) -> Result<(), CliError>` that parses its
//! words with [`parse_options`](crate::parse::parse_options), talks to the session and writes
//! into [`Ctx::out`]. [`run`] dispatches by name; [`COMMANDS`] lists every command with its
//! usage string (zkCli's, word for word, for the commands zkCli has).
//!
//! # Layout
//!
//! - `nodes`: create, ls, get, set, stat, delete, deleteall/rmr, sync, getEphemerals,
//!   getAllChildrenNumber.
//! - `access`: getAcl, setAcl, addauth, whoami.
//! - `watching`: addWatch, removewatches, and `watch` (print or run a command per event).
//! - `quota`: setquota, listquota, delquota.
//! - `config`: config, reconfig, version, and `cluster status`.
//! - `explore`: tree, find, grep.
//! - `backup`: dump, restore.
//! - `recipes`: lock, elect.

mod access;
mod backup;
mod config;
mod explore;
mod nodes;
mod quota;
mod recipes;
mod watching;

use zk_client::Client;

use crate::error::CliError;
use crate::out::Out;
use crate::session::Session;
use crate::watches::WatchSet;

pub use config::client_version;

/// What a command runs with.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The session, if one was opened.
    pub session: Option<&'a Session>,
    /// Where output goes.
    pub out: &'a mut Out,
    /// Where `-w` watches go.
    pub watches: &'a mut WatchSet,
    /// `-o json` was given for the whole run.
    pub json: bool,
}

impl Ctx<'_> {
    /// The chrooted client, or `Not connected`.
    pub fn client(&self) -> Result<Client, CliError> {
        self.live().map(|s| s.client.clone())
    }

    /// The live session, or `Not connected`.
    pub fn live(&self) -> Result<&Session, CliError> {
        match self.session {
            Some(session) if session.is_alive() => Ok(session),
            _ => Err(CliError::NotConnected),
        }
    }

    /// True if the command should print JSON (`-o json` on the command or the whole run).
    pub fn wants_json(&self, parsed: &crate::parse::Parsed) -> Result<bool, CliError> {
        match parsed.value("o") {
            None => Ok(self.json),
            Some("json") => Ok(true),
            Some("text") => Ok(false),
            Some(other) => Err(CliError::Usage(format!(
                "unknown output format {other:?} (use text or json)"
            ))),
        }
    }

    /// Prints a JSON value on one line.
    pub fn print_json(&mut self, value: &serde_json::Value) {
        self.out.outln(value.to_string());
    }
}

/// One command: its name and zkCli usage text (`name options`).
#[derive(Debug, Clone, Copy)]
pub struct CommandInfo {
    /// The command word.
    pub name: &'static str,
    /// The options part of the usage string.
    pub options: &'static str,
}

const fn info(name: &'static str, options: &'static str) -> CommandInfo {
    CommandInfo { name, options }
}

/// Every command with its usage, sorted as zkCli's usage listing sorts them (by name, with
/// upper case before lower case).
pub const COMMANDS: &[CommandInfo] = &[
    info(
        "addWatch",
        "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE",
    ),
    info("addauth", "scheme auth"),
    info("close", ""),
    info("cluster", "status [-o json]"),
    info("config", "[-c] [-w] [-s]"),
    info("connect", "host:port"),
    info("create", "[-s] [-e] [-c] [-t ttl] path [data] [acl]"),
    info("delete", "[-v version] path"),
    info("deleteall", "path [-b batch size]"),
    info("delquota", "[-n|-b|-N|-B] path"),
    info("dump", "path [file]"),
    info("elect", "path [-i id] [-k] -- command [args]"),
    info("exit", ""),
    info("find", "[-i] path [pattern]"),
    info("get", "[-s] [-w] [-b] [-x] path"),
    info("getAcl", "[-s] path"),
    info("getAllChildrenNumber", "path"),
    info("getEphemerals", "path"),
    info("grep", "[-i] pattern [path]"),
    info("history", ""),
    info("listquota", "path"),
    info("lock", "path [-t timeout_ms] [-k] -- command [args]"),
    info("ls", "[-s] [-w] [-R] path"),
    info("printwatches", "on|off"),
    info("quit", ""),
    info(
        "reconfig",
        "[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]",
    ),
    info("redo", "cmdno"),
    info("removewatches", "path [-c|-d|-a] [-l]"),
    info("restore", "file [path]"),
    info("rmr", "path [-b batch size]"),
    info("set", "[-s] [-v version] [-b] path data"),
    info("setAcl", "[-s] [-v version] [-R] path acl"),
    info("setquota", "-n|-b|-N|-B val path"),
    info("stat", "[-w] path"),
    info("sync", "path"),
    info("tree", "[path]"),
    info("version", ""),
    info("watch", "path [-m mode] [-n count] [--exec command]"),
    info("whoami", ""),
];

/// The usage string of `name` (`ls [-s] [-w] [-R] path`).
pub fn usage(name: &str) -> String {
    COMMANDS
        .iter()
        .find(|c| c.name == name)
        .map_or_else(|| name.to_owned(), |c| format!("{} {}", c.name, c.options))
}

/// zkCli's usage listing (printed on stderr for an unknown command).
pub fn usage_listing() -> String {
    let mut text = String::from(
        "ZooKeeper -server host:port -client-configuration properties-file cmd args\n",
    );
    for c in COMMANDS {
        text.push_str(&format!("\t{} {}\n", c.name, c.options));
    }
    text
}

/// True if `name` is a command this module runs (the shell handles `connect`, `history` and
/// the like itself).
pub fn is_command(name: &str) -> bool {
    COMMANDS.iter().any(|c| c.name == name)
}

/// Runs the command in `words` (the command name first).
pub async fn run(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let Some(name) = words.first() else {
        return Ok(());
    };
    match name.as_str() {
        "create" => nodes::create(ctx, words).await,
        "ls" => nodes::ls(ctx, words).await,
        "get" => nodes::get(ctx, words).await,
        "set" => nodes::set(ctx, words).await,
        "stat" => nodes::stat(ctx, words).await,
        "delete" => nodes::delete(ctx, words).await,
        "deleteall" | "rmr" => nodes::deleteall(ctx, words).await,
        "sync" => nodes::sync(ctx, words).await,
        "getEphemerals" => nodes::get_ephemerals(ctx, words).await,
        "getAllChildrenNumber" => nodes::get_all_children_number(ctx, words).await,
        "getAcl" => access::get_acl(ctx, words).await,
        "setAcl" => access::set_acl(ctx, words).await,
        "addauth" => access::add_auth(ctx, words).await,
        "whoami" => access::who_am_i(ctx, words).await,
        "addWatch" => watching::add_watch(ctx, words).await,
        "removewatches" => watching::remove_watches(ctx, words).await,
        "watch" => watching::watch(ctx, words).await,
        "setquota" => quota::set_quota(ctx, words).await,
        "listquota" => quota::list_quota(ctx, words).await,
        "delquota" => quota::del_quota(ctx, words).await,
        "config" => config::config(ctx, words).await,
        "reconfig" => config::reconfig(ctx, words).await,
        "version" => config::version(ctx, words),
        "cluster" => config::cluster(ctx, words).await,
        "tree" => explore::tree(ctx, words).await,
        "find" => explore::find(ctx, words).await,
        "grep" => explore::grep(ctx, words).await,
        "dump" => backup::dump(ctx, words).await,
        "restore" => backup::restore(ctx, words).await,
        "lock" => recipes::lock(ctx, words).await,
        "elect" => recipes::elect(ctx, words).await,
        other => Err(CliError::CommandNotFound(other.to_owned())),
    }
}

/// The Stat as a JSON object, with StatPrinter's field names.
pub fn stat_json(stat: &zk_client::Stat) -> serde_json::Value {
    serde_json::json!({
        "cZxid": stat.czxid.0,
        "ctime": stat.ctime,
        "mZxid": stat.mzxid.0,
        "mtime": stat.mtime,
        "pZxid": stat.pzxid.0,
        "cversion": stat.cversion,
        "dataVersion": stat.version,
        "aclVersion": stat.aversion,
        "ephemeralOwner": stat.ephemeral_owner,
        "dataLength": stat.data_length,
        "numChildren": stat.num_children,
    })
}

/// Joins a parent path and a child name (`/` + `a` is `/a`).
pub fn child_path(parent: &str, child: &str) -> String {
    if parent == "/" {
        format!("/{child}")
    } else {
        format!("{parent}/{child}")
    }
}
