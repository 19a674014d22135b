//! `multi` (op 14) and `multiRead` (op 22): [`MultiRequest`], a list of [`MultiOp`]s, and
//! [`MultiResponse`], a list of [`MultiResult`]s.
//!
//! Neither record has a count: each element is preceded by a [`MultiHeader`] and the list ends
//! with a terminator header, so the number of ops is bounded only by the frame length.
//!
//! ```text
//! MultiRequest:  repeat { MultiHeader{type = op, done = false, err = -1}  op's request record }
//!                MultiHeader{type = -1, done = true, err = -1}
//!
//! MultiResponse: repeat { MultiHeader{type, done = false, err = (type == -1 ? code : 0)}  body }
//!                MultiHeader{type = -1, done = true, err = -1}
//!   body by type: 1 CreateResponse, 15 Create2Response, 5 SetDataResponse,
//!                 4 GetDataResponse, 8 GetChildrenResponse, 2 and 13 nothing,
//!                 -1 ErrorResponse (the code again)
//! ```
//!
//! A multi is atomic: if op *k* fails with E, *every* result is an error — `0` for the ops
//! before *k*, `E` for *k*, `-2` (RUNTIMEINCONSISTENCY) after — and the reply header's `err` is
//! still 0. A multiRead is not atomic: each op fails or succeeds on its own.
//!
//! ```
//! use zk_proto::{DeleteRequest, ErrorCode, Jute, MultiOp, MultiRequest, MultiResponse};
//! let multi = MultiRequest {
//!     ops: vec![MultiOp::Delete(DeleteRequest { path: "/a".into(), version: -1 })],
//! };
//! assert_eq!(MultiRequest::from_bytes(multi.to_vec()).unwrap(), multi);
//!
//! let failed = MultiResponse::failed(3, 1, ErrorCode::NoNode);
//! let codes: Vec<_> = failed.results.iter().map(|r| r.err().code()).collect();
//! assert_eq!(codes, [0, -101, -2]);
//! ```

use bytes::BufMut;

use crate::error::{Error, Result};
use crate::jute::{Jute, Reader};
use crate::records::{
    CheckVersionRequest, Create2Response, CreateRequest, CreateResponse, CreateTtlRequest,
    DeleteRequest, ErrorResponse, GetChildrenRequest, GetChildrenResponse, GetDataRequest,
    GetDataResponse, SetDataRequest, SetDataResponse,
};
use crate::{ErrorCode, OpCode, Stat};

record! {
    /// The header before each element of a multi request or response, and the terminator.
    ///
    /// ```text
    /// int type      // the op (request) or result type; -1 for errors and the terminator
    /// boolean done  // true only in the terminator
    /// int err       // requests: -1; results: the code for type -1, else 0
    /// ```
    #[derive(Copy, Hash)]
    pub struct MultiHeader {
        /// The op or result type (`type` on the wire), an [`OpCode`] value.
        pub op_type: i32,
        /// True for the terminator.
        pub done: bool,
        /// The error code of an error result; -1 in requests and the terminator.
        pub err: i32,
    }
}

impl MultiHeader {
    /// The terminator: `{type = -1, done = true, err = -1}`.
    pub const TERMINATOR: MultiHeader = MultiHeader {
        op_type: -1,
        done: true,
        err: -1,
    };
}

/// One operation of a multi (write ops) or multiRead (read ops), tagged by the op code its
/// header carries.
///
/// The header type decides the body's layout; it is kept so that re-encoding is byte-exact.
/// Note that the Java server re-derives a create's type from its flags (container flags →
/// createContainer, TTL flags → createTTL, otherwise create), so a `Create2` sub-op gets a
/// `Create` result (path only) from ZooKeeper.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MultiOp {
    /// `create` (1).
    Create(CreateRequest),
    /// `create2` (15), same body as create.
    Create2(CreateRequest),
    /// `createContainer` (19), same body as create.
    CreateContainer(CreateRequest),
    /// `createTTL` (21).
    CreateTtl(CreateTtlRequest),
    /// `delete` (2).
    Delete(DeleteRequest),
    /// `setData` (5).
    SetData(SetDataRequest),
    /// `check` (13): a version check.
    Check(CheckVersionRequest),
    /// `getData` (4), multiRead only; the watch flag is ignored.
    GetData(GetDataRequest),
    /// `getChildren` (8), multiRead only; the watch flag is ignored.
    GetChildren(GetChildrenRequest),
}

