//! `Context`: identity, checkpoints, self-metrics, the logger, and extension lookup (Go's
//! `pipeline.Context`).
#![allow(clippy::unwrap_used)] // test helpers, not only `#[test]` functions, unwrap

use pipeplug::plugin::{Extension, Plugin};
use pipeplug::registry;
use pipeplug::{
    error_chain, BoxError, CheckpointError, CheckpointStore, ConfigError, ConfigProblemKind,
    Context, ExtensionError, ExtensionHandle, Level, LogRecord, LookupError, MemoryCheckpoints,
    PluginMeta, SelfMetricValue,
};
use serde_json::json;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

fn meta(plugin_type: &str, plugin_id: &str) -> PluginMeta {
    PluginMeta {
        plugin_type: plugin_type.to_owned(),
        plugin_id: plugin_id.to_owned(),
    }
}

#[test]
fn identity_is_the_pipelines_and_the_plugins() {
    let ctx = Context::builder()
        .config_name("cfg")
        .project("proj")
        .logstore("store")
        .build();
    let plugin = ctx.for_plugin(meta("processor_rename", "2"));
    assert_eq!(
        (plugin.config_name(), plugin.project(), plugin.logstore()),
        ("cfg", "proj", "store")
    );
    assert_eq!(plugin.plugin().type_with_id(), "processor_rename/2");
    assert_eq!(
        meta("processor_rename", "").type_with_id(),
        "processor_rename"
    );
    assert_eq!(ctx.plugin().type_with_id(), "");
    assert_eq!(ctx.global().input_interval_ms, 1000, "iLogtail's default");
}

#[test]
fn checkpoints_round_trip_as_bytes_and_as_objects() {
    let ctx = Context::builder().config_name("cfg").build();
    assert_eq!(ctx.get_checkpoint("offset").unwrap(), None);
    ctx.save_checkpoint("offset", b"\x00\x01").unwrap();
    assert_eq!(ctx.get_checkpoint("offset").unwrap(), Some(vec![0, 1]));
    ctx.save_checkpoint("offset", b"2").unwrap();
    assert_eq!(ctx.get_checkpoint("offset").unwrap(), Some(b"2".to_vec()));

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Position {
        file: String,
        offset: u64,
    }
    let pos = Position {
        file: "/var/log/a".to_owned(),
        offset: 42,
    };
    ctx.save_checkpoint_object("pos", &pos).unwrap();
    assert_eq!(
        ctx.get_checkpoint_object::<Position>("pos").unwrap(),
        Some(pos)
    );
    assert_eq!(ctx.get_checkpoint_object::<Position>("none").unwrap(), None);
}

#[test]
fn checkpoints_are_kept_per_pipeline_config() {
    let store = Arc::new(MemoryCheckpoints::new());
    let a = Context::builder()
        .config_name("a")
        .checkpoints(store.clone())
        .build();
    let b = Context::builder()
        .config_name("b")
        .checkpoints(store.clone())
        .build();
    a.save_checkpoint("k", b"from a").unwrap();
    assert_eq!(b.get_checkpoint("k").unwrap(), None);
    assert_eq!(
        store.entries(),
        vec![("a^k".to_owned(), b"from a".to_vec())]
    );
    // A plugin's view shares its pipeline's checkpoints.
    let plugin = a.for_plugin(meta("input", "1"));
    assert_eq!(
        plugin.get_checkpoint("k").unwrap(),
        Some(b"from a".to_vec())
    );
}

#[test]
fn a_checkpoint_of_another_type_is_a_json_error_naming_the_key() {
    let ctx = Context::default();
    ctx.save_checkpoint("n", b"not json").unwrap();
    let err = ctx.get_checkpoint_object::<u64>("n").unwrap_err();
    assert!(
        matches!(&err, CheckpointError::Json { key, .. } if key == "n"),
        "{err:?}"
    );
    assert!(error_chain(&err).starts_with("checkpoint `n`: "), "{err}");
}

#[derive(Debug)]
struct BrokenStore;

