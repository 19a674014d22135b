//! [`FourLetterWord`]: the admin commands a fresh client connection may send instead of a
//! ConnectRequest (`ruok`, `srvr`, `mntr`, ...).
//!
//! The server reads the first 4 bytes of every new connection as a frame length. If they spell
//! a known command, the connection is an admin command instead: the server writes the text
//! answer and closes the connection. No real frame length collides, because every command,
//! read as a big-endian `int`, is larger than the largest allowed frame. `stmk` is followed by
//! an 8-byte trace mask. Which commands run is decided by `4lw.commands.whitelist` (default:
//! only `srvr`); that policy belongs to the server.
//!
//! ```
//! use zk_proto::FourLetterWord;
//! assert_eq!(FourLetterWord::from_prefix(b"ruok"), Some(FourLetterWord::Ruok));
//! assert_eq!(FourLetterWord::from_prefix(&[0, 0, 0, 45]), None); // a ConnectRequest length
//! assert_eq!(FourLetterWord::Mntr.as_str(), "mntr");
//! ```

/// One of the 18 four-letter-word commands of ZooKeeper 3.8/3.9 (`FourLetterCommands`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FourLetterWord {
    /// `conf`: the server's configuration as `key=value` lines.
    Conf,
    /// `cons`: one line per connection.
    Cons,
    /// `crst`: reset connection statistics.
    Crst,
    /// `dirs`: data and log directory sizes.
    Dirs,
    /// `dump`: sessions and their ephemerals.
    Dump,
    /// `envi`: the server's environment.
    Envi,
    /// `gtmk`: the trace mask, in decimal.
    Gtmk,
    /// `ruok`: answers `imok` (no newline).
    Ruok,
    /// `stmk`: set the trace mask (an 8-byte long follows the command).
    Stmk,
    /// `srst`: reset server statistics.
    Srst,
    /// `srvr`: version, latency, counts, zxid and mode. The only command enabled by default.
    Srvr,
    /// `stat`: `srvr` plus the connection list.
    Stat,
    /// `wchc`: watches by session.
    Wchc,
    /// `wchp`: watches by path.
    Wchp,
    /// `wchs`: watch summary.
    Wchs,
    /// `mntr`: metrics as `zk_<key>\t<value>` lines.
    Mntr,
    /// `isro`: `rw` or `ro` (no newline).
    Isro,
    /// `hash`: the tree digest history.
    Hash,
}

impl FourLetterWord {
    /// Every command, in declaration order.
    pub const ALL: [FourLetterWord; 18] = [
        FourLetterWord::Conf,
        FourLetterWord::Cons,
        FourLetterWord::Crst,
        FourLetterWord::Dirs,
        FourLetterWord::Dump,
        FourLetterWord::Envi,
        FourLetterWord::Gtmk,
        FourLetterWord::Ruok,
        FourLetterWord::Stmk,
        FourLetterWord::Srst,
        FourLetterWord::Srvr,
        FourLetterWord::Stat,
        FourLetterWord::Wchc,
        FourLetterWord::Wchp,
        FourLetterWord::Wchs,
        FourLetterWord::Mntr,
        FourLetterWord::Isro,
        FourLetterWord::Hash,
    ];

    /// The first 4 bytes of a telnet close sequence (IAC IP IAC DO, `0xfff4fffd`). ZooKeeper
    /// recognises it in the same position and simply closes the connection.
    pub const TELNET_CLOSE: [u8; 4] = [0xff, 0xf4, 0xff, 0xfd];

    /// The command whose ASCII name is exactly the first 4 bytes of a fresh connection
    /// (lowercase only, as ZooKeeper compares the int value).
    pub fn from_prefix(prefix: &[u8; 4]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|word| word.as_str().as_bytes() == prefix)
    }

    /// The command's name, e.g. `"ruok"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FourLetterWord::Conf => "conf",
            FourLetterWord::Cons => "cons",
            FourLetterWord::Crst => "crst",
            FourLetterWord::Dirs => "dirs",
            FourLetterWord::Dump => "dump",
            FourLetterWord::Envi => "envi",
            FourLetterWord::Gtmk => "gtmk",
            FourLetterWord::Ruok => "ruok",
            FourLetterWord::Stmk => "stmk",
            FourLetterWord::Srst => "srst",
            FourLetterWord::Srvr => "srvr",
            FourLetterWord::Stat => "stat",
            FourLetterWord::Wchc => "wchc",
            FourLetterWord::Wchp => "wchp",
            FourLetterWord::Wchs => "wchs",
            FourLetterWord::Mntr => "mntr",
            FourLetterWord::Isro => "isro",
            FourLetterWord::Hash => "hash",
        }
    }

    /// The command read as the big-endian `int` the server first takes for a frame length.
    pub fn code(self) -> i32 {
        let bytes: [u8; 4] = self.as_str().as_bytes().try_into().expect("4 letters");
        i32::from_be_bytes(bytes)
    }
}

impl std::fmt::Display for FourLetterWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::DEFAULT_MAX_FRAME_BYTES;

    #[test]
    fn every_word_round_trips_through_its_prefix() {
        for word in FourLetterWord::ALL {
            let prefix: [u8; 4] = word.as_str().as_bytes().try_into().unwrap();
            assert_eq!(FourLetterWord::from_prefix(&prefix), Some(word));
        }
        assert_eq!(FourLetterWord::from_prefix(b"RUOK"), None);
        assert_eq!(FourLetterWord::from_prefix(b"xyzw"), None);
    }

    #[test]
    fn no_word_collides_with_a_valid_frame_length() {
        assert_eq!(FourLetterWord::Ruok.code(), 0x7275_6f6b);
        for word in FourLetterWord::ALL {
            assert!(word.code() as usize > DEFAULT_MAX_FRAME_BYTES, "{word}");
        }
    }
}
