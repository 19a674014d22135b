//! zk-cli's integration tests, in one binary: transcripts compared with Apache's zkCli,
//! one-shot exit codes and JSON output, dump/restore, and lock/elect mutual exclusion.

mod backup;
mod harness;
mod one_shot;
mod recipes;
mod transcript;
