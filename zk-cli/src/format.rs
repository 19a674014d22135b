//! Text formats copied from Apache ZooKeeper's zkCli, byte for byte: the Stat block
//! (`StatPrinter`), `java.util.Date.toString()`, Java list syntax (`[a, b]`), permission
//! strings (`ZKUtil.getPermString`), the jute CSV form of an [`Id`] that `getAcl` prints,
//! watch events (`WatchedEvent.toString()` of 3.8), the quota record (`StatsTrack`) and
//! Netty's `prettyHexDump` (`get -x`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use zk_client::{EventType, KeeperState, Perms, Stat, WatchedEvent};
use zk_proto::{ErrorCode, Id};

/// `java.util.Date.toString()` of `ms` since the epoch, in the machine's time zone (the `TZ`
/// variable, else `/etc/localtime`): `Wed Jun 27 20:13:07 UTC 2018`.
pub fn java_date(ms: i64) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return ms.to_string();
    };
    let tz = jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC);
    let zoned = ts.to_zoned(tz);
    // Java prints the zone's abbreviation; jiff's `%Z` is the same (`UTC`, `CET`, `PDT`).
    zoned.strftime("%a %b %d %H:%M:%S %Z %Y").to_string()
}

/// `Long.toHexString`: lower-case hex of the two's-complement value, no padding.
pub fn java_hex(value: i64) -> String {
    format!("{:x}", value as u64)
}

/// The Stat block exactly as `StatPrinter.print` writes it (eleven lines, each ending `\n`).
pub fn stat_block(stat: &Stat) -> String {
    format!(
        "cZxid = 0x{}\nctime = {}\nmZxid = 0x{}\nmtime = {}\npZxid = 0x{}\ncversion = {}\n\
         dataVersion = {}\naclVersion = {}\nephemeralOwner = 0x{}\ndataLength = {}\n\
         numChildren = {}\n",
        java_hex(stat.czxid.0),
        java_date(stat.ctime),
        java_hex(stat.mzxid.0),
        java_date(stat.mtime),
        java_hex(stat.pzxid.0),
        stat.cversion,
        stat.version,
        stat.aversion,
        java_hex(stat.ephemeral_owner),
        stat.data_length,
        stat.num_children,
    )
}

/// A Java `List.toString()`: `[a, b, c]`.
pub fn java_list<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(item.as_ref());
    }
    out.push(']');
    out
}

/// `ZKUtil.getPermString`: the letters of `perms` in the order `cdrwa`.
pub fn perm_string(perms: Perms) -> String {
    [
        (Perms::CREATE, 'c'),
        (Perms::DELETE, 'd'),
        (Perms::READ, 'r'),
        (Perms::WRITE, 'w'),
        (Perms::ADMIN, 'a'),
    ]
    .iter()
    .filter(|(bit, _)| perms.contains(*bit))
    .map(|(_, c)| *c)
    .collect()
}

/// `AclParser.getPermFromString`: unknown letters are reported (as Java does, on stderr) and
/// ignored. Returns the permissions and the complaints.
pub fn parse_perms(text: &str) -> (Perms, Vec<String>) {
    let mut bits = 0;
    let mut complaints = Vec::new();
    for c in text.chars() {
        match c {
            'r' => bits |= Perms::READ.0,
            'w' => bits |= Perms::WRITE.0,
            'c' => bits |= Perms::CREATE.0,
            'd' => bits |= Perms::DELETE.0,
            'a' => bits |= Perms::ADMIN.0,
            other => complaints.push(format!("Unknown perm type: {other}")),
        }
    }
    (Perms(bits), complaints)
}

/// The jute `toString()` of an [`Id`] (a CSV record: `'world,'anyone` plus a newline), which
/// is what `getAcl` prints before `: cdrwa`.
pub fn id_csv(id: &Id) -> String {
    format!("{},{}\n", csv_string(&id.scheme), csv_string(&id.id))
}

/// jute's `Utils.toCSVString`: a leading `'` and `%XX` escapes for the CSV specials.
fn csv_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\0' => out.push_str("%00"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            ',' => out.push_str("%2C"),
            '}' => out.push_str("%7D"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
    out
}

/// Java's `Watcher.Event.KeeperState` name.
pub fn keeper_state_name(state: KeeperState) -> &'static str {
    match state {
        KeeperState::Unknown => "Unknown",
        KeeperState::Disconnected => "Disconnected",
        KeeperState::NoSyncConnected => "NoSyncConnected",
        KeeperState::SyncConnected => "SyncConnected",
        KeeperState::AuthFailed => "AuthFailed",
        KeeperState::ConnectedReadOnly => "ConnectedReadOnly",
        KeeperState::SaslAuthenticated => "SaslAuthenticated",
        KeeperState::Closed => "Closed",
        KeeperState::Expired => "Expired",
    }
}

