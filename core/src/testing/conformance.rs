//! The conformance checks the attribute macros generate for every plugin (under
//! `cfg(test)`, no code from the author; `conformance = false` in the attribute turns them
//! off for one plugin).
//!
//! [`run`] finds the plugin in the registry and checks, through its descriptor only:
//!
//! | check | rule |
//! |---|---|
//! | `registry` | the registry has no duplicate names; the plugin is registered under its name and kind |
//! | `defaults` | `(descriptor.defaults)()` decodes the empty config; every documented default ([`ConfigField::default`]) that is a literal (`"5s"`, `5`, `true`, `"text"`, JSON) equals the decoded value: durations compare as durations (`"90s"` = `"1m 30s"`), numbers as numbers. Defaults written as Rust expressions (`Vec::new()`) are not compared |
//! | `docs` | the description and every config field have a doc comment |
//! | `example` | the example config (`example = "..."` in the attribute, [`PluginDescriptor::example`]) is YAML; a plugin with required keys has one |
//! | `create` | the V1 and the V2 factory (or the extension's) build the plugin from its example config, or from a `null` config when it has none; a plugin without required keys builds from a `null` config too |
//! | `v1` / `v2` | each instance inits with a [`MockContext`], then, per kind: |
//! | | *service input*: starts (`start` / `start_service` on a thread of its own) and stops cleanly: `start` returns within 2 s of `ctx.stopping()` firing, `stop` within 2 s, and no [`Worker`](crate::Worker) thread is left |
//! | | *metric input*: no thread is left after `init` (a metric input has no `stop` to end one) |
//! | | *processor*: an empty batch gives an empty batch (V1 `process_logs(vec![])`, V2 `process` of an empty group) |
//! | | *aggregator*: `flush` / `get_result` and `reset` run; no thread is left (no `stop` either) |
//! | | *flusher*: `is_ready`, `set_urgent(true)` and `stop` run; no thread is left |
//! | `extension` | inits and stops; no thread is left |
//! | `v2 pass-through` | a processor's V2 `process` does not silently drop event kinds (below) |
//!
//! # The pass-through rule (processors, V2)
//!
//! iLogtail drops whatever a V2 processor does not collect, so a processor written for logs
//! silently loses metrics and spans. The check feeds one group
//! holding a [`Log`](crate::models::Log), a [`Metric`](crate::models::Metric), a
//! [`Span`](crate::models::Span) and a [`ByteArray`](crate::models::ByteArray) and requires:
//!
//! **every kind other than logs comes out (at least one event of it), unless the plugin
//! said why it did not, with a warning, an error or an alarm through its context's logger
//! while processing.**
//!
//! Logs are exempt: dropping logs, or keys of logs, is what many processors are for
//! (`processor_drop` removes keys, filters remove logs). A processor that only touches logs'
//! contents (`processor_drop`, `processor_rename`) passes other events on unchanged and
//! passes; so does a V1 processor run in V2 through its adapter, which routes only log
//! events through the plugin. A processor that consumes or converts another kind on
//! purpose logs it, or opts out of conformance.
//!
//! Every check runs, and [`run`] panics once with every failure, naming the plugin, where it
//! is defined, and each failed check with the fix that applies. [`check`] returns them
//! instead.
//!
//! # Required keys and the example config
//!
//! A plugin whose config has required keys (`#[config(required)]`) cannot be built from an
//! empty config: the checks build it from its example config instead, which must give every
//! required key:
//!
//! ```
//! use pipeplug::prelude::*;
//!
//! /// Copies one key's value into another.
//! #[processor(name = "processor_doc_copy", example = "SourceKey: content")]
//! #[derive(Debug)]
//! pub struct CopyKey {
//!     /// The key to copy.
//!     #[config(required, rename = "SourceKey")]
//!     source_key: String,
//! }
//! impl Processor for CopyKey {}
//! impl ProcessorV1 for CopyKey {
//!     fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> { logs }
//! }
//!
//! pipeplug::testing::conformance::run(pipeplug::registry::PluginKind::Processor, "processor_doc_copy");
//! ```

