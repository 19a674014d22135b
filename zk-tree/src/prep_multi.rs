//! Preparing a multi: every op against the state left by the ops before it, all or nothing.

use zk_proto::create_mode::CreateMode;
use zk_proto::txn::{ErrorTxn, Txn};
use zk_proto::{ErrorCode, MultiOp, MultiRequest, OpCode};

use super::{CreateArgs, Prep, PrepOutcome};

/// A multi op as Apache's `MultiOperationRecord` turns it into an `Op`: the create type is
/// re-derived from the flags (container flags → createContainer, TTL flags → createTTL).
enum SubOp<'r> {
    Create(CreateArgs<'r>),
    Delete(&'r zk_proto::DeleteRequest),
    SetData(&'r zk_proto::SetDataRequest),
    Check(&'r zk_proto::CheckVersionRequest),
    /// Fails the whole multi with MARSHALLINGERROR when reached: TTL flags in a plain create
    /// record (Java's ClassCastException), or a read op.
    Unusable,
}

/// `Op.create` typing. `Err` for flags that do not parse in a create/create2/createContainer
/// record: Java's parser throws, and the whole multi is a MARSHALLINGERROR.
fn sub_op(op: &MultiOp) -> Result<SubOp<'_>, ()> {
    Ok(match op {
        MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => {
            let mode = CreateMode::from_flag(r.flags).ok_or(())?;
            if mode.is_ttl() {
                SubOp::Unusable
            } else {
                // Java's `Op.create` keeps no trace of the record's own type: a create2 or a
                // createContainer whose flags are not CONTAINER is logged (and answered) as a
                // plain create.
                let op_code = if mode.is_container() {
                    OpCode::CreateContainer
                } else {
                    OpCode::Create
                };
                SubOp::Create(CreateArgs::plain(op_code, r))
            }
        }
        MultiOp::CreateTtl(r) => {
            let mode = CreateMode::from_flag(r.flags).unwrap_or(CreateMode::Persistent);
            let (op, ttl) = if mode.is_ttl() {
                (OpCode::CreateTtl, r.ttl)
            } else {
                (OpCode::Create, -1)
            };
            SubOp::Create(CreateArgs {
                op,
                path: &r.path,
                data: &r.data,
                acl: &r.acl,
                flags: r.flags,
                ttl,
            })
        }
        MultiOp::Delete(r) => SubOp::Delete(r),
        MultiOp::SetData(r) => SubOp::SetData(r),
        MultiOp::Check(r) => SubOp::Check(r),
        MultiOp::GetData(_) | MultiOp::GetChildren(_) => SubOp::Unusable,
    })
}

impl Prep<'_> {
    /// A multi: one zxid and header for all ops; on the first failure the pending changes of
    /// the earlier ops are rolled back and the rest become ErrorTxn(RUNTIMEINCONSISTENCY).
    pub(super) fn multi(&mut self, multi: &MultiRequest) -> PrepOutcome {
        let marshalling = |prep: &Self| {
            PrepOutcome::Txn(prep.entry(
                Txn::Error(ErrorTxn {
                    err: ErrorCode::MarshallingError,
                }),
                false,
            ))
        };
        let Ok(ops) = multi.ops.iter().map(sub_op).collect::<Result<Vec<_>, ()>>() else {
            return marshalling(self);
        };
        let checkpoint = self.changes.checkpoint();
        let mut txns = Vec::with_capacity(ops.len());
        let mut failed = false;
        for op in &ops {
            if failed {
                txns.push(Txn::Error(ErrorTxn {
                    err: ErrorCode::RuntimeInconsistency,
                }));
                continue;
            }
            let result = match op {
                SubOp::Create(args) => self.create(args),
                SubOp::Delete(r) => self.delete(&r.path, r.version),
                SubOp::SetData(r) => self.set_data(&r.path, &r.data, r.version),
                SubOp::Check(r) => self.check(&r.path, r.version),
                SubOp::Unusable => {
                    self.changes.rollback(checkpoint);
                    return marshalling(self);
                }
            };
            match result {
                Ok(txn) => txns.push(txn),
                Err(err) => {
                    failed = true;
                    txns.push(Txn::Error(ErrorTxn { err }));
                }
            }
        }
        if failed {
            self.changes.rollback(checkpoint);
        } else {
            self.changes.commit(checkpoint);
        }
        PrepOutcome::Txn(self.entry(Txn::Multi(txns), true))
    }
}
