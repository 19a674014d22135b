//! `tree`, `find` and `grep`: walking a subtree.

use bytes::Bytes;
use regex::{Regex, RegexBuilder};
use serde_json::{json, Value};
use zk_client::{Client, Error as ClientError, Stat};

use super::{child_path, stat_json, usage, Ctx};
use crate::error::CliError;
use crate::parse::{parse_options, Opt};

/// One node met on a walk.
#[derive(Debug, Clone)]
pub struct Visited {
    /// Its path.
    pub path: String,
    /// Its depth below the walk's root (0 for the root).
    pub depth: usize,
    /// True if it is the last of its siblings (sorted by name).
    pub last: bool,
    /// Its Stat.
    pub stat: Stat,
    /// Its data, when the walk reads data.
    pub data: Option<Bytes>,
    /// The session may not read it (NOAUTH): its Stat is empty and its children unknown.
    pub denied: bool,
}

/// Walks the subtree at `root` depth first, children in name order, each node before its
/// children. Nodes deleted during the walk are skipped; nodes the session may not read are
/// reported as `denied`; a missing or unreadable root is an error.
pub async fn walk(client: &Client, root: &str, with_data: bool) -> Result<Vec<Visited>, CliError> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_owned(), 0usize, true)];
    while let Some((path, depth, last)) = stack.pop() {
        let listed = client.get_children2(&path).await;
        let denied = |path: String| Visited {
            path,
            depth,
            last,
            stat: Stat::default(),
            data: None,
            denied: true,
        };
        let (mut children, stat) = match listed {
            Ok(found) => found,
            Err(ClientError::NoNode) if depth > 0 => continue,
            Err(ClientError::NoAuth) if depth > 0 => {
                out.push(denied(path));
                continue;
            }
            Err(e) => return Err(CliError::keeper(&e, &path)),
        };
        let data = if with_data {
            match client.get_data(&path).await {
                Ok((data, _)) => Some(data),
                Err(ClientError::NoNode) if depth > 0 => continue,
                Err(ClientError::NoAuth) if depth > 0 => {
                    out.push(denied(path));
                    continue;
                }
                Err(e) => return Err(CliError::keeper(&e, &path)),
            }
        } else {
            None
        };
        children.sort();
        let count = children.len();
        for (i, child) in children.iter().enumerate().rev() {
            stack.push((child_path(&path, child), depth + 1, i + 1 == count));
        }
        out.push(Visited {
            path,
            depth,
            last,
            stat,
            data,
            denied: false,
        });
    }
    Ok(out)
}

fn name_of(path: &str) -> &str {
    path.rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("/")
}

/// `tree [path]`: the subtree drawn with box-drawing characters, each node with its data
/// size (and `[ephemeral]` for ephemeral nodes).
pub async fn tree(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[Opt::value("o")], words)?;
    let json = ctx.wants_json(&p)?;
    let root = p.arg(1).unwrap_or("/").to_owned();
    let client = ctx.client()?;
    let nodes = walk(&client, &root, false).await?;
    if json {
        ctx.print_json(&nested(&nodes));
        return Ok(());
    }
    // Whether the ancestor at each depth was the last of its siblings decides between a
    // vertical bar and blank space in the prefix.
    let mut last_at_depth: Vec<bool> = Vec::new();
    for node in &nodes {
        let label = if node.depth == 0 {
            node.path.clone()
        } else {
            name_of(&node.path).to_owned()
        };
        let mut line = String::new();
        last_at_depth.truncate(node.depth);
        if node.depth > 0 {
            for &ancestor_last in last_at_depth.iter().skip(1) {
                line.push_str(if ancestor_last { "    " } else { "│   " });
            }
            line.push_str(if node.last {
                "└── "
            } else {
                "├── "
            });
        }
        last_at_depth.push(node.last);
        line.push_str(&label);
        if node.denied {
            line.push_str(" (no access)");
            ctx.out.outln(line);
            continue;
        }
        line.push_str(&format!(" ({} B)", node.stat.data_length));
        if node.stat.ephemeral_owner != 0 {
            line.push_str(" [ephemeral]");
        }
        ctx.out.outln(line);
    }
    Ok(())
}

/// The walk as nested JSON objects (`name`, `path`, `size`, `ephemeral`, `children`).
fn nested(nodes: &[Visited]) -> Value {
    fn build(nodes: &[Visited], at: &mut usize) -> Value {
        let node = &nodes[*at];
        *at += 1;
        let mut children = Vec::new();
        while *at < nodes.len() && nodes[*at].depth > node.depth {
            children.push(build(nodes, at));
        }
        if node.denied {
            return json!({ "name": name_of(&node.path), "path": node.path, "denied": true });
        }
        json!({
            "name": name_of(&node.path),
            "path": node.path,
            "size": node.stat.data_length,
            "ephemeral": node.stat.ephemeral_owner != 0,
            "stat": stat_json(&node.stat),
            "children": children,
        })
    }
    let mut at = 0;
    if nodes.is_empty() {
        return Value::Null;
    }
    build(nodes, &mut at)
}

fn pattern(text: &str, ignore_case: bool) -> Result<Regex, CliError> {
    RegexBuilder::new(text)
        .case_insensitive(ignore_case)
        .build()
        .map_err(|e| CliError::Usage(format!("bad pattern {text:?}: {e}")))
}

/// `find [-i] path [pattern]`: every path of the subtree (each node before its children),
/// or those matching the regular expression `pattern`.
pub async fn find(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[Opt::flag("i"), Opt::value("o")], words)?;
    let json = ctx.wants_json(&p)?;
    let Some(root) = p.arg(1).map(str::to_owned) else {
        return Err(CliError::Usage(usage("find")));
    };
    let matcher = p.arg(2).map(|t| pattern(t, p.has("i"))).transpose()?;
    let client = ctx.client()?;
    let found: Vec<String> = walk(&client, &root, false)
        .await?
        .into_iter()
        .map(|n| n.path)
        .filter(|path| matcher.as_ref().is_none_or(|m| m.is_match(path)))
        .collect();
    if json {
        ctx.print_json(&json!({ "path": root, "matches": found }));
    } else {
        for path in found {
            ctx.out.outln(path);
        }
    }
    Ok(())
}

/// `grep [-i] pattern [path]`: the data lines matching `pattern` in the subtree at `path`
/// (default `/`), as `path: line`. Fails (exit status 1) when nothing matches, as grep does.
pub async fn grep(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[Opt::flag("i"), Opt::value("o")], words)?;
    let json = ctx.wants_json(&p)?;
    let Some(text) = p.arg(1) else {
        return Err(CliError::Usage(usage("grep")));
    };
    let matcher = pattern(text, p.has("i"))?;
    let root = p.arg(2).unwrap_or("/").to_owned();
    let client = ctx.client()?;
    let mut matches = Vec::new();
    for node in walk(&client, &root, true).await? {
        if node.denied {
            ctx.out
                .errln(format!("grep: {}: Insufficient permission", node.path));
            continue;
        }
        let data = node.data.unwrap_or_default();
        let data = String::from_utf8_lossy(&data);
        for line in data.lines().filter(|l| matcher.is_match(l)) {
            matches.push((node.path.clone(), line.to_owned()));
        }
    }
    if json {
        let list: Vec<_> = matches
            .iter()
            .map(|(path, line)| json!({ "path": path, "line": line }))
            .collect();
        ctx.print_json(&json!({ "matches": list }));
    } else {
        for (path, line) in &matches {
            ctx.out.outln(format!("{path}: {line}"));
        }
    }
    if matches.is_empty() {
        return Err(CliError::Reported);
    }
    Ok(())
}
