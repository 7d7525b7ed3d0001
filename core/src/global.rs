//! [`GlobalConfig`]: the `global` section of a pipeline config.

use serde::{Deserialize, Serialize};

/// The `global` section of a pipeline config, with iLogtail's defaults
/// (`pkg/config/global_config.go`). Keys are iLogtail's (`InputIntervalMs`, ...), matched
/// case-insensitively by the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GlobalConfig {
    /// `v1` or `v2`: which plugin interfaces the pipeline runs.
    pub structure_type: String,
    /// Default interval of metric inputs, in milliseconds.
    pub input_interval_ms: u64,
    /// Upper bound of the random delay before a metric input's first run, in milliseconds.
    pub input_max_first_collect_delay_ms: u64,
    /// Default flush interval of aggregators, in milliseconds.
    pub aggregat_interval_ms: u64,
    /// Flusher loop interval, in milliseconds.
    pub flush_interval_ms: u64,
    /// Capacity of the queue between inputs and processors, in logs or groups.
    pub default_log_queue_size: usize,
    /// Capacity of the queue between aggregators and flushers, in log groups.
    pub default_log_group_queue_size: usize,
    /// Tags added to every group.
    pub tags: std::collections::BTreeMap<String, String>,
    /// Whether V1 logs carry nanoseconds.
    pub enable_timestamp_nanosecond: bool,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        Self {
            structure_type: "v1".to_owned(),
            input_interval_ms: 1000,
            input_max_first_collect_delay_ms: 10_000,
            aggregat_interval_ms: 3000,
            flush_interval_ms: 3000,
            default_log_queue_size: 1000,
            default_log_group_queue_size: 4,
            tags: std::collections::BTreeMap::new(),
            enable_timestamp_nanosecond: false,
        }
    }
}