use super::base::DEFAULT_TIMEOUT;
use super::{
    AggregatorHarness, ExtensionHarness, FlusherHarness, HarnessError, MetricInputHarness,
    MockContext, ProcessorHarness, ServiceInputHarness,
};
use crate::compat::{new_byte_array, new_metadata_with_key_values, new_span};
use crate::models::{
    self, EventType, GroupInfo, MetricType, PipelineEvent, PipelineGroupEvents, SpanKind,
};
use crate::plugin::{
    Aggregator, Extension, Flusher, MetricInput, ProcessorV1, ProcessorV2, ServiceInput,
};
use crate::registry::{self, ConfigField, Factories, PluginDescriptor, PluginKind};
use crate::{error_chain, Level};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check (`registry`, `defaults`, `docs`, `create`, `v1`, `v2`, `extension`,
    /// `v2 pass-through`).
    pub check: &'static str,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check, self.message)
    }
}

/// Runs every conformance check of the plugin `name` of `kind`; panics with a message naming
/// the plugin and every failed check.
///
/// The attribute macros call it from a generated `#[test]`; call it yourself for a plugin
/// registered by hand:
///
/// ```
/// use pipeplug::plugin::{Plugin, Processor, ProcessorV1};
/// use pipeplug::protocol::Log;
/// use pipeplug::registry::{add_processor_creator, PluginKind, V1Only};
/// use pipeplug::testing::conformance;
///
/// struct Upper;
/// impl Plugin for Upper { fn description(&self) -> &str { "upper-cases values" } }
/// impl Processor for Upper {}
/// impl ProcessorV1 for Upper {
///     fn process_logs(&mut self, mut logs: Vec<Log>) -> Vec<Log> {
///         for c in logs.iter_mut().flat_map(|l| &mut l.contents) {
///             c.value = c.value.to_uppercase();
///         }
///         logs
///     }
/// }
///
/// add_processor_creator("processor_doc_upper", "upper-cases values", |_| Ok(V1Only(Upper)));
/// conformance::run(PluginKind::Processor, "processor_doc_upper");
/// ```
///
/// # Panics
/// When a check fails (this is a test helper).
pub fn run(kind: PluginKind, name: &str) {
    if let Err(failures) = check(kind, name) {
        panic!("{}", report(kind, name, &failures));
    }
}

/// Runs every conformance check of the plugin `name` of `kind`; returns the failures.
///
/// # Errors
/// Every failed check, in order.
pub fn check(kind: PluginKind, name: &str) -> Result<(), Vec<Failure>> {
    let mut c = Checker::default();
    let Some(d) = c.find(kind, name) else {
        return Err(c.failures);
    };
    // iLogtail's naming rule; the attribute checks it against its own table of prefixes, this
    // against the registry's, so the two cannot drift apart unnoticed.
    if !d.name.starts_with(kind.prefix()) {
        c.fail(
            "name",
            format!(
                "the name does not start with the {kind} prefix `{}`",
                kind.prefix()
            ),
        );
    }
    let required: Vec<&str> = d
        .config_fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.key)
        .collect();
    let Some(config) = c.config_of(d, &required) else {
        return Err(c.finish(d));
    };
    c.config = config;
    if d.example.is_some() && required.is_empty() {
        // Built from the example below; it must build from the empty config as well.
        c.create_each(d.factories, &serde_json::Value::Null);
    }
    if d.example.is_some() || required.is_empty() {
        c.guard("defaults", || check_defaults(d));
    }
    c.guard("docs", || check_docs(d));
    match d.factories {
        Factories::ServiceInput { v1, v2 } => {
            if let (Some(p1), Some(p2)) = (c.create(v1, 1), c.create(v2, 2)) {
                c.guard("v1", || {
                    service_input(p1, name, ServiceInputHarness::start_v1)
                });
                c.guard("v2", || {
                    service_input(p2, name, ServiceInputHarness::start_v2)
                });
            }
        }
        Factories::MetricInput { v1, v2 } => {
            if let (Some(p1), Some(p2)) = (c.create(v1, 1), c.create(v2, 2)) {
                c.guard("v1", || metric_input(p1, name));
                c.guard("v2", || metric_input(p2, name));
            }
        }
        Factories::Processor { v1, v2 } => c.processor(v1, v2, name),
        Factories::Aggregator { v1, v2 } => {
            if let (Some(p1), Some(p2)) = (c.create(v1, 1), c.create(v2, 2)) {
                c.guard("v1", || aggregator(p1, name, AggregatorHarness::flush_v1));
                c.guard("v2", || {
                    aggregator(p2, name, AggregatorHarness::get_result_v2)
                });
            }
        }
        Factories::Flusher { v1, v2 } => {
            if let (Some(p1), Some(p2)) = (c.create(v1, 1), c.create(v2, 2)) {
                c.guard("v1", || flusher(p1, name));
                c.guard("v2", || flusher(p2, name));
            }
        }
        Factories::Extension { new } => {
            if let Some(ext) = c.create(new, 0) {
                c.guard("extension", || {
                    let mut h = ExtensionHarness::<dyn Extension>::from_boxed(ext).named(name);
                    h.init()
                        .and_then(|()| h.stop())
                        .map_err(|e| error_chain(&e))
                });
            }
        }
    }
    if c.failures.is_empty() {
        Ok(())
    } else {
        Err(c.finish(d))
    }
}

