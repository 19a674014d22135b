//! create, ls, get, set, stat, delete, deleteall (rmr), sync, getEphemerals,
//! getAllChildrenNumber — zkCli's `CreateCommand`, `LsCommand` and friends.

use std::time::Duration;

use base64::Engine as _;
use serde_json::json;
use zk_client::{Acl, Client, CreateMode, CreateOptions, Error as ClientError};
use zk_proto::EphemeralOwner;

use super::{child_path, stat_json, usage, Ctx};
use crate::error::CliError;
use crate::format::{java_list, pretty_hex_dump, stat_block};
use crate::parse::{parse_options, Opt, Parsed};
use crate::watches::WatchKind;

const OUTPUT: Opt = Opt::value("o");

/// zkCli's `create [-s] [-e] [-c] [-t ttl] path [data] [acl]`: prints `Created <path>` on
/// stderr.
pub async fn create(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [
        Opt::flag("e"),
        Opt::flag("s"),
        Opt::flag("c"),
        Opt::value("t"),
    ];
    let p = parse_options(&spec, words)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("create")));
    }
    let (mode, ttl) = create_mode(&p)?;
    let path = &p.args[1];
    let data = p.arg(2).unwrap_or_default().as_bytes().to_vec();
    let mut options = CreateOptions::new(mode);
    if p.arg(2).is_none() {
        // zkCli sends null data when no data is given; `get` then prints `null`.
        options = options.with_null_data();
    }
    if let Some(text) = p.arg(3) {
        options = options.with_acl(parse_acl(ctx, text));
    }
    let checked = if mode.is_sequential() {
        zk_proto::path::validate_sequential_path(path)
    } else {
        zk_proto::path::validate_path(path)
    };
    checked.map_err(|e| CliError::Usage(crate::error::path_error_message(&e)))?;
    if options.acl().is_empty() {
        // Java's client refuses an empty ACL itself: the exception has no path, and
        // CreateCommand prints its message before the wrapper's.
        ctx.out.errln("KeeperErrorCode = InvalidACL");
        return Err(CliError::Keeper("Acl is not valid : null".into()));
    }
    if let Some(ttl) = ttl {
        options = options.with_ttl(Duration::from_millis(ttl as u64));
    }
    let client = ctx.client()?;
    match client.create(path, &data, &options).await {
        Ok((created, _)) => {
            ctx.out.errln(format!("Created {created}"));
            Ok(())
        }
        Err(ClientError::InvalidAcl) => {
            // Java prints the exception's own message first, then the wrapper's.
            ctx.out
                .errln(format!("KeeperErrorCode = InvalidACL for {path}"));
            Err(CliError::keeper(&ClientError::InvalidAcl, path))
        }
        Err(err) => Err(CliError::keeper(&err, path)),
    }
}

/// The create mode of `create`'s flags, and the TTL of `-t`, checked as `CreateCommand`
/// checks them.
fn create_mode(p: &Parsed) -> Result<(CreateMode, Option<i64>), CliError> {
    let (e, s, c, t) = (p.has("e"), p.has("s"), p.has("c"), p.has("t"));
    if c && (e || s) {
        return Err(CliError::Usage(
            "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential."
                .into(),
        ));
    }
    let ttl: i64 = match p.value("t") {
        Some(v) => v
            .parse()
            .map_err(|_| CliError::Usage("-t argument must be a long value".into()))?,
        None => 0,
    };
    if t && e {
        return Err(CliError::Usage(
            "TTLs cannot be used with Ephemeral znodes".into(),
        ));
    }
    if t && c {
        return Err(CliError::Usage(
            "TTLs cannot be used with Container znodes".into(),
        ));
    }
    let mode = match (e, s, c, t) {
        (true, true, _, _) => CreateMode::EphemeralSequential,
        (true, false, _, _) => CreateMode::Ephemeral,
        (false, true, _, true) => CreateMode::PersistentSequentialWithTtl,
        (false, true, _, false) => CreateMode::PersistentSequential,
        (false, false, true, _) => CreateMode::Container,
        (false, false, false, true) => CreateMode::PersistentWithTtl,
        (false, false, false, false) => CreateMode::Persistent,
    };
    if t && !(1..=EphemeralOwner::MAX_TTL_MS).contains(&ttl) {
        return Err(CliError::Usage(format!(
            "ttl must be positive and cannot be larger than: {}",
            EphemeralOwner::MAX_TTL_MS
        )));
    }
    Ok((mode, t.then_some(ttl)))
}

