//! setquota, listquota, delquota — zkCli's quota commands, which keep `zookeeper_limits` and
//! `zookeeper_stats` nodes under `/zookeeper/quota/<path>` (the server maintains the stats).

use zk_client::{Client, CreateOptions, Error as ClientError};

use super::{child_path, usage, Ctx};
use crate::error::CliError;
use crate::format::StatsTrack;
use crate::parse::{check_group, parse_options, Opt};

const QUOTA_ROOT: &str = "/zookeeper/quota";
const LIMIT_NODE: &str = "zookeeper_limits";
const STAT_NODE: &str = "zookeeper_stats";

fn limit_path(path: &str) -> String {
    format!("{QUOTA_ROOT}{path}/{LIMIT_NODE}")
}

fn stat_path(path: &str) -> String {
    format!("{QUOTA_ROOT}{path}/{STAT_NODE}")
}

const SET_GROUP: [Opt; 4] = [
    Opt::described("n", true, "num soft quota"),
    Opt::described("b", true, "bytes soft quota"),
    Opt::described("N", true, "num hard quota"),
    Opt::described("B", true, "bytes hard quota"),
];

/// zkCli's `setquota -n|-b|-N|-B val path`.
pub async fn set_quota(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&SET_GROUP, words)?;
    check_group(&p, &SET_GROUP, true)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("setquota")));
    }
    let path = p.args[1].clone();
    if path.starts_with(QUOTA_ROOT) {
        ctx.out
            .errln(format!("cannot set a quota under the path: {QUOTA_ROOT}"));
        return Err(CliError::Reported);
    }
    let mut quota = StatsTrack::default();
    for key in [
        StatsTrack::COUNT,
        StatsTrack::BYTES,
        StatsTrack::COUNT_HARD,
        StatsTrack::BYTES_HARD,
    ] {
        quota.set(key, -1);
    }
    let (opt, key, min, complaint) = match p.given()[0] {
        "n" => (
            "n",
            StatsTrack::COUNT,
            1,
            "the num quota must be greater than zero",
        ),
        "b" => (
            "b",
            StatsTrack::BYTES,
            0,
            "the bytes quota must be greater than or equal to zero",
        ),
        "N" => (
            "N",
            StatsTrack::COUNT_HARD,
            1,
            "the num quota must be greater than zero",
        ),
        _ => (
            "B",
            StatsTrack::BYTES_HARD,
            0,
            "the bytes quota must be greater than or equal to zero",
        ),
    };
    let Ok(value) = p.value(opt).unwrap_or_default().parse::<i64>() else {
        ctx.out
            .errln("NumberFormatException happens when parsing the option value");
        return Err(CliError::Reported);
    };
    if value < min {
        ctx.out.errln(complaint);
        return Err(CliError::Reported);
    }
    quota.set(key, value);
    let client = ctx.client()?;
    create_quota(ctx, &client, &path, quota).await
}

/// `SetQuotaCommand.createQuota`.
async fn create_quota(
    ctx: &mut Ctx<'_>,
    client: &Client,
    path: &str,
    quota: StatsTrack,
) -> Result<(), CliError> {
    let wrap = |e: ClientError, at: &str| CliError::keeper(&e, at);
    let exists = client.exists(path).await.map_err(|e| wrap(e, path))?;
    if exists.is_none() {
        return Err(CliError::Usage(format!("{path} does not exist.")));
    }
    check_child_quota(client, path).await?;
    check_parent_quota(client, path).await?;
    create_quota_parents(client, path).await?;
    let limit = limit_path(path);
    let stats = stat_path(path);
    let read = |p: String| async move {
        client
            .get_data(&p)
            .await
            .map(|(d, _)| StatsTrack::parse(&String::from_utf8_lossy(&d)))
            .map_err(|e| wrap(e, &p))
    };
    if client
        .exists(&limit)
        .await
        .map_err(|e| wrap(e, &limit))?
        .is_none()
    {
        client
            .create(
                &limit,
                quota.to_string().as_bytes(),
                &CreateOptions::persistent(),
            )
            .await
            .map_err(|e| wrap(e, &limit))?;
        let mut initial = StatsTrack::default();
        initial.set(StatsTrack::COUNT, 0);
        initial.set(StatsTrack::BYTES, 0);
        client
            .create(
                &stats,
                initial.to_string().as_bytes(),
                &CreateOptions::persistent(),
            )
            .await
            .map_err(|e| wrap(e, &stats))?;
        let (limits, current) = (read(limit).await?, read(stats).await?);
        check_quota(ctx, &limits, &current);
    } else {
        let mut limits = read(limit.clone()).await?;
        for key in [
            StatsTrack::COUNT,
            StatsTrack::BYTES,
            StatsTrack::COUNT_HARD,
            StatsTrack::BYTES_HARD,
        ] {
            if quota.get(key) > -1 {
                limits.set(key, quota.get(key));
            }
        }
        let current = read(stats).await?;
        check_quota(ctx, &limits, &current);
        client
            .set_data(&limit, limits.to_string().as_bytes(), None)
            .await
            .map_err(|e| wrap(e, &limit))?;
    }
    Ok(())
}