impl CheckpointStore for BrokenStore {
    fn save(&self, _: &str, _: &[u8]) -> Result<(), BoxError> {
        Err("disk full".into())
    }
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>, BoxError> {
        Err("disk gone".into())
    }
}

#[test]
fn a_failing_store_gives_store_errors_naming_the_key() {
    let ctx = Context::builder()
        .checkpoints(Arc::new(BrokenStore))
        .build();
    let err = ctx.save_checkpoint_object("pos", &1).unwrap_err();
    assert_eq!(
        error_chain(&err),
        "checkpoint `pos`: the store failed: disk full"
    );
    let err = ctx.get_checkpoint("pos").unwrap_err();
    assert!(matches!(&err, CheckpointError::Store { key, .. } if key == "pos"));
    assert_eq!(
        error_chain(&err),
        "checkpoint `pos`: the store failed: disk gone"
    );
}

#[test]
fn self_metrics_are_shared_by_name_and_labelled_with_pipeline_and_plugin() {
    let pipeline = Context::builder().config_name("cfg").build();
    let ctx = pipeline.for_plugin(meta("service_x", "1"));
    ctx.counter("lines").add(2);
    ctx.counter("lines").add(3);
    assert_eq!(ctx.counter("lines").get(), 5);
    ctx.counter_with_labels("lines", &[("file", "a")]).add(1);
    ctx.gauge("lag").set(1.5);
    ctx.latency("flush").observe(Duration::from_millis(10));
    ctx.latency("flush").observe(Duration::from_millis(30));

    let latency = ctx.latency("flush");
    assert_eq!(
        (latency.count(), latency.mean()),
        (2, Duration::from_millis(20))
    );
    assert_eq!(ctx.gauge("lag").get(), 1.5);

    // Another plugin of the pipeline has counters of its own.
    let other = pipeline.for_plugin(meta("service_x", "2"));
    assert_eq!(other.counter("lines").get(), 0);

    let exported = pipeline.export_metrics();
    let find = |name: &str, plugin: &str, extra: Option<(&str, &str)>| {
        exported
            .iter()
            .find(|m| {
                let mut labels = vec![
                    ("config_name".to_owned(), "cfg".to_owned()),
                    ("plugin".to_owned(), plugin.to_owned()),
                ];
                labels.extend(extra.map(|(k, v)| (k.to_owned(), v.to_owned())));
                m.name == name && m.labels == labels
            })
            .map(|m| m.value.clone())
    };
    assert_eq!(
        find("lines", "service_x/1", None),
        Some(SelfMetricValue::Counter(5))
    );
    assert_eq!(
        find("lines", "service_x/1", Some(("file", "a"))),
        Some(SelfMetricValue::Counter(1))
    );
    assert_eq!(
        find("lines", "service_x/2", None),
        Some(SelfMetricValue::Counter(0))
    );
    assert_eq!(
        find("lag", "service_x/1", None),
        Some(SelfMetricValue::Gauge(1.5))
    );
    assert_eq!(
        find("flush", "service_x/1", None),
        Some(SelfMetricValue::Latency {
            count: 2,
            mean_ns: 20_000_000
        })
    );
}

#[test]
fn a_metric_name_reused_for_another_kind_does_not_panic() {
    let ctx = Context::default();
    ctx.counter("x").add(1);
    ctx.gauge("x").set(2.0);
    assert_eq!(ctx.counter("x").get(), 1, "the counter is untouched");
}

#[test]
fn logger_records_lines_tagged_with_the_plugin() {
    let pipeline = Context::builder()
        .config_name("cfg")
        .record_logs(true)
        .build();
    let ctx = pipeline.for_plugin(meta("processor_x", "3"));
    ctx.logger().info("started");
    ctx.logger().alarm("PARSE_LOG_FAIL_ALARM", "bad line");
    pipeline.logger().error("pipeline failed");
    let record = |level, alarm: Option<&str>, plugin: &str, message: &str| LogRecord {
        level,
        alarm: alarm.map(str::to_owned),
        alarm_level: alarm.map(|_| pipeplug::AlarmLevel::Warning),
        plugin: plugin.to_owned(),
        message: message.to_owned(),
    };
    assert_eq!(
        pipeline.log_records(),
        vec![
            record(Level::Info, None, "processor_x/3", "started"),
            record(
                Level::Warn,
                Some("PARSE_LOG_FAIL_ALARM"),
                "processor_x/3",
                "bad line"
            ),
            record(Level::Error, None, "", "pipeline failed"),
        ]
    );
}

