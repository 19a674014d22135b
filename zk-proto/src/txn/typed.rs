//! [`Txn`]: a transaction record decoded by its type.

use bytes::{BufMut, Bytes};

use super::records::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DeleteTxn, ErrorTxn, MultiTxn, SetAclTxn, SetDataTxn, SubTxn,
};
use super::TxnDigest;
use crate::error::{Error, Result};
use crate::jute::{Jute, Reader};
use crate::OpCode;

/// A transaction record, typed by the [`OpCode`] of its header.
///
/// Types that share a record keep their own variant (`Create` and `Create2`, `Delete` and
/// `DeleteContainer`, `SetData` and `Reconfig`), so that [`Txn::op_code`] gives back the exact
/// type and an entry re-encodes to the bytes it was decoded from.
///
/// ```text
/// type                  record               top level   inside a multi
/// -10 createSession     CreateSessionTxn     yes         no
/// -11 closeSession      CloseSessionTxn/none yes         no
///   1 create            CreateTxn (or V0)    yes         yes
///  15 create2           CreateTxn            yes         yes
///  21 createTTL         CreateTTLTxn         yes         yes
///  19 createContainer   CreateContainerTxn   yes         yes
///   2 delete            DeleteTxn            yes         yes
///  20 deleteContainer   DeleteTxn            yes         yes
///   5 setData           SetDataTxn           yes         yes
///  16 reconfig          SetDataTxn           yes         no
///   7 setACL            SetACLTxn            yes         no
///  13 check             CheckVersionTxn      no          yes
///  -1 error             ErrorTxn             yes         yes
///  14 multi             MultiTxn             yes         no
/// ```
///
/// The two columns are Apache's: `SerializeUtils.deserializeTxn` for the top level and
/// `DataTree.processTxn` for sub-txns. Anything else fails to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Txn {
    /// `createSession` (-10).
    CreateSession(CreateSessionTxn),
    /// `closeSession` (-11); `None` when the log has no body (`closeSessionTxn.enabled=false`
    /// or a pre-3.6 server): the session's ephemerals are then whatever the tree knows.
    CloseSession(Option<CloseSessionTxn>),
    /// `create` (1).
    Create(CreateTxn),
    /// `create2` (15).
    Create2(CreateTxn),
    /// `createTTL` (21).
    CreateTtl(CreateTtlTxn),
    /// `createContainer` (19).
    CreateContainer(CreateContainerTxn),
    /// `delete` (2).
    Delete(DeleteTxn),
    /// `deleteContainer` (20), issued by the container reaper.
    DeleteContainer(DeleteTxn),
    /// `setData` (5).
    SetData(SetDataTxn),
    /// `reconfig` (16): a setData of `/zookeeper/config`.
    Reconfig(SetDataTxn),
    /// `setACL` (7).
    SetAcl(SetAclTxn),
    /// `check` (13), only inside a multi.
    Check(CheckVersionTxn),
    /// A failed write (-1), or a sub-txn of a failed multi.
    Error(ErrorTxn),
    /// `multi` (14): typed sub-txns, never themselves multis.
    Multi(Vec<Txn>),
}

impl Txn {
    /// The transaction type, as the header carries it.
    pub fn op_code(&self) -> OpCode {
        match self {
            Txn::CreateSession(_) => OpCode::CreateSession,
            Txn::CloseSession(_) => OpCode::CloseSession,
            Txn::Create(_) => OpCode::Create,
            Txn::Create2(_) => OpCode::Create2,
            Txn::CreateTtl(_) => OpCode::CreateTtl,
            Txn::CreateContainer(_) => OpCode::CreateContainer,
            Txn::Delete(_) => OpCode::Delete,
            Txn::DeleteContainer(_) => OpCode::DeleteContainer,
            Txn::SetData(_) => OpCode::SetData,
            Txn::Reconfig(_) => OpCode::Reconfig,
            Txn::SetAcl(_) => OpCode::SetAcl,
            Txn::Check(_) => OpCode::Check,
            Txn::Error(_) => OpCode::Error,
            Txn::Multi(_) => OpCode::Multi,
        }
    }

    /// True if `op` may appear as a top-level transaction.
    pub fn is_top_level_type(op: OpCode) -> bool {
        use OpCode::*;
        matches!(
            op,
            CreateSession
                | CloseSession
                | Create
                | Create2
                | CreateTtl
                | CreateContainer
                | Delete
                | DeleteContainer
                | SetData
                | Reconfig
                | SetAcl
                | Error
                | Multi
        )
    }

    /// True if `op` may appear as a sub-txn of a multi.
    pub fn is_multi_sub_type(op: OpCode) -> bool {
        use OpCode::*;
        matches!(
            op,
            Create
                | Create2
                | CreateTtl
                | CreateContainer
                | Delete
                | DeleteContainer
                | SetData
                | Check
                | Error
        )
    }

