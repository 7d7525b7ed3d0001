//! The conformance checks, on hand-registered plugins that pass and plugins that break one
//! rule each.

use pipeplug::compat::*;
use pipeplug::models::PipelineEvent;
use pipeplug::prelude::*;
use pipeplug::registry::{
    self, add_aggregator_creator, add_extension_creator, add_flusher_creator, add_metric_creator,
    add_processor_creator, add_service_creator, Both, ConfigField, Factories, Native,
    PluginDescriptor, PluginKind, SourceLocation, V1Only, V2Only,
};
use pipeplug::testing::conformance::{self, Failure};
use pipeplug::{ConfigError, ConfigProblemKind};
use std::sync::Once;

// --- plugins that pass --------------------------------------------------------------

/// Ticks every second on a worker.
#[derive(Default)]
struct GoodInput {
    ctx: Context,
    worker: Worker,
}
impl Plugin for GoodInput {
    fn description(&self) -> &str {
        "ticks"
    }
}
impl ServiceInput for GoodInput {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::ZERO)
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.worker.stop()
    }
}
impl ServiceInputV1 for GoodInput {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        let clock = self.ctx.clock().clone();
        self.worker.spawn(&self.ctx, "tick", move |stop| {
            let ticker = clock.ticker(Duration::from_secs(1));
            while ticker.tick(&stop) {
                collector.add_raw_log(Log::new(0, [("tick", "1")]));
            }
        })?;
        Ok(())
    }
}

/// Collects one log per round.
struct GoodMetric;
impl Plugin for GoodMetric {
    fn description(&self) -> &str {
        "one log per round"
    }
}
impl MetricInput for GoodMetric {}
impl MetricInputV1 for GoodMetric {
    fn collect(&mut self, collector: &Collector) -> Result<(), BoxError> {
        collector.add_raw_log(Log::new(0, [("up", "1")]));
        Ok(())
    }
}

/// What a V2 processor does with the events it does not handle.
#[derive(Clone, Copy)]
enum Others {
    PassOn,
    DropSilently,
    DropAndWarn,
    EmitOnEmpty,
    Panic,
}

struct LogsOnly {
    others: Others,
    ctx: Context,
}
impl Plugin for LogsOnly {
    fn description(&self) -> &str {
        "upper-cases log values"
    }
}
impl Processor for LogsOnly {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        self.ctx = ctx.clone();
        Ok(())
    }
}
impl ProcessorV2 for LogsOnly {
    fn process(&mut self, group: PipelineGroupEvents, ctx: &PipelineContext) {
        let mut out = Vec::new();
        let mut dropped = 0;
        for event in group.events {
            match event {
                PipelineEvent::Log(mut log) => {
                    let keys: Vec<String> = log.contents.keys().map(str::to_owned).collect();
                    for key in keys {
                        if let Some(v) = log.contents.get_mut(&key) {
                            *v = v.to_string().to_uppercase().into();
                        }
                    }
                    out.push(PipelineEvent::Log(log));
                }
                other => match self.others {
                    Others::PassOn | Others::EmitOnEmpty => out.push(other),
                    Others::DropSilently => {}
                    Others::DropAndWarn => dropped += 1,
                    Others::Panic => panic!("cannot handle {:?}", other.event_type()),
                },
            }
        }
        if dropped > 0 {
            self.ctx
                .logger()
                .warn(format!("dropped {dropped} events that are not logs"));
        }
        if matches!(self.others, Others::EmitOnEmpty) && out.is_empty() {
            let m = new_single_value_metric("heartbeat", MetricType::Gauge, Tags::new(), 0, 1.0);
            out.push(m.into());
        }
        ctx.collector().collect(group.group, out);
    }
}

fn logs_only(
    others: Others,
) -> impl Fn(&serde_json::Value) -> Result<V2Only<LogsOnly>, ConfigError> {
    move |_| {
        Ok(V2Only(LogsOnly {
            others,
            ctx: Context::default(),
        }))
    }
}

