//! [`Shell`]: zkCli's `ZooKeeperMain` — the interactive and piped shell, and one-shot runs.
//!
//! - **Piped** (stdin is not a terminal): reads commands line by line, prints no prompt, and
//!   exits with the status of the last command, as zkCli does.
//! - **Interactive**: the prompt `[zk: host:port(CONNECTED) N] `, line editing, history in
//!   `~/.zk_cli_history`, tab completion ([`crate::editor`]).
//! - **One-shot** (`zk-cli -server h:p ls /`): runs one command and exits 0 on success,
//!   non-zero on failure (127 for an unknown command). Unlike zkCli it prints no banner and
//!   no connection event, so stdout carries only the command's output.
//!
//! zkCli's own commands `connect`, `close`, `quit`, `history`, `redo` and `printwatches` live
//! here; the rest are in [`crate::commands`]. Watch events print as zkCli prints them
//! (`WATCHER::` blocks) while `printwatches` is on, before the output of the command whose
//! requests triggered them.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use tokio::io::AsyncBufReadExt;
use zk_client::{KeeperState, SessionEvent, WatchedEvent};

use crate::commands::{self, Ctx};
use crate::editor::{CompletionClient, Input, LineEditor};
use crate::error::CliError;
use crate::format::watcher_block;
use crate::out::{write_to, Out, Stream as OutStream};
use crate::parse::split_line;
use crate::session::{ConnectOptions, Session};
use crate::watches::WatchSet;

/// How the shell was started.
#[derive(Debug, Clone, Default)]
pub struct ShellOptions {
    /// The connect string (`-server`).
    pub server: String,
    /// Session timeout and read-only acceptance.
    pub connect: ConnectOptions,
    /// `-o json` for every command that has a JSON form.
    pub json: bool,
}

/// The shell's state (zkCli's `ZooKeeperMain` fields).
pub struct Shell {
    options: ShellOptions,
    host: String,
    session: Option<Session>,
    watches: WatchSet,
    print_watches: bool,
    history: HashMap<usize, String>,
    command_count: usize,
    one_shot: bool,
    editor: Option<LineEditor>,
    completion: CompletionClient,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell")
            .field("host", &self.host)
            .field("command_count", &self.command_count)
            .finish()
    }
}

/// What processing a command asks of the loop.
enum Flow {
    Continue,
    Quit,
}

impl Shell {
    /// A shell for `options`, not yet connected.
    pub fn new(options: ShellOptions) -> Shell {
        Shell {
            host: options.server.clone(),
            options,
            session: None,
            watches: WatchSet::default(),
            print_watches: true,
            history: HashMap::new(),
            command_count: 0,
            one_shot: false,
            editor: None,
            completion: CompletionClient::default(),
        }
    }

    /// Runs one command (`words`, the command name first) and returns the exit status.
    pub async fn run_once(mut self, words: Vec<String>) -> i32 {
        self.one_shot = true;
        // zkCli checks the command before the connection is up: an unknown command or bad
        // usage fails without waiting for a server.
        if let Some(name) = words.first() {
            if !commands::is_command(name) && !is_builtin(name) {
                write_to(OutStream::Stderr, &commands::usage_listing());
                let err = CliError::CommandNotFound(name.clone());
                write_to(OutStream::Stderr, &format!("{err}\n"));
                return err.exit_code();
            }
        }
        if let Err(err) = self.connect(&self.options.server.clone(), false).await {
            write_to(OutStream::Stderr, &format!("{err}\n"));
            return err.exit_code();
        }
        let mut out = Out::default();
        let status = match self.process(&words, &mut out).await {
            Ok(_) => 0,
            Err(err) => {
                report(&mut out, &err);
                err.exit_code()
            }
        };
        out.flush();
        self.shutdown().await;
        status
    }

    /// Runs the shell until `quit` or end of input; returns the last command's status.
    pub async fn run_shell(mut self) -> i32 {
        let interactive = std::io::stdin().is_terminal();
        let server = self.options.server.clone();
        write_to(OutStream::Stdout, &format!("Connecting to {server}\n"));
        let connected = self.connect(&server, false).await;
        write_to(OutStream::Stdout, "Welcome to ZooKeeper!\n");
        if !interactive {
            // zkCli's words for "no line editing", which scripts reading its output expect.
            write_to(OutStream::Stdout, "JLine support is disabled\n");
        }
        match connected {
            Ok(()) if self.print_watches => {
                let event = WatchedEvent::session(KeeperState::SyncConnected);
                self.print_text(watcher_block(&event));
            }
            Ok(()) => {}
            Err(err) => write_to(OutStream::Stderr, &format!("{err}\n")),
        }
        self.print_pending();
        if interactive {
            match LineEditor::start(self.completion.clone()) {
                Ok(editor) => self.editor = Some(editor),
                Err(e) => write_to(OutStream::Stderr, &format!("line editing is off: {e}\n")),
            }
        }
        let mut piped = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        let mut status = 0;
        loop {
            let prompt = self.prompt();
            let editor = self.editor.as_mut();
            let line = tokio::select! {
                biased;
                batch = self.watches.next_batch() => {
                    self.print_events(batch);
                    continue;
                }
                event = next_session_event(self.session.as_mut()) => {
                    self.print_session_event(event);
                    continue;
                }
                line = read_line(editor, &mut piped, &prompt) => line,
            };
            let line = match line {
                Input::Line(line) => line,
                Input::Interrupted => continue,
                Input::Eof => break,
            };
            match self.execute_line(&line).await {
                // zkCli exits with the status of the command before `quit`.
                (Flow::Quit, _) => break,
                (Flow::Continue, code) => status = code,
            }
        }
        self.shutdown().await;
        status
    }

