//! A host handing the engine a subset of the plugins (`Registry::from_descriptors`) runs
//! only that subset: a plugin outside it is not found, neither as a `Type` nor as an
//! extension a plugin asks for without declaring it, and the default aggregator comes from
//! the subset too (the engine's pass-through when the subset has none).

// Helpers of these tests unwrap as the tests do: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

use pipeplug::prelude::*;
use pipeplug::registry::{self, PluginDescriptor, PluginKind, Registry};
use pipeplug_agent::engine::{Engine, EngineOptions, Pipeline, StartError};
use pipeplug_agent::pipeline_config::{self, Format, PipelineConfig};
use pipeplug_tests::testkit;
use std::sync::Arc;
use std::time::Instant;

/// An extension nobody declares: [`AsksForExtension`] asks for it by name.
#[extension(name = "ext_subset_greeting")]
pub struct Greeting {}

impl Extension for Greeting {}

/// A service input whose `init` asks for `ext_subset_greeting` without the pipeline
/// declaring it (so it is created from the registry).
#[service_input(name = "service_subset_asks")]
pub struct AsksForExtension {}

impl ServiceInput for AsksForExtension {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        ctx.get_extension("ext_subset_greeting", &serde_json::Value::Null)?;
        Ok(Duration::ZERO)
    }
}

impl ServiceInputV1 for AsksForExtension {
    fn start(&mut self, _: Collector) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Marks every log it passes on with `aggregated_by = marker`; also registered, in a
/// subset, under the name `aggregator_default`.
#[aggregator(name = "aggregator_subset_marker")]
pub struct Marker {
    /// Logs held until the next flush.
    #[state]
    logs: Vec<Log>,
}

impl Aggregator for Marker {}

impl AggregatorV1 for Marker {
    fn add(&mut self, mut log: Log, _: Option<&LogContext>) -> Result<(), BoxError> {
        log.push("aggregated_by", "marker");
        self.logs.push(log);
        Ok(())
    }

    fn flush(&mut self) -> Vec<LogGroup> {
        if self.logs.is_empty() {
            return Vec::new();
        }
        vec![LogGroup {
            logs: std::mem::take(&mut self.logs),
            ..LogGroup::default()
        }]
    }
}

fn global() -> Arc<Registry> {
    testkit::register();
    registry::global().unwrap()
}

/// The registered plugin of `kind` called `name`.
fn registered(kind: PluginKind, name: &str) -> &'static PluginDescriptor {
    global()
        .get(kind, name)
        .unwrap_or_else(|| panic!("{name} is registered"))
}

/// `aggregator_subset_marker` under the name `aggregator_default` (not registered: only a
/// registry made from descriptors holds it).
fn marker_as_default() -> &'static PluginDescriptor {
    let m = registered(PluginKind::Aggregator, "aggregator_subset_marker");
    Box::leak(Box::new(PluginDescriptor {
        name: "aggregator_default",
        description: m.description,
        config_fields: m.config_fields,
        source: m.source,
        native: m.native,
        factories: m.factories,
        defaults: m.defaults,
        example: None,
    }))
}

/// A registry of the counting input and flusher, the extension-asking input, and `more`.
fn subset(more: &[&'static PluginDescriptor]) -> Registry {
    let base = [
        registered(PluginKind::ServiceInput, "service_counter"),
        registered(PluginKind::ServiceInput, "service_subset_asks"),
        registered(PluginKind::Flusher, "flusher_count"),
    ];
    Registry::from_descriptors(base.into_iter().chain(more.iter().copied())).unwrap()
}

fn load(name: &str, text: &str, registry: &Registry) -> PipelineConfig {
    pipeline_config::load_str(text, Format::Yaml, &format!("{name}.yaml"), name, registry)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn engine() -> Engine {
    Engine::with_checkpoints(
        Arc::new(pipeplug::MemoryCheckpoints::new()),
        EngineOptions::default(),
    )
}

/// Runs `pipeline` until its flusher `name` got `events` events (10 s at most), stops it,
/// and returns what that flusher kept.
fn run(pipeline: Pipeline, name: &str, events: u64) -> Vec<serde_json::Value> {
    let mut engine = engine();
    engine.start(pipeline).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while testkit::count(name) < events && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    engine.stop();
    testkit::kept(name)
}

#[test]
fn a_type_outside_the_subset_is_not_found() {
    let text = "inputs: [{Type: service_counter}]\nprocessors: [{Type: processor_tag}]\nflushers: [{Type: flusher_count}]\n";
    let sub = subset(&[]);
    let err =
        pipeline_config::load_str(text, Format::Yaml, "outside.yaml", "outside", &sub).unwrap_err();
    assert!(
        err.to_string()
            .contains("processors[0] (processor_tag): unknown processor `processor_tag`"),
        "{err}"
    );
    // A config read against the whole registry, built with the subset.
    let cfg = load("outside", text, &global());
    let err = Pipeline::build(cfg, &sub).unwrap_err();
    assert!(
        err.to_string().contains(
            "processors[0] (processor_tag): processor `processor_tag` is not in the registry this pipeline is built with"
        ),
        "{err}"
    );
}

#[test]
fn an_undeclared_extension_outside_the_subset_is_not_created() {
    let text =
        "inputs: [{Type: service_subset_asks}]\nflushers: [{Type: flusher_count, Name: asks}]\n";
    // With the whole registry, the input gets the extension it asks for.
    let reg = global();
    let mut e = engine();
    e.start(Pipeline::build(load("asks", text, &reg), &reg).unwrap())
        .unwrap();
    e.stop();
    // With a subset without it, its `init` fails, naming the extension.
    let sub = subset(&[]);
    let err = engine()
        .start(Pipeline::build(load("asks", text, &sub), &sub).unwrap())
        .unwrap_err();
    assert!(matches!(err, StartError::Init { .. }), "{err:?}");
    let chain = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(
        chain.contains("service_subset_asks/1 (inputs[0]): init failed")
            && chain.contains("ext_subset_greeting"),
        "{chain}"
    );
    // With the extension in the subset, it is created from the subset.
    let sub = subset(&[registered(PluginKind::Extension, "ext_subset_greeting")]);
    let mut e = engine();
    e.start(Pipeline::build(load("asks", text, &sub), &sub).unwrap())
        .unwrap();
    e.stop();
}

#[test]
fn the_default_aggregator_comes_from_the_subset() {
    let text = |name: &str| {
        format!("inputs: [{{Type: service_counter, Count: 3}}]\nflushers: [{{Type: flusher_count, Name: {name}, Keep: true}}]\n")
    };
    // The subset's `aggregator_default` is the marker.
    let sub = subset(&[marker_as_default()]);
    let cfg = load("with_default", &text("with_default"), &sub);
    let kept = run(Pipeline::build(cfg, &sub).unwrap(), "with_default", 3);
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(
        kept.iter().all(|e| e["aggregated_by"] == "marker"),
        "{kept:?}"
    );
    // Without one, the engine's pass-through: events come through unmarked.
    let sub = subset(&[]);
    let cfg = load("without_default", &text("without_default"), &sub);
    let kept = run(Pipeline::build(cfg, &sub).unwrap(), "without_default", 3);
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(
        kept.iter().all(|e| e.get("aggregated_by").is_none()),
        "{kept:?}"
    );
}