/// Creates `/zookeeper/quota` and the quota nodes down to `path`'s (as `createQuota` does).
async fn create_quota_parents(client: &Client, path: &str) -> Result<(), CliError> {
    let wrap = |e: ClientError, at: &str| CliError::keeper(&e, at);
    if client
        .exists(QUOTA_ROOT)
        .await
        .map_err(|e| wrap(e, QUOTA_ROOT))?
        .is_none()
    {
        for node in ["/zookeeper", QUOTA_ROOT] {
            match client.create(node, b"", &CreateOptions::persistent()).await {
                Ok(_) | Err(ClientError::NodeExists) => {}
                Err(e) => return Err(wrap(e, node)),
            }
        }
    }
    let mut quota_path = QUOTA_ROOT.to_owned();
    for part in path.split('/').filter(|s| !s.is_empty()) {
        quota_path = format!("{quota_path}/{part}");
        if client
            .exists(&quota_path)
            .await
            .map_err(|e| wrap(e, &quota_path))?
            .is_none()
        {
            match client
                .create(&quota_path, b"", &CreateOptions::persistent())
                .await
            {
                Ok(_) | Err(ClientError::NodeExists) => {}
                Err(e) => return Err(wrap(e, &quota_path)),
            }
        }
    }
    Ok(())
}

/// Warns (on stdout, as zkCli) when a new limit is already exceeded.
fn check_quota(ctx: &mut Ctx<'_>, limits: &StatsTrack, current: &StatsTrack) {
    let below = |limit: i64, value: i64| limit > -1 && limit < value;
    let count = current.get(StatsTrack::COUNT);
    if below(limits.get(StatsTrack::COUNT), count)
        || below(limits.get(StatsTrack::COUNT_HARD), count)
    {
        ctx.out.outln(format!(
            "[Warning]: the count quota you create is less than the existing count:{count}"
        ));
    }
    let bytes = current.get(StatsTrack::BYTES);
    if below(limits.get(StatsTrack::BYTES), bytes)
        || below(limits.get(StatsTrack::BYTES_HARD), bytes)
    {
        ctx.out.outln(format!(
            "[Warning]: the bytes quota you create is less than the existing bytes:{bytes}"
        ));
    }
}

/// Refuses a quota on a node whose descendant already has one.
async fn check_child_quota(client: &Client, path: &str) -> Result<(), CliError> {
    let root = format!("{QUOTA_ROOT}{path}");
    let tree = match super::nodes::list_subtree_bfs(client, &root).await {
        Ok(tree) => tree,
        Err((ClientError::NoNode, _)) => return Ok(()),
        Err((e, at)) => return Err(CliError::keeper(&e, &at)),
    };
    for node in tree {
        if node == root {
            continue;
        }
        let owner = node.strip_suffix(&format!("/{LIMIT_NODE}"));
        if let Some(owner) = owner.filter(|o| *o != root) {
            return Err(CliError::Usage(format!(
                "{path} has a child {} which has a quota",
                &owner[QUOTA_ROOT.len()..]
            )));
        }
    }
    Ok(())
}