    /// Decodes the record of a top-level transaction of type `op` from `r`, leaving any
    /// [`TxnDigest`] that follows unread.
    ///
    /// Tolerates what Apache tolerates: a `create` (1) whose input ends before
    /// `parentCVersion` is a `CreateTxnV0` and gets `parent_cversion = -1`; a `closeSession`
    /// with no body is `CloseSession(None)`. A type that is not a top-level txn (see the table
    /// on [`Txn`]) is [`Error::Malformed`].
    pub fn decode(op: OpCode, r: &mut Reader) -> Result<Txn> {
        match op {
            OpCode::Create => decode_create_tolerating_v0(r).map(Txn::Create),
            OpCode::CloseSession => decode_close_session(r).map(Txn::CloseSession),
            OpCode::CreateSession => Ok(Txn::CreateSession(Jute::read(r, "CreateSessionTxn")?)),
            OpCode::Reconfig => Ok(Txn::Reconfig(Jute::read(r, "SetDataTxn")?)),
            OpCode::SetAcl => Ok(Txn::SetAcl(Jute::read(r, "SetACLTxn")?)),
            OpCode::Multi => {
                let multi = MultiTxn::read(r, "MultiTxn")?;
                multi.to_typed().map(Txn::Multi)
            }
            op if Txn::is_multi_sub_type(op) && op != OpCode::Check => decode_common(op, r),
            _ => Err(Error::Malformed {
                record: "TxnHeader",
                reason: "type is not a top-level transaction type",
            }),
        }
    }

    /// Decodes one sub-txn of a multi: its type must be a sub-txn type (see [`Txn`]), its data
    /// one whole record. Bytes after the record are ignored, as `DataTree` ignores them.
    pub fn decode_sub_txn(sub: &SubTxn) -> Result<Txn> {
        let op = OpCode::from_code(sub.txn_type)
            .filter(|op| Txn::is_multi_sub_type(*op))
            .ok_or(Error::Malformed {
                record: "MultiTxn",
                reason: "sub-txn type is not allowed inside a multi",
            })?;
        let mut r = Reader::new(sub.data.clone());
        match op {
            OpCode::Check => Ok(Txn::Check(Jute::read(&mut r, "CheckVersionTxn")?)),
            _ => decode_common(op, &mut r),
        }
    }

    /// Appends the record (not the header) to `out`.
    pub fn write<B: BufMut>(&self, out: &mut B) {
        match self {
            Txn::CreateSession(t) => t.write(out),
            Txn::CloseSession(t) => {
                if let Some(t) = t {
                    t.write(out)
                }
            }
            Txn::Create(t) | Txn::Create2(t) => t.write(out),
            Txn::CreateTtl(t) => t.write(out),
            Txn::CreateContainer(t) => t.write(out),
            Txn::Delete(t) | Txn::DeleteContainer(t) => t.write(out),
            Txn::SetData(t) | Txn::Reconfig(t) => t.write(out),
            Txn::SetAcl(t) => t.write(out),
            Txn::Check(t) => t.write(out),
            Txn::Error(t) => t.write(out),
            Txn::Multi(txns) => MultiTxn::from_typed(txns).write(out),
        }
    }

    /// The record's encoding as a fresh vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }
}

/// The records shared by top-level and sub-txns (every sub type but `check`).
fn decode_common(op: OpCode, r: &mut Reader) -> Result<Txn> {
    Ok(match op {
        OpCode::Create => Txn::Create(Jute::read(r, "CreateTxn")?),
        OpCode::Create2 => Txn::Create2(Jute::read(r, "CreateTxn")?),
        OpCode::CreateTtl => Txn::CreateTtl(Jute::read(r, "CreateTTLTxn")?),
        OpCode::CreateContainer => Txn::CreateContainer(Jute::read(r, "CreateContainerTxn")?),
        OpCode::Delete => Txn::Delete(Jute::read(r, "DeleteTxn")?),
        OpCode::DeleteContainer => Txn::DeleteContainer(Jute::read(r, "DeleteTxn")?),
        OpCode::SetData => Txn::SetData(Jute::read(r, "SetDataTxn")?),
        OpCode::Error => Txn::Error(Jute::read(r, "ErrorTxn")?),
        _ => unreachable!("decode_common is only called for shared sub-txn types"),
    })
}

/// A `CreateTxn`, or a `CreateTxnV0` (no `parentCVersion`) when the input ends first.
///
/// Apache retries as V0 on any EOF inside the create; V0 can only succeed if the EOF was in
/// `parentCVersion`, so reading V0's fields and then `parentCVersion` only if four bytes remain
/// accepts exactly the same inputs.
fn decode_create_tolerating_v0(r: &mut Reader) -> Result<CreateTxn> {
    let path = Jute::read(r, "CreateTxn.path")?;
    let data = Jute::read(r, "CreateTxn.data")?;
    let acl = Jute::read(r, "CreateTxn.acl")?;
    let ephemeral = Jute::read(r, "CreateTxn.ephemeral")?;
    let parent_cversion = if r.remaining() >= 4 {
        r.read_i32("CreateTxn.parent_cversion")?
    } else {
        -1
    };
    Ok(CreateTxn {
        path,
        data,
        acl,
        ephemeral,
        parent_cversion,
    })
}

