//! Plugins written by hand, without the macros, registered through the explicit API (Go's
//! `pipeline.AddServiceCreator` & co.): found by name and by type string, created through
//! their V1 and V2 factories, run, and what they emit checked. Also: lookups that fail.
#![allow(clippy::unwrap_used)] // test helpers, not only `#[test]` functions, unwrap

use pipeplug::models::{LogValue, PipelineEvent};
use pipeplug::plugin::{
    Plugin, Processor, ProcessorV1, ServiceInput, ServiceInputV1, DEFAULT_INTERVAL,
};
use pipeplug::protocol::Log;
use pipeplug::registry::{
    self, ConfigField, Factories, Native, PluginDescriptor, PluginKind, PluginType, SourceLocation,
    V1Only,
};
use pipeplug::{
    BoxError, Clock, Collector, ConfigError, ConfigProblemKind, Context, LogWithContext,
    LookupError, PipelineContext, PluginMeta, TypeStringError, Worker,
};
use serde_json::json;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

/// A service input written by hand: every `interval` it emits one log
/// `{source: hand, message: <Message>, n: <count>}`.
struct TickInput {
    message: String,
    interval: Duration,
    ctx: Context,
    worker: Worker,
}

impl TickInput {
    /// What a Go creator does: defaults, then the config over them.
    fn from_config(config: &serde_json::Value) -> Result<Self, ConfigError> {
        let message = match config.get("Message") {
            None => "tick".to_owned(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(ConfigError::new(
                    "service_hand_tick",
                    "Message",
                    ConfigProblemKind::Invalid {
                        expected: "a string".to_owned(),
                        reason: format!("found {other}"),
                    },
                ))
            }
        };
        Ok(Self {
            message,
            interval: Duration::from_secs(5),
            ctx: Context::default(),
            worker: Worker::new(),
        })
    }
}

impl Plugin for TickInput {
    fn description(&self) -> &str {
        "emits one log per interval"
    }
}

impl ServiceInput for TickInput {
    fn init(&mut self, ctx: &Context) -> Result<Duration, BoxError> {
        self.ctx = ctx.clone();
        Ok(DEFAULT_INTERVAL)
    }

    fn stop(&mut self) -> Result<(), BoxError> {
        self.worker.stop()
    }
}

impl ServiceInputV1 for TickInput {
    fn start(&mut self, collector: Collector) -> Result<(), BoxError> {
        let (ctx, message, interval) = (self.ctx.clone(), self.message.clone(), self.interval);
        self.worker.spawn(&self.ctx, "hand_tick", move |stop| {
            let ticker = ctx.clock().ticker(interval);
            let mut n = 0_u32;
            while ticker.tick(&stop) {
                n += 1;
                collector.add_data(
                    [("source", "hand")],
                    [("message", message.clone()), ("n", n.to_string())],
                    None,
                );
            }
        })?;
        Ok(())
    }
}

/// A processor written by hand, registered with a full descriptor.
struct Upper;

impl Plugin for Upper {
    fn description(&self) -> &str {
        "upper-cases every value"
    }
}
impl Processor for Upper {}
impl ProcessorV1 for Upper {
    fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
        for c in logs.iter_mut().flat_map(|l| l.contents.iter_mut()) {
            c.value = c.value.to_uppercase();
        }
        logs
    }
}

static UPPER_FIELDS: &[ConfigField] = &[ConfigField {
    key: "Keys",
    type_name: "Vec<String>",
    default: None,
    doc: "Which keys to change (all when empty).",
    unit: None,
    required: false,
}];

static REGISTER: Once = Once::new();