/// `AclParser.parse`: `scheme:id:perms` entries separated by commas; malformed entries and
/// unknown permission letters are reported on stderr and skipped.
pub fn parse_acl(ctx: &mut Ctx<'_>, text: &str) -> Vec<Acl> {
    let mut acl = Vec::new();
    for entry in text.split(',') {
        let (Some(first), Some(last)) = (entry.find(':'), entry.rfind(':')) else {
            ctx.out
                .errln(format!("{entry} does not have the form scheme:id:perm"));
            continue;
        };
        if first == last {
            ctx.out
                .errln(format!("{entry} does not have the form scheme:id:perm"));
            continue;
        }
        let (perms, complaints) = crate::format::parse_perms(&entry[last + 1..]);
        for complaint in complaints {
            ctx.out.errln(complaint);
        }
        acl.push(Acl::new(
            perms,
            zk_client::Id::new(&entry[..first], &entry[first + 1..last]),
        ));
    }
    acl
}

/// zkCli's `path [watch]` compatibility: a third word turns into `-w` with a deprecation
/// warning (ls, get, stat).
fn retain_compatibility(
    ctx: &mut Ctx<'_>,
    spec: &[Opt],
    words: &[String],
    p: Parsed,
    warning: &str,
) -> Result<Parsed, CliError> {
    if p.args.len() <= 2 {
        return Ok(p);
    }
    let mut rewritten = words.to_vec();
    if rewritten.len() > 2 {
        rewritten[2] = "-w".into();
    }
    ctx.out.errln(warning);
    parse_options(spec, &rewritten)
}

/// zkCli's `ls [-s] [-w] [-R] path`: `[a, b]`, plus a Stat block with `-s`; `-R` prints every
/// path of the subtree, each node's children before its grandchildren.
pub async fn ls(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [
        Opt::flag("?"),
        Opt::flag("s"),
        Opt::flag("w"),
        Opt::flag("R"),
        OUTPUT,
    ];
    let p = parse_options(&spec, words)?;
    let p = retain_compatibility(
        ctx,
        &spec,
        words,
        p,
        "'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.",
    )?;
    let json = ctx.wants_json(&p)?;
    let Some(path) = p.arg(1).map(str::to_owned) else {
        return Err(CliError::Usage(usage("ls")));
    };
    let client = ctx.client()?;
    let watch = p.has("w");
    if p.has("R") {
        let mut paths = Vec::new();
        visit_dfs(ctx, &client, &path, watch, &mut paths).await?;
        if json {
            ctx.print_json(&json!({ "path": path, "paths": paths }));
        } else {
            for p in paths {
                ctx.out.outln(p);
            }
        }
        return Ok(());
    }
    let (mut children, stat) = if watch {
        let (children, stat, watcher) = client
            .get_and_watch_children(&path)
            .await
            .map_err(|e| CliError::keeper(&e, &path))?;
        ctx.watches.add_oneshot(&path, WatchKind::Child, watcher);
        (children, stat)
    } else {
        client
            .get_children2(&path)
            .await
            .map_err(|e| CliError::keeper(&e, &path))?
    };
    children.sort();
    if json {
        let mut value = json!({ "path": path, "children": children });
        if p.has("s") {
            value["stat"] = stat_json(&stat);
        }
        ctx.print_json(&value);
    } else {
        ctx.out.outln(java_list(&children));
        if p.has("s") {
            ctx.out.out(stat_block(&stat));
        }
    }
    Ok(())
}

/// `ZKUtil.visitSubTreeDFS`: the root (read first, so a missing root is an error), then for
/// each node its sorted children, then each child's subtree. Nodes deleted meanwhile are
/// skipped.
pub(super) async fn visit_dfs(
    ctx: &mut Ctx<'_>,
    client: &Client,
    root: &str,
    watch: bool,
    paths: &mut Vec<String>,
) -> Result<(), CliError> {
    if watch {
        let (_, _, watcher) = client
            .get_and_watch_data(root)
            .await
            .map_err(|e| CliError::keeper(&e, root))?;
        ctx.watches.add_oneshot(root, WatchKind::Data, watcher);
    } else {
        client
            .get_data(root)
            .await
            .map_err(|e| CliError::keeper(&e, root))?;
    }
    paths.push(root.to_owned());
    let mut stack = vec![root.to_owned()];
    // An explicit stack in DFS order: each node's children are listed when it is visited,
    // and visited in sorted order after it.
    while let Some(node) = stack.pop() {
        let listed = if watch {
            client.get_and_watch_children(&node).await.map(|(c, _, w)| {
                ctx.watches.add_oneshot(&node, WatchKind::Child, w);
                c
            })
        } else {
            client.get_children(&node).await
        };
        let mut children = match listed {
            Ok(children) => children,
            Err(ClientError::NoNode) => continue,
            Err(e) => return Err(CliError::keeper(&e, &node)),
        };
        children.sort();
        let full: Vec<String> = children.iter().map(|c| child_path(&node, c)).collect();
        paths.extend(full.iter().cloned());
        stack.extend(full.into_iter().rev());
    }
    Ok(())
}