/// Runs the conformance checks of every registered plugin; panics with every failure of
/// every plugin. For a test of a plugin collection written without the macros.
///
/// # Panics
/// When a check of any plugin fails.
pub fn run_all() {
    let reg = registry::global().unwrap_or_else(|e| panic!("conformance: registry: {e}"));
    let reports: Vec<String> = reg
        .iter()
        .filter_map(|d| {
            check(d.kind(), d.name)
                .err()
                .map(|f| report(d.kind(), d.name, &f))
        })
        .collect();
    assert!(reports.is_empty(), "{}", reports.join("\n"));
}

fn report(kind: PluginKind, name: &str, failures: &[Failure]) -> String {
    let mut s = format!("conformance of {kind} `{name}` failed:");
    for f in failures {
        s.push_str("\n  - ");
        s.push_str(&f.to_string());
    }
    s
}

#[derive(Default)]
struct Checker {
    failures: Vec<Failure>,
    /// The config the plugin is built from: its example, or `null`.
    config: serde_json::Value,
}

impl Checker {
    /// The failures, each saying where the plugin is defined.
    fn finish(&mut self, d: &PluginDescriptor) -> Vec<Failure> {
        let mut failures = std::mem::take(&mut self.failures);
        for f in &mut failures {
            f.message = format!("{} [defined in {}]", f.message, d.source);
        }
        failures
    }

    /// The config to build the plugin from: its example, else `null`; `None` after
    /// recording why neither will do.
    fn config_of(&mut self, d: &PluginDescriptor, required: &[&str]) -> Option<serde_json::Value> {
        match d.example {
            Some(text) => match crate::config::yaml_to_json(text) {
                Ok(v) if v.is_object() || v.is_null() => Some(v),
                Ok(_) => {
                    self.fail(
                        "example",
                        format!(
                            "the example config `{text}` is not a map of keys; fix \
                             `example = \"...\"` in the plugin's attribute: YAML with the \
                             plugin's own keys, such as `{}: value`",
                            required.first().copied().unwrap_or("Key")
                        ),
                    );
                    None
                }
                Err(e) => {
                    self.fail(
                        "example",
                        format!(
                            "the example config is not valid YAML ({}); fix `example = \"...\"` \
                             in the plugin's attribute",
                            e.message
                        ),
                    );
                    None
                }
            },
            None if !required.is_empty() => {
                let keys: Vec<String> = required.iter().map(|k| format!("`{k}`")).collect();
                self.fail(
                    "example",
                    format!(
                        "the plugin has required key(s) {} and no example config to build it \
                         from; fix: give one in the plugin's attribute, such as \
                         `example = \"{}: value\"` (the conformance tests, `pipeplug doc` and \
                         the docs test use it)",
                        keys.join(", "),
                        required[0]
                    ),
                );
                None
            }
            None => Some(serde_json::Value::Null),
        }
    }

