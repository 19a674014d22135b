//! The `java.util.Properties` file syntax that `zoo.cfg` really is.
//!
//! Apache ZooKeeper loads `zoo.cfg` with `Properties.load`, so real files use more than
//! `key=value`:
//!
//! - comments are lines whose first non-blank character is `#` or `!`;
//! - the key ends at the first unescaped `=`, `:` or blank, so `key=value`, `key: value` and
//!   `key value` are all the same;
//! - a line ending in an odd number of backslashes continues on the next line, whose leading
//!   blanks are skipped;
//! - `\t`, `\n`, `\r`, `\f`, `\uXXXX` and `\<any>` escapes are decoded in keys and values;
//! - lines end with `\n`, `\r` or `\r\n`; "blank" means space, tab or form feed.
//!
//! Values keep their trailing blanks here, exactly as `Properties` does; ZooKeeper trims keys
//! and values afterwards, and so does [`super::ServerConfig`].
//!
//! Two deliberate differences: `Properties.load(InputStream)` decodes bytes as ISO-8859-1,
//! while [`decode_file`] reads UTF-8 (falling back to ISO-8859-1 for files that are not valid
//! UTF-8), and a leading UTF-8 byte-order mark is skipped instead of becoming part of the first
//! key.

/// One `key=value` entry of a properties file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// The key, escapes decoded.
    pub key: String,
    /// The value, escapes decoded, leading blanks removed, trailing blanks kept.
    pub value: String,
    /// 1-based line number where the entry starts.
    pub line: usize,
}

/// A line that `Properties.load` would reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line number where the entry starts.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Decodes the bytes of a configuration file: UTF-8 if valid (byte-order mark skipped),
/// otherwise ISO-8859-1 as Java does.
pub fn decode_file(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text).to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Parses properties text into entries in file order. Duplicate keys are all returned; the
/// caller decides (Java keeps the last).
pub fn parse_properties(text: &str) -> Result<Vec<Property>, SyntaxError> {
    logical_lines(text)
        .into_iter()
        .map(|(line, chars)| {
            split_entry(&chars)
                .map_err(|reason| SyntaxError { line, reason })
                .map(|(key, value)| Property { key, value, line })
        })
        .collect()
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

fn is_eol(c: char) -> bool {
    matches!(c, '\n' | '\r')
}

/// Splits text into logical lines (comments and blank lines dropped, continuations joined),
/// each with the number of the natural line it starts on. This mirrors
/// `Properties.LineReader.readLine` state for state, quirks included: a comment is recognised
/// whenever the logical line is still empty (even right after a continuation), and a
/// continuation that ends the file yields the line without its backslash.
fn logical_lines(text: &str) -> Vec<(usize, Vec<char>)> {
    let chars: Vec<char> = text.chars().collect();
    let line_of = natural_line_numbers(&chars);
    let mut out = Vec::new();
    let mut buf: Vec<char> = Vec::new();
    let mut start_line = 1;
    let (mut skip_blanks, mut appended_line_begin, mut preceding_backslash, mut skip_lf) =
        (true, false, false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if std::mem::take(&mut skip_lf) && c == '\n' {
            continue;
        }
        if skip_blanks {
            if is_blank(c) || (!appended_line_begin && is_eol(c)) {
                continue;
            }
            skip_blanks = false;
            appended_line_begin = false;
        }
        if buf.is_empty() && (c == '#' || c == '!') {
            // A comment: consume it and its terminator.
            while i < chars.len() {
                i += 1;
                if is_eol(chars[i - 1]) {
                    break;
                }
            }
            skip_blanks = true;
            continue;
        }
        if !is_eol(c) {
            if buf.is_empty() {
                start_line = line_of[i - 1];
            }
            buf.push(c);
            preceding_backslash = c == '\\' && !preceding_backslash;
            continue;
        }
        if buf.is_empty() {
            skip_blanks = true;
            continue;
        }
        if preceding_backslash && i < chars.len() {
            // Continuation: drop the backslash, skip the next line's leading blanks.
            buf.pop();
            skip_blanks = true;
            appended_line_begin = true;
            preceding_backslash = false;
            skip_lf = c == '\r';
            continue;
        }
        if std::mem::take(&mut preceding_backslash) {
            buf.pop();
        }
        out.push((start_line, std::mem::take(&mut buf)));
        skip_blanks = true;
        appended_line_begin = false;
    }
    if !buf.is_empty() {
        if preceding_backslash {
            buf.pop();
        }
        out.push((start_line, buf));
    }
    out
}

/// The 1-based natural line number of every character (`\r\n` counts as one terminator).
fn natural_line_numbers(chars: &[char]) -> Vec<usize> {
    let mut line = 1;
    let mut numbers = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        numbers.push(line);
        if c == '\n' || (c == '\r' && chars.get(i + 1) != Some(&'\n')) {
            line += 1;
        }
    }
    numbers
}