fn register_plugins() {
    REGISTER.call_once(|| {
        registry::add_service_creator(
            "service_hand_tick",
            "emits one log per interval",
            |config| TickInput::from_config(config).map(V1Only),
        );
        registry::register(PluginDescriptor {
            name: "processor_hand_upper",
            description: "upper-cases every value",
            config_fields: UPPER_FIELDS,
            source: SourceLocation {
                crate_name: env!("CARGO_PKG_NAME"),
                file: file!(),
                line: line!(),
            },
            native: Native {
                v1: true,
                v2: false,
            },
            factories: Factories::Processor {
                v1: Box::leak(Box::new(|_: &serde_json::Value| {
                    Ok(Box::new(Upper) as Box<dyn ProcessorV1>)
                })),
                v2: Box::leak(Box::new(|_: &serde_json::Value| {
                    Ok(Box::new(pipeplug::adapter::ProcessorV1AsV2::new(Upper))
                        as Box<dyn pipeplug::plugin::ProcessorV2>)
                })),
            },
            defaults: || Ok(json!({ "Keys": [] })),
            example: None,
        });
        // The same name under another kind is another plugin, not a duplicate.
        registry::add_processor_creator("service_hand_tick", "a processor", |_| Ok(V1Only(Upper)));
    });
}

type ServiceFactories = (
    registry::Factory<Box<dyn ServiceInputV1>>,
    registry::Factory<Box<dyn pipeplug::plugin::ServiceInputV2>>,
);

fn service_factories() -> ServiceFactories {
    register_plugins();
    let reg = registry::global().unwrap();
    let (descriptor, _) = reg
        .lookup(PluginKind::ServiceInput, "service_hand_tick")
        .unwrap();
    match descriptor.factories {
        Factories::ServiceInput { v1, v2 } => (v1, v2),
        other => panic!("service_hand_tick has factories of another kind: {other:?}"),
    }
}

/// A context on a virtual clock, as the plugin `service_hand_tick/1`.
fn virtual_context() -> (Context, Arc<pipeplug::VirtualClock>) {
    let (clock, virtual_clock) = Clock::new_virtual();
    let ctx = Context::builder()
        .config_name("hand")
        .clock(clock)
        .build()
        .for_plugin(PluginMeta {
            plugin_type: "service_hand_tick".to_owned(),
            plugin_id: "1".to_owned(),
        });
    (ctx, virtual_clock)
}

fn nanos(t: std::time::SystemTime) -> u64 {
    u64::try_from(t.duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()).unwrap()
}

#[test]
fn hand_written_service_input_is_found_by_name_and_by_type_string() {
    register_plugins();
    let reg = registry::global().unwrap();
    let d = reg
        .get(PluginKind::ServiceInput, "service_hand_tick")
        .expect("registered by add_service_creator");
    assert_eq!(d.name, "service_hand_tick");
    assert_eq!(d.kind(), PluginKind::ServiceInput);
    assert_eq!(d.description, "emits one log per interval");
    assert_eq!(
        d.native,
        Native {
            v1: true,
            v2: false
        }
    );
    // The source of a run-time registration is where `add_service_creator` was called.
    assert_eq!(d.source.crate_name, SourceLocation::RUN_TIME);
    assert_eq!(d.source.file, file!());

    let (found, t) = reg
        .lookup(PluginKind::ServiceInput, "service_hand_tick/1#2")
        .unwrap();
    assert!(std::ptr::eq(found, d));
    assert_eq!(
        t,
        PluginType {
            name: "service_hand_tick".to_owned(),
            id: Some("1".to_owned()),
            priority: Some(2),
        }
    );
    let (found, _) = reg
        .lookup(PluginKind::ServiceInput, "service_hand_tick/named/3")
        .unwrap();
    assert!(std::ptr::eq(found, d));
    assert_eq!(
        reg.kinds_of("service_hand_tick"),
        [PluginKind::ServiceInput, PluginKind::Processor]
    );
}

#[test]
fn hand_written_service_input_runs_through_its_v1_factory() {
    let (v1, _) = service_factories();
    let mut plugin = v1(&json!({ "Message": "hello" })).unwrap();
    let (ctx, clock) = virtual_context();
    let start = nanos(clock.now());
    assert_eq!(plugin.init(&ctx).unwrap(), DEFAULT_INTERVAL);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let collector = Collector::new(Arc::new(move |l: LogWithContext| {
        sink.lock().unwrap().push(l.log);
    }))
    .with_clock(ctx.clock().clone());
    plugin.start(collector).unwrap();
    clock.advance(Duration::from_secs(15));
    plugin.stop().unwrap();
    assert_eq!(ctx.live_threads(), 0, "stop joins the worker");

    let logs = seen.lock().unwrap();
    assert_eq!(logs.len(), 3, "three intervals, three logs: {logs:?}");
    for (i, log) in logs.iter().enumerate() {
        let n = u64::try_from(i).unwrap() + 1;
        assert_eq!(log.get("source"), Some("hand"));
        assert_eq!(log.get("message"), Some("hello"));
        assert_eq!(log.get("n"), Some(n.to_string().as_str()));
        assert_eq!(log.timestamp_nanos(), start + n * 5_000_000_000);
    }
}

