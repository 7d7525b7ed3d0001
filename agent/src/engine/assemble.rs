//! Assembling a pipeline: every plugin created from the registry the engine was handed, with
//! its config decoded by the plugin's own decoder, in the interface version the pipeline runs.

use super::counts::PluginStats;
use super::guard::PluginLabel;
use super::passthrough::PassThrough;
use crate::pipeline_config::{
    ConfigDiagnostic, ConfigErrors, DeliveryConfig, PipelineConfig, PluginPosition, PluginSpec,
    Problem, Section, StructureType,
};
use pipeplug::plugin::{
    AggregatorV1, AggregatorV2, Extension, FlusherV1, FlusherV2, MetricInputV1, MetricInputV2,
    ProcessorV1, ProcessorV2, ServiceInputV1, ServiceInputV2,
};
use pipeplug::registry::{Factories, Factory, PluginKind, Registry};
use pipeplug::runner::panic_message;
use pipeplug::PluginMeta;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// The aggregator a pipeline without one gets, when the registry has it.
const DEFAULT_AGGREGATOR: &str = "aggregator_default";

/// A created plugin and what the engine knows of it.
pub(crate) struct Built<T> {
    pub label: PluginLabel,
    pub meta: PluginMeta,
    /// The `Type` named an ID (`ext_x/u1`), rather than getting a number.
    pub explicit_id: bool,
    /// Its parameters as written (a metric input's `IntervalMs` is read from them).
    pub params: serde_json::Value,
    /// A flusher's delivery settings (the defaults for other plugins).
    pub delivery: DeliveryConfig,
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
    /// The registry it was assembled from: undeclared extensions are created from it too.
    pub(crate) registry: Arc<Registry>,
    /// The clock of its plugins' context and of its engine threads: the system clock, or a
    /// test's virtual clock (`crate::testing::PipelineTest`).
    pub(crate) clock: pipeplug::Clock,
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
    registry: &'a Registry,
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
            stats: Arc::default(),
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
                params: spec.params.clone(),
                delivery: spec.delivery,
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

    /// The factories of `spec`'s plugin in the registry the pipeline is built with; a
    /// plugin that registry does not have (the config was read against another one) becomes
    /// a diagnostic.
    fn factories(&mut self, spec: &PluginSpec) -> Option<Factories> {
        let found = self.registry.get(spec.kind(), &spec.plugin_type.name);
        if found.is_none() {
            self.errors.push(
                ConfigDiagnostic::file(
                    &self.config.file,
                    Problem::Pipeline(format!(
                        "{} `{}` is not in the registry this pipeline is built with",
                        spec.kind(),
                        spec.plugin_type.name
                    )),
                )
                .at_plugin(spec.position.clone()),
            );
        }
        found.map(|d| d.factories)
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
        let descriptor = self
            .registry
            .get(PluginKind::Aggregator, DEFAULT_AGGREGATOR)?;
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
                type_string: DEFAULT_AGGREGATOR.to_owned(),
            },
            plugin_type: pipeplug::registry::PluginType {
                name: DEFAULT_AGGREGATOR.to_owned(),
                id: None,
                priority: None,
            },
            id: next_id.to_string(),
            descriptor,
            params: serde_json::Value::Null,
            delivery: DeliveryConfig::default(),
        })
    }

    fn pass_through<T>(&self, plugin: T) -> Built<T> {
        Built {
            label: PluginLabel {
                type_with_id: DEFAULT_AGGREGATOR.to_owned(),
                position: "aggregators (engine's pass-through)".to_owned(),
                config: self.config.name.clone(),
                panics: Arc::clone(&self.panics),
                stats: Arc::default(),
            },
            meta: PluginMeta {
                plugin_type: DEFAULT_AGGREGATOR.to_owned(),
                plugin_id: String::new(),
            },
            explicit_id: false,
            params: serde_json::Value::Null,
            delivery: DeliveryConfig::default(),
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
            match $b.factories(spec) {
                Some(Factories::MetricInput { $v: f, .. }) => p.metric.extend($b.make(spec, f)),
                Some(Factories::ServiceInput { $v: f, .. }) => p.service.extend($b.make(spec, f)),
                Some(_) => $b.wrong_kind(spec),
                None => {}
            }
        }
        for spec in &$config.processors {
            match $b.factories(spec) {
                Some(Factories::Processor { $v: f, .. }) => p.processors.extend($b.make(spec, f)),
                Some(_) => $b.wrong_kind(spec),
                None => {}
            }
        }
        let default_spec = if $config.aggregators.is_empty() {
            $b.default_aggregator()
        } else {
            None
        };
        for spec in $config.aggregators.iter().chain(default_spec.as_ref()) {
            match $b.factories(spec) {
                Some(Factories::Aggregator { $v: f, .. }) => p.aggregators.extend($b.make(spec, f)),
                Some(_) => $b.wrong_kind(spec),
                None => {}
            }
        }
        if $config.aggregators.is_empty() && default_spec.is_none() {
            p.aggregators
                .push($b.pass_through(Box::new(PassThrough::default())));
        }
        for spec in &$config.flushers {
            match $b.factories(spec) {
                Some(Factories::Flusher { $v: f, .. }) => p.flushers.extend($b.make(spec, f)),
                Some(_) => $b.wrong_kind(spec),
                None => {}
            }
        }
        p
    }};
}

