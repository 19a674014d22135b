//! Splitting a command line into words and parsing command options, the way zkCli does.
//!
//! - [`split_line`] is `ZooKeeperMain.MyCommandOptions.parseCommand`: words are runs of
//!   non-space characters, or text in matching `"` or `'` quotes (quotes stripped); a quote
//!   with no partner is skipped.
//! - [`parse_options`] is Apache commons-cli's `DefaultParser` as zkCli uses it: options may
//!   come anywhere (`deleteall /a -b 10`), short flags may be joined (`-es`), a value may be
//!   attached (`-v3`), `--` ends the options, and the errors carry commons-cli's exact text
//!   (`org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -b`).

use std::collections::HashMap;

use crate::error::CliError;

/// One option a command accepts.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    /// The name after the dash (`s`, `v`, `members`).
    pub name: &'static str,
    /// True if the option takes a value.
    pub takes_value: bool,
    /// commons-cli's description, used only in `MissingOptionException` messages.
    pub description: &'static str,
}

impl Opt {
    /// A flag without a value.
    pub const fn flag(name: &'static str) -> Opt {
        Opt {
            name,
            takes_value: false,
            description: "",
        }
    }

    /// An option with a value.
    pub const fn value(name: &'static str) -> Opt {
        Opt {
            name,
            takes_value: true,
            description: "",
        }
    }

    /// An option with a value and a description.
    pub const fn described(
        name: &'static str,
        takes_value: bool,
        description: &'static str,
    ) -> Opt {
        Opt {
            name,
            takes_value,
            description,
        }
    }
}

/// The result of [`parse_options`]: the options seen (with their last value) and the other
/// words, the command name first.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    options: HashMap<&'static str, Option<String>>,
    order: Vec<&'static str>,
    /// The words that are not options, starting with the command name.
    pub args: Vec<String>,
}

impl Parsed {
    /// True if the option was given.
    pub fn has(&self, name: &str) -> bool {
        self.options.contains_key(name)
    }

    /// The option's value, if given with one.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.options.get(name).and_then(|v| v.as_deref())
    }

    /// The argument at `index` (0 is the command name).
    pub fn arg(&self, index: usize) -> Option<&str> {
        self.args.get(index).map(String::as_str)
    }

    /// The options in the order given (for mutually exclusive groups).
    pub fn given(&self) -> &[&'static str] {
        &self.order
    }
}

/// Splits a line into words as zkCli does (see the module docs).
pub fn split_line(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_java_space(c) {
            i += 1;
        } else if c == '"' || c == '\'' {
            match chars[i + 1..].iter().position(|&d| d == c) {
                Some(len) => {
                    words.push(chars[i + 1..i + 1 + len].iter().collect());
                    i += len + 2;
                }
                // The regex cannot match at an unpartnered quote and moves past it.
                None => i += 1,
            }
        } else {
            let start = i;
            while i < chars.len() && !is_java_space(chars[i]) {
                i += 1;
            }
            words.push(chars[start..i].iter().collect());
        }
    }
    words
}

/// Java's `\s`: ASCII whitespace only.
fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

fn unrecognized(token: &str) -> CliError {
    CliError::Usage(format!(
        "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: {token}"
    ))
}

fn missing_argument(name: &str) -> CliError {
    CliError::Usage(format!(
        "org.apache.commons.cli.MissingArgumentException: Missing argument for option: {name}"
    ))
}

/// Parses `words` (the command name first) against `spec`.
pub fn parse_options(spec: &[Opt], words: &[String]) -> Result<Parsed, CliError> {
    let find = |name: &str| spec.iter().find(|o| o.name == name);
    let mut parsed = Parsed::default();
    let mut i = 0;
    let mut only_args = false;
    while i < words.len() {
        let token = &words[i];
        i += 1;
        if only_args || !token.starts_with('-') || token == "-" {
            parsed.args.push(token.clone());
            continue;
        }
        if token == "--" {
            only_args = true;
            continue;
        }
        if token.starts_with("--") {
            return Err(unrecognized(token));
        }
        let body = &token[1..];
        let (name, attached) = match body.split_once('=') {
            Some((n, v)) if find(n).is_some_and(|o| o.takes_value) => (n, Some(v.to_owned())),
            _ => (body, None),
        };
        if let Some(opt) = find(name) {
            let value = if !opt.takes_value {
                None
            } else if attached.is_some() {
                attached
            } else {
                // commons-cli takes the next word as the value unless it is itself an option
                // (a negative number is a value).
                match words.get(i) {
                    Some(next) if !is_option(spec, next) || is_negative_number(next) => {
                        i += 1;
                        Some(next.clone())
                    }
                    _ => return Err(missing_argument(opt.name)),
                }
            };
            parsed.set(opt.name, value);
            continue;
        }
        concatenated(spec, token, &mut parsed)?;
    }
    Ok(parsed)
}