#[test]
fn hand_written_service_input_runs_through_its_v2_factory() {
    let (_, v2) = service_factories();
    let mut plugin = v2(&serde_json::Value::Null).unwrap();
    let (ctx, clock) = virtual_context();
    let start = nanos(clock.now());
    plugin.init(&ctx).unwrap();
    let pipeline = PipelineContext::grouped();
    plugin.start_service(pipeline.clone()).unwrap();
    clock.advance(Duration::from_secs(10));
    plugin.stop().unwrap();
    assert_eq!(ctx.live_threads(), 0);

    let groups = pipeline.collector().to_array();
    assert_eq!(groups.len(), 1, "events of equal groups are merged");
    let events = &groups[0].events;
    assert_eq!(events.len(), 2);
    for (i, event) in events.iter().enumerate() {
        let PipelineEvent::Log(log) = event else {
            panic!("a V1 input emits logs, got {event:?}");
        };
        let n = u64::try_from(i).unwrap() + 1;
        assert_eq!(
            log.contents.keys().collect::<Vec<_>>(),
            ["source", "message", "n"]
        );
        assert_eq!(log.contents.get("message"), Some(&LogValue::from("tick")));
        assert_eq!(log.timestamp, start + n * 5_000_000_000);
    }
}

#[test]
fn a_creator_rejecting_its_config_gives_a_typed_error() {
    let (v1, v2) = service_factories();
    let err = v1(&json!({ "Message": 5 })).expect_err("a number is not a message");
    assert_eq!(err.plugin, "service_hand_tick");
    assert_eq!(err.problems[0].path, "Message");
    assert!(err.to_string().contains("expected a string"), "{err}");
    assert!(v2(&json!({ "Message": [] })).is_err());
}

#[test]
fn a_full_descriptor_keeps_its_docs_and_builds_both_interfaces() {
    register_plugins();
    let reg = registry::global().unwrap();
    let (d, _) = reg
        .lookup(PluginKind::Processor, "processor_hand_upper/2")
        .unwrap();
    assert_eq!(d.config_fields, UPPER_FIELDS);
    assert_eq!(d.source.crate_name, "pipeplug");
    assert_eq!((d.defaults)().unwrap(), json!({ "Keys": [] }));
    let Factories::Processor { v1, v2 } = d.factories else {
        panic!("not a processor");
    };
    let mut p1 = v1(&serde_json::Value::Null).unwrap();
    let out = p1.process_logs(vec![Log::new(1, [("a", "x")])]);
    assert_eq!(out[0].get("a"), Some("X"));

    let mut p2 = v2(&serde_json::Value::Null).unwrap();
    let ctx = PipelineContext::grouped();
    p2.process(
        pipeplug::convert::logs_to_group(&[Log::new(1, [("a", "y")])]),
        &ctx,
    );
    let groups = ctx.collector().to_array();
    let PipelineEvent::Log(log) = &groups[0].events[0] else {
        panic!("a log went in");
    };
    assert_eq!(log.contents.get("a"), Some(&LogValue::from("Y")));
}

#[test]
fn every_registered_plugin_is_listed_sorted_by_kind_and_name() {
    register_plugins();
    let reg = registry::global().unwrap();
    let listed: Vec<_> = reg.iter().map(|d| (d.kind(), d.name)).collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted);
    assert_eq!(reg.len(), listed.len());
    assert!(listed.contains(&(PluginKind::Processor, "processor_hand_upper")));
}

// Bad input: every lookup that cannot succeed gives a typed error, never a panic.

fn lookup_error(kind: PluginKind, type_string: &str) -> LookupError {
    register_plugins();
    registry::global()
        .unwrap()
        .lookup(kind, type_string)
        .expect_err(type_string)
}