    /// zkCli's `executeLine`: records the line in the history, runs it, counts it.
    async fn execute_line(&mut self, line: &str) -> (Flow, i32) {
        let words = split_line(line);
        if words.is_empty() {
            return (Flow::Continue, 0);
        }
        self.history.insert(self.command_count, line.to_owned());
        let mut out = Out::default();
        let outcome = self.process(&words, &mut out).await;
        self.command_count += 1;
        // Events triggered by the command's own requests arrived before its replies: show
        // them first, as zkCli's event thread usually does.
        self.print_pending();
        let (flow, code) = match outcome {
            Ok(flow) => (flow, 0),
            Err(err) => {
                report(&mut out, &err);
                (Flow::Continue, err.exit_code())
            }
        };
        self.emit(out);
        (flow, code)
    }

    /// zkCli's `processZKCmd`.
    async fn process(&mut self, words: &[String], out: &mut Out) -> Result<Flow, CliError> {
        let name = words[0].as_str();
        if !commands::is_command(name) && !is_builtin(name) {
            out.push_usage();
            return Err(CliError::CommandNotFound(name.to_owned()));
        }
        match name {
            "quit" | "exit" => {
                self.close_session().await;
                return Ok(Flow::Quit);
            }
            "redo" if words.len() >= 2 => {
                self.redo(&words[1], out).await?;
            }
            "history" => {
                let first = self.command_count.saturating_sub(10);
                for i in first..=self.command_count {
                    if let Some(line) = self.history.get(&i) {
                        out.outln(format!("{i} - {line}"));
                    }
                }
            }
            "printwatches" => match words.get(1) {
                None => out.outln(format!(
                    "printwatches is {}",
                    if self.print_watches { "on" } else { "off" }
                )),
                Some(value) => self.print_watches = value == "on",
            },
            "connect" => {
                let host = words.get(1).cloned().unwrap_or_else(|| self.host.clone());
                if let Err(err) = self.connect(&host, true).await {
                    report(out, &err);
                }
            }
            "close" if self.alive() => {
                self.close_session().await;
                return Ok(Flow::Continue);
            }
            _ => {}
        }
        if !self.alive() {
            if self.one_shot {
                return Err(CliError::NotConnected);
            }
            out.outln("Not connected");
            return Ok(Flow::Continue);
        }
        if is_builtin(name) {
            return Ok(Flow::Continue);
        }
        let mut ctx = Ctx {
            session: self.session.as_ref(),
            out,
            watches: &mut self.watches,
            json: self.options.json,
        };
        commands::run(&mut ctx, words).await?;
        Ok(Flow::Continue)
    }

    /// zkCli's `redo cmdno`: runs a line of the history again (never a `redo`).
    async fn redo(&mut self, index: &str, out: &mut Out) -> Result<(), CliError> {
        let index: i64 = java_decode(index).ok_or_else(|| {
            CliError::Usage(format!(
                "java.lang.NumberFormatException: For input string: \"{index}\""
            ))
        })?;
        if index < 0 || index >= self.command_count as i64 {
            return Err(CliError::Usage("Command index out of range".into()));
        }
        let line = self
            .history
            .get(&(index as usize))
            .cloned()
            .unwrap_or_default();
        let words = split_line(&line);
        if words.first().map(String::as_str) == Some("redo") {
            return Err(CliError::Usage("No redoing redos".into()));
        }
        self.history.insert(self.command_count, line);
        if let Err(err) = Box::pin(self.process(&words, out)).await {
            report(out, &err);
        }
        Ok(())
    }

    fn alive(&self) -> bool {
        self.session.as_ref().is_some_and(Session::is_alive)
    }

    /// zkCli's prompt: `[zk: host:port(CONNECTED) 3] `.
    fn prompt(&self) -> String {
        let state = self.session.as_ref().map_or("CLOSED", |s| s.state_name());
        format!("[zk: {}({}) {}] ", self.host, state, self.command_count)
    }