    /// Builds the plugin through each of its factories from `config`, recording failures.
    fn create_each(&mut self, factories: Factories, config: &serde_json::Value) {
        let saved = std::mem::replace(&mut self.config, config.clone());
        match factories {
            Factories::MetricInput { v1, v2 } => drop((self.create(v1, 1), self.create(v2, 2))),
            Factories::ServiceInput { v1, v2 } => drop((self.create(v1, 1), self.create(v2, 2))),
            Factories::Processor { v1, v2 } => drop((self.create(v1, 1), self.create(v2, 2))),
            Factories::Aggregator { v1, v2 } => drop((self.create(v1, 1), self.create(v2, 2))),
            Factories::Flusher { v1, v2 } => drop((self.create(v1, 1), self.create(v2, 2))),
            Factories::Extension { new } => drop(self.create(new, 0)),
        }
        self.config = saved;
    }

    fn fail(&mut self, check: &'static str, message: String) {
        self.failures.push(Failure { check, message });
    }

    /// Runs `f` as the check `check`; a panic in it (in the plugin) is a failure too.
    fn guard(&mut self, check: &'static str, f: impl FnOnce() -> Result<(), String>) {
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(Ok(())) => {}
            Ok(Err(message)) => self.fail(check, message),
            Err(p) => self.fail(
                check,
                format!("panicked: {}", super::error::panic_message(&*p)),
            ),
        }
    }

    /// The descriptor of the plugin `name` of `kind`; `None` after recording why there is
    /// none.
    fn find(&mut self, kind: PluginKind, name: &str) -> Option<&'static PluginDescriptor> {
        let reg = match registry::global() {
            Ok(reg) => reg,
            Err(e) => {
                self.fail("registry", format!("the registry has duplicates: {e}"));
                return None;
            }
        };
        match reg.lookup(kind, name) {
            Ok((d, _)) => Some(d),
            Err(e) => {
                let elsewhere = reg.kinds_of(name);
                let also = if elsewhere.is_empty() {
                    String::new()
                } else {
                    let kinds: Vec<_> = elsewhere.iter().map(|k| k.as_str()).collect();
                    format!(" (it is registered as a {})", kinds.join(", "))
                };
                self.fail("registry", format!("{e}{also}"));
                None
            }
        }
    }

    /// The processor checks: an empty batch gives an empty one (V1 and V2), and V2 passes
    /// other event kinds through.
    fn processor(
        &mut self,
        v1: registry::Factory<Box<dyn ProcessorV1>>,
        v2: registry::Factory<Box<dyn ProcessorV2>>,
        name: &str,
    ) {
        let (Some(p1), Some(p2)) = (self.create(v1, 1), self.create(v2, 2)) else {
            return;
        };
        self.guard("v1", || {
            let out = ProcessorHarness::new(p1)
                .named(name)
                .process_v1(Vec::new())
                .map_err(|e| error_chain(&e))?;
            expect_empty(out.len(), "`process_logs(vec![])`")
        });
        self.guard("v2", || {
            let out = ProcessorHarness::new(p2)
                .named(name)
                .process_v2(PipelineGroupEvents::default())
                .map_err(|e| error_chain(&e))?;
            let n = out.iter().map(|g| g.events.len()).sum();
            expect_empty(n, "`process` of an empty group")
        });
        if let Some(p3) = self.create(v2, 2) {
            self.guard("v2 pass-through", || pass_through(p3, name));
        }
    }

    /// Builds the plugin through `factory` from the checker's config (its example, or
    /// `null`).
    fn create<T>(&mut self, factory: registry::Factory<T>, version: u8) -> Option<T> {
        let which = match version {
            1 => "the V1 factory",
            2 => "the V2 factory",
            _ => "the factory",
        };
        let (on, fix) = if self.config.is_null() {
            (
                "an empty config",
                "fix: give every key a default that decodes (`#[config(default = ...)]`), or \
                 mark the keys a user must give `#[config(required)]` and give the plugin an \
                 example config with them (`example = \"Key: value\"` in its attribute)",
            )
        } else {
            (
                "its example config",
                "fix `example = \"...\"` in the plugin's attribute so that it decodes (it is \
                 what `pipeplug doc` shows users)",
            )
        };
        let config = &self.config;
        match catch_unwind(AssertUnwindSafe(|| factory(config))) {
            Ok(Ok(p)) => Some(p),
            Ok(Err(e)) => {
                self.fail("create", format!("{which} fails on {on}: {e}; {fix}"));
                None
            }
            Err(p) => {
                let message = super::error::panic_message(&*p);
                self.fail(
                    "create",
                    format!(
                        "{which} panicked on {on}: {message}; a factory reports a bad config \
                         as an error, never a panic"
                    ),
                );
                None
            }
        }
    }
}