/// Keeps every log in one group.
#[derive(Default)]
struct GoodAggregator {
    logs: Vec<Log>,
}
impl Plugin for GoodAggregator {
    fn description(&self) -> &str {
        "one group"
    }
}
impl Aggregator for GoodAggregator {}
impl AggregatorV1 for GoodAggregator {
    fn add(&mut self, log: Log, _: Option<&LogContext>) -> Result<(), BoxError> {
        self.logs.push(log);
        Ok(())
    }
    fn flush(&mut self) -> Vec<LogGroup> {
        Vec::new()
    }
}

/// Discards everything.
struct GoodFlusher;
impl Plugin for GoodFlusher {
    fn description(&self) -> &str {
        "discards"
    }
}
impl Flusher for GoodFlusher {}
impl FlusherV1 for GoodFlusher {
    fn flush(&mut self, _: &str, _: &str, _: &str, _: &[LogGroup]) -> Result<(), BoxError> {
        Ok(())
    }
}
impl FlusherV2 for GoodFlusher {
    fn export(&mut self, _: &[PipelineGroupEvents], _: &PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Holds a token.
struct GoodExtension;
impl Plugin for GoodExtension {
    fn description(&self) -> &str {
        "holds a token"
    }
}
impl Extension for GoodExtension {}

// --- plugins that break a rule ------------------------------------------------------

/// Starts a thread in `init` and cannot stop it (a metric input has no `stop`).
#[derive(Default)]
struct ThreadInInit {
    worker: Worker,
}
impl Plugin for ThreadInInit {
    fn description(&self) -> &str {
        "leaks"
    }
}
impl MetricInput for ThreadInInit {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.worker.spawn(ctx, "poller", |stop| stop.wait())?;
        Ok(Duration::ZERO)
    }
}
impl MetricInputV1 for ThreadInInit {
    fn collect(&mut self, _: &Collector) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Forgets to stop its worker.
#[derive(Default)]
struct LeakyInput {
    ctx: Context,
    worker: Worker,
}
impl Plugin for LeakyInput {
    fn description(&self) -> &str {
        "leaks"
    }
}
impl ServiceInput for LeakyInput {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(Duration::ZERO)
    }
}
impl ServiceInputV2 for LeakyInput {
    fn start_service(&mut self, _: PipelineContext) -> Result<(), BoxError> {
        self.worker.spawn(&self.ctx, "leaked", |stop| stop.wait())?;
        Ok(())
    }
}

static CONFIG_FIELDS: &[ConfigField] = &[
    ConfigField {
        key: "interval",
        type_name: "Duration",
        default: Some("\"1m 30s\""),
        doc: "How often.",
        unit: Some("ns"),
        required: false,
    },
    ConfigField {
        key: "limit",
        type_name: "u64",
        default: Some("5_000"),
        doc: "At most this many.",
        unit: None,
        required: false,
    },
    ConfigField {
        key: "name",
        type_name: "String",
        default: Some("\"x\""),
        doc: "A name.",
        unit: None,
        required: false,
    },
    ConfigField {
        key: "keys",
        type_name: "Vec<String>",
        default: Some("vec ! [\"a\" . to_owned ()]"),
        doc: "Keys.",
        unit: None,
        required: false,
    },
];

fn descriptor(
    name: &'static str,
    description: &'static str,
    config_fields: &'static [ConfigField],
    defaults: fn() -> Result<serde_json::Value, ConfigError>,
) -> PluginDescriptor {
    PluginDescriptor {
        name,
        description,
        config_fields,
        source: SourceLocation {
            crate_name: "harness_conformance",
            file: file!(),
            line: line!(),
        },
        native: Native { v1: true, v2: true },
        factories: Factories::Flusher {
            v1: Box::leak(Box::new(|_: &serde_json::Value| {
                Ok(Box::new(GoodFlusher) as Box<dyn FlusherV1>)
            })),
            v2: Box::leak(Box::new(|_: &serde_json::Value| {
                Ok(Box::new(GoodFlusher) as Box<dyn FlusherV2>)
            })),
        },
        defaults,
        example: None,
    }
}

fn register_all() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        add_service_creator("service_conf_good", "ticks", |_| Ok(V1Only(GoodInput::default())));
        add_metric_creator("metric_conf_good", "one log per round", |_| Ok(V1Only(GoodMetric)));
        add_processor_creator("processor_conf_pass_on", "logs only", logs_only(Others::PassOn));
        // Registered by hand under a name without the kind's prefix (the attribute refuses it).
        registry::register(descriptor("conf_unprefixed", "sends nowhere", &[], || {
            Ok(serde_json::json!({}))
        }));
        add_processor_creator("processor_conf_drop_silently", "logs only", logs_only(Others::DropSilently));
        add_processor_creator("processor_conf_drop_and_warn", "logs only", logs_only(Others::DropAndWarn));
        add_processor_creator("processor_conf_emit_on_empty", "logs only", logs_only(Others::EmitOnEmpty));
        add_processor_creator("processor_conf_panics", "logs only", logs_only(Others::Panic));
        add_aggregator_creator("aggregator_conf_good", "one group", |_| {
            Ok(V1Only(GoodAggregator::default()))
        });
        add_flusher_creator("flusher_conf_good", "discards", |_| Ok(Both(GoodFlusher)));
        add_extension_creator("ext_conf_good", "holds a token", |_| Ok(GoodExtension));
        add_metric_creator("metric_conf_thread_in_init", "leaks", |_| {
            Ok(V1Only(ThreadInInit::default()))
        });
        add_service_creator("service_conf_leaky", "leaks", |_| Ok(V2Only(LeakyInput::default())));
        add_flusher_creator("flusher_conf_bad_config", "needs a config", |c| {
            if c.is_null() {
                Err(ConfigError::new(
                    "flusher_conf_bad_config",
                    "endpoint",
                    ConfigProblemKind::Custom("required".into()),
                ))
            } else {
                Ok(Both(GoodFlusher))
            }
        });
        registry::register(descriptor(
            "flusher_conf_defaults_agree",
            "discards",
            CONFIG_FIELDS,
            || Ok(serde_json::json!({"interval": "90s", "limit": 5000, "name": "x", "keys": ["b"]})),
        ));
        registry::register(descriptor(
            "flusher_conf_defaults_disagree",
            "discards",
            CONFIG_FIELDS,
            || Ok(serde_json::json!({"interval": "5s", "limit": 5000, "name": "y"})),
        ));
        registry::register(descriptor(
            "flusher_conf_defaults_fail",
            "discards",
            CONFIG_FIELDS,
            || {
                Err(ConfigError::new(
                    "flusher_conf_defaults_fail",
                    "interval",
                    ConfigProblemKind::Custom("bad default".into()),
                ))
            },
        ));
        registry::register(descriptor(
            "flusher_conf_undocumented",
            " ",
            &[ConfigField {
                key: "endpoint",
                type_name: "String",
                default: None,
                doc: "",
                unit: None,
                required: false,
            }],
            || Ok(serde_json::json!({"endpoint": ""})),
        ));
    });
}

