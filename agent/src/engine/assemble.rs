//! Building a pipeline: every plugin created from the registry with its config decoded by
//! the plugin's own decoder, in the interface version the pipeline runs.

use super::guard::{panic_message, PluginLabel};
use super::passthrough::PassThrough;
use crate::config::{
    ConfigDiagnostic, ConfigErrors, PipelineConfig, PluginPosition, PluginSpec, Problem, Section,
    StructureType,
};
use pipeplug::plugin::{
    AggregatorV1, AggregatorV2, Extension, FlusherV1, FlusherV2, MetricInputV1, MetricInputV2,
    ProcessorV1, ProcessorV2, ServiceInputV1, ServiceInputV2,
};
use pipeplug::registry::{Factories, Factory, PluginKind};
use pipeplug::PluginMeta;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// A created plugin and what the engine knows of it.
pub(crate) struct Built<T> {
    pub label: PluginLabel,
    pub meta: PluginMeta,
    /// The `Type` named an ID (`ext_x/u1`), rather than getting a number.
    pub explicit_id: bool,
    /// `IntervalMs` among its parameters (metric inputs).
    pub interval_ms_param: Option<u64>,
    pub plugin: T,
}

/// The plugins of a pipeline by kind, as trait objects of the interface version it runs.
pub(crate) struct PluginSet<M: ?Sized, S: ?Sized, P: ?Sized, A: ?Sized, F: ?Sized> {
    pub metric: Vec<Built<Box<M>>>,
    pub service: Vec<Built<Box<S>>>,
    pub processors: Vec<Built<Box<P>>>,
    pub aggregators: Vec<Built<Box<A>>>,
    pub flushers: Vec<Built<Box<F>>>,
}

/// The plugins of a V1 pipeline.
pub(crate) type V1Plugins = PluginSet<
    dyn MetricInputV1,
    dyn ServiceInputV1,
    dyn ProcessorV1,
    dyn AggregatorV1,
    dyn FlusherV1,
>;

/// The plugins of a V2 pipeline.
pub(crate) type V2Plugins = PluginSet<
    dyn MetricInputV2,
    dyn ServiceInputV2,
    dyn ProcessorV2,
    dyn AggregatorV2,
    dyn FlusherV2,
>;

pub(crate) enum Plugins {
    V1(V1Plugins),
    V2(V2Plugins),
}

/// A pipeline ready to start: its config and its plugins, created and configured but not
/// yet initialised.
pub struct Pipeline {
    pub(crate) config: PipelineConfig,
    pub(crate) extensions: Vec<Built<Box<dyn Extension>>>,
    pub(crate) plugins: Plugins,
    pub(crate) panics: Arc<AtomicU64>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("file", &self.config.file)
            .field("structure", &self.config.structure)
            .finish_non_exhaustive()
    }
}

struct Builder<'a> {
    config: &'a PipelineConfig,
    errors: Vec<ConfigDiagnostic>,
    panics: Arc<AtomicU64>,
}

impl Builder<'_> {
    fn label(&self, spec: &PluginSpec) -> PluginLabel {
        PluginLabel {
            type_with_id: spec.meta().type_with_id(),
            position: format!("{}[{}]", spec.position.section, spec.position.index),
            config: self.config.name.clone(),
            panics: Arc::clone(&self.panics),
        }
    }

    /// Runs the plugin's factory on its parameters; a config error or a panic becomes
    /// diagnostics.
    fn make<T>(&mut self, spec: &PluginSpec, factory: Factory<T>) -> Option<Built<T>> {
        let diag = |problem: Problem| {
            ConfigDiagnostic::file(&self.config.file, problem).at_plugin(spec.position.clone())
        };
        match catch_unwind(AssertUnwindSafe(|| factory(&spec.params))) {
            Ok(Ok(plugin)) => Some(Built {
                label: self.label(spec),
                meta: spec.meta(),
                explicit_id: spec.plugin_type.id.is_some(),
                interval_ms_param: spec.interval_ms_param(),
                plugin,
            }),
            Ok(Err(e)) => {
                if e.problems.is_empty() {
                    self.errors.push(diag(Problem::Pipeline(e.to_string())));
                }
                for p in e.problems {
                    let d = diag(Problem::PluginConfig(p.kind));
                    self.errors.push(if p.path.is_empty() {
                        d
                    } else {
                        d.at_key(p.path)
                    });
                }
                None
            }
            Err(payload) => {
                self.errors.push(diag(Problem::Pipeline(format!(
                    "the plugin's config decoder panicked (a bug in the plugin): {}",
                    panic_message(&*payload)
                ))));
                None
            }
        }
    }

    fn wrong_kind(&mut self, spec: &PluginSpec) {
        // The config module only resolves names to kinds of the right list.
        self.errors.push(
            ConfigDiagnostic::file(
                &self.config.file,
                Problem::Pipeline(format!("`{}` is a {}", spec.plugin_type.name, spec.kind())),
            )
            .at_plugin(spec.position.clone()),
        );
    }

    /// The default aggregator's spec: `aggregator_default` from the registry, if there.
    fn default_aggregator(&self) -> Option<PluginSpec> {
        let registry = pipeplug::registry::global().ok()?;
        let descriptor = registry.get(PluginKind::Aggregator, "aggregator_default")?;
        let next_id = self
            .config
            .plugins()
            .filter_map(|s| s.id.parse::<i64>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        Some(PluginSpec {
            position: PluginPosition {
                section: Section::Aggregators,
                index: 0,
                type_string: "aggregator_default".to_owned(),
            },
            plugin_type: pipeplug::registry::PluginType {
                name: "aggregator_default".to_owned(),
                id: None,
                priority: None,
            },
            id: next_id.to_string(),
            descriptor,
            params: serde_json::Value::Null,
        })
    }

    fn pass_through<T>(&self, plugin: T) -> Built<T> {
        Built {
            label: PluginLabel {
                type_with_id: "aggregator_default".to_owned(),
                position: "aggregators (engine's pass-through)".to_owned(),
                config: self.config.name.clone(),
                panics: Arc::clone(&self.panics),
            },
            meta: PluginMeta {
                plugin_type: "aggregator_default".to_owned(),
                plugin_id: String::new(),
            },
            explicit_id: false,
            interval_ms_param: None,
            plugin,
        }
    }
}