/// Java's `Watcher.Event.EventType` name.
pub fn event_type_name(event_type: EventType) -> &'static str {
    match event_type {
        EventType::None => "None",
        EventType::NodeCreated => "NodeCreated",
        EventType::NodeDeleted => "NodeDeleted",
        EventType::NodeDataChanged => "NodeDataChanged",
        EventType::NodeChildrenChanged => "NodeChildrenChanged",
        EventType::DataWatchRemoved => "DataWatchRemoved",
        EventType::ChildWatchRemoved => "ChildWatchRemoved",
        EventType::PersistentWatchRemoved => "PersistentWatchRemoved",
    }
}

/// The block zkCli prints for an event when `printwatches` is on: `ZooKeeperMain.printMessage`
/// puts a newline before each of its two messages, and 3.8's `WatchedEvent.toString()` has no
/// zxid. Session events have the path `null`.
pub fn watcher_block(event: &WatchedEvent) -> String {
    let path = if event.event_type == EventType::None && event.path.is_empty() {
        "null"
    } else {
        &event.path
    };
    format!(
        "\nWATCHER::\n\nWatchedEvent state:{} type:{} path:{}\n",
        keeper_state_name(event.state),
        event_type_name(event.event_type),
        path
    )
}

/// `KeeperException.getCodeMessage`.
pub fn code_message(code: ErrorCode) -> String {
    match code {
        ErrorCode::Ok => "ok".into(),
        ErrorCode::SystemError => "SystemError".into(),
        ErrorCode::RuntimeInconsistency => "RuntimeInconsistency".into(),
        ErrorCode::DataInconsistency => "DataInconsistency".into(),
        ErrorCode::ConnectionLoss => "ConnectionLoss".into(),
        ErrorCode::MarshallingError => "MarshallingError".into(),
        ErrorCode::NewConfigNoQuorum => "NewConfigNoQuorum".into(),
        ErrorCode::ReconfigInProgress => "ReconfigInProgress".into(),
        ErrorCode::Unimplemented => "Unimplemented".into(),
        ErrorCode::OperationTimeout => "OperationTimeout".into(),
        ErrorCode::BadArguments => "BadArguments".into(),
        ErrorCode::ApiError => "APIError".into(),
        ErrorCode::NoNode => "NoNode".into(),
        ErrorCode::NoAuth => "NoAuth".into(),
        ErrorCode::BadVersion => "BadVersion".into(),
        ErrorCode::NoChildrenForEphemerals => "NoChildrenForEphemerals".into(),
        ErrorCode::NodeExists => "NodeExists".into(),
        ErrorCode::InvalidAcl => "InvalidACL".into(),
        ErrorCode::AuthFailed => "AuthFailed".into(),
        ErrorCode::NotEmpty => "Directory not empty".into(),
        ErrorCode::SessionExpired => "Session expired".into(),
        ErrorCode::InvalidCallback => "Invalid callback".into(),
        ErrorCode::SessionMoved => "Session moved".into(),
        ErrorCode::NotReadOnly => "Not a read-only call".into(),
        ErrorCode::EphemeralOnLocalSession => "Ephemeral node on local session".into(),
        ErrorCode::NoWatcher => "No such watcher".into(),
        ErrorCode::ReconfigDisabled => "Reconfig is disabled".into(),
        ErrorCode::SessionClosedRequireSaslAuth => {
            "Session closed because client failed to authenticate".into()
        }
        ErrorCode::QuotaExceeded => "Quota has exceeded".into(),
        ErrorCode::ThrottledOp => "Op throttled due to high load".into(),
        other => format!("Unknown error {}", other.name()),
    }
}

/// A quota record (`StatsTrack`): `count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1`.
/// `count` and `bytes` come first; any other keys follow sorted, after an extra `=` that
/// keeps pre-3.7 parsers working.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsTrack {
    stats: BTreeMap<String, i64>,
}

impl StatsTrack {
    /// `count`.
    pub const COUNT: &'static str = "count";
    /// `bytes`.
    pub const BYTES: &'static str = "bytes";
    /// `countHardLimit`.
    pub const COUNT_HARD: &'static str = "countHardLimit";
    /// `byteHardLimit`.
    pub const BYTES_HARD: &'static str = "byteHardLimit";

    /// Parses the stored text as Java does (pairs split on `,` and `;`, an empty value is -1).
    /// Unparsable pairs are skipped rather than failing (Java would throw).
    pub fn parse(text: &str) -> StatsTrack {
        let mut stats = BTreeMap::new();
        for pair in text.split([',', ';']).filter(|p| !p.is_empty()) {
            let mut kv = pair.split('=');
            let key = kv.next().unwrap_or_default();
            let value = kv.next().unwrap_or_default();
            let value = if value.is_empty() {
                Some(-1)
            } else {
                value.trim().parse().ok()
            };
            if let Some(value) = value {
                stats.insert(key.to_owned(), value);
            }
        }
        StatsTrack { stats }
    }