/// `-es` (two flags) or `-v3` (an option with its value attached).
fn concatenated(spec: &[Opt], token: &str, parsed: &mut Parsed) -> Result<(), CliError> {
    let body = &token[1..];
    for (at, c) in body.char_indices() {
        let name = &body[at..at + c.len_utf8()];
        let Some(opt) = spec.iter().find(|o| o.name == name) else {
            return Err(unrecognized(token));
        };
        if opt.takes_value {
            let rest = &body[at + c.len_utf8()..];
            if rest.is_empty() {
                return Err(missing_argument(opt.name));
            }
            parsed.set(opt.name, Some(rest.to_owned()));
            return Ok(());
        }
        parsed.set(opt.name, None);
    }
    Ok(())
}

impl Parsed {
    fn set(&mut self, name: &'static str, value: Option<String>) {
        if !self.options.contains_key(name) {
            self.order.push(name);
        }
        self.options.insert(name, value);
    }
}

fn is_option(spec: &[Opt], token: &str) -> bool {
    token.len() > 1
        && token.starts_with('-')
        && spec.iter().any(|o| {
            let body = &token[1..];
            o.name == body || body.starts_with(o.name) && o.name.len() == 1
        })
}

fn is_negative_number(token: &str) -> bool {
    token.starts_with('-') && token[1..].parse::<f64>().is_ok()
}

/// commons-cli's `AlreadySelectedException` / `MissingOptionException` for a group of
/// mutually exclusive options (`setquota -n|-b|-N|-B`).
pub fn check_group(parsed: &Parsed, group: &[Opt], required: bool) -> Result<(), CliError> {
    let chosen: Vec<&str> = parsed
        .given()
        .iter()
        .copied()
        .filter(|n| group.iter().any(|o| o.name == *n))
        .collect();
    if chosen.len() > 1 {
        return Err(CliError::Usage(format!(
            "org.apache.commons.cli.AlreadySelectedException: The option '{}' was specified but \
             an option from this group has already been selected: '{}'",
            chosen[1], chosen[0]
        )));
    }
    if required && chosen.is_empty() {
        let names: Vec<String> = group
            .iter()
            .map(|o| format!("-{} {}", o.name, o.description))
            .collect();
        return Err(CliError::Usage(format!(
            "org.apache.commons.cli.MissingOptionException: Missing required option: [{}]",
            names.join(", ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn split_line_strips_matched_quotes_and_skips_lone_ones() {
        assert_eq!(split_line("  ls   /a "), words(&["ls", "/a"]));
        assert_eq!(
            split_line("create /a \"x y\" 'p q'"),
            words(&["create", "/a", "x y", "p q"])
        );
        assert_eq!(split_line("set /a \"open"), words(&["set", "/a", "open"]));
        assert_eq!(
            split_line("set /a b\"c d\""),
            words(&["set", "/a", "b\"c", "d\""])
        );
        assert!(split_line("   ").is_empty());
    }

    #[test]
    fn options_parse_like_commons_cli() {
        let spec = [Opt::flag("s"), Opt::flag("e"), Opt::value("v")];
        let p = parse_options(&spec, &words(&["create", "-es", "/a", "-v", "3", "d"])).unwrap();
        assert!(p.has("e") && p.has("s"));
        assert_eq!(p.value("v"), Some("3"));
        assert_eq!(p.args, words(&["create", "/a", "d"]));
        let p = parse_options(&spec, &words(&["set", "-v3", "/a", "--", "-x"])).unwrap();
        assert_eq!((p.value("v"), p.args.len()), (Some("3"), 3));
        let p = parse_options(&spec, &words(&["set", "-v", "-1", "/a"])).unwrap();
        assert_eq!(p.value("v"), Some("-1"));
    }

    #[test]
    fn option_errors_carry_commons_cli_text() {
        let spec = [Opt::flag("s"), Opt::value("v")];
        let err = parse_options(&spec, &words(&["get", "-b", "/a"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -b"
        );
        let err = parse_options(&spec, &words(&["delete", "-v"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "org.apache.commons.cli.MissingArgumentException: Missing argument for option: v"
        );
        assert!(parse_options(&spec, &words(&["create", "/n", "-5"])).is_err());
    }
}
