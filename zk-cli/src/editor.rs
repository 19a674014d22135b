//! [`LineEditor`]: the interactive shell's line editing (rustyline) on a thread of its own,
//! with persistent history (`~/.zk_cli_history`) and tab completion of command names and
//! znode paths.
//!
//! rustyline blocks the thread that reads, so it runs beside the async shell: the shell asks
//! for a line with a prompt and awaits the answer, and prints watch events meanwhile through
//! rustyline's external printer, which redraws the prompt around them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, ExternalPrinter as _, Helper};
use tokio::sync::mpsc;
use zk_client::Client;

use crate::commands::COMMANDS;

/// What the reading thread answers.
#[derive(Debug)]
pub enum Input {
    /// A line.
    Line(String),
    /// Ctrl-C: discard the line.
    Interrupted,
    /// Ctrl-D or a closed terminal.
    Eof,
}

/// The client completion asks for children, replaced when the shell reconnects.
pub type CompletionClient = Arc<Mutex<Option<Client>>>;

/// Completes command names (first word) and znode paths (words starting with `/`).
struct ShellHelper {
    client: CompletionClient,
    runtime: tokio::runtime::Handle,
}

impl ShellHelper {
    fn children(&self, parent: &str) -> Vec<String> {
        let client = self
            .client
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(client) = client else {
            return Vec::new();
        };
        let listing = client.get_children(parent);
        let found = self
            .runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(2), listing).await });
        let mut children = match found {
            Ok(Ok(children)) => children,
            _ => Vec::new(),
        };
        children.sort();
        children
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos].rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = &line[start..pos];
        if start == 0 || line[..start].trim().is_empty() {
            let mut names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
            names.extend(["connect", "history", "redo", "printwatches", "quit"]);
            names.sort_unstable();
            names.dedup();
            let pairs = names
                .into_iter()
                .filter(|n| n.starts_with(word))
                .map(|n| Pair {
                    display: n.to_owned(),
                    replacement: format!("{n} "),
                })
                .collect();
            return Ok((start, pairs));
        }
        if !word.starts_with('/') {
            return Ok((start, Vec::new()));
        }
        let cut = word.rfind('/').unwrap_or(0);
        let (parent, prefix) = (&word[..cut.max(1)], &word[cut + 1..]);
        let base = if parent == "/" { "" } else { parent };
        let pairs = self
            .children(parent)
            .into_iter()
            .filter(|c| c.starts_with(prefix))
            .map(|c| Pair {
                display: c.clone(),
                replacement: format!("{base}/{c}"),
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {}

impl Validator for ShellHelper {}

impl Helper for ShellHelper {}

/// The reading thread, driven from the async shell.
pub struct LineEditor {
    prompts: std::sync::mpsc::Sender<String>,
    inputs: mpsc::UnboundedReceiver<Input>,
    printer: Box<dyn FnMut(String) + Send>,
    pending: bool,
}

impl std::fmt::Debug for LineEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineEditor")
            .field("pending", &self.pending)
            .finish()
    }
}

/// `~/.zk_cli_history`.
pub fn history_file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".zk_cli_history"))
}

impl LineEditor {
    /// Starts the reading thread. Fails if the terminal cannot be set up.
    pub fn start(client: CompletionClient) -> rustyline::Result<LineEditor> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (prompts, prompt_rx) = std::sync::mpsc::channel::<String>();
        let (input_tx, inputs) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Handle::current();
        std::thread::spawn(move || {
            let mut editor: Editor<ShellHelper, rustyline::history::DefaultHistory> =
                match Editor::new() {
                    Ok(editor) => editor,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
            editor.set_helper(Some(ShellHelper { client, runtime }));
            let history = history_file();
            if let Some(file) = &history {
                let _ = editor.load_history(file);
            }
            match editor.create_external_printer() {
                Ok(printer) => {
                    let _ = ready_tx.send(Ok(printer));
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            }
            while let Ok(prompt) = prompt_rx.recv() {
                let input = match editor.readline(&prompt) {
                    Ok(line) => {
                        if !line.trim().is_empty() {
                            let _ = editor.add_history_entry(line.as_str());
                            if let Some(file) = &history {
                                let _ = editor.save_history(file);
                            }
                        }
                        Input::Line(line)
                    }
                    Err(ReadlineError::Interrupted) => Input::Interrupted,
                    Err(_) => Input::Eof,
                };
                if input_tx.send(input).is_err() {
                    break;
                }
            }
        });
        let mut printer = ready_rx
            .recv()
            .map_err(|_| rustyline::error::ReadlineError::Eof)??;
        Ok(LineEditor {
            prompts,
            inputs,
            printer: Box::new(move |text| {
                let _ = printer.print(text);
            }),
            pending: false,
        })
    }

    /// Shows `prompt` (unless a read is already under way) and waits for the answer.
    pub async fn read(&mut self, prompt: &str) -> Input {
        if !self.pending {
            if self.prompts.send(prompt.to_owned()).is_err() {
                return Input::Eof;
            }
            self.pending = true;
        }
        let input = self.inputs.recv().await.unwrap_or(Input::Eof);
        self.pending = false;
        input
    }

    /// Prints text above the prompt (watch events).
    pub fn print(&mut self, text: String) {
        (self.printer)(text);
    }
}