impl MultiOp {
    /// The op code in this op's header.
    pub fn op(&self) -> OpCode {
        match self {
            MultiOp::Create(_) => OpCode::Create,
            MultiOp::Create2(_) => OpCode::Create2,
            MultiOp::CreateContainer(_) => OpCode::CreateContainer,
            MultiOp::CreateTtl(_) => OpCode::CreateTtl,
            MultiOp::Delete(_) => OpCode::Delete,
            MultiOp::SetData(_) => OpCode::SetData,
            MultiOp::Check(_) => OpCode::Check,
            MultiOp::GetData(_) => OpCode::GetData,
            MultiOp::GetChildren(_) => OpCode::GetChildren,
        }
    }

    /// True for the read ops that only a multiRead may hold.
    pub fn is_read(&self) -> bool {
        matches!(self, MultiOp::GetData(_) | MultiOp::GetChildren(_))
    }

    /// The path the op acts on.
    pub fn path(&self) -> &str {
        match self {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => &r.path,
            MultiOp::CreateTtl(r) => &r.path,
            MultiOp::Delete(r) => &r.path,
            MultiOp::SetData(r) => &r.path,
            MultiOp::Check(r) => &r.path,
            MultiOp::GetData(r) => &r.path,
            MultiOp::GetChildren(r) => &r.path,
        }
    }

    fn write_body<B: BufMut>(&self, out: &mut B) {
        match self {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => r.write(out),
            MultiOp::CreateTtl(r) => r.write(out),
            MultiOp::Delete(r) => r.write(out),
            MultiOp::SetData(r) => r.write(out),
            MultiOp::Check(r) => r.write(out),
            MultiOp::GetData(r) => r.write(out),
            MultiOp::GetChildren(r) => r.write(out),
        }
    }

    /// Reads the body for header type `op_type`, read at `offset`.
    fn read_body(op_type: i32, offset: usize, r: &mut Reader) -> Result<Self> {
        const F: &str = "MultiHeader.type";
        Ok(match OpCode::from_code(op_type) {
            Some(OpCode::Create) => MultiOp::Create(CreateRequest::read(r, F)?),
            Some(OpCode::Create2) => MultiOp::Create2(CreateRequest::read(r, F)?),
            Some(OpCode::CreateContainer) => MultiOp::CreateContainer(CreateRequest::read(r, F)?),
            Some(OpCode::CreateTtl) => MultiOp::CreateTtl(CreateTtlRequest::read(r, F)?),
            Some(OpCode::Delete) => MultiOp::Delete(DeleteRequest::read(r, F)?),
            Some(OpCode::SetData) => MultiOp::SetData(SetDataRequest::read(r, F)?),
            Some(OpCode::Check) => MultiOp::Check(CheckVersionRequest::read(r, F)?),
            Some(OpCode::GetData) => MultiOp::GetData(GetDataRequest::read(r, F)?),
            Some(OpCode::GetChildren) => MultiOp::GetChildren(GetChildrenRequest::read(r, F)?),
            _ => {
                return Err(Error::InvalidValue {
                    field: F,
                    offset,
                    value: i64::from(op_type),
                })
            }
        })
    }
}

/// The body of a multi or multiRead request (`MultiOperationRecord`).
///
/// Decoding rejects a record that mixes read and write ops ([`Error::Malformed`]) and any op
/// type outside [`MultiOp`] ([`Error::InvalidValue`]); ZooKeeper answers both with
/// MARSHALLINGERROR. Whether the ops suit the request's op code (14 or 22) is checked by
/// [`Request::decode`](crate::Request::decode). An empty multi is valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MultiRequest {
    /// The operations, in order.
    pub ops: Vec<MultiOp>,
}

impl MultiRequest {
    /// True if any op is a read (then all are: mixing does not decode).
    pub fn is_read(&self) -> bool {
        self.ops.iter().any(MultiOp::is_read)
    }
}

impl Jute for MultiRequest {
    /// The terminator alone: an empty multi.
    const MIN_BYTES: usize = MultiHeader::MIN_BYTES;

    fn write<B: BufMut>(&self, out: &mut B) {
        for op in &self.ops {
            MultiHeader {
                op_type: op.op().code(),
                done: false,
                err: -1,
            }
            .write(out);
            op.write_body(out);
        }
        MultiHeader::TERMINATOR.write(out);
    }