/// Refuses a quota on a node whose ancestor already has one.
async fn check_parent_quota(client: &Client, path: &str) -> Result<(), CliError> {
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut quota_path = QUOTA_ROOT.to_owned();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        quota_path = format!("{quota_path}/{part}");
        let children = match client.get_children(&quota_path).await {
            Ok(children) => children,
            Err(ClientError::NoNode) => return Ok(()),
            Err(e) => return Err(CliError::keeper(&e, &quota_path)),
        };
        if children.iter().any(|c| c == LIMIT_NODE) {
            return Err(CliError::Usage(format!(
                "{path} has a parent {} which has a quota",
                &quota_path[QUOTA_ROOT.len()..]
            )));
        }
    }
    Ok(())
}

/// zkCli's `listquota path`: the limits and the current usage.
pub async fn list_quota(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[], words)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("listquota")));
    }
    let path = p.args[1].clone();
    let client = ctx.client()?;
    ctx.out
        .errln(format!("absolute path is {}", limit_path(&path)));
    let mut lines = Vec::new();
    for (label, node) in [("quota", limit_path(&path)), ("stat", stat_path(&path))] {
        match client.get_data(&node).await {
            Ok((data, _)) => {
                let track = StatsTrack::parse(&String::from_utf8_lossy(&data));
                lines.push(format!("Output {label} for {path} {track}"));
            }
            Err(ClientError::NoNode) => {
                ctx.out.errln(format!("quota for {path} does not exist."));
                return Err(CliError::Reported);
            }
            Err(e) => return Err(CliError::keeper(&e, &node)),
        }
    }
    for line in lines {
        ctx.out.outln(line);
    }
    Ok(())
}

/// zkCli's `delquota [-n|-b|-N|-B] path`: without a flag the whole quota goes; with one,
/// that limit is reset to -1.
pub async fn del_quota(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let group = [
        Opt::described("n", false, "num soft quota"),
        Opt::described("b", false, "bytes soft quota"),
        Opt::described("N", false, "num hard quota"),
        Opt::described("B", false, "bytes hard quota"),
    ];
    let p = parse_options(&group, words)?;
    check_group(&p, &group, false)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("delquota")));
    }
    let path = p.args[1].clone();
    let client = ctx.client()?;
    let limit = limit_path(&path);
    let wrap = |e: ClientError, at: &str| CliError::keeper(&e, at);
    if client
        .exists(&limit)
        .await
        .map_err(|e| wrap(e, &limit))?
        .is_none()
    {
        ctx.out.outln(format!("Quota does not exist for {path}"));
        return Ok(());
    }
    let Some(flag) = p.given().first() else {
        let parent = format!("{QUOTA_ROOT}{path}");
        let children = client
            .get_children(&parent)
            .await
            .map_err(|e| wrap(e, &parent))?;
        for child in children {
            let node = child_path(&parent, &child);
            client
                .delete(&node, None)
                .await
                .map_err(|e| wrap(e, &node))?;
        }
        return trim_quota_nodes(&client, parent).await;
    };
    let (data, _) = client.get_data(&limit).await.map_err(|e| wrap(e, &limit))?;
    let mut track = StatsTrack::parse(&String::from_utf8_lossy(&data));
    let key = match *flag {
        "n" => StatsTrack::COUNT,
        "b" => StatsTrack::BYTES,
        "N" => StatsTrack::COUNT_HARD,
        _ => StatsTrack::BYTES_HARD,
    };
    track.set(key, -1);
    client
        .set_data(&limit, track.to_string().as_bytes(), None)
        .await
        .map_err(|e| wrap(e, &limit))?;
    Ok(())
}

/// `DelQuotaCommand.trimProcQuotas`: deletes emptied quota nodes up to `/zookeeper/quota`.
async fn trim_quota_nodes(client: &Client, mut path: String) -> Result<(), CliError> {
    while path != QUOTA_ROOT {
        let children = client
            .get_children(&path)
            .await
            .map_err(|e| CliError::keeper(&e, &path))?;
        if !children.is_empty() {
            break;
        }
        client
            .delete(&path, None)
            .await
            .map_err(|e| CliError::keeper(&e, &path))?;
        path = zk_proto::path::parent(&path).unwrap_or("/").to_owned();
    }
    Ok(())
}