    /// A value, -1 when absent.
    pub fn get(&self, key: &str) -> i64 {
        self.stats.get(key).copied().unwrap_or(-1)
    }

    /// Sets a value.
    pub fn set(&mut self, key: &str, value: i64) {
        self.stats.insert(key.to_owned(), value);
    }
}

impl std::fmt::Display for StatsTrack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "count={},bytes={}",
            self.get(Self::COUNT),
            self.get(Self::BYTES)
        )?;
        let rest: Vec<_> = self
            .stats
            .iter()
            .filter(|(k, _)| *k != Self::COUNT && *k != Self::BYTES)
            .collect();
        if !rest.is_empty() {
            f.write_str("=")?;
            for (key, value) in rest {
                write!(f, ";{key}={value}")?;
            }
        }
        Ok(())
    }
}

/// Netty's `ByteBufUtil.prettyHexDump`, which zkCli's `get -x` prints: a bordered table of 16
/// bytes a row with an ASCII column. Empty input gives an empty string.
pub fn pretty_hex_dump(data: &[u8]) -> String {
    if data.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "         +-------------------------------------------------+\n         \
         |  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f |\n\
         +--------+-------------------------------------------------+----------------+",
    );
    for (row, chunk) in data.chunks(16).enumerate() {
        let _ = write!(out, "\n|{:08x}|", row << 4);
        for byte in chunk {
            let _ = write!(out, " {byte:02x}");
        }
        out.push_str(&"   ".repeat(16 - chunk.len()));
        out.push_str(" |");
        for &byte in chunk {
            out.push(if (0x20..0x7f).contains(&byte) {
                byte as char
            } else {
                '.'
            });
        }
        out.push_str(&" ".repeat(16 - chunk.len()));
        out.push('|');
    }
    out.push_str("\n+--------+-------------------------------------------------+----------------+");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use zk_client::Zxid;

    #[test]
    fn stat_block_matches_stat_printer() {
        std::env::set_var("TZ", "UTC");
        let stat = Stat {
            czxid: Zxid(0x4000013d9),
            mzxid: Zxid(0x4000013d9),
            ctime: 1_530_130_387_000,
            mtime: 1_530_130_387_000,
            version: 0,
            cversion: 17,
            aversion: 0,
            ephemeral_owner: 0x1000_0000_0000_0001u64 as i64,
            data_length: 0,
            num_children: 15,
            pzxid: Zxid(0x500000001),
        };
        assert_eq!(
            stat_block(&stat),
            "cZxid = 0x4000013d9\nctime = Wed Jun 27 20:13:07 UTC 2018\nmZxid = 0x4000013d9\n\
             mtime = Wed Jun 27 20:13:07 UTC 2018\npZxid = 0x500000001\ncversion = 17\n\
             dataVersion = 0\naclVersion = 0\nephemeralOwner = 0x1000000000000001\n\
             dataLength = 0\nnumChildren = 15\n"
        );
        assert_eq!(java_hex(-1), "ffffffffffffffff");
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
    }

    #[test]
    fn lists_perms_and_ids_print_as_java() {
        assert_eq!(java_list::<&str>(&[]), "[]");
        assert_eq!(java_list(&["a", "b"]), "[a, b]");
        assert_eq!(perm_string(Perms::ALL), "cdrwa");
        assert_eq!(perm_string(Perms(Perms::READ.0 | Perms::ADMIN.0)), "ra");
        assert_eq!(id_csv(&Id::anyone()), "'world,'anyone\n");
        assert_eq!(
            id_csv(&Id::new("digest", "u:a,b%")),
            "'digest,'u:a%2Cb%25\n"
        );
        let (perms, complaints) = parse_perms("rz");
        assert_eq!(
            (perms, complaints),
            (Perms::READ, vec!["Unknown perm type: z".into()])
        );
    }

    #[test]
    fn watcher_block_has_null_path_for_session_events() {
        let event = WatchedEvent::session(KeeperState::SyncConnected);
        assert_eq!(
            watcher_block(&event),
            "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n"
        );
    }

    #[test]
    fn stats_track_round_trips_java_text() {
        let text = "count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1";
        let track = StatsTrack::parse(text);
        assert_eq!(track.get(StatsTrack::COUNT), 5);
        assert_eq!(track.get(StatsTrack::BYTES), -1);
        assert_eq!(track.to_string(), text);
        assert_eq!(
            StatsTrack::parse("count=4,bytes=8").to_string(),
            "count=4,bytes=8"
        );
    }

    #[test]
    fn hex_dump_matches_netty() {
        let dump = pretty_hex_dump(b"hello");
        assert_eq!(
            dump,
            "         +-------------------------------------------------+\n\
             \x20        |  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f |\n\
             +--------+-------------------------------------------------+----------------+\n\
             |00000000| 68 65 6c 6c 6f                                  |hello           |\n\
             +--------+-------------------------------------------------+----------------+"
        );
        assert_eq!(pretty_hex_dump(b""), "");
    }
}