    fn read(r: &mut Reader, _field: &'static str) -> Result<Self> {
        let mut ops: Vec<MultiOp> = Vec::new();
        loop {
            let offset = r.position();
            let header = MultiHeader::read(r, "MultiHeader")?;
            if header.done {
                return Ok(MultiRequest { ops });
            }
            // Each op consumes at least its 9-byte header, so `ops` grows only with the input.
            let op = MultiOp::read_body(header.op_type, offset, r)?;
            if ops
                .first()
                .is_some_and(|first| first.is_read() != op.is_read())
            {
                return Err(Error::Malformed {
                    record: "MultiOperationRecord",
                    reason: "mixes read and write operations",
                });
            }
            ops.push(op);
        }
    }
}

/// The result of one op of a multi or multiRead (`OpResult`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MultiResult {
    /// Type 1: a create's path.
    Create {
        /// The created path.
        path: String,
    },
    /// Type 15: the path and Stat of a create2, createContainer or createTTL.
    Create2 {
        /// The created path.
        path: String,
        /// The new node's Stat.
        stat: Stat,
    },
    /// Type 2: a delete; no body.
    Delete,
    /// Type 5: the node's new Stat.
    SetData {
        /// The node's Stat after the write.
        stat: Stat,
    },
    /// Type 13: a passed check; no body.
    Check,
    /// Type 4 (multiRead): a node's data and Stat.
    GetData {
        /// The node's data (null stays `None`).
        data: Option<bytes::Bytes>,
        /// The node's Stat.
        stat: Stat,
    },
    /// Type 8 (multiRead): child names.
    GetChildren {
        /// The children's names.
        children: Vec<String>,
    },
    /// Type -1: a failed op, or in a failed multi any op (`0` before the failure, `-2` after).
    Error {
        /// The op's result code.
        err: ErrorCode,
    },
}

impl MultiResult {
    /// The result's type code, as written in its header.
    pub fn op(&self) -> OpCode {
        match self {
            MultiResult::Create { .. } => OpCode::Create,
            MultiResult::Create2 { .. } => OpCode::Create2,
            MultiResult::Delete => OpCode::Delete,
            MultiResult::SetData { .. } => OpCode::SetData,
            MultiResult::Check => OpCode::Check,
            MultiResult::GetData { .. } => OpCode::GetData,
            MultiResult::GetChildren { .. } => OpCode::GetChildren,
            MultiResult::Error { .. } => OpCode::Error,
        }
    }

    /// The op's result code: `err` for an error result, OK otherwise.
    pub fn err(&self) -> ErrorCode {
        match self {
            MultiResult::Error { err } => *err,
            _ => ErrorCode::Ok,
        }
    }

    fn write_body<B: BufMut>(&self, out: &mut B) {
        match self {
            MultiResult::Create { path } => path.write(out),
            MultiResult::Create2 { path, stat } => {
                path.write(out);
                stat.write(out);
            }
            MultiResult::Delete | MultiResult::Check => {}
            MultiResult::SetData { stat } => stat.write(out),
            MultiResult::GetData { data, stat } => {
                data.write(out);
                stat.write(out);
            }
            MultiResult::GetChildren { children } => children.write(out),
            MultiResult::Error { err } => err.write(out),
        }
    }

    /// Reads the body for result type `op_type`, read at `offset`. An error result's code is
    /// taken from its body, as Java does; the header's copy is not checked.
    fn read_body(op_type: i32, offset: usize, r: &mut Reader) -> Result<Self> {
        Ok(match OpCode::from_code(op_type) {
            Some(OpCode::Create) => MultiResult::Create {
                path: CreateResponse::read(r, "")?.path,
            },
            Some(OpCode::Create2) => {
                let Create2Response { path, stat } = Create2Response::read(r, "")?;
                MultiResult::Create2 { path, stat }
            }
            Some(OpCode::Delete) => MultiResult::Delete,
            Some(OpCode::SetData) => MultiResult::SetData {
                stat: SetDataResponse::read(r, "")?.stat,
            },
            Some(OpCode::Check) => MultiResult::Check,
            Some(OpCode::GetData) => {
                let GetDataResponse { data, stat } = GetDataResponse::read(r, "")?;
                MultiResult::GetData { data, stat }
            }
            Some(OpCode::GetChildren) => MultiResult::GetChildren {
                children: GetChildrenResponse::read(r, "")?.children,
            },
            Some(OpCode::Error) => MultiResult::Error {
                err: ErrorResponse::read(r, "")?.err,
            },
            _ => {
                return Err(Error::InvalidValue {
                    field: "MultiHeader.type",
                    offset,
                    value: i64::from(op_type),
                })
            }
        })
    }
}