fn type_string_error(type_string: &str) -> TypeStringError {
    match lookup_error(PluginKind::ServiceInput, type_string) {
        LookupError::TypeString(e) => e,
        other => panic!("`{type_string}`: expected a type string error, got {other:?}"),
    }
}

#[test]
fn unknown_name_gives_unknown_with_a_suggestion() {
    let err = lookup_error(PluginKind::ServiceInput, "service_hand_tik/1");
    assert_eq!(
        err,
        LookupError::Unknown {
            kind: PluginKind::ServiceInput,
            name: "service_hand_tik".to_owned(),
            suggestion: Some("service_hand_tick".to_owned()),
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown service input plugin `service_hand_tik`; did you mean `service_hand_tick`?"
    );
}

#[test]
fn unknown_name_far_from_any_gives_no_suggestion() {
    let err = lookup_error(PluginKind::ServiceInput, "flusher_zzz");
    assert!(
        matches!(&err, LookupError::Unknown { suggestion: None, name, .. } if name == "flusher_zzz"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "unknown service input plugin `flusher_zzz`"
    );
}

#[test]
fn name_of_another_kind_is_unknown_in_this_kind() {
    let err = lookup_error(PluginKind::Flusher, "processor_hand_upper");
    assert!(
        matches!(
            err,
            LookupError::Unknown {
                kind: PluginKind::Flusher,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn empty_type_string_is_an_error() {
    assert_eq!(type_string_error(""), TypeStringError::Empty);
}

#[test]
fn type_string_without_a_name_is_an_error() {
    assert_eq!(
        type_string_error("/x"),
        TypeStringError::EmptyName("/x".to_owned())
    );
    assert_eq!(
        type_string_error("#1"),
        TypeStringError::EmptyName("#1".to_owned())
    );
}

#[test]
fn type_string_with_two_hashes_is_an_error() {
    let err = type_string_error("a#b#c");
    assert_eq!(err, TypeStringError::TooManyHashes("a#b#c".to_owned()));
    assert_eq!(err.to_string(), "plugin type `a#b#c` has more than one `#`");
}

#[test]
fn type_string_with_an_empty_id_between_slashes_is_an_error() {
    assert_eq!(
        type_string_error("a//b"),
        TypeStringError::EmptyId("a//b".to_owned())
    );
}

#[test]
fn type_string_ending_in_a_slash_is_an_error() {
    let err = type_string_error("a/");
    assert_eq!(err, TypeStringError::EmptyId("a/".to_owned()));
    assert_eq!(
        err.to_string(),
        "plugin type `a/` has an empty ID after a `/`"
    );
}

#[test]
fn type_string_with_a_non_integer_priority_is_an_error() {
    let err = type_string_error("a#x");
    assert_eq!(
        err,
        TypeStringError::BadPriority("a#x".to_owned(), "x".to_owned())
    );
    assert_eq!(
        err.to_string(),
        "plugin type `a#x`: priority `x` is not an integer"
    );
    assert!(matches!(
        type_string_error("a/1#"),
        TypeStringError::BadPriority(..)
    ));
    assert!(matches!(
        type_string_error("a#99999999999"),
        TypeStringError::BadPriority(..)
    ));
}

#[test]
fn type_string_with_too_many_slashes_is_an_error() {
    assert_eq!(
        type_string_error("a/b/c/d"),
        TypeStringError::TooManyParts("a/b/c/d".to_owned())
    );
}

#[test]
fn negative_and_spaced_priorities_parse() {
    let t = PluginType::parse("processor_x/3# -4").unwrap();
    assert_eq!(t.priority, Some(-4));
    assert_eq!(PluginType::parse("p").unwrap().id, None);
}

#[test]
fn type_string_with_a_control_character_is_an_error() {
    assert_eq!(
        type_string_error("service_mock/a\0b"),
        TypeStringError::BadCharacter("service_mock/a\0b".to_owned(), '\0')
    );
    assert_eq!(
        type_string_error("a\nb").to_string(),
        "plugin type \"a\\nb\" has a control character ('\\n')"
    );
}
