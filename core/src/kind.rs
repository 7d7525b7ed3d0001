//! Plugin kinds and where plugins are defined: the words the registry, its errors and the
//! harnesses share. A leaf: it uses nothing of the crate, so every module can use it.

use std::fmt;

/// The six kinds of plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginKind {
    /// Polled on an interval.
    MetricInput,
    /// Pushes on its own.
    ServiceInput,
    /// Transforms events.
    Processor,
    /// Batches events.
    Aggregator,
    /// Sends events out.
    Flusher,
    /// Shared helper.
    Extension,
}

impl PluginKind {
    /// Every kind, in pipeline order.
    pub const ALL: [Self; 6] = [
        Self::MetricInput,
        Self::ServiceInput,
        Self::Processor,
        Self::Aggregator,
        Self::Flusher,
        Self::Extension,
    ];

    /// The name prefix plugins of this kind use (`service_`, ...).
    #[must_use]
    pub fn prefix(self) -> &'static str {
        match self {
            Self::MetricInput => "metric_",
            Self::ServiceInput => "service_",
            Self::Processor => "processor_",
            Self::Aggregator => "aggregator_",
            Self::Flusher => "flusher_",
            Self::Extension => "ext_",
        }
    }

    /// `service input`, `processor`, ...
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MetricInput => "metric input",
            Self::ServiceInput => "service input",
            Self::Processor => "processor",
            Self::Aggregator => "aggregator",
            Self::Flusher => "flusher",
            Self::Extension => "extension",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a plugin was defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLocation {
    /// The crate (`CARGO_PKG_NAME`).
    pub crate_name: &'static str,
    /// The source file.
    pub file: &'static str,
    /// The line of the plugin's struct.
    pub line: u32,
}

impl SourceLocation {
    /// What [`add_service_creator`](crate::registry::add_service_creator) and its siblings record as the crate: they know the
    /// calling file and line, not the crate.
    pub const RUN_TIME: &'static str = "(registered at run time)";
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "crate `{}`", self.crate_name)?;
        if !self.file.is_empty() {
            write!(f, " ({}:{})", self.file, self.line)?;
        }
        Ok(())
    }
}