macro_rules! build_version {
    ($b:ident, $config:ident, $v:ident, $plugins:ident) => {{
        let mut p = $plugins {
            metric: Vec::new(),
            service: Vec::new(),
            processors: Vec::new(),
            aggregators: Vec::new(),
            flushers: Vec::new(),
        };
        for spec in &$config.inputs {
            match spec.descriptor.factories {
                Factories::MetricInput { $v: f, .. } => p.metric.extend($b.make(spec, f)),
                Factories::ServiceInput { $v: f, .. } => p.service.extend($b.make(spec, f)),
                _ => $b.wrong_kind(spec),
            }
        }
        for spec in &$config.processors {
            match spec.descriptor.factories {
                Factories::Processor { $v: f, .. } => p.processors.extend($b.make(spec, f)),
                _ => $b.wrong_kind(spec),
            }
        }
        let default_spec = if $config.aggregators.is_empty() {
            $b.default_aggregator()
        } else {
            None
        };
        for spec in $config.aggregators.iter().chain(default_spec.as_ref()) {
            match spec.descriptor.factories {
                Factories::Aggregator { $v: f, .. } => p.aggregators.extend($b.make(spec, f)),
                _ => $b.wrong_kind(spec),
            }
        }
        if $config.aggregators.is_empty() && default_spec.is_none() {
            p.aggregators
                .push($b.pass_through(Box::new(PassThrough::default())));
        }
        for spec in &$config.flushers {
            match spec.descriptor.factories {
                Factories::Flusher { $v: f, .. } => p.flushers.extend($b.make(spec, f)),
                _ => $b.wrong_kind(spec),
            }
        }
        p
    }};
}

impl Pipeline {
    /// Creates every plugin of `config` with its parameters decoded, without initialising
    /// any (this is what `pipeplug check` runs). With no aggregator, `aggregator_default` is
    /// added from the registry, or the engine's pass-through when none is registered.
    ///
    /// # Errors
    /// Every plugin whose parameters do not decode, with file, plugin and key.
    pub fn build(config: PipelineConfig) -> Result<Self, ConfigErrors> {
        let mut b = Builder {
            config: &config,
            errors: Vec::new(),
            panics: Arc::new(AtomicU64::new(0)),
        };
        let mut extensions = Vec::new();
        for spec in &config.extensions {
            match spec.descriptor.factories {
                Factories::Extension { new } => extensions.extend(b.make(spec, new)),
                _ => b.wrong_kind(spec),
            }
        }
        let plugins = match config.structure {
            StructureType::V1 => Plugins::V1(build_version!(b, config, v1, V1Plugins)),
            StructureType::V2 => Plugins::V2(build_version!(b, config, v2, V2Plugins)),
        };
        let Builder { errors, panics, .. } = b;
        ConfigErrors { errors }.into_result(())?;
        Ok(Self {
            config,
            extensions,
            plugins,
            panics,
        })
    }

    /// The pipeline's config.
    #[must_use]
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }
}

/// A config file, read and built.
#[derive(Debug)]
pub enum Loaded {
    /// An enabled pipeline, ready to start.
    Pipeline(Pipeline),
    /// A pipeline with `enable: false` (its plugins were not looked at).
    Disabled(PipelineConfig),
}

/// Reads the config file at `path` and builds its pipeline, reporting every problem at once:
/// those of the file and, for every plugin that resolved, those of its parameters.
///
/// # Errors
/// Every problem found, each naming the file, the plugin and the key.
pub fn load_file(
    path: &std::path::Path,
    registry: &pipeplug::registry::Registry,
) -> Result<Loaded, ConfigErrors> {
    let (config, mut errors) = crate::config::load_file_partial(path, registry);
    let Some(config) = config else {
        return Err(errors);
    };
    if !config.enable {
        return errors.into_result(Loaded::Disabled(config));
    }
    match Pipeline::build(config) {
        Ok(p) => errors.into_result(Loaded::Pipeline(p)),
        Err(e) => {
            errors.errors.extend(e.errors);
            // File-level problems first, then plugins in file order.
            errors.errors.sort_by_key(|d| {
                d.plugin.as_ref().map(|p| {
                    let rank = Section::ALL
                        .iter()
                        .position(|s| *s == p.section)
                        .unwrap_or(0);
                    (rank, p.index)
                })
            });
            Err(errors)
        }
    }
}