fn expect_empty(n: usize, what: &str) -> Result<(), String> {
    if n == 0 {
        Ok(())
    } else {
        Err(format!(
            "{what} gave {n} event(s); an empty batch must give an empty batch"
        ))
    }
}

fn no_threads(mock: &MockContext, why: &str) -> Result<(), String> {
    match mock.context().live_threads() {
        0 => Ok(()),
        n => Err(format!(
            "{n} thread(s) running after init; {why} to end them"
        )),
    }
}

/// Starts the service input with `start` (its V1 or V2 start), and stops it.
fn service_input<P: ServiceInput>(
    plugin: P,
    name: &str,
    start: impl FnOnce(&mut ServiceInputHarness<P>) -> Result<(), HarnessError>,
) -> Result<(), String> {
    let mut h = ServiceInputHarness::new(plugin).named(name);
    let started = start(&mut h);
    let stopped = h.stop();
    started.and(stopped).map_err(|e| error_chain(&e))
}

/// Empties the aggregator with `flush` (its V1 flush or V2 result), and resets it.
fn aggregator<P: Aggregator, R>(
    plugin: P,
    name: &str,
    flush: impl FnOnce(&mut AggregatorHarness<P>) -> Result<R, HarnessError>,
) -> Result<(), String> {
    let mut h = AggregatorHarness::new(plugin).named(name);
    flush(&mut h).map_err(|e| error_chain(&e))?;
    h.reset().map_err(|e| error_chain(&e))?;
    no_threads(h.mock(), "an aggregator has no `stop`")
}

fn metric_input<P: MetricInput>(plugin: P, name: &str) -> Result<(), String> {
    let mut h = MetricInputHarness::new(plugin).named(name);
    h.init().map_err(|e| error_chain(&e))?;
    no_threads(h.mock(), "a metric input has no `stop`")
}

fn flusher<P: Flusher>(plugin: P, name: &str) -> Result<(), String> {
    let mut h = FlusherHarness::new(plugin)
        .named(name)
        .with_timeout(DEFAULT_TIMEOUT);
    h.is_ready().map_err(|e| error_chain(&e))?;
    h.set_urgent(true).map_err(|e| error_chain(&e))?;
    h.stop().map_err(|e| error_chain(&e))
}

/// The group of the pass-through check: one event of every kind.
fn every_kind() -> PipelineGroupEvents {
    let mut log = models::Log::with_body(
        "conformance log",
        models::Tags::from([("conformance", "log")]),
        1_700_000_000_000_000_000,
    );
    log.contents.add("level", "info");
    let metric = models::Metric::single(
        "conformance_metric",
        MetricType::Counter,
        models::Tags::from([("conformance", "metric")]),
        1_700_000_000_000_000_000,
        1.0,
    );
    let span = new_span(
        "conformance_span",
        "0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331",
        SpanKind::Server,
        1_700_000_000_000_000_000,
        1_700_000_000_500_000_000,
        models::Tags::from([("conformance", "span")]),
        Vec::new(),
        Vec::new(),
    );
    PipelineGroupEvents::new(
        GroupInfo {
            metadata: new_metadata_with_key_values(&["source", "conformance"]),
            tags: models::Tags::from([("conformance", "group")]),
        },
        vec![
            PipelineEvent::Log(log),
            PipelineEvent::Metric(metric),
            PipelineEvent::Span(span),
            PipelineEvent::ByteArray(new_byte_array(b"conformance bytes".to_vec())),
        ],
    )
}