/// The body of a multi or multiRead reply (`MultiResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MultiResponse {
    /// One result per op, in order.
    pub results: Vec<MultiResult>,
}

impl MultiResponse {
    /// The reply to a multi of `ops` ops whose op `failed_index` failed with `err`: error
    /// results `0 … err … -2` (RUNTIMEINCONSISTENCY), as ZooKeeper sends.
    ///
    /// Panics if `failed_index >= ops`: a failure must name one of the ops.
    pub fn failed(ops: usize, failed_index: usize, err: ErrorCode) -> Self {
        assert!(failed_index < ops, "failed op {failed_index} of {ops}");
        let results = (0..ops)
            .map(|i| MultiResult::Error {
                err: match i.cmp(&failed_index) {
                    std::cmp::Ordering::Less => ErrorCode::Ok,
                    std::cmp::Ordering::Equal => err,
                    std::cmp::Ordering::Greater => ErrorCode::RuntimeInconsistency,
                },
            })
            .collect();
        MultiResponse { results }
    }

    /// The first result that is not OK, with its index: the error a client reports for a failed
    /// multi.
    pub fn first_error(&self) -> Option<(usize, ErrorCode)> {
        self.results
            .iter()
            .map(MultiResult::err)
            .enumerate()
            .find(|(_, err)| !err.is_ok())
    }
}

impl Jute for MultiResponse {
    /// The terminator alone: an empty multi's reply.
    const MIN_BYTES: usize = MultiHeader::MIN_BYTES;

    fn write<B: BufMut>(&self, out: &mut B) {
        for result in &self.results {
            MultiHeader {
                op_type: result.op().code(),
                done: false,
                err: result.err().code(),
            }
            .write(out);
            result.write_body(out);
        }
        MultiHeader::TERMINATOR.write(out);
    }

    fn read(r: &mut Reader, _field: &'static str) -> Result<Self> {
        let mut results = Vec::new();
        loop {
            let offset = r.position();
            let header = MultiHeader::read(r, "MultiHeader")?;
            if header.done {
                return Ok(MultiResponse { results });
            }
            results.push(MultiResult::read_body(header.op_type, offset, r)?);
        }
    }
}

#[cfg(any(test, feature = "arbitrary"))]
mod arbitrary {
    use quickcheck::{Arbitrary, Gen};

    use super::*;
    use crate::jute::arbitrary::ArbitraryJute;

    impl MultiOp {
        /// A random write op (test generator).
        pub fn arbitrary_write(g: &mut Gen) -> Self {
            match u8::arbitrary(g) % 7 {
                0 => MultiOp::Create(Arbitrary::arbitrary(g)),
                1 => MultiOp::Create2(Arbitrary::arbitrary(g)),
                2 => MultiOp::CreateContainer(Arbitrary::arbitrary(g)),
                3 => MultiOp::CreateTtl(Arbitrary::arbitrary(g)),
                4 => MultiOp::Delete(Arbitrary::arbitrary(g)),
                5 => MultiOp::SetData(Arbitrary::arbitrary(g)),
                _ => MultiOp::Check(Arbitrary::arbitrary(g)),
            }
        }

        /// A random read op (test generator).
        pub fn arbitrary_read(g: &mut Gen) -> Self {
            if bool::arbitrary(g) {
                MultiOp::GetData(Arbitrary::arbitrary(g))
            } else {
                MultiOp::GetChildren(Arbitrary::arbitrary(g))
            }
        }
    }

    impl MultiRequest {
        /// A random multi (all write ops) or multiRead (all read ops), by `read`.
        pub fn arbitrary_of_kind(g: &mut Gen, read: bool) -> Self {
            let len = usize::arbitrary(g) % 6;
            let ops = (0..len)
                .map(|_| {
                    if read {
                        MultiOp::arbitrary_read(g)
                    } else {
                        MultiOp::arbitrary_write(g)
                    }
                })
                .collect();
            MultiRequest { ops }
        }
    }

    impl Arbitrary for MultiRequest {
        /// A multi or a multiRead, never a mix.
        fn arbitrary(g: &mut Gen) -> Self {
            let read = bool::arbitrary(g);
            MultiRequest::arbitrary_of_kind(g, read)
        }
    }