/// A `closeSession` body, or `None` for a log without one.
///
/// The body is optional and a [`TxnDigest`] may follow, so 12 remaining bytes are ambiguous.
/// They are read as "no body, digest" when they start with the digest version 2 (a body would
/// be two empty paths, which no server writes) or cannot be a body with nothing or a digest
/// after it; otherwise as a body.
fn decode_close_session(r: &mut Reader) -> Result<Option<CloseSessionTxn>> {
    let remaining = r.remaining();
    if remaining == 0 {
        return Ok(None);
    }
    let digest_only = remaining == TxnDigest::BYTES;
    if digest_only && r.peek_rest()[..4] == TxnDigest::VERSION.to_be_bytes() {
        return Ok(None);
    }
    let mut attempt = r.clone();
    match CloseSessionTxn::read(&mut attempt, "CloseSessionTxn") {
        Ok(body) if attempt.remaining() == 0 || attempt.remaining() >= TxnDigest::BYTES => {
            *r = attempt;
            Ok(Some(body))
        }
        _ if digest_only => Ok(None),
        Ok(_) => Err(Error::Malformed {
            record: "CloseSessionTxn",
            reason: "trailing bytes are neither empty nor a TxnDigest",
        }),
        Err(e) => Err(e),
    }
}

impl MultiTxn {
    /// The typed sub-txns; fails on a sub-txn type that is not allowed in a multi or on a
    /// record that does not decode.
    pub fn to_typed(&self) -> Result<Vec<Txn>> {
        self.txns.iter().map(Txn::decode_sub_txn).collect()
    }

    /// The raw form of typed sub-txns.
    ///
    /// # Panics
    ///
    /// If a sub-txn is not of a type allowed inside a multi (a caller bug).
    pub fn from_typed(txns: &[Txn]) -> MultiTxn {
        MultiTxn {
            txns: txns
                .iter()
                .map(|t| {
                    let op = t.op_code();
                    assert!(Txn::is_multi_sub_type(op), "{op:?} inside a multi");
                    SubTxn {
                        txn_type: op.code(),
                        data: Bytes::from(t.to_vec()),
                    }
                })
                .collect(),
        }
    }
}

#[cfg(any(test, feature = "arbitrary"))]
mod arbitrary {
    use quickcheck::{Arbitrary, Gen};

    use super::Txn;

    impl Txn {
        /// A random transaction allowed inside a multi.
        fn arbitrary_sub(g: &mut Gen) -> Txn {
            match u8::arbitrary(g) % 9 {
                0 => Txn::Create(Arbitrary::arbitrary(g)),
                1 => Txn::Create2(Arbitrary::arbitrary(g)),
                2 => Txn::CreateTtl(Arbitrary::arbitrary(g)),
                3 => Txn::CreateContainer(Arbitrary::arbitrary(g)),
                4 => Txn::Delete(Arbitrary::arbitrary(g)),
                5 => Txn::DeleteContainer(Arbitrary::arbitrary(g)),
                6 => Txn::SetData(Arbitrary::arbitrary(g)),
                7 => Txn::Check(Arbitrary::arbitrary(g)),
                _ => Txn::Error(Arbitrary::arbitrary(g)),
            }
        }
    }

    /// Generates top-level transactions (never a top-level `Check`, never nested multis).
    impl Arbitrary for Txn {
        fn arbitrary(g: &mut Gen) -> Txn {
            match u8::arbitrary(g) % 6 {
                0 => Txn::CreateSession(Arbitrary::arbitrary(g)),
                1 => {
                    // Real closeSession bodies list znode paths, never empty strings: a body of
                    // exactly two empty paths is byte-identical to "no body + TxnDigest v2" and
                    // decodes as the latter (see `Txn::decode`).
                    let mut close: Option<super::CloseSessionTxn> = Arbitrary::arbitrary(g);
                    if let Some(body) = &mut close {
                        for path in &mut body.paths_to_delete {
                            path.insert(0, '/');
                        }
                    }
                    Txn::CloseSession(close)
                }
                2 => Txn::Reconfig(Arbitrary::arbitrary(g)),
                3 => Txn::SetAcl(Arbitrary::arbitrary(g)),
                4 => {
                    let len = usize::arbitrary(g) % 6;
                    Txn::Multi((0..len).map(|_| Txn::arbitrary_sub(g)).collect())
                }
                _ => loop {
                    let t = Txn::arbitrary_sub(g);
                    if !matches!(t, Txn::Check(_)) {
                        break t;
                    }
                },
            }
        }
    }
}
