//! Value syntax exactly as the Java code that reads each key parses it.
//!
//! Apache ZooKeeper reads its keys in two ways, and they accept different spellings:
//!
//! - keys that `QuorumPeerConfig` reads itself use `Integer.parseInt` (decimal only) and a
//!   strict boolean (`true`/`false`, any case, anything else is an error);
//! - keys that become system properties use `Integer.getInteger`/`Long.getLong`, which accept
//!   `0x`/`#` hex and leading-zero octal, and various lenient booleans (`"no".equals(v)`,
//!   `"yes".equals(v)`, `Boolean.getBoolean`) that never fail.
//!
//! Where Java silently falls back to a default on a malformed number, we refuse to start: a
//! typo in `snapCount` should not quietly mean 100000. Where Java's lenient boolean gives a
//! surprising but well-defined answer (`forceSync=false` still fsyncs!), we keep Java's answer
//! so a working `zoo.cfg` behaves the same, and the caller warns.

/// Java's `String.trim`: strips every character up to and including U+0020 at both ends.
pub(crate) fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// `Long.parseLong`: optional sign, decimal digits, within `i64`.
pub(crate) fn parse_long(value: &str) -> Result<i64, String> {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected a decimal integer".to_owned());
    }
    value
        .parse::<i64>()
        .map_err(|_| "number out of range".to_owned())
}

/// `Integer.parseInt`: optional sign, decimal digits, within `i32`.
pub(crate) fn parse_int(value: &str) -> Result<i32, String> {
    let n = parse_long(value)?;
    i32::try_from(n).map_err(|_| "number out of range for a 32-bit integer".to_owned())
}

/// `Long.decode` (used by `Long.getLong`): optional sign, then `0x`/`0X`/`#` hex, `0`-prefixed
/// octal, or decimal.
pub(crate) fn decode_long(value: &str) -> Result<i64, String> {
    let (negative, rest) = match value.as_bytes().first() {
        Some(b'-') => (true, &value[1..]),
        Some(b'+') => (false, &value[1..]),
        _ => (false, value),
    };
    let (radix, digits) =
        if let Some(hex) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
            (16, hex)
        } else if let Some(hex) = rest.strip_prefix('#') {
            (16, hex)
        } else if rest.len() > 1 && rest.starts_with('0') {
            (8, &rest[1..])
        } else {
            (10, rest)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(match radix {
            16 => "expected a hexadecimal integer after the 0x prefix",
            8 => "a leading 0 means octal in Java, and this is not an octal integer",
            _ => "expected an integer",
        }
        .to_owned());
    }
    let magnitude =
        i128::from_str_radix(digits, radix).map_err(|_| "number out of range".to_owned())?;
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).map_err(|_| "number out of range".to_owned())
}

/// `Integer.decode` (used by `Integer.getInteger`), within `i32`.
pub(crate) fn decode_int(value: &str) -> Result<i32, String> {
    let n = decode_long(value)?;
    i32::try_from(n).map_err(|_| "number out of range for a 32-bit integer".to_owned())
}

/// `QuorumPeerConfig.parseBoolean`: `true` or `false` in any case, anything else is an error.
pub(crate) fn strict_bool(value: &str) -> Result<bool, String> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err("choose 'true' or 'false'".to_owned())
    }
}

/// How a system-property boolean is read by the Java code that consumes it. All of them accept
/// any value; the answer for a non-canonical spelling is what Java would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LenientBool {
    /// `Boolean.getBoolean` / `Boolean.parseBoolean`: true only for `true` (any case).
    TrueIgnoreCase,
    /// `!"no".equals(v)`: false only for exactly `no` (`forceSync`, `leaderServes`).
    UnlessNo,
    /// `"yes".equals(v)`: true only for exactly `yes` (`skipACL`).
    OnlyYes,
    /// `!"false".equals(v)`: false only for exactly `false` (`admin.enableServer`).
    UnlessFalse,
}