    impl Arbitrary for MultiResult {
        fn arbitrary(g: &mut Gen) -> Self {
            match u8::arbitrary(g) % 8 {
                0 => MultiResult::Create {
                    path: String::arbitrary(g),
                },
                1 => MultiResult::Create2 {
                    path: String::arbitrary(g),
                    stat: Stat::arbitrary(g),
                },
                2 => MultiResult::Delete,
                3 => MultiResult::SetData {
                    stat: Stat::arbitrary(g),
                },
                4 => MultiResult::Check,
                5 => MultiResult::GetData {
                    data: ArbitraryJute::arbitrary_jute(g),
                    stat: Stat::arbitrary(g),
                },
                6 => MultiResult::GetChildren {
                    children: ArbitraryJute::arbitrary_jute(g),
                },
                _ => MultiResult::Error {
                    err: ErrorCode::arbitrary_jute(g),
                },
            }
        }
    }

    impl Arbitrary for MultiResponse {
        fn arbitrary(g: &mut Gen) -> Self {
            MultiResponse {
                results: ArbitraryJute::arbitrary_jute(g),
            }
        }
    }

    impl ArbitraryJute for MultiResult {
        fn arbitrary_jute(g: &mut Gen) -> Self {
            <Self as Arbitrary>::arbitrary(g)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    quickcheck::quickcheck! {
        fn multi_request_round_trips(multi: MultiRequest) -> bool {
            MultiRequest::from_bytes(multi.to_vec()) == Ok(multi)
        }
        fn multi_response_round_trips(resp: MultiResponse) -> bool {
            MultiResponse::from_bytes(resp.to_vec()) == Ok(resp)
        }
    }

    fn header(op_type: i32, done: bool, err: i32) -> Vec<u8> {
        MultiHeader { op_type, done, err }.to_vec()
    }

    #[test]
    fn empty_multi_is_just_the_terminator() {
        let bytes = MultiRequest::default().to_vec();
        assert_eq!(bytes, [255, 255, 255, 255, 1, 255, 255, 255, 255]);
        assert_eq!(MultiRequest::from_bytes(bytes), Ok(MultiRequest::default()));
    }

    #[test]
    fn error_results_carry_the_code_twice() {
        let bytes = MultiResponse::failed(2, 0, ErrorCode::BadVersion).to_vec();
        let mut expected = header(-1, false, -103);
        expected.extend((-103i32).to_be_bytes());
        expected.extend(header(-1, false, -2));
        expected.extend((-2i32).to_be_bytes());
        expected.extend(header(-1, true, -1));
        assert_eq!(bytes, expected);
    }

    #[test]
    fn failed_multi_results_are_ok_then_error_then_runtime_inconsistency() {
        let resp = MultiResponse::failed(4, 2, ErrorCode::NodeExists);
        let codes: Vec<i32> = resp.results.iter().map(|r| r.err().code()).collect();
        assert_eq!(codes, [0, 0, -110, -2]);
        assert_eq!(resp.first_error(), Some((2, ErrorCode::NodeExists)));
    }

    #[test]
    fn mixing_reads_and_writes_is_malformed() {
        let mut bytes = header(OpCode::Delete.code(), false, -1);
        bytes.extend(
            DeleteRequest {
                path: "/a".into(),
                version: -1,
            }
            .to_vec(),
        );
        bytes.extend(header(OpCode::GetData.code(), false, -1));
        bytes.extend(
            GetDataRequest {
                path: "/a".into(),
                watch: false,
            }
            .to_vec(),
        );
        bytes.extend(header(-1, true, -1));
        assert!(matches!(
            MultiRequest::from_bytes(bytes),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn unknown_op_inside_multi_is_invalid_value() {
        let mut bytes = header(OpCode::Delete.code(), false, -1);
        bytes.extend(
            DeleteRequest {
                path: "/a".into(),
                version: -1,
            }
            .to_vec(),
        );
        let offset = bytes.len();
        bytes.extend(header(OpCode::Sync.code(), false, -1));
        bytes.extend(header(-1, true, -1));
        assert_eq!(
            MultiRequest::from_bytes(bytes),
            Err(Error::InvalidValue {
                field: "MultiHeader.type",
                offset,
                value: 9
            })
        );
    }

    #[test]
    fn missing_terminator_is_truncated() {
        let mut bytes = MultiRequest {
            ops: vec![MultiOp::Check(CheckVersionRequest {
                path: "/a".into(),
                version: 1,
            })],
        }
        .to_vec();
        bytes.truncate(bytes.len() - 9);
        assert!(matches!(
            MultiRequest::from_bytes(bytes),
            Err(Error::Truncated { .. })
        ));
    }
}
