//! Small groups of settings that belong together: snapshot compression, the container reaper,
//! the AdminServer and the metrics provider.

use std::collections::BTreeMap;

/// `snapshot.compression.method`: how snapshot files are compressed (ZooKeeper 3.6+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotCompression {
    /// `""` (the default): plain snapshots with an Adler-32 checksum.
    #[default]
    None,
    /// `gz`: gzip, file suffix `.gz`.
    Gz,
    /// `snappy`: Snappy framing, file suffix `.snappy`.
    Snappy,
}

impl SnapshotCompression {
    /// Parses the key's value as `SnapStream.StreamMode.fromString` does (case-insensitive).
    /// Java silently falls back to no compression for an unknown name; we reject it, because a
    /// typo should not silently change the on-disk format the operator asked for.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value.to_ascii_lowercase().as_str() {
            "" => Ok(SnapshotCompression::None),
            "gz" => Ok(SnapshotCompression::Gz),
            "snappy" => Ok(SnapshotCompression::Snappy),
            _ => Err("expected \"\" (no compression), gz or snappy".to_owned()),
        }
    }

    /// The name as written in `zoo.cfg` (and the snapshot file suffix without the dot).
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotCompression::None => "",
            SnapshotCompression::Gz => "gz",
            SnapshotCompression::Snappy => "snappy",
        }
    }
}

/// The container and TTL node reaper (`znode.container.*`, read by `ContainerManager`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerSettings {
    /// `znode.container.checkIntervalMs`: how often to look for empty containers and expired
    /// TTL nodes (default 60000).
    pub check_interval_ms: u32,
    /// `znode.container.maxPerMinute`: at most this many deletions per minute (default 10000).
    pub max_per_minute: u32,
    /// `znode.container.maxNeverUsedIntervalMs`: delete a container that never had a child after
    /// this long; 0 (default) never does.
    pub max_never_used_interval_ms: u64,
}

impl Default for ContainerSettings {
    fn default() -> Self {
        ContainerSettings {
            check_interval_ms: 60_000,
            max_per_minute: 10_000,
            max_never_used_interval_ms: 0,
        }
    }
}

/// The embedded HTTP AdminServer (`admin.*`). Parsed so that existing files load; the
/// AdminServer itself is not implemented yet, and a warning says so when a file asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminServerSettings {
    /// `admin.enableServer`: true unless exactly `false` (Apache 3.5 – 3.9 default: true).
    pub enabled: bool,
    /// `admin.serverAddress` (default `0.0.0.0`).
    pub address: String,
    /// `admin.serverPort` (default 8080).
    pub port: u16,
    /// `admin.commandURL` (default `/commands`).
    pub command_url: String,
}

impl Default for AdminServerSettings {
    fn default() -> Self {
        AdminServerSettings {
            enabled: true,
            address: "0.0.0.0".to_owned(),
            port: 8080,
            command_url: "/commands".to_owned(),
        }
    }
}

/// `metricsProvider.*`. Metrics providers are Java classes; the settings are kept so that a
/// Prometheus endpoint can honour `httpHost`/`httpPort` later.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetricsProviderSettings {
    /// `metricsProvider.className`; `None` means Apache's default (no HTTP exporter).
    pub class_name: Option<String>,
    /// Every other `metricsProvider.<name>` key, without the prefix (`httpPort`, `httpHost`,
    /// `exportJvmInfo`).
    pub properties: BTreeMap<String, String>,
}

impl MetricsProviderSettings {
    /// The class name of Apache's Prometheus provider.
    pub const PROMETHEUS: &'static str =
        "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";
}