/// zkCli's `get [-s] [-w] [-b] [-x] path`: the data as UTF-8 (`null` for none), base64 with
/// `-b`, a hex dump with `-x`; a Stat block with `-s`.
pub async fn get(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [
        Opt::flag("s"),
        Opt::flag("w"),
        Opt::flag("b"),
        Opt::flag("x"),
        OUTPUT,
    ];
    let p = parse_options(&spec, words)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("get")));
    }
    let p = retain_compatibility(
        ctx,
        &spec,
        words,
        p,
        "'get path [watch]' has been deprecated. Please use 'get [-s] [-w] path' instead.",
    )?;
    let json = ctx.wants_json(&p)?;
    let path = p.args[1].clone();
    let client = ctx.client()?;
    let (nullable, stat) = if p.has("w") {
        let (data, stat, watcher) = client
            .get_and_watch_data_nullable(&path)
            .await
            .map_err(|e| CliError::keeper(&e, &path))?;
        ctx.watches.add_oneshot(&path, WatchKind::Data, watcher);
        (data, stat)
    } else {
        client
            .get_data_nullable(&path)
            .await
            .map_err(|e| CliError::keeper(&e, &path))?
    };
    let is_null = nullable.is_none();
    let data = nullable.unwrap_or_default();
    if json {
        let mut value = json!({
            "path": path,
            "data": std::str::from_utf8(&data).ok(),
            "data_base64": base64::engine::general_purpose::STANDARD.encode(&data),
        });
        value["stat"] = stat_json(&stat);
        ctx.print_json(&value);
        return Ok(());
    }
    let text = if p.has("x") {
        pretty_hex_dump(&data)
    } else if p.has("b") {
        base64::engine::general_purpose::STANDARD.encode(&data)
    } else if is_null {
        // ZooKeeperMain prints null data as `null`.
        "null".to_owned()
    } else {
        String::from_utf8_lossy(&data).into_owned()
    };
    ctx.out.outln(text);
    if p.has("s") {
        ctx.out.out(stat_block(&stat));
    }
    Ok(())
}

/// zkCli's `set [-s] [-v version] [-b] path data`.
pub async fn set(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [Opt::flag("s"), Opt::value("v"), Opt::flag("b")];
    let p = parse_options(&spec, words)?;
    if p.args.len() < 3 {
        return Err(CliError::Usage(usage("set")));
    }
    let path = &p.args[1];
    let data = if p.has("b") {
        base64::engine::general_purpose::STANDARD
            .decode(&p.args[2])
            .map_err(|e| CliError::Usage(format!("Illegal base64 character: {e}")))?
    } else {
        p.args[2].as_bytes().to_vec()
    };
    let version = parse_version(p.value("v"))?;
    let client = ctx.client()?;
    let stat = client
        .set_data(path, &data, version)
        .await
        .map_err(|e| CliError::keeper(&e, path))?;
    if p.has("s") {
        ctx.out.out(stat_block(&stat));
    }
    Ok(())
}

/// `-v version` as Java's `Integer.parseInt` reads it.
pub fn parse_version(value: Option<&str>) -> Result<Option<i32>, CliError> {
    match value {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            CliError::Usage(format!(
                "java.lang.NumberFormatException: For input string: \"{v}\""
            ))
        }),
    }
}

/// zkCli's `stat [-w] path`.
pub async fn stat(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [Opt::flag("w"), OUTPUT];
    let p = parse_options(&spec, words)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("stat")));
    }
    let p = retain_compatibility(
        ctx,
        &spec,
        words,
        p,
        "'stat path [watch]' has been deprecated. Please use 'stat [-w] path' instead.",
    )?;
    let json = ctx.wants_json(&p)?;
    let path = p.args[1].clone();
    let client = ctx.client()?;
    let stat = if p.has("w") {
        let (stat, watcher) = client
            .check_and_watch_stat(&path)
            .await
            .map_err(|e| CliError::keeper(&e, &path))?;
        ctx.watches.add_oneshot(&path, WatchKind::Data, watcher);
        stat
    } else {
        client
            .exists(&path)
            .await
            .map_err(|e| CliError::keeper(&e, &path))?
    };
    let stat = stat.ok_or_else(|| CliError::keeper(&ClientError::NoNode, &path))?;
    if json {
        let mut value = stat_json(&stat);
        value["path"] = json!(path);
        ctx.print_json(&value);
    } else {
        ctx.out.out(stat_block(&stat));
    }
    Ok(())
}

