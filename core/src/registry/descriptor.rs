//! What the registry keeps of a plugin: its [`PluginDescriptor`], with its config keys
//! ([`ConfigField`]), its factories ([`Factories`]) and which interfaces it implements
//! itself ([`Native`]).

use crate::config::ConfigField;
use crate::kind::{PluginKind, SourceLocation};
use crate::plugin::{
    AggregatorV1, AggregatorV2, Extension, FlusherV1, FlusherV2, MetricInputV1, MetricInputV2,
    ProcessorV1, ProcessorV2, ServiceInputV1, ServiceInputV2,
};
use crate::ConfigError;
use std::fmt;

/// Builds a plugin of type `T` from its config (a JSON value; `null` means "all defaults").
pub type Factory<T> = &'static (dyn Fn(&serde_json::Value) -> Result<T, ConfigError> + Send + Sync);

/// The factories of a plugin, per kind: a V1 and a V2 one (one of them may adapt the other).
#[derive(Clone, Copy)]
#[allow(missing_docs)] // the fields are named after the traits they build
pub enum Factories {
    MetricInput {
        v1: Factory<Box<dyn MetricInputV1>>,
        v2: Factory<Box<dyn MetricInputV2>>,
    },
    ServiceInput {
        v1: Factory<Box<dyn ServiceInputV1>>,
        v2: Factory<Box<dyn ServiceInputV2>>,
    },
    Processor {
        v1: Factory<Box<dyn ProcessorV1>>,
        v2: Factory<Box<dyn ProcessorV2>>,
    },
    Aggregator {
        v1: Factory<Box<dyn AggregatorV1>>,
        v2: Factory<Box<dyn AggregatorV2>>,
    },
    Flusher {
        v1: Factory<Box<dyn FlusherV1>>,
        v2: Factory<Box<dyn FlusherV2>>,
    },
    Extension {
        new: Factory<Box<dyn Extension>>,
    },
}

impl Factories {
    /// The kind these factories build.
    #[must_use]
    pub fn kind(&self) -> PluginKind {
        match self {
            Self::MetricInput { .. } => PluginKind::MetricInput,
            Self::ServiceInput { .. } => PluginKind::ServiceInput,
            Self::Processor { .. } => PluginKind::Processor,
            Self::Aggregator { .. } => PluginKind::Aggregator,
            Self::Flusher { .. } => PluginKind::Flusher,
            Self::Extension { .. } => PluginKind::Extension,
        }
    }
}

impl fmt::Debug for Factories {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Factories({})", self.kind())
    }
}

/// Which interfaces a plugin implements itself; the others are adapted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Native {
    /// Implements the V1 trait.
    pub v1: bool,
    /// Implements the V2 trait.
    pub v2: bool,
}

impl fmt::Display for Native {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.v1, self.v2) {
            (true, true) => "v1+v2",
            (true, false) => "v1",
            (false, true) => "v2",
            (false, false) => "-",
        })
    }
}

/// Everything the registry knows of a plugin.
#[derive(Debug)]
pub struct PluginDescriptor {
    /// The registered name (`service_example_plugin`).
    pub name: &'static str,
    /// One line from the struct's doc comment.
    pub description: &'static str,
    /// The config keys.
    pub config_fields: &'static [ConfigField],
    /// Where it was defined.
    pub source: SourceLocation,
    /// Which interfaces it implements itself.
    pub native: Native,
    /// How to build it.
    pub factories: Factories,
    /// Its config with every default, as JSON (for docs and checks). A plugin with
    /// required keys has no config of defaults alone: it answers with the defaults of its
    /// other keys, the required ones taken from its `example` (and left out).
    pub defaults: fn() -> Result<serde_json::Value, ConfigError>,
    /// An example config (YAML, the plugin's keys only, such as `SourceKey: content`):
    /// `example = "..."` in the attribute. `pipeplug doc` shows it and the conformance
    /// tests build the plugin from it; it gives every required key.
    pub example: Option<&'static str>,
}

impl PluginDescriptor {
    /// The plugin's kind.
    #[must_use]
    pub fn kind(&self) -> PluginKind {
        self.factories.kind()
    }
}
