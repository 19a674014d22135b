//! Znode path validation, exactly as ZooKeeper's `PathUtils.validatePath`.
//!
//! A valid path is non-empty, starts with `/`, has no trailing `/` (except `/` itself), no empty
//! component, no `.` or `..` component, no NUL, and no character in U+0001–U+001F,
//! U+007F–U+009F, U+D800–U+F8FF or U+FFF0–U+FFFF. Java checks UTF-16 code units, so every
//! character outside the Basic Multilingual Plane (a surrogate pair in Java) is invalid too.
//!
//! ```
//! use zk_proto::path::{validate_path, validate_sequential_path};
//! assert!(validate_path("/app/lock-").is_ok());
//! assert_eq!(validate_path("/a//b").unwrap_err().to_string(),
//!            "Invalid path string \"/a//b\" caused by empty node name specified @3");
//! // A sequential create may end in '/': the server appends the 10-digit suffix.
//! assert!(validate_sequential_path("/queue/").is_ok());
//! ```

use std::fmt;

/// Why a path is invalid, with Java's wording (`IllegalArgumentException` messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PathError {
    /// The path as given.
    pub path: String,
    /// Java's reason text, e.g. `empty node name specified @3`.
    pub reason: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Invalid path string \"{}\" caused by {}",
            self.path, self.reason
        )
    }
}

/// Validates a path for a sequential create: as ZooKeeper does, the path plus a suffix digit
/// must be valid (so `/a/` is allowed, becoming `/a/0000000001`).
pub fn validate_sequential_path(path: &str) -> Result<(), PathError> {
    validate_path(&format!("{path}1")).map_err(|mut e| {
        e.path = path.to_owned();
        e
    })
}

/// Validates a znode path (see the module docs for the rules).
pub fn validate_path(path: &str) -> Result<(), PathError> {
    let fail = |reason: String| {
        Err(PathError {
            path: path.to_owned(),
            reason,
        })
    };
    if path.is_empty() {
        return fail("Path length must be > 0".into());
    }
    if !path.starts_with('/') {
        return fail("Path must start with / character".into());
    }
    if path.len() == 1 {
        return Ok(());
    }
    if path.ends_with('/') {
        return fail("Path must not end with / character".into());
    }
    // One pass over the chars with the two before and the one after at hand (no allocation:
    // every request path goes through here). `i` counts chars, as the error positions do.
    let mut chars = path.chars().peekable();
    let (mut before_last, mut last) = ('\0', chars.next().expect("starts with /"));
    let mut i = 1;
    while let Some(c) = chars.next() {
        let ends_component = matches!(chars.peek(), None | Some('/'));
        if c == '\0' {
            return fail(format!("null character not allowed @{i}"));
        } else if c == '/' && last == '/' {
            return fail(format!("empty node name specified @{i}"));
        } else if c == '.' && last == '.' {
            if before_last == '/' && ends_component {
                return fail(format!("relative paths not allowed @{i}"));
            }
        } else if c == '.' {
            if last == '/' && ends_component {
                return fail(format!("relative paths not allowed @{i}"));
            }
        } else if is_forbidden(c) {
            return fail(format!("invalid character @{i}"));
        }
        (before_last, last) = (last, c);
        i += 1;
    }
    Ok(())
}

fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0001}'..='\u{001f}'
        | '\u{007f}'..='\u{009f}'
        | '\u{e000}'..='\u{f8ff}'   // U+D800–U+DFFF cannot be a Rust char; the rest of Java's range
        | '\u{fff0}'..='\u{ffff}'
        | '\u{10000}'..) // a surrogate pair in Java's UTF-16
}

/// The parent of a valid path: `/a/b` → `/a`, `/a` → `/`; `None` for `/`.
pub fn parent(path: &str) -> Option<&str> {
    match path.rfind('/') {
        _ if path == "/" => None,
        Some(0) => Some("/"),
        Some(i) => Some(&path[..i]),
        None => None,
    }
}

/// The last component of a valid path: `/a/b` → `b`, `/` → ``.
pub fn basename(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Java's `PathUtils.validatePath` loop, transcribed index for index over a char array:
    /// the oracle the allocation-free pass must agree with.
    fn validate_by_index(path: &str) -> Result<(), String> {
        if path.is_empty() || !path.starts_with('/') {
            return Err("prefix".into());
        }
        if path.len() == 1 {
            return Ok(());
        }
        if path.ends_with('/') {
            return Err("suffix".into());
        }
        let chars: Vec<char> = path.chars().collect();
        for i in 1..chars.len() {
            let (c, last) = (chars[i], chars[i - 1]);
            let ends = i + 1 == chars.len() || chars[i + 1] == '/';
            let bad = c == '\0'
                || (c == '/' && last == '/')
                || (c == '.' && last == '.' && chars[i - 2] == '/' && ends)
                || (c == '.' && last == '/' && ends)
                || (c != '.' && c != '/' && is_forbidden(c));
            if bad {
                return Err(format!("@{i}"));
            }
        }
        Ok(())
    }

    quickcheck::quickcheck! {
        /// Paths built from the characters that matter ('/', '.', NUL, a forbidden control
        /// char, a plain letter, a non-ASCII letter) are accepted or refused, at the same
        /// char position, exactly as the index-based loop does.
        fn one_pass_validation_agrees_with_the_indexed_loop(picks: Vec<u8>) -> bool {
            let alphabet = ['/', '.', '\0', '\u{1}', 'a', 'é'];
            let path: String = std::iter::once('/')
                .chain(picks.iter().map(|p| alphabet[usize::from(*p) % alphabet.len()]))
                .collect();
            let ours = validate_path(&path).map_err(|e| e.reason);
            match (ours, validate_by_index(&path)) {
                (Ok(()), Ok(())) => true,
                (Err(reason), Err(at)) => at.starts_with('@') == reason.contains('@')
                    && (!at.starts_with('@') || reason.ends_with(&at)),
                _ => false,
            }
        }
    }

    #[test]
    fn java_path_rules() {
        for ok in [
            "/",
            "/a",
            "/a/b.c",
            "/a/...",
            "/.a",
            "/a./b",
            "/zookeeper/quota",
            "/ü/日本",
        ] {
            assert!(validate_path(ok).is_ok(), "{ok} should be valid");
        }
        let cases = [
            ("", "Path length must be > 0"),
            ("a", "Path must start with / character"),
            ("/a/", "Path must not end with / character"),
            ("/a//b", "empty node name specified @3"),
            ("/a/./b", "relative paths not allowed @3"),
            ("/a/..", "relative paths not allowed @4"),
            ("/.", "relative paths not allowed @1"),
            ("/a\0b", "null character not allowed @2"),
            ("/a\u{1}", "invalid character @2"),
            ("/a\u{9f}", "invalid character @2"),
            ("/a\u{f8ff}", "invalid character @2"),
            ("/a\u{fff0}", "invalid character @2"),
            ("/a\u{1F600}", "invalid character @2"),
        ];
        for (path, reason) in cases {
            assert_eq!(validate_path(path).unwrap_err().reason, reason, "{path:?}");
        }
    }

    #[test]
    fn sequential_paths_may_end_in_slash() {
        assert!(validate_sequential_path("/a/").is_ok());
        assert_eq!(validate_sequential_path("/a//").unwrap_err().path, "/a//");
    }

    #[test]
    fn parent_and_basename() {
        assert_eq!(parent("/"), None);
        assert_eq!(parent("/a"), Some("/"));
        assert_eq!(parent("/a/b/c"), Some("/a/b"));
        assert_eq!(basename("/a/b"), "b");
        assert_eq!(basename("/"), "");
    }
}
