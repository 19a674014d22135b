//! `multi` and `multiRead`: [`MultiBuilder`] (atomic writes with typed [`OpResult`]s, or a
//! [`MultiError`] carrying every op's result code) and [`MultiReadBuilder`] (independent reads,
//! one [`ReadResult`] or error each).
//!
//! ```no_run
//! use zk_client::{Client, CreateOptions, Error, OpResult};
//!
//! # async fn example(client: Client) -> zk_client::Result<()> {
//! let results = client
//!     .multi()
//!     .check("/config", 3)
//!     .set_data("/config", b"v4", Some(3))
//!     .create("/config/history-", b"v3", &CreateOptions::persistent_sequential())
//!     .commit()
//!     .await;
//! match results {
//!     Ok(results) => assert!(matches!(results[2], OpResult::Create { .. })),
//!     // Nothing was applied; `failed.index` names the op that failed.
//!     Err(Error::Multi(failed)) if failed.code == zk_proto::ErrorCode::BadVersion => {}
//!     Err(other) => return Err(other),
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;

use bytes::Bytes;
use zk_proto::path::validate_path;
use zk_proto::{
    CheckVersionRequest, DeleteRequest, ErrorCode, GetChildrenRequest, GetDataRequest, MultiOp,
    MultiRequest, MultiResult, Request, Response, SetDataRequest, Stat,
};

use crate::chroot::Chroot;
use crate::client::{unexpected, Client};
use crate::error::{Error, Result};
use crate::options::{create_body, CreateBody, CreateOptions};

/// The result of one op of a successful multi.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// A create: the created path (with any sequence suffix, chroot stripped). `stat` is the
    /// new node's Stat when the server returns it: ZooKeeper does for container and TTL
    /// creates, not for plain ones (it answers a multi create with the path only).
    Create {
        /// The created path.
        path: String,
        /// The new node's Stat, if the server sent it.
        stat: Option<Stat>,
    },
    /// A delete.
    Delete,
    /// A setData: the node's new Stat.
    SetData {
        /// The node's Stat after the write.
        stat: Stat,
    },
    /// A passed version check.
    Check,
}

/// A failed multi: nothing was applied. ZooKeeper reports OK for the ops before the failing
/// one, its error for it, and RUNTIMEINCONSISTENCY for the ops after it; all are kept here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiError {
    /// The index of the first failing op.
    pub index: usize,
    /// Its result code.
    pub code: ErrorCode,
    /// Every op's result code, in op order.
    pub results: Vec<ErrorCode>,
}

impl MultiError {
    /// The failing op's code as an [`Error`] (e.g. [`Error::BadVersion`]).
    pub fn error(&self) -> Error {
        Error::from(self.code)
    }
}

impl fmt::Display for MultiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "multi failed at op {}: {}", self.index, self.code)
    }
}

/// Builds an atomic multi ([`Client::multi`]): every op applies, or none does.
///
/// Path errors are kept and reported by [`MultiBuilder::commit`], so ops chain freely.
#[derive(Debug)]
#[must_use = "a multi does nothing until committed"]
pub struct MultiBuilder {
    client: Client,
    ops: Vec<MultiOp>,
    error: Option<Error>,
}

impl MultiBuilder {
    pub(crate) fn new(client: Client) -> Self {
        MultiBuilder {
            client,
            ops: Vec::new(),
            error: None,
        }
    }

    fn push(mut self, op: Result<MultiOp>) -> Self {
        match op {
            Ok(op) => self.ops.push(op),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    fn path(&self, path: &str) -> Result<String> {
        validate_path(path)?;
        Ok(self.client.chroot.prefix(path))
    }

    /// Adds a create (modes, ACL and TTL as [`Client::create`]).
    pub fn create(self, path: &str, data: &[u8], options: &CreateOptions) -> Self {
        let op = create_body(&self.client.chroot, path, data, options).map(|body| match body {
            CreateBody::Plain(r) => MultiOp::Create(r),
            CreateBody::Container(r) => MultiOp::CreateContainer(r),
            CreateBody::Ttl(r) => MultiOp::CreateTtl(r),
        });
        self.push(op)
    }

    /// Adds a delete; `version` is the expected data version (`None`: any).
    pub fn delete(self, path: &str, version: Option<i32>) -> Self {
        let op = self.path(path).map(|path| {
            MultiOp::Delete(DeleteRequest {
                path,
                version: version.unwrap_or(-1),
            })
        });
        self.push(op)
    }

    /// Adds a setData; `version` is the expected data version (`None`: any).
    pub fn set_data(self, path: &str, data: &[u8], version: Option<i32>) -> Self {
        let op = self.path(path).map(|path| {
            MultiOp::SetData(SetDataRequest {
                path,
                data: Some(Bytes::copy_from_slice(data)),
                version: version.unwrap_or(-1),
            })
        });
        self.push(op)
    }

    /// Adds a check that the node's data version is `version`.
    pub fn check(self, path: &str, version: i32) -> Self {
        let op = self
            .path(path)
            .map(|path| MultiOp::Check(CheckVersionRequest { path, version }));
        self.push(op)
    }

    /// The number of ops added.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True if no op was added.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Sends the multi now (in call order with the client's other requests) and returns a
    /// future of one [`OpResult`] per op, or [`Error::Multi`] if an op failed. An empty
    /// multi is answered at once without a request.
    pub fn commit(self) -> impl Future<Output = Result<Vec<OpResult>>> + Send + 'static {
        let empty = self.ops.is_empty() && self.error.is_none();
        let request = match self.error {
            Some(e) => Err(e),
            None => Ok(Request::Multi(MultiRequest { ops: self.ops })),
        };
        let reply = (!empty).then(|| self.client.submit(request, None));
        let chroot = self.client.chroot.clone();
        async move {
            let Some(reply) = reply else {
                return Ok(Vec::new());
            };
            match reply.await? {
                Response::Multi(multi) => write_results(multi.results, &chroot),
                other => Err(unexpected(&other)),
            }
        }
    }
}

fn write_results(results: Vec<MultiResult>, chroot: &Chroot) -> Result<Vec<OpResult>> {
    if let Some(index) = results.iter().position(|r| !r.err().is_ok()) {
        return Err(Error::Multi(MultiError {
            index,
            code: results[index].err(),
            results: results.iter().map(MultiResult::err).collect(),
        }));
    }
    results
        .into_iter()
        .map(|result| {
            Ok(match result {
                MultiResult::Create { path } => OpResult::Create {
                    path: chroot.strip_or_keep(&path),
                    stat: None,
                },
                MultiResult::Create2 { path, stat } => OpResult::Create {
                    path: chroot.strip_or_keep(&path),
                    stat: Some(stat),
                },
                MultiResult::Delete => OpResult::Delete,
                MultiResult::SetData { stat } => OpResult::SetData { stat },
                MultiResult::Check => OpResult::Check,
                other => {
                    return Err(Error::Protocol(format!(
                        "unexpected multi result {:?}",
                        other.op()
                    )))
                }
            })
        })
        .collect()
}

/// The result of one read of a multiRead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadResult {
    /// A getData: the data and Stat.
    Data {
        /// The node's data.
        data: Bytes,
        /// The node's Stat.
        stat: Stat,
    },
    /// A getChildren: the child names.
    Children {
        /// The children's names, unsorted.
        children: Vec<String>,
    },
}