impl Pipeline {
    /// Creates every plugin of `config` from `registry` with its parameters decoded, without
    /// initialising any (this is what `pipeplug check` runs). With no aggregator,
    /// `aggregator_default` is added from `registry`, or the engine's pass-through when
    /// `registry` has none. Once started, the pipeline creates the extensions its plugins ask
    /// for without declaring them from `registry` too, so a host handing a subset
    /// ([`Registry::from_descriptors`]) runs only that subset.
    ///
    /// Each plugin is looked up again by kind and name in `registry` (`config` may have been
    /// read against another one, see [`crate::pipeline_config::load_file`]).
    ///
    /// # Errors
    /// Every plugin whose parameters do not decode, or that `registry` does not have, with
    /// file, plugin and key.
    pub fn build(config: PipelineConfig, registry: &Registry) -> Result<Self, ConfigErrors> {
        let mut b = Builder {
            config: &config,
            registry,
            errors: Vec::new(),
            panics: Arc::new(AtomicU64::new(0)),
        };
        let mut extensions = Vec::new();
        for spec in &config.extensions {
            match b.factories(spec) {
                Some(Factories::Extension { new }) => extensions.extend(b.make(spec, new)),
                Some(_) => b.wrong_kind(spec),
                None => {}
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
            registry: Arc::new(registry.clone()),
            clock: pipeplug::Clock::Real,
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
pub fn load_file(path: &std::path::Path, registry: &Registry) -> Result<Loaded, ConfigErrors> {
    let (config, errors) = crate::pipeline_config::load_file_partial(path, registry);
    built(config, errors, registry)
}

/// Reads a config text as [`load_file`] reads a file's (`file` names it in messages, `name`
/// is its config name) and builds its pipeline: the same checks, errors and order.
///
/// # Errors
/// Every problem found, each naming `file`, the plugin and the key.
pub fn load_str(
    text: &str,
    format: crate::pipeline_config::Format,
    file: &str,
    name: &str,
    registry: &Registry,
) -> Result<Loaded, ConfigErrors> {
    let (config, errors) =
        crate::pipeline_config::load_str_partial(text, format, file, name, registry);
    built(config, errors, registry)
}

/// The pipeline of a config read with `errors`, built: every problem at once, those of the
/// file first.
fn built(
    config: Option<PipelineConfig>,
    mut errors: ConfigErrors,
    registry: &Registry,
) -> Result<Loaded, ConfigErrors> {
    let Some(config) = config else {
        return Err(errors);
    };
    if !config.enable {
        return errors.into_result(Loaded::Disabled(config));
    }
    match Pipeline::build(config, registry) {
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

impl<M: ?Sized, S: ?Sized, P: ?Sized, A: ?Sized, F: ?Sized> PluginSet<M, S, P, A, F> {
    /// Each plugin's kind, identity and engine counts: inputs (metric, then service),
    /// processors, aggregators, flushers.
    fn stats(&self) -> Vec<(PluginKind, PluginMeta, Arc<PluginStats>)> {
        fn of<T>(
            kind: PluginKind,
            b: &[Built<T>],
        ) -> impl Iterator<Item = (PluginKind, PluginMeta, Arc<PluginStats>)> + '_ {
            b.iter()
                .map(move |b| (kind, b.meta.clone(), Arc::clone(&b.label.stats)))
        }
        of(PluginKind::MetricInput, &self.metric)
            .chain(of(PluginKind::ServiceInput, &self.service))
            .chain(of(PluginKind::Processor, &self.processors))
            .chain(of(PluginKind::Aggregator, &self.aggregators))
            .chain(of(PluginKind::Flusher, &self.flushers))
            .collect()
    }
}

impl Plugins {
    /// Each plugin's kind, identity and engine counts (see [`PluginSet::stats`]).
    pub(crate) fn stats(&self) -> Vec<(PluginKind, PluginMeta, Arc<PluginStats>)> {
        match self {
            Self::V1(p) => p.stats(),
            Self::V2(p) => p.stats(),
        }
    }
}