impl LenientBool {
    /// Java's answer for `value`, and whether the value was one of the spellings the Java code
    /// was written for (if not, the caller warns that the answer may surprise).
    pub(crate) fn read(self, value: &str) -> (bool, bool) {
        match self {
            LenientBool::TrueIgnoreCase => {
                let on = value.eq_ignore_ascii_case("true");
                (on, on || value.eq_ignore_ascii_case("false"))
            }
            LenientBool::UnlessNo => (value != "no", value == "no" || value == "yes"),
            LenientBool::OnlyYes => (value == "yes", value == "yes" || value == "no"),
            LenientBool::UnlessFalse => (value != "false", value == "false" || value == "true"),
        }
    }

    /// The spelling that turns the setting off, for warning messages.
    pub(crate) fn canonical(self, on: bool) -> &'static str {
        match (self, on) {
            (LenientBool::UnlessNo | LenientBool::OnlyYes, true) => "yes",
            (LenientBool::UnlessNo | LenientBool::OnlyYes, false) => "no",
            (_, true) => "true",
            (_, false) => "false",
        }
    }
}

/// A TCP port: `Integer.parseInt` then `InetSocketAddress`'s range check.
pub(crate) fn parse_port(value: &str) -> Result<u16, String> {
    let n = parse_int(value)?;
    u16::try_from(n).map_err(|_| format!("port out of range: {n} (0..=65535)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_int_is_decimal_only_like_integer_parse_int() {
        assert_eq!(parse_int("2000"), Ok(2000));
        assert_eq!(parse_int("+5"), Ok(5));
        assert_eq!(parse_int("-1"), Ok(-1));
        assert!(parse_int("0x10").is_err());
        assert!(parse_int("2 000").is_err());
        assert!(parse_int("").is_err());
        assert!(parse_int("-").is_err());
        assert!(parse_int("2147483648").is_err());
        assert_eq!(parse_int("010"), Ok(10));
    }

    #[test]
    fn decode_accepts_hex_hash_and_octal_like_integer_decode() {
        assert_eq!(decode_int("0xfffff"), Ok(0xfffff));
        assert_eq!(decode_int("0XFF"), Ok(255));
        assert_eq!(decode_int("#10"), Ok(16));
        assert_eq!(decode_int("010"), Ok(8));
        assert_eq!(decode_int("0"), Ok(0));
        assert_eq!(decode_int("-0x10"), Ok(-16));
        assert_eq!(decode_int("4194304"), Ok(4_194_304));
        assert!(decode_int("08").is_err());
        assert!(decode_int("0x").is_err());
        assert!(decode_int("0x-1").is_err());
        assert!(decode_int("1e3").is_err());
        assert!(decode_int("0x80000000").is_err());
        assert_eq!(decode_int("-0x80000000"), Ok(i32::MIN));
    }

    #[test]
    fn strict_bool_accepts_only_true_and_false() {
        assert_eq!(strict_bool("TRUE"), Ok(true));
        assert_eq!(strict_bool("false"), Ok(false));
        assert!(strict_bool("yes").is_err());
        assert!(strict_bool("1").is_err());
    }

    #[test]
    fn lenient_bools_give_javas_answers() {
        // forceSync=false keeps fsync on in Apache ZooKeeper: only "no" turns it off.
        assert_eq!(LenientBool::UnlessNo.read("false"), (true, false));
        assert_eq!(LenientBool::UnlessNo.read("no"), (false, true));
        assert_eq!(LenientBool::UnlessNo.read("NO"), (true, false));
        assert_eq!(LenientBool::OnlyYes.read("true"), (false, false));
        assert_eq!(LenientBool::OnlyYes.read("yes"), (true, true));
        assert_eq!(LenientBool::TrueIgnoreCase.read("True"), (true, true));
        assert_eq!(LenientBool::TrueIgnoreCase.read("yes"), (false, false));
        assert_eq!(LenientBool::UnlessFalse.read("no"), (true, false));
        assert_eq!(LenientBool::UnlessFalse.read("false"), (false, true));
    }

    #[test]
    fn java_trim_strips_control_characters_too() {
        assert_eq!(java_trim("\u{1} 2000 \t\r"), "2000");
        assert_eq!(java_trim("a b"), "a b");
    }

    #[test]
    fn ports_are_range_checked() {
        assert_eq!(parse_port("2181"), Ok(2181));
        assert!(parse_port("99999").unwrap_err().contains("out of range"));
        assert!(parse_port("-1").is_err());
    }
}