/// The V2 pass-through rule (see the module docs).
fn pass_through<P: ProcessorV2>(plugin: P, name: &str) -> Result<(), String> {
    let mut h = ProcessorHarness::new(plugin).named(name);
    h.init().map_err(|e| error_chain(&e))?;
    let said_before = h.mock().log_records_at_least(Level::Warn).len();
    let out = h.process_v2(every_kind()).map_err(|e| error_chain(&e))?;
    let said = h.mock().log_records_at_least(Level::Warn).len() > said_before;
    let present = |t: EventType| {
        out.iter()
            .flat_map(|g| &g.events)
            .any(|e| e.event_type() == t)
    };
    let missing: Vec<&str> = [
        (EventType::Metric, "metric"),
        (EventType::Span, "span"),
        (EventType::ByteArray, "byte array"),
    ]
    .into_iter()
    .filter(|(t, _)| !present(*t))
    .map(|(_, what)| what)
    .collect();
    if missing.is_empty() || said {
        Ok(())
    } else {
        Err(format!(
            "V2 `process` silently dropped the {} of a group holding a log, a metric, a span \
             and a byte array; collect the events it does not handle unchanged \
             (`ctx.collector().collect(group.group, others)`), or log a warning saying why \
             they are dropped",
            missing.join(", ")
        ))
    }
}

/// `(descriptor.defaults)()` decodes, and documented literal defaults match it.
fn check_defaults(d: &PluginDescriptor) -> Result<(), String> {
    let decoded = (d.defaults)().map_err(|e| {
        format!(
            "the config of defaults does not decode: {e}; fix: give every key a default that \
             decodes (required keys take theirs from the example config)"
        )
    })?;
    let mut problems = Vec::new();
    for field in d.config_fields {
        let Some(text) = field.default else { continue };
        let Some(expected) = literal(text) else {
            continue;
        };
        match decoded.get(field.key) {
            None => problems.push(format!(
                "key `{}` documents the default `{text}` but the decoded defaults have no such key; fix its `default = ...`",
                field.key
            )),
            Some(actual) if !agrees(&expected, actual) => problems.push(format!(
                "key `{}` documents the default `{text}` but decodes to `{actual}`; fix its `default = ...` or the field's type",
                field.key
            )),
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// A documented default read as a value: JSON (`"5s"`, `5`, `true`, `[1, 2]`) or a number
/// written the Rust way (`5_000`, `- 1`). `None` for Rust expressions.
fn literal(text: &str) -> Option<serde_json::Value> {
    let text = text.trim();
    if let Ok(v) = serde_json::from_str(text) {
        return Some(v);
    }
    let number: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect();
    serde_json::from_str::<serde_json::Number>(strip_suffix(&number))
        .ok()
        .map(serde_json::Value::Number)
}

/// `5u64` → `5`, `1.5f32` → `1.5`.
fn strip_suffix(s: &str) -> &str {
    for suffix in [
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64",
    ] {
        if let Some(n) = s.strip_suffix(suffix) {
            return n;
        }
    }
    s
}

/// Whether a documented default and a decoded value are the same value.
fn agrees(expected: &serde_json::Value, actual: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (expected, actual) {
        (Value::String(e), Value::String(a)) => {
            e == a
                || matches!(
                    (humantime::parse_duration(e), humantime::parse_duration(a)),
                    (Ok(x), Ok(y)) if x == y
                )
        }
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        // `default = "5s"` on an `Option<Duration>` decodes to `"5s"`, and so on: a string
        // default for a number field is compared as text.
        (Value::String(e), Value::Number(a)) => e == &a.to_string(),
        (e, a) => e == a,
    }
}

/// The description and every config field are documented.
fn check_docs(d: &PluginDescriptor) -> Result<(), String> {
    let mut missing = Vec::new();
    if d.description.trim().is_empty() {
        missing.push(
            "the plugin has no description; fix: a doc comment (`/// ...`) on the struct"
                .to_owned(),
        );
    }
    let undocumented: Vec<String> = d
        .config_fields
        .iter()
        .filter(|f: &&ConfigField| f.doc.trim().is_empty())
        .map(|f| format!("`{}`", f.key))
        .collect();
    if !undocumented.is_empty() {
        missing.push(format!(
            "config field(s) without a doc comment: {}; fix: a `/// ...` on each field",
            undocumented.join(", ")
        ));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing.join("; "))
    }
}