fn failures(kind: PluginKind, name: &str) -> Vec<Failure> {
    register_all();
    conformance::check(kind, name).err().unwrap_or_default()
}

fn only_failure(kind: PluginKind, name: &str) -> Failure {
    let f = failures(kind, name);
    assert_eq!(f.len(), 1, "{f:#?}");
    f.into_iter().next().unwrap_or_else(|| unreachable!())
}

#[test]
fn good_plugins_of_every_kind_pass() {
    register_all();
    for (kind, name) in [
        (PluginKind::ServiceInput, "service_conf_good"),
        (PluginKind::MetricInput, "metric_conf_good"),
        (PluginKind::Processor, "processor_conf_pass_on"),
        (PluginKind::Aggregator, "aggregator_conf_good"),
        (PluginKind::Flusher, "flusher_conf_good"),
        (PluginKind::Extension, "ext_conf_good"),
        (PluginKind::Flusher, "flusher_conf_defaults_agree"),
    ] {
        conformance::run(kind, name);
    }
}

#[test]
fn a_processor_silently_dropping_other_kinds_fails() {
    let f = only_failure(PluginKind::Processor, "processor_conf_drop_silently");
    assert_eq!(f.check, "v2 pass-through");
    assert!(
        f.message
            .contains("silently dropped the metric, span, byte array"),
        "{}",
        f.message
    );
}

#[test]
fn a_processor_that_says_why_it_drops_passes() {
    assert_eq!(
        failures(PluginKind::Processor, "processor_conf_drop_and_warn"),
        []
    );
}