/// Splits a logical line into key and value as `Properties.load0` does.
fn split_entry(line: &[char]) -> Result<(String, String), String> {
    let mut key_len = 0;
    let mut value_start = line.len();
    let mut has_separator = false;
    let mut preceding_backslash = false;
    while key_len < line.len() {
        let c = line[key_len];
        if (c == '=' || c == ':') && !preceding_backslash {
            value_start = key_len + 1;
            has_separator = true;
            break;
        } else if is_blank(c) && !preceding_backslash {
            value_start = key_len + 1;
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
        key_len += 1;
    }
    while value_start < line.len() {
        let c = line[value_start];
        if !is_blank(c) {
            if !has_separator && (c == '=' || c == ':') {
                has_separator = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    let key = unescape(&line[..key_len])?;
    let value = unescape(&line[value_start.min(line.len())..])?;
    Ok((key, value))
}

/// Decodes `\uXXXX`, `\t`, `\n`, `\r`, `\f` and `\<any>` as `Properties.loadConvert` does.
fn unescape(chars: &[char]) -> Result<String, String> {
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&escaped) = chars.get(i) else {
            // A lone trailing backslash cannot survive line joining; keep Java's behaviour of
            // dropping it.
            break;
        };
        i += 1;
        match escaped {
            'u' => {
                let hex: String = chars
                    .get(i..i + 4)
                    .map(|h| h.iter().collect())
                    .unwrap_or_default();
                let code = (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .ok_or_else(|| "malformed \\uXXXX escape".to_owned())?;
                i += 4;
                // Java strings are UTF-16: a lone surrogate cannot be represented in Rust, so
                // it becomes the replacement character instead of failing the whole file.
                out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\u{c}'),
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(String, String, usize)> {
        parse_properties(text)
            .unwrap()
            .into_iter()
            .map(|p| (p.key, p.value, p.line))
            .collect()
    }

    fn kv(key: &str, value: &str, line: usize) -> (String, String, usize) {
        (key.to_owned(), value.to_owned(), line)
    }

    #[test]
    fn separators_equals_colon_and_blank_are_equivalent() {
        let got = entries("a=1\nb:2\nc 3\nd = 4\ne\t:\t5\nf  =  =6\n");
        assert_eq!(
            got,
            vec![
                kv("a", "1", 1),
                kv("b", "2", 2),
                kv("c", "3", 3),
                kv("d", "4", 4),
                kv("e", "5", 5),
                kv("f", "=6", 6)
            ]
        );
    }

    #[test]
    fn comments_and_blank_lines_are_skipped_with_line_numbers_kept() {
        let got = entries("# comment\n! also\n\n   \n  tickTime=2000\n\t# indented comment\nx=y");
        assert_eq!(got, vec![kv("tickTime", "2000", 5), kv("x", "y", 7)]);
    }

    #[test]
    fn trailing_blanks_are_kept_in_values_leading_blanks_dropped() {
        assert_eq!(
            entries("dataDir=   /var/zk   \n"),
            vec![kv("dataDir", "/var/zk   ", 1)]
        );
    }

    #[test]
    fn backslash_continues_the_line_and_skips_leading_blanks() {
        let got = entries("4lw.commands.whitelist=ruok, \\\n    srvr, \\\n    mntr\nnext=1\n");
        assert_eq!(
            got,
            vec![
                kv("4lw.commands.whitelist", "ruok, srvr, mntr", 1),
                kv("next", "1", 4)
            ]
        );
    }

    #[test]
    fn even_number_of_backslashes_does_not_continue() {
        assert_eq!(
            entries("a=x\\\\\nb=y\n"),
            vec![kv("a", "x\\", 1), kv("b", "y", 2)]
        );
    }

    #[test]
    fn comment_lines_do_not_continue() {
        assert_eq!(entries("# comment \\\na=1\n"), vec![kv("a", "1", 2)]);
    }

    #[test]
    fn continuation_line_starting_with_hash_is_content() {
        assert_eq!(entries("a=1\\\n#2\n"), vec![kv("a", "1#2", 1)]);
    }

    #[test]
    fn blank_continuation_line_ends_the_entry() {
        assert_eq!(
            entries("a=1\\\n\nb=2\n"),
            vec![kv("a", "1", 1), kv("b", "2", 3)]
        );
    }

    // The next three are java.util.Properties quirks, found by comparing this parser with
    // Properties.load on 20,000 random inputs.
    #[test]
    fn comment_after_a_continuation_that_left_the_line_empty_is_a_comment() {
        assert_eq!(entries("\\\n# c\nk=v\n"), vec![kv("k", "v", 3)]);
    }

    #[test]
    fn lone_backslash_before_a_blank_line_yields_nothing() {
        assert_eq!(entries("\\\n\nk=v"), vec![kv("k", "v", 3)]);
    }

    #[test]
    fn continuation_at_end_of_file_yields_the_line_even_if_empty() {
        assert_eq!(entries("a=1\\\n"), vec![kv("a", "1", 1)]);
        assert_eq!(entries("\\\n"), vec![kv("", "", 1)]);
    }

    #[test]
    fn backslash_at_end_of_file_is_dropped() {
        assert_eq!(entries("a=1\\"), vec![kv("a", "1", 1)]);
    }

    #[test]
    fn crlf_and_cr_line_endings_count_as_one_line() {
        assert_eq!(
            entries("a=1\r\nb=2\rc=3\r\n"),
            vec![kv("a", "1", 1), kv("b", "2", 2), kv("c", "3", 3)]
        );
        assert_eq!(
            entries("a=1\\\r\n  2\r\nb=3"),
            vec![kv("a", "12", 1), kv("b", "3", 3)]
        );
    }

    #[test]
    fn escapes_are_decoded_in_keys_and_values() {
        let got = entries("my\\ key\\=x=\\u0041\\tb\\:c\\\\d\\q\n");
        assert_eq!(got, vec![kv("my key=x", "A\tb:c\\dq", 1)]);
    }

    #[test]
    fn key_without_value_has_empty_value() {
        assert_eq!(
            entries("lonely\nother=\n"),
            vec![kv("lonely", "", 1), kv("other", "", 2)]
        );
    }

    #[test]
    fn malformed_unicode_escape_is_an_error_with_its_line() {
        let err = parse_properties("a=1\nb=\\u12x4\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("\\uXXXX"), "{}", err.reason);
    }

    #[test]
    fn decode_file_reads_utf8_and_falls_back_to_latin1() {
        assert_eq!(
            decode_file("\u{feff}dataDir=/données".as_bytes()),
            "dataDir=/données"
        );
        assert_eq!(decode_file(b"a=caf\xe9"), "a=café");
    }
}