    /// Opens a session to `host`, closing the current one first (its `Closed` event prints).
    async fn connect(&mut self, host: &str, print_connected: bool) -> Result<(), CliError> {
        if self.alive() {
            self.close_session().await;
        }
        self.host = host.to_owned();
        self.watches.clear();
        let session = Session::open(host, &self.options.connect).await?;
        *self.completion.lock().unwrap_or_else(|e| e.into_inner()) = Some(session.client.clone());
        self.session = Some(session);
        if print_connected && self.print_watches {
            let event = WatchedEvent::session(KeeperState::SyncConnected);
            self.print_text(watcher_block(&event));
        }
        Ok(())
    }

    /// Closes the session and prints its `Closed` event.
    async fn close_session(&mut self) {
        if let Some(session) = &self.session {
            session.client.close().await;
        }
        self.print_pending();
        self.watches.clear();
    }

    async fn shutdown(&mut self) {
        if let Some(session) = self.session.take() {
            session.client.close().await;
        }
    }

    /// Prints every event that is ready now.
    fn print_pending(&mut self) {
        let batch = self.watches.ready();
        self.print_events(batch);
        let mut events = Vec::new();
        if let Some(session) = self.session.as_mut() {
            let mut cx = Context::from_waker(Waker::noop());
            while let Some(stream) = session.events.as_mut() {
                match Pin::new(stream).poll_next(&mut cx) {
                    Poll::Ready(Some(event)) => events.push(event),
                    Poll::Ready(None) => session.events = None,
                    Poll::Pending => break,
                }
            }
        }
        for event in events {
            self.print_session_event(Some(event));
        }
    }

    fn print_events(&mut self, batch: Vec<WatchedEvent>) {
        for event in batch {
            if self.print_watches && !self.one_shot {
                self.print_text(watcher_block(&event));
            }
        }
    }

    fn print_session_event(&mut self, event: Option<SessionEvent>) {
        let Some(event) = event else {
            // The stream ended (terminal state seen): stop polling it.
            if let Some(session) = self.session.as_mut() {
                session.events = None;
            }
            return;
        };
        let state = match event {
            SessionEvent::Connected | SessionEvent::Reconnected => KeeperState::SyncConnected,
            SessionEvent::ConnectedReadOnly => KeeperState::ConnectedReadOnly,
            SessionEvent::Disconnected => KeeperState::Disconnected,
            SessionEvent::Expired => KeeperState::Expired,
            SessionEvent::AuthFailed => KeeperState::AuthFailed,
            SessionEvent::Closed => KeeperState::Closed,
        };
        if self.print_watches && !self.one_shot {
            self.print_text(watcher_block(&WatchedEvent::session(state)));
        }
    }

    fn print_text(&mut self, text: String) {
        match self.editor.as_mut() {
            Some(editor) => editor.print(text),
            None => write_to(OutStream::Stdout, &text),
        }
    }

    fn emit(&mut self, mut out: Out) {
        if self.editor.is_some() {
            for (stream, text) in out.take() {
                write_to(stream, &text);
            }
        } else {
            out.flush();
        }
    }
}

/// Prints a failed command's message: on stderr, except `Not connected`, which zkCli prints
/// on stdout.
fn report(out: &mut Out, err: &CliError) {
    match err {
        CliError::Reported | CliError::Exit(_) => {}
        CliError::NotConnected => out.outln(err.to_string()),
        _ => out.errln(err.to_string()),
    }
}

impl Out {
    fn push_usage(&mut self) {
        let listing = commands::usage_listing();
        self.errln(listing.trim_end_matches('\n'));
    }
}

/// The commands the shell itself runs.
fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        "quit" | "exit" | "redo" | "history" | "printwatches" | "connect" | "close"
    )
}

/// Java's `Integer.decode`: decimal, `0x`/`#` hex, leading `0` octal, optional sign.
fn java_decode(text: &str) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let value = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(hex) = body.strip_prefix('#') {
        i64::from_str_radix(hex, 16).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        i64::from_str_radix(&body[1..], 8).ok()?
    } else {
        body.parse().ok()?
    };
    Some(if negative { -value } else { value })
}

/// The next session event, or never if there is no session.
async fn next_session_event(session: Option<&mut Session>) -> Option<SessionEvent> {
    match session.and_then(|s| s.events.as_mut()) {
        Some(events) => events.next().await,
        None => std::future::pending().await,
    }
}

/// The next line from the editor, or from piped stdin.
async fn read_line(
    editor: Option<&mut LineEditor>,
    piped: &mut tokio::io::Lines<tokio::io::BufReader<tokio::io::Stdin>>,
    prompt: &str,
) -> Input {
    match editor {
        Some(editor) => editor.read(prompt).await,
        None => match piped.next_line().await {
            Ok(Some(line)) => Input::Line(line),
            _ => Input::Eof,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redo_indexes_decode_as_java_integers() {
        assert_eq!(java_decode("12"), Some(12));
        assert_eq!(java_decode("0x1f"), Some(31));
        assert_eq!(java_decode("010"), Some(8));
        assert_eq!(java_decode("-1"), Some(-1));
        assert_eq!(java_decode("x"), None);
    }
}
