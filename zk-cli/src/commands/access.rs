//! getAcl, setAcl, addauth, whoami — zkCli's `GetAclCommand` and friends.

use serde_json::json;

use super::nodes::{parse_acl, parse_version, visit_dfs};
use super::{stat_json, usage, Ctx};
use crate::error::CliError;
use crate::format::{id_csv, perm_string, stat_block};
use crate::parse::{parse_options, Opt};

/// zkCli's `getAcl [-s] path`: for each entry the jute CSV form of its id (`'world,'anyone`
/// and a line break), then `: cdrwa`.
pub async fn get_acl(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[Opt::flag("s"), Opt::value("o")], words)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("getAcl")));
    }
    let json = ctx.wants_json(&p)?;
    let path = p.args[1].clone();
    let client = ctx.client()?;
    let (acl, stat) = client
        .get_acl(&path)
        .await
        .map_err(|e| CliError::keeper(&e, &path))?;
    if json {
        let entries: Vec<_> = acl
            .iter()
            .map(|a| json!({ "scheme": a.id.scheme, "id": a.id.id, "perms": perm_string(a.perms) }))
            .collect();
        let mut value = json!({ "path": path, "acl": entries });
        if p.has("s") {
            value["stat"] = stat_json(&stat);
        }
        ctx.print_json(&value);
        return Ok(());
    }
    for entry in &acl {
        ctx.out.outln(format!(
            "{}: {}",
            id_csv(&entry.id),
            perm_string(entry.perms)
        ));
    }
    if p.has("s") {
        ctx.out.out(stat_block(&stat));
    }
    Ok(())
}

/// zkCli's `setAcl [-s] [-v version] [-R] path acl`. With `-R` every node of the subtree
/// gets the ACL; a node that fails has the error's message printed (without a newline, as
/// zkCli does) and the walk goes on.
pub async fn set_acl(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [Opt::flag("s"), Opt::value("v"), Opt::flag("R")];
    let p = parse_options(&spec, words)?;
    if p.args.len() < 3 {
        return Err(CliError::Usage(usage("setAcl")));
    }
    let path = p.args[1].clone();
    let acl = parse_acl(ctx, &p.args[2]);
    let version = parse_version(p.value("v"))?;
    let client = ctx.client()?;
    zk_proto::path::validate_path(&path)
        .map_err(|e| CliError::Usage(crate::error::path_error_message(&e)))?;
    if acl.is_empty() {
        return Err(CliError::Keeper("Acl is not valid : null".into()));
    }
    if p.has("R") {
        let mut paths = Vec::new();
        visit_dfs(ctx, &client, &path, false, &mut paths).await?;
        let mut failed = false;
        for node in paths {
            if let Err(e) = client.set_acl(&node, &acl, version).await {
                let code = e.code().unwrap_or(zk_proto::ErrorCode::SystemError);
                ctx.out
                    .out(crate::error::keeper_exception_message(code, Some(&node)));
                failed = true;
            }
        }
        return if failed {
            Err(CliError::Reported)
        } else {
            Ok(())
        };
    }
    let stat = client
        .set_acl(&path, &acl, version)
        .await
        .map_err(|e| CliError::keeper(&e, &path))?;
    if p.has("s") {
        ctx.out.out(stat_block(&stat));
    }
    Ok(())
}

/// zkCli's `addauth scheme auth`.
pub async fn add_auth(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[], words)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("addauth")));
    }
    let auth = p.arg(2).unwrap_or_default().as_bytes().to_vec();
    let session = ctx.live()?;
    session
        .client
        .add_auth(&p.args[1], &auth)
        .await
        .map_err(|e| CliError::keeper(&e, ""))?;
    session
        .auths
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((p.args[1].clone(), auth));
    Ok(())
}

/// zkCli's `whoami`: `Auth scheme: User`, then `scheme: user` per identity.
pub async fn who_am_i(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[Opt::value("o")], words)?;
    let json = ctx.wants_json(&p)?;
    let client = ctx.client()?;
    let infos = client
        .who_am_i()
        .await
        .map_err(|e| CliError::keeper(&e, ""))?;
    if json {
        let entries: Vec<_> = infos
            .iter()
            .map(|i| json!({ "scheme": i.auth_scheme, "user": i.user }))
            .collect();
        ctx.print_json(&json!({ "client_info": entries }));
        return Ok(());
    }
    ctx.out.outln("Auth scheme: User");
    for info in infos {
        ctx.out
            .outln(format!("{}: {}", info.auth_scheme, info.user));
    }
    Ok(())
}