#[test]
fn logger_keeps_nothing_unless_asked() {
    let ctx = Context::default();
    ctx.logger().warn("dropped");
    assert!(ctx.log_records().is_empty());
}

/// An extension that remembers its config and the identity it was initialised with.
#[derive(Debug, Default)]
struct Auth {
    user: String,
    init_as: Option<String>,
    calls: u32,
}

impl Plugin for Auth {
    fn description(&self) -> &str {
        "basic auth"
    }
}

impl Extension for Auth {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        if self.user == "fail" {
            return Err("no such user".into());
        }
        self.init_as = Some(ctx.plugin().type_with_id());
        Ok(())
    }
}

/// Another extension type, for downcasts that must fail.
struct Encoder;

impl Plugin for Encoder {
    fn description(&self) -> &str {
        "encodes"
    }
}
impl Extension for Encoder {}

static REGISTER: Once = Once::new();

fn register_auth() {
    REGISTER.call_once(|| {
        registry::add_extension_creator("ext_ctx_auth", "basic auth", |config| {
            match config.get("User") {
                None => Ok(Auth::default()),
                Some(serde_json::Value::String(user)) => Ok(Auth {
                    user: user.clone(),
                    ..Auth::default()
                }),
                Some(_) => Err(ConfigError::new(
                    "ext_ctx_auth",
                    "User",
                    ConfigProblemKind::Custom("not a string".to_owned()),
                )),
            }
        });
    });
}

/// A context that creates undeclared extensions from the global registry, as a host's do.
fn registry_context() -> Context {
    Context::builder()
        .extension_factory(registry::global().unwrap().extension_factory())
        .build()
}

fn handle<E: Extension>(ext: E) -> ExtensionHandle {
    Arc::new(Mutex::new(Box::new(ext)))
}

#[test]
fn declared_extension_is_found_by_type_and_id() {
    let ctx = Context::default();
    let declared = handle(Auth {
        user: "declared".to_owned(),
        ..Auth::default()
    });
    ctx.add_extension("ext_ctx_auth/u1", Arc::clone(&declared));
    let found = ctx.get_extension("ext_ctx_auth/u1", &json!(null)).unwrap();
    assert!(Arc::ptr_eq(&found, &declared));
    let user = ctx
        .with_extension("ext_ctx_auth/u1", &json!(null), |a: &mut Auth| {
            a.user.clone()
        })
        .unwrap();
    assert_eq!(user, "declared");
}

#[test]
fn undeclared_bare_name_is_created_from_the_registry_and_kept() {
    register_auth();
    let ctx = registry_context().for_plugin(meta("flusher_http", "1"));
    let config = json!({ "User": "alice" });
    let (user, init_as) = ctx
        .with_extension("ext_ctx_auth", &config, |a: &mut Auth| {
            a.calls += 1;
            (a.user.clone(), a.init_as.clone())
        })
        .unwrap();
    assert_eq!(user, "alice", "configured from the caller's config");
    assert_eq!(
        init_as.as_deref(),
        Some("ext_ctx_auth"),
        "initialised as itself, not as the plugin that asked"
    );
    // The second lookup finds the same instance (its config is not applied again).
    let calls = ctx
        .with_extension("ext_ctx_auth", &json!({ "User": "bob" }), |a: &mut Auth| {
            a.calls += 1;
            (a.user.clone(), a.calls)
        })
        .unwrap();
    assert_eq!(calls, ("alice".to_owned(), 2));
}