/// zkCli's `delete [-v version] path` (a third word is accepted, with zkCli's warning, and
/// ignored, as zkCli ignores it).
pub async fn delete(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [Opt::value("v")];
    let p = parse_options(&spec, words)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("delete")));
    }
    if p.args.len() > 2 {
        ctx.out.errln(
            "'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.",
        );
    }
    let path = &p.args[1];
    let version = parse_version(p.value("v"))?;
    let client = ctx.client()?;
    client
        .delete(path, version)
        .await
        .map_err(|e| CliError::keeper(&e, path))
}

/// zkCli's `deleteall path [-b batch size]` (and `rmr`): lists the subtree breadth first,
/// then deletes it deepest first in multis of `batch size` deletes.
pub async fn deleteall(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [Opt::value("b")];
    let p = parse_options(&spec, words)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage(&p.args[0])));
    }
    let batch: usize = match p.value("b") {
        Some(v) => v
            .parse::<i32>()
            .map_err(|_| CliError::Usage("-b argument must be an int value".into()))?
            .max(1) as usize,
        None => 1000,
    };
    let path = p.args[1].clone();
    zk_proto::path::validate_path(&path)
        .map_err(|e| CliError::Usage(crate::error::path_error_message(&e)))?;
    let client = ctx.client()?;
    let tree = list_subtree_bfs(&client, &path)
        .await
        .map_err(|(e, at)| CliError::keeper(&e, &at))?;
    let mut ok = true;
    for chunk in tree.rchunks(batch) {
        let multi = chunk
            .iter()
            .rev()
            .fold(client.multi(), |m, node| m.delete(node, None));
        if multi.commit().await.is_err() {
            ok = false;
            break;
        }
    }
    if !ok {
        ctx.out
            .errln("Failed to delete some node(s) in the subtree!");
        return Err(CliError::Reported);
    }
    Ok(())
}

/// `ZKUtil.listSubTreeBFS`: the root and every descendant, breadth first.
pub async fn list_subtree_bfs(
    client: &Client,
    root: &str,
) -> Result<Vec<String>, (ClientError, String)> {
    let mut tree = vec![root.to_owned()];
    let mut next = 0;
    while next < tree.len() {
        let node = tree[next].clone();
        next += 1;
        let children = client
            .get_children(&node)
            .await
            .map_err(|e| (e, node.clone()))?;
        tree.extend(children.iter().map(|c| child_path(&node, c)));
    }
    Ok(tree)
}

/// zkCli's `sync path`: `Sync is OK`.
pub async fn sync(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[], words)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("sync")));
    }
    let path = &p.args[1];
    let client = ctx.client()?;
    match tokio::time::timeout(Duration::from_secs(30), client.sync(path)).await {
        Ok(Ok(())) => ctx.out.outln("Sync is OK"),
        Ok(Err(ClientError::InvalidPath(e))) => {
            return Err(CliError::Usage(crate::error::path_error_message(&e)))
        }
        Ok(Err(e)) => {
            let code = e.code().map_or(-4, |c| c.code());
            ctx.out.outln(format!("Sync has failed. rc={code}"));
            return Err(CliError::Reported);
        }
        Err(_) => {
            return Err(CliError::Keeper(
                "java.util.concurrent.TimeoutException".into(),
            ))
        }
    }
    Ok(())
}

/// zkCli's `getEphemerals path`: this session's ephemerals under a path prefix, `[/a, /b]`.
pub async fn get_ephemerals(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[OUTPUT], words)?;
    let json = ctx.wants_json(&p)?;
    let prefix = p.arg(1).unwrap_or("/").to_owned();
    if p.arg(1).is_some() {
        zk_proto::path::validate_path(&prefix)
            .map_err(|e| CliError::Usage(crate::error::path_error_message(&e)))?;
    }
    let client = ctx.client()?;
    let ephemerals = client
        .get_ephemerals(&prefix)
        .await
        .map_err(|e| CliError::keeper(&e, &prefix))?;
    if json {
        ctx.print_json(&json!({ "path": prefix, "ephemerals": ephemerals }));
    } else {
        ctx.out.outln(java_list(&ephemerals));
    }
    Ok(())
}

/// zkCli's `getAllChildrenNumber path`: the number of descendants.
pub async fn get_all_children_number(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[OUTPUT], words)?;
    let json = ctx.wants_json(&p)?;
    let Some(path) = p.arg(1).map(str::to_owned) else {
        return Err(CliError::Usage(usage("getAllChildrenNumber")));
    };
    let client = ctx.client()?;
    let count = client
        .get_all_children_number(&path)
        .await
        .map_err(|e| CliError::keeper(&e, &path))?;
    if json {
        ctx.print_json(&json!({ "path": path, "count": count }));
    } else {
        ctx.out.outln(count.to_string());
    }
    Ok(())
}
