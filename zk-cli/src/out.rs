//! [`Out`]: where a command's output goes.
//!
//! Commands write into an `Out` rather than to the terminal, so that the shell can print the
//! watch events a command's own requests triggered *before* the command's output (as zkCli
//! usually shows them) and so that tests can run commands in-process. Long-running commands
//! (`watch`, `lock`, `cluster status`) call [`Out::flush`] to show output as it comes.

use std::io::Write;

/// Which stream a chunk belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Buffered command output, in the order written.
#[derive(Debug, Default)]
pub struct Out {
    chunks: Vec<(Stream, String)>,
    /// Print straight to the terminal instead of buffering.
    pub unbuffered: bool,
}

impl Out {
    /// Writes `text` to standard output.
    pub fn out(&mut self, text: impl Into<String>) {
        self.push(Stream::Stdout, text.into());
    }

    /// Writes `text` and a newline to standard output (Java's `out.println`).
    pub fn outln(&mut self, text: impl AsRef<str>) {
        self.push(Stream::Stdout, format!("{}\n", text.as_ref()));
    }

    /// Writes `text` and a newline to standard error.
    pub fn errln(&mut self, text: impl AsRef<str>) {
        self.push(Stream::Stderr, format!("{}\n", text.as_ref()));
    }

    fn push(&mut self, stream: Stream, text: String) {
        if self.unbuffered {
            write_to(stream, &text);
        } else {
            self.chunks.push((stream, text));
        }
    }

    /// Takes the buffered chunks.
    pub fn take(&mut self) -> Vec<(Stream, String)> {
        std::mem::take(&mut self.chunks)
    }

    /// Everything buffered for standard output, concatenated (for tests).
    pub fn stdout_text(&self) -> String {
        self.text_of(Stream::Stdout)
    }

    /// Everything buffered for standard error, concatenated (for tests).
    pub fn stderr_text(&self) -> String {
        self.text_of(Stream::Stderr)
    }

    fn text_of(&self, stream: Stream) -> String {
        self.chunks
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    /// Writes the buffered chunks to the terminal.
    pub fn flush(&mut self) {
        for (stream, text) in self.take() {
            write_to(stream, &text);
        }
    }
}

/// Writes to the process's stdout or stderr, ignoring a closed pipe (`zk-cli ... | head`).
pub fn write_to(stream: Stream, text: &str) {
    match stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
        Stream::Stderr => {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        }
    }
}