#[test]
fn undeclared_type_with_id_is_an_error() {
    register_auth();
    let err = Context::default()
        .get_extension("ext_ctx_auth/u9", &json!(null))
        .unwrap_err();
    assert!(matches!(&err, ExtensionError::NotDeclared { name } if name == "ext_ctx_auth/u9"));
    assert_eq!(
        err.to_string(),
        "extension `ext_ctx_auth/u9` is not declared in the pipeline"
    );
}

#[test]
fn unknown_extension_name_is_an_error_with_a_suggestion() {
    register_auth();
    let err = registry_context()
        .get_extension("ext_ctx_auht", &json!(null))
        .unwrap_err();
    let ExtensionError::Create { name, source } = &err else {
        panic!("expected a create error, got {err:?}");
    };
    assert_eq!(name, "ext_ctx_auht");
    assert!(
        matches!(&**source, LookupError::Unknown { suggestion: Some(s), .. } if s == "ext_ctx_auth"),
        "{source:?}"
    );
}

#[test]
fn bad_extension_config_and_failed_init_are_errors() {
    register_auth();
    let ctx = registry_context();
    let err = ctx
        .get_extension("ext_ctx_auth", &json!({ "User": 1 }))
        .unwrap_err();
    assert!(
        matches!(&err, ExtensionError::Create { source, .. } if matches!(**source, LookupError::Config(_))),
        "{err:?}"
    );
    let err = ctx
        .get_extension("ext_ctx_auth", &json!({ "User": "fail" }))
        .unwrap_err();
    assert_eq!(err.to_string(), "extension `ext_ctx_auth`: init failed");
    assert_eq!(
        error_chain(&err),
        "extension `ext_ctx_auth`: init failed: no such user"
    );
}

#[test]
fn undeclared_bare_name_without_a_factory_is_an_error() {
    register_auth();
    let err = Context::default()
        .get_extension("ext_ctx_auth", &json!(null))
        .unwrap_err();
    assert!(
        matches!(&err, ExtensionError::NoFactory { name } if name == "ext_ctx_auth"),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with(
            "extension `ext_ctx_auth` is not declared in the pipeline, and this context has no \
             extension factory to create it"
        ),
        "{err}"
    );
}

#[test]
fn the_global_extension_factory_sees_later_registrations() {
    let ctx = Context::builder()
        .extension_factory(registry::global_extension_factory())
        .build();
    register_auth();
    let user = ctx
        .with_extension(
            "ext_ctx_auth",
            &json!({ "User": "carol" }),
            |a: &mut Auth| a.user.clone(),
        )
        .unwrap();
    assert_eq!(user, "carol");
}

#[test]
fn extension_of_another_type_is_a_downcast_error() {
    let ctx = Context::default();
    ctx.add_extension("ext_encoder/1", handle(Encoder));
    let err = ctx
        .with_extension("ext_encoder/1", &json!(null), |_: &mut Auth| ())
        .unwrap_err();
    assert!(
        matches!(&err, ExtensionError::WrongType { name, expected } if name == "ext_encoder/1" && expected.ends_with("Auth")),
        "{err:?}"
    );
}

#[test]
fn a_custom_extension_factory_replaces_the_registry() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    let ctx = Context::builder()
        .extension_factory(Arc::new(
            move |name: &str, config: &serde_json::Value, _: &Context| {
                log.lock().unwrap().push((name.to_owned(), config.clone()));
                Ok(handle(Encoder))
            },
        ))
        .build();
    ctx.get_extension("ext_anything", &json!({ "a": 1 }))
        .unwrap();
    ctx.get_extension("ext_anything", &json!({ "a": 2 }))
        .unwrap();
    assert_eq!(
        *asked.lock().unwrap(),
        vec![("ext_anything".to_owned(), json!({ "a": 1 }))],
        "created once, then kept"
    );
}

#[test]
fn context_and_collectors_can_go_to_plugin_threads() {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    send_sync::<Context>();
    send_sync::<pipeplug::Collector>();
    send_sync::<pipeplug::PipelineCollector>();
    send_sync::<pipeplug::PipelineContext>();
    send_sync::<pipeplug::LogGroupQueue>();
    send_sync::<pipeplug::StopSignal>();
    send_sync::<pipeplug::Clock>();
}