/// Builds a multiRead ([`Client::multi_read`]): reads answered together, each independently
/// (not a snapshot; no watches are set).
#[derive(Debug)]
#[must_use = "a multiRead does nothing until executed"]
pub struct MultiReadBuilder {
    client: Client,
    ops: Vec<MultiOp>,
    error: Option<Error>,
}

impl MultiReadBuilder {
    pub(crate) fn new(client: Client) -> Self {
        MultiReadBuilder {
            client,
            ops: Vec::new(),
            error: None,
        }
    }

    fn push(mut self, path: &str, make: impl FnOnce(String) -> MultiOp) -> Self {
        match validate_path(path) {
            Ok(()) => {
                let op = make(self.client.chroot.prefix(path));
                self.ops.push(op);
            }
            Err(e) => {
                self.error.get_or_insert(e.into());
            }
        }
        self
    }

    /// Adds a getData.
    pub fn get_data(self, path: &str) -> Self {
        self.push(path, |path| {
            MultiOp::GetData(GetDataRequest { path, watch: false })
        })
    }

    /// Adds a getChildren.
    pub fn get_children(self, path: &str) -> Self {
        self.push(path, |path| {
            MultiOp::GetChildren(GetChildrenRequest { path, watch: false })
        })
    }

    /// The number of reads added.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True if no read was added.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Sends the multiRead now and returns a future of one result per read: a read of a
    /// missing node is `Err(Error::NoNode)` in its slot, the others are unaffected.
    pub fn execute(self) -> impl Future<Output = Result<Vec<Result<ReadResult>>>> + Send + 'static {
        let empty = self.ops.is_empty() && self.error.is_none();
        let request = match self.error {
            Some(e) => Err(e),
            None => Ok(Request::MultiRead(MultiRequest { ops: self.ops })),
        };
        let reply = (!empty).then(|| self.client.submit(request, None));
        async move {
            let Some(reply) = reply else {
                return Ok(Vec::new());
            };
            let multi = match reply.await? {
                Response::Multi(multi) => multi,
                other => return Err(unexpected(&other)),
            };
            Ok(multi
                .results
                .into_iter()
                .map(|result| match result {
                    MultiResult::GetData { data, stat } => Ok(ReadResult::Data {
                        data: data.unwrap_or_default(),
                        stat,
                    }),
                    MultiResult::GetChildren { children } => Ok(ReadResult::Children { children }),
                    MultiResult::Error { err } => Err(Error::from(err)),
                    other => Err(Error::Protocol(format!(
                        "unexpected multiRead result {:?}",
                        other.op()
                    ))),
                })
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_multi_keeps_every_code() {
        let results = zk_proto::MultiResponse::failed(3, 1, ErrorCode::BadVersion).results;
        let err = write_results(results, &Chroot::default()).unwrap_err();
        let Error::Multi(multi) = err else {
            panic!("not a multi error: {err:?}")
        };
        assert_eq!(multi.index, 1);
        assert_eq!(multi.error(), Error::BadVersion);
        assert_eq!(
            multi.results,
            [
                ErrorCode::Ok,
                ErrorCode::BadVersion,
                ErrorCode::RuntimeInconsistency
            ]
        );
    }

    #[test]
    fn create_paths_lose_the_chroot() {
        let chroot = Chroot::new("/app").unwrap();
        let results = vec![
            MultiResult::Create {
                path: "/app/a".into(),
            },
            MultiResult::Delete,
        ];
        assert_eq!(
            write_results(results, &chroot).unwrap(),
            [
                OpResult::Create {
                    path: "/a".into(),
                    stat: None
                },
                OpResult::Delete
            ]
        );
    }
}
