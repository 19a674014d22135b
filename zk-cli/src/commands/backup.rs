//! `dump` and `restore`: a subtree to and from JSON.
//!
//! ```text
//! {
//!   "format": "zk-cli-dump/1",
//!   "root": "/app",
//!   "nodes": [
//!     { "path": "/app", "data": "v1", "acl": [{ "scheme": "world", "id": "anyone", "perms": "cdrwa" }] },
//!     { "path": "/app/blob", "data_base64": "AAEC", "acl": [...] }
//!   ]
//! }
//! ```
//!
//! Nodes come parents first. Data is a UTF-8 string where it is one, else base64. Ephemeral
//! nodes belong to their sessions and are left out. `restore` puts the dump's root at a new
//! path if given, creates nodes as persistent (overwriting data and ACL of nodes that exist),
//! and applies the ACLs last, deepest first, so that a restrictive ACL cannot lock the
//! restore out of its own subtree.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zk_client::{Acl, Client, CreateOptions, Error as ClientError, Id};

use super::explore::walk;
use super::{usage, Ctx};
use crate::error::CliError;
use crate::format::{parse_perms, perm_string};
use crate::parse::parse_options;

/// The `format` value of this layout.
pub const DUMP_FORMAT: &str = "zk-cli-dump/1";

/// A dump file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Dump {
    /// Always [`DUMP_FORMAT`].
    pub format: String,
    /// The path the dump was taken at.
    pub root: String,
    /// The nodes, parents first.
    pub nodes: Vec<DumpNode>,
}

/// One node of a dump.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DumpNode {
    /// The absolute path at dump time.
    pub path: String,
    /// The data, when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// The data in base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_base64: Option<String>,
    /// The ACL.
    pub acl: Vec<DumpAcl>,
}

/// One ACL entry of a dump.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DumpAcl {
    /// The scheme (`world`, `digest`, `ip`...).
    pub scheme: String,
    /// The id within the scheme.
    pub id: String,
    /// Permission letters (`cdrwa`).
    pub perms: String,
}

/// `dump path [file]`: the subtree as JSON, on stdout or into `file`.
pub async fn dump(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[], words)?;
    let Some(root) = p.arg(1).map(str::to_owned) else {
        return Err(CliError::Usage(usage("dump")));
    };
    let client = ctx.client()?;
    let mut nodes = Vec::new();
    let mut skipped_under: Option<String> = None;
    for node in walk(&client, &root, true).await? {
        if let Some(prefix) = &skipped_under {
            if node.path.starts_with(prefix.as_str()) {
                continue;
            }
        }
        if node.denied {
            // A dump that silently lacks nodes would restore as a different tree.
            return Err(CliError::keeper(&ClientError::NoAuth, &node.path));
        }
        let system = node.path == "/zookeeper" || node.path.starts_with("/zookeeper/");
        if system && !root.starts_with("/zookeeper") {
            // The server's own nodes (config, quotas) are not user data.
            continue;
        }
        if node.stat.ephemeral_owner != 0 {
            skipped_under = Some(format!("{}/", node.path));
            continue;
        }
        let acl = match client.get_acl(&node.path).await {
            Ok((acl, _)) => acl,
            Err(ClientError::NoNode) => continue,
            Err(e) => return Err(CliError::keeper(&e, &node.path)),
        };
        let bytes = node.data.unwrap_or_default();
        let (data, data_base64) = match String::from_utf8(bytes.to_vec()) {
            Ok(text) => (Some(text), None),
            Err(_) => (
                None,
                Some(base64::engine::general_purpose::STANDARD.encode(&bytes)),
            ),
        };
        nodes.push(DumpNode {
            path: node.path,
            data,
            data_base64,
            acl: acl
                .iter()
                .map(|a| DumpAcl {
                    scheme: a.id.scheme.clone(),
                    id: a.id.id.clone(),
                    perms: perm_string(a.perms),
                })
                .collect(),
        });
    }
    let count = nodes.len();
    let dump = Dump {
        format: DUMP_FORMAT.to_owned(),
        root,
        nodes,
    };
    let text = serde_json::to_string_pretty(&dump).map_err(|e| CliError::Usage(e.to_string()))?;
    match p.arg(2) {
        Some(file) => {
            std::fs::write(file, format!("{text}\n"))?;
            ctx.out.errln(format!("Dumped {count} nodes to {file}"));
        }
        None => ctx.out.outln(text),
    }
    Ok(())
}

/// `restore file [path]`: creates the dumped subtree (at `path` if given).
pub async fn restore(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[], words)?;
    let Some(file) = p.arg(1) else {
        return Err(CliError::Usage(usage("restore")));
    };
    let text = if file == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(file)?
    };
    let dump: Dump = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{file}: not a zk-cli dump: {e}")))?;
    if dump.format != DUMP_FORMAT {
        return Err(CliError::Usage(format!(
            "{file}: unknown dump format {:?}",
            dump.format
        )));
    }
    let target = p.arg(2).unwrap_or(&dump.root).to_owned();
    zk_proto::path::validate_path(&target)
        .map_err(|e| CliError::Usage(crate::error::path_error_message(&e)))?;
    let client = ctx.client()?;
    create_parents(&client, &target).await?;
    let mut acls = Vec::new();
    for node in &dump.nodes {
        let rest = match (dump.root.as_str(), node.path.as_str()) {
            (_, p) if p == dump.root => "",
            ("/", p) => p,
            (root, p) => p
                .strip_prefix(root)
                .filter(|r| r.starts_with('/'))
                .ok_or_else(|| {
                    CliError::Usage(format!("{file}: {} is not under {root}", node.path))
                })?,
        };
        let path = match (target.as_str(), rest) {
            (t, "") => t.to_owned(),
            ("/", r) => r.to_owned(),
            (t, r) => format!("{t}{r}"),
        };
        let data = match (&node.data, &node.data_base64) {
            (_, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| CliError::Usage(format!("{file}: {}: {e}", node.path)))?,
            (Some(text), None) => text.clone().into_bytes(),
            (None, None) => Vec::new(),
        };
        match client
            .create(&path, &data, &CreateOptions::persistent())
            .await
        {
            Ok(_) => {}
            Err(ClientError::NodeExists) => {
                client
                    .set_data(&path, &data, None)
                    .await
                    .map_err(|e| CliError::keeper(&e, &path))?;
            }
            Err(e) => return Err(CliError::keeper(&e, &path)),
        }
        acls.push((path, node.acl.clone()));
    }
    for (path, acl) in acls.iter().rev() {
        let acl: Vec<Acl> = acl
            .iter()
            .map(|a| Acl::new(parse_perms(&a.perms).0, Id::new(&a.scheme, &a.id)))
            .collect();
        if acl.is_empty() || acl == Acl::open_acl_unsafe() {
            continue;
        }
        client
            .set_acl(path, &acl, None)
            .await
            .map_err(|e| CliError::keeper(&e, path))?;
    }
    ctx.out
        .errln(format!("Restored {} nodes at {target}", dump.nodes.len()));
    Ok(())
}

/// Creates the missing ancestors of `path` as empty persistent nodes.
async fn create_parents(client: &Client, path: &str) -> Result<(), CliError> {
    let mut at = String::new();
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        at = format!("{at}/{part}");
        match client.create(&at, b"", &CreateOptions::persistent()).await {
            Ok(_) | Err(ClientError::NodeExists) => {}
            Err(e) => return Err(CliError::keeper(&e, &at)),
        }
    }
    Ok(())
}
