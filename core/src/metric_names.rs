//! The self-metric names iLogtail's plugins use, so that a ported plugin reports under the
//! same names (dashboards and alerts written for iLogtail keep working).
//!
//! Register them through the [`Context`](crate::Context) like any self-metric:
//!
//! ```
//! use pipeplug::{metric_names, Context, SelfMetricValue};
//!
//! let ctx = Context::default();
//! ctx.counter(metric_names::PROC_IN_RECORDS_TOTAL).add(10);
//! ctx.counter(metric_names::PROC_PARSE_ERROR_TOTAL).add(2);
//! ctx.average(metric_names::PLUGIN_COLLECT_AVG_COST_TIME_MS).add(12.5);
//! let m = ctx.export_metrics();
//! assert_eq!(m[0].name, "proc_in_records_total");
//! assert_eq!(m[0].value, SelfMetricValue::Counter(10));
//! assert_eq!(m[2].value, SelfMetricValue::Average(12.5));
//! ```
//!
//! Two generations of names exist. The `proc_*` names are those iLogtail's Go plugin runner
//! (1.x/2.x) registers for every plugin, and its C++ processors add the discard, size and
//! parse-error ones; they are what the `logtail_metric` self-monitoring data carries. The
//! `plugin_*` names are those of iLogtail 2.x's self-metrics v2 (`pkg/helper`). Which plugin
//! kind uses each is said on each constant. Counters unless said otherwise.

// --- Every plugin kind (metric and service inputs, processors, aggregators, flushers):
// the Go runner's wrappers register these three for each plugin. ---

/// Events (V1: logs) that went into the plugin. Every kind.
pub const PROC_IN_RECORDS_TOTAL: &str = "proc_in_records_total";
/// Events (V1: logs) that came out of the plugin. Every kind.
pub const PROC_OUT_RECORDS_TOTAL: &str = "proc_out_records_total";
/// Milliseconds spent in the plugin. Every kind.
pub const PROC_TIME_MS: &str = "proc_time_ms";

// --- Processors. ---

/// Events a processor dropped on purpose (a filter). Processors.
pub const PROC_DISCARD_RECORDS_TOTAL: &str = "proc_discard_records_total";
/// Bytes of the events that went into a processor. Processors.
pub const PROC_IN_RECORDS_SIZE_BYTES: &str = "proc_in_records_size_bytes";
/// Bytes of the events that came out of a processor. Processors.
pub const PROC_OUT_RECORDS_SIZE_BYTES: &str = "proc_out_records_size_bytes";
/// Events a parsing processor could not parse. Parsing processors (regex, JSON, delimiter, ...).
pub const PROC_PARSE_ERROR_TOTAL: &str = "proc_parse_error_total";
/// Events whose field count did not match the keys configured. Parsing processors that map
/// fields to keys (delimiter, regex).
pub const PROC_KEY_COUNT_NOT_MATCH_ERROR_TOTAL: &str = "proc_key_count_not_match_error_total";

// --- Self-metrics v2 (`plugin_*`): every plugin kind. ---

/// Events that went into the plugin. Every kind.
pub const PLUGIN_IN_EVENTS_TOTAL: &str = "plugin_in_events_total";
/// Event groups that went into the plugin. Every kind.
pub const PLUGIN_IN_EVENT_GROUPS_TOTAL: &str = "plugin_in_event_groups_total";
/// Bytes that went into the plugin. Every kind.
pub const PLUGIN_IN_SIZE_BYTES: &str = "plugin_in_size_bytes";
/// Events that came out of the plugin. Every kind.
pub const PLUGIN_OUT_EVENTS_TOTAL: &str = "plugin_out_events_total";
/// Event groups that came out of the plugin. Every kind.
pub const PLUGIN_OUT_EVENT_GROUPS_TOTAL: &str = "plugin_out_event_groups_total";
/// Bytes that came out of the plugin. Every kind.
pub const PLUGIN_OUT_SIZE_BYTES: &str = "plugin_out_size_bytes";
/// Milliseconds between an event's time and its leaving the plugin, summed. Every kind.
pub const PLUGIN_TOTAL_DELAY_MS: &str = "plugin_total_delay_ms";
/// Milliseconds spent in the plugin. Every kind.
pub const PLUGIN_TOTAL_PROCESS_TIME_MS: &str = "plugin_total_process_time_ms";

// --- Self-metrics v2: processors. ---

/// Events a processor dropped. Processors.
pub const PLUGIN_DISCARDED_EVENTS_TOTAL: &str = "plugin_discarded_events_total";
/// Events a processor failed on (passed on unchanged or dropped). Processors.
pub const PLUGIN_OUT_FAILED_EVENTS_TOTAL: &str = "plugin_out_failed_events_total";
/// Events that lacked the key a processor works on. Processors.
pub const PLUGIN_OUT_KEY_NOT_FOUND_EVENTS_TOTAL: &str = "plugin_out_key_not_found_events_total";
/// Events a processor handled. Processors.
pub const PLUGIN_OUT_SUCCESSFUL_EVENTS_TOTAL: &str = "plugin_out_successful_events_total";
/// Key/value pairs a parsing processor extracted per log. Parsing processors (anchor,
/// regex, string replace).
pub const PLUGIN_PAIRS_PER_LOG_TOTAL: &str = "plugin_pairs_per_log_total";

// --- Self-metrics v2: inputs that poll a source. ---

/// Mean milliseconds of one collection: an **average**
/// ([`Context::average`](crate::Context::average)). Polling inputs (MySQL, RDB, Kubernetes
/// meta).
pub const PLUGIN_COLLECT_AVG_COST_TIME_MS: &str = "plugin_collect_avg_cost_time_ms";
/// Collections run. Polling inputs (MySQL, RDB, Kubernetes meta).
pub const PLUGIN_COLLECT_TOTAL: &str = "plugin_collect_total";

// --- Self-metrics v2: inputs that follow containers. ---

/// Containers followed: a **gauge**. Container inputs (container info, docker stdout).
pub const PLUGIN_CONTAINER_TOTAL: &str = "plugin_container_total";
/// Containers that appeared. Container inputs.
pub const PLUGIN_ADD_CONTAINER_TOTAL: &str = "plugin_add_container_total";
/// Containers that went away. Container inputs.
pub const PLUGIN_REMOVE_CONTAINER_TOTAL: &str = "plugin_remove_container_total";
/// Containers that changed. Container inputs.
pub const PLUGIN_UPDATE_CONTAINER_TOTAL: &str = "plugin_update_container_total";

// --- Label keys of self-metrics v2. pipeplug labels each self-metric with `config_name`
// and `plugin` already; these are for plugins that add iLogtail's labels of their own. ---

/// Label: the project.
pub const LABEL_PROJECT: &str = "project";
/// Label: the logstore.
pub const LABEL_LOGSTORE: &str = "logstore";
/// Label: the pipeline (config) name.
pub const LABEL_PIPELINE_NAME: &str = "pipeline_name";
/// Label: the plugin type.
pub const LABEL_PLUGIN_TYPE: &str = "plugin_type";
/// Label: the plugin ID.
pub const LABEL_PLUGIN_ID: &str = "plugin_id";