#[test]
fn a_processor_making_events_from_an_empty_batch_fails() {
    let f = only_failure(PluginKind::Processor, "processor_conf_emit_on_empty");
    assert_eq!(f.check, "v2");
    assert!(
        f.message
            .contains("an empty batch must give an empty batch"),
        "{}",
        f.message
    );
}

#[test]
fn a_panicking_plugin_fails_the_check_it_panicked_in() {
    let f = only_failure(PluginKind::Processor, "processor_conf_panics");
    assert_eq!(f.check, "v2 pass-through");
    assert!(
        f.message.contains("panicked: cannot handle Metric"),
        "{}",
        f.message
    );
}

#[test]
fn an_unregistered_name_fails_with_a_suggestion_and_the_kind_it_has() {
    let f = only_failure(PluginKind::Processor, "processor_conf_pass_onn");
    assert_eq!(f.check, "registry");
    assert!(
        f.message.contains("did you mean `processor_conf_pass_on`?"),
        "{}",
        f.message
    );
    let f = only_failure(PluginKind::Processor, "flusher_conf_good");
    assert!(
        f.message.contains("it is registered as a flusher"),
        "{}",
        f.message
    );
}

#[test]
fn threads_left_behind_fail() {
    let f = failures(PluginKind::MetricInput, "metric_conf_thread_in_init");
    let checks: Vec<_> = f.iter().map(|f| f.check).collect();
    assert_eq!(checks, ["v1", "v2"]);
    assert!(
        f[0].message.contains("a metric input has no `stop`"),
        "{}",
        f[0].message
    );
    let f = failures(PluginKind::ServiceInput, "service_conf_leaky");
    let checks: Vec<_> = f.iter().map(|f| f.check).collect();
    assert_eq!(checks, ["v1", "v2"]);
    assert!(
        f[0].message
            .contains("1 thread(s) still running after stop"),
        "{}",
        f[0].message
    );
}

#[test]
fn a_factory_refusing_the_empty_config_fails() {
    let f = failures(PluginKind::Flusher, "flusher_conf_bad_config");
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(f[0].check, "create");
    assert!(
        f[0].message
            .contains("the V1 factory fails on an empty config"),
        "{}",
        f[0].message
    );
    assert!(f[0].message.contains("required"), "{}", f[0].message);
    // It says which fix applies.
    assert!(
        f[0].message.contains("fix: give every key a default"),
        "{}",
        f[0].message
    );
}

#[test]
fn documented_defaults_must_match_the_decoded_ones() {
    let f = only_failure(PluginKind::Flusher, "flusher_conf_defaults_disagree");
    assert_eq!(f.check, "defaults");
    assert!(
        f.message
            .contains(r#"key `interval` documents the default `"1m 30s"` but decodes to `"5s"`"#),
        "{}",
        f.message
    );
    assert!(f.message.contains("key `name`"), "{}", f.message);
    assert!(!f.message.contains("key `limit`"), "{}", f.message);
    assert!(!f.message.contains("key `keys`"), "{}", f.message);
    let f = only_failure(PluginKind::Flusher, "flusher_conf_defaults_fail");
    assert!(
        f.message.contains("the config of defaults does not decode"),
        "{}",
        f.message
    );
}

#[test]
fn the_description_and_every_field_need_docs() {
    let f = only_failure(PluginKind::Flusher, "flusher_conf_undocumented");
    assert_eq!(f.check, "docs");
    assert!(f.message.contains("no description"), "{}", f.message);
    assert!(f.message.contains("`endpoint`"), "{}", f.message);
}

#[test]
fn run_panics_naming_the_plugin_the_check_and_where_it_is_defined() {
    register_all();
    let panic = std::panic::catch_unwind(|| {
        conformance::run(PluginKind::Processor, "processor_conf_drop_silently");
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.starts_with("conformance of processor `processor_conf_drop_silently` failed:"),
        "{message}"
    );
    assert!(message.contains("- v2 pass-through: "), "{message}");
    assert!(message.contains("defined in crate"), "{message}");
}

#[test]
fn a_name_without_the_kinds_prefix_fails() {
    let f = only_failure(PluginKind::Flusher, "conf_unprefixed");
    assert_eq!(f.check, "name");
    assert!(
        f.message
            .starts_with("the name does not start with the flusher prefix `flusher_`"),
        "{}",
        f.message
    );
}
