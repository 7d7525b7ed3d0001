//! The library's state behind the C ABI: pipelines per config name, staged and running.
//!
//! The core names each pipeline twice: `<name>/2`, the pipeline it feeds with
//! `ProcessPipelineEventGroup`, and `<name>/1`, the one with an input of its own. For each
//! config name there is at most one *staged* pipeline (built by `LoadPipeline`, not running)
//! and one *running* one: a config update loads the new pipeline beside the running one,
//! then the core stops the old (`Stop`) and starts the new (`Start`).
//!
//! A pipeline the core feeds has no input in its config; one is added
//! ([`CORE_INPUT`], which does nothing): the core's groups go straight into the pipeline's
//! input queue ([`ExternalInput`]), blocking the core's thread while the queue is full
//! (the back-pressure the core expects). A `/2` config without a `StructureType` is read
//! as V2 (the core sends V2 groups).
//!
//! Locks: one over the pipeline table, held only to look up or swap entries — never while
//! a pipeline starts, stops, or takes a group — so that a `Stop` waiting for a pipeline to
//! drain does not hold up `ProcessPipelineEventGroup` calls for other pipelines.

pub mod alarms;
pub mod metrics;

use crate::adapter::{Adapter, CoreLink};
use pipeplug::convert::TAG_PREFIX;
use pipeplug::protocol::{LogGroup, LogTag};
use pipeplug::registry::Registry;
use pipeplug::{CheckpointStore, MemoryCheckpoints};
use pipeplug_agent::engine::{
    load_str, EngineOptions, ExternalInput, Loaded, Pipeline, RunningPipeline, StartError,
};
use pipeplug_agent::pipeline_config::Format;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};

/// The alarm type of a panic caught in an exported function or a plugin.
pub const PANIC_ALARM: &str = "PIPEPLUG_PANIC_ALARM";
/// The alarm type of other errors (a config that does not load, a plugin that does not
/// start, data dropped).
pub const ERROR_ALARM: &str = "PIPEPLUG_ERROR_ALARM";
/// The input added to pipelines the core feeds (registered by this crate).
pub const CORE_INPUT: &str = "service_loongcollector_core";

/// Where a pipeline's data goes in the core: what `LoadPipeline` was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ident {
    /// The SLS project.
    pub project: String,
    /// The logstore (`LogtailSendPbV2`'s `logstore`).
    pub logstore: String,
    /// The core's queue key (`LogtailIsValidToSend`'s argument).
    pub logstore_key: i64,
}

/// A failed host operation (reported as an alarm by the exported function).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// `InitPluginBaseV2`'s JSON.
    #[error("the init config is not JSON: {0}")]
    InitJson(serde_json::Error),
    /// The pipeline JSON is not JSON.
    #[error("pipeline `{name}`: not JSON: {source}")]
    PipelineJson {
        /// The config name.
        name: String,
        /// Why.
        source: serde_json::Error,
    },
    /// The pipeline config has problems (every one listed).
    #[error("pipeline `{name}` does not load:\n{errors}")]
    Config {
        /// The config name.
        name: String,
        /// Every problem.
        errors: String,
    },
    /// `Start` with nothing staged.
    #[error("pipeline `{0}`: Start without a LoadPipeline before it (nothing staged)")]
    NothingStaged(String),
    /// A plugin did not start.
    #[error("pipeline `{name}` did not start: {source}")]
    Start {
        /// The config name.
        name: String,
        /// Why.
        source: StartError,
    },
}

/// `ProcessPipelineEventGroup` did not take the group.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// No pipeline of that name runs.
    #[error("no running pipeline of that name")]
    UnknownConfig,
    /// The bytes are not the message the call takes (a `PipelineEventGroup`, or
    /// v3.3.5's `sls_logs.LogGroup` / `sls_logs.Log`).
    #[error("{0}")]
    Decode(String),
}

struct Staged {
    pipeline: Pipeline,
    has_input: bool,
}

struct Running {
    pipeline: RunningPipeline,
    input: ExternalInput,
    has_input: bool,
}

#[derive(Default)]
struct Slot {
    staged: Option<Staged>,
    running: Option<Running>,
}

/// The library's state (one per process: [`host`]).
pub struct Host {
    registry: Arc<Registry>,
    options: EngineOptions,
    checkpoints: Mutex<Arc<dyn CheckpointStore>>,
    slots: Mutex<HashMap<String, Slot>>,
    idents: RwLock<HashMap<String, Ident>>,
    link: RwLock<Option<Arc<dyn CoreLink>>>,
    shutdown: AtomicBool,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("pipelines", &lock(&self.slots).keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

static HOST: OnceLock<Host> = OnceLock::new();

/// The plugins this library is meant to hold ([`expect_plugins`]).
static EXPECTED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// Adds `names` to the plugins this library is meant to hold: [`Host::init`]
/// (`InitPluginBaseV2`) warns about each that is not registered, and raises an alarm.
/// Usually called through [`expect_plugins!`](crate::expect_plugins!), which a library built
/// by `pipeplug build --target loongcollector` uses.
pub fn expect_plugins(names: &[&'static str]) {
    lock(&EXPECTED).extend_from_slice(names);
}

/// The expected plugins that are not registered, each logged and raised as an alarm.
fn report_missing(registry: &Registry) {
    let expected = lock(&EXPECTED).clone();
    for name in expected.iter().filter(|n| registry.kinds_of(n).is_empty()) {
        let text = format!(
            "plugin `{name}` was meant to be in this library (an `expect:` of its build) but is not registered; does the library name its crate (an `import:` of external_plugins.yml)?"
        );
        alarms::raise(ERROR_ALARM, alarms::Level::Error, "", &text);
        tracing::warn!("{text}");
    }
}

/// The process's host, created on first use (with logging to stderr, filtered by
/// `PIPEPLUG_LOG`, `info` by default, and the alarm layer).
///
/// # Errors
/// The plugin registry is broken (two plugins of one kind share a name).
pub fn host() -> Result<&'static Host, pipeplug::RegistryError> {
    if let Some(h) = HOST.get() {
        return Ok(h);
    }
    let registry = pipeplug::registry::global()?;
    Ok(HOST.get_or_init(|| {
        init_logging();
        Host::new(registry)
    }))
}

/// Logs to stderr (`PIPEPLUG_LOG` filters, `info` by default) and turns warnings with an
/// alarm and errors into alarms. Does nothing when the process already has a global
/// subscriber (an embedding program's).
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    let filter = tracing_subscriber::EnvFilter::try_from_env("PIPEPLUG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .with(alarms::AlarmLayer);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The text of a panic's payload.
#[must_use]
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Reports a panic caught in the exported function `call`.
pub fn report_panic(call: &str, message: &str) {
    let text = format!("{call} panicked: {message}; the call returned an error code");
    // Raised directly as well as logged: the alarm must not depend on the subscriber.
    alarms::raise(PANIC_ALARM, alarms::Level::Error, "", &text);
    tracing::warn!("{text}");
}

/// Reports an error of the exported function `call` for pipeline `config`.
pub fn report_error(call: &str, config: &str, message: &str) {
    let text = format!("{call}: {message}");
    // A plugin that panicked while its config was checked (caught by the engine) is
    // reported as the panic it was.
    let alarm_type = if message.contains("panicked") {
        PANIC_ALARM
    } else {
        ERROR_ALARM
    };
    alarms::raise(alarm_type, alarms::Level::Error, config, &text);
    tracing::warn!(config, "{text}");
}

/// `name` without the core's `/1` or `/2` suffix.
#[must_use]
pub fn base_name(name: &str) -> &str {
    name.strip_suffix("/1")
        .or_else(|| name.strip_suffix("/2"))
        .unwrap_or(name)
}

/// The pipeline JSON as the engine reads it: a `/2` pipeline is V2 unless it says
/// otherwise, and a pipeline without inputs gets [`CORE_INPUT`]. Returns the text and
/// whether the config had inputs of its own.
fn prepare_config(name: &str, json: &str) -> Result<(String, bool), HostError> {
    let mut value: serde_json::Value =
        serde_json::from_str(json).map_err(|source| HostError::PipelineJson {
            name: name.to_owned(),
            source,
        })?;
    let Some(top) = value.as_object_mut() else {
        // Not an object: the engine's reader says what is wrong.
        return Ok((json.to_owned(), false));
    };
    if name.ends_with("/2") {
        let global = top.entry("global").or_insert_with(|| serde_json::json!({}));
        if let Some(g) = global.as_object_mut() {
            if !g.keys().any(|k| k.eq_ignore_ascii_case("StructureType")) {
                g.insert("StructureType".into(), "v2".into());
            }
        }
    }
    let inputs = top
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("inputs"))
        .map(|(k, v)| (k.clone(), v.as_array().is_some_and(|a| !a.is_empty())));
    let has_input = inputs.as_ref().is_some_and(|(_, has)| *has);
    if !has_input {
        let key = inputs.map_or_else(|| "inputs".to_owned(), |(k, _)| k);
        top.insert(key, serde_json::json!([{ "type": CORE_INPUT }]));
    }
    Ok((value.to_string(), has_input))
}

/// The content key of a log's topic in iLogtail's V1 model.
pub const LOG_TOPIC_KEY: &str = "__log_topic__";

/// The tags LoongCollector v3.3.5's core passes to `ProcessLog`: `k1~=~v1^^^k2~=~v2`. A part
/// without `~=~` (or with nothing before it) is a value whose key is
/// `__tag__:__prefix__<n>`, `n` counting the non-empty parts from 0, as iLogtail's Go library
/// reads them. Bytes that are not UTF-8 are replaced with U+FFFD.
#[must_use]
pub fn parse_core_tags(raw: &[u8]) -> Vec<LogTag> {
    const DELIMITER: &str = "^^^";
    const SEPARATOR: &str = "~=~";
    let text = String::from_utf8_lossy(raw);
    text.split(DELIMITER)
        .filter(|part| !part.is_empty())
        .enumerate()
        .map(|(n, part)| match part.find(SEPARATOR) {
            Some(pos) if pos > 0 => LogTag::new(&part[..pos], &part[pos + SEPARATOR.len()..]),
            _ => LogTag::new(format!("{TAG_PREFIX}__prefix__{n}"), part),
        })
        .collect()
}

/// Puts a V1 group from the core into a pipeline's input. A V2 pipeline gets it as one
/// group (its topic, category, source as metadata, its tags as the group's tags:
/// [`pipeplug::convert::group_to_v2`]); a V1 pipeline gets each log with the topic as a
/// `__log_topic__` content (when `topic_to_contents` and the topic is not empty) and each
/// tag as a `__tag__:<key>` content, as iLogtail's V1 pipelines receive them.
fn feed_log_group(input: &ExternalInput, group: LogGroup, topic_to_contents: bool) {
    match input {
        ExternalInput::V2(sink) => sink.send(pipeplug::convert::group_to_v2(&group)),
        ExternalInput::V1(sink) => {
            for mut log in group.logs {
                if topic_to_contents && !group.topic.is_empty() {
                    log.push(LOG_TOPIC_KEY, group.topic.as_str());
                }
                for tag in &group.log_tags {
                    let key = if tag.key.starts_with(TAG_PREFIX) {
                        tag.key.clone()
                    } else {
                        format!("{TAG_PREFIX}{}", tag.key).into()
                    };
                    log.push(key, tag.value.clone());
                }
                sink.send(pipeplug::LogWithContext { log, context: None });
            }
        }
    }
}

impl Host {
    fn new(registry: Arc<Registry>) -> Self {
        Self {
            registry,
            options: EngineOptions::default(),
            checkpoints: Mutex::new(Arc::new(MemoryCheckpoints::default())),
            slots: Mutex::new(HashMap::new()),
            idents: RwLock::new(HashMap::new()),
            link: RwLock::new(None),
            shutdown: AtomicBool::new(false),
        }
    }

    /// `InitPluginBaseV2`: reads the core's settings (checkpoints go to
    /// `<LoongcollectorDataDir>/pipeplug` when it is given, else stay in memory) and finds
    /// the adapter.
    ///
    /// # Errors
    /// `config` is not JSON.
    pub fn init(&self, config: &str) -> Result<(), HostError> {
        let cfg: serde_json::Value = serde_json::from_str(config).map_err(HostError::InitJson)?;
        let data_dir = ["LoongcollectorDataDir", "LogtailSysConfDir"]
            .iter()
            .find_map(|k| cfg.get(*k).and_then(serde_json::Value::as_str))
            .filter(|d| !d.is_empty());
        if let Some(dir) = data_dir {
            let path = std::path::Path::new(dir).join("pipeplug");
            match pipeplug_agent::engine::RedbCheckpoints::open(&path) {
                Ok(store) => *lock(&self.checkpoints) = Arc::new(store),
                Err(e) => report_error(
                    "InitPluginBaseV2",
                    "",
                    &format!(
                        "checkpoints in {}: {e}; keeping them in memory",
                        path.display()
                    ),
                ),
            }
        }
        self.shutdown.store(false, Ordering::SeqCst);
        report_missing(&self.registry);
        match self.link() {
            Some(_) => tracing::info!("pipeplug: initialised; sending through the adapter"),
            None => tracing::warn!(
                "pipeplug: initialised, but `libGoPluginAdapter.so` is not loaded: \
                 flusher_sls cannot send until it is"
            ),
        }
        Ok(())
    }

    /// The plugins this library has.
    #[must_use]
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Uses `link` to reach the core instead of the loaded adapter (an embedding program,
    /// a test).
    pub fn set_link(&self, link: Arc<dyn CoreLink>) {
        *self.link.write().unwrap_or_else(PoisonError::into_inner) = Some(link);
    }

    /// The way to the core: the one set, else the adapter if it is loaded now.
    #[must_use]
    pub fn link(&self) -> Option<Arc<dyn CoreLink>> {
        if let Some(l) = &*self.link.read().unwrap_or_else(PoisonError::into_inner) {
            return Some(Arc::clone(l));
        }
        match Adapter::find() {
            Ok(adapter) => {
                if let Some(v) = adapter.version {
                    tracing::info!("pipeplug: found libGoPluginAdapter.so, version {v}");
                }
                let link: Arc<dyn CoreLink> = Arc::new(adapter);
                let mut slot = self.link.write().unwrap_or_else(PoisonError::into_inner);
                Some(Arc::clone(slot.get_or_insert(link)))
            }
            Err(e) => {
                tracing::debug!("pipeplug: {e}");
                None
            }
        }
    }

    /// Where the pipeline `config_name` (with its suffix) sends, as `LoadPipeline` said.
    #[must_use]
    pub fn ident(&self, config_name: &str) -> Option<Ident> {
        (self.idents.read().unwrap_or_else(PoisonError::into_inner))
            .get(config_name)
            .cloned()
    }

    /// Whether `StopBuiltInModules` was called (the process is exiting): `flusher_sls`
    /// stops retrying.
    #[must_use]
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// `LoadPipeline`: builds and stages the pipeline `name` (empty `json`: drops what is
    /// staged).
    ///
    /// # Errors
    /// The JSON or the config is bad (every problem listed).
    pub fn load(&self, name: &str, ident: Ident, json: &str) -> Result<(), HostError> {
        if json.trim().is_empty() {
            self.unload(name);
            return Ok(());
        }
        let (text, has_input) = prepare_config(name, json)?;
        (self.idents.write().unwrap_or_else(PoisonError::into_inner))
            .insert(name.to_owned(), ident);
        let file = format!("LoadPipeline({name})");
        let loaded = load_str(&text, Format::Json, &file, name, &self.registry).map_err(|e| {
            HostError::Config {
                name: name.to_owned(),
                errors: e.to_string(),
            }
        })?;
        let staged = match loaded {
            Loaded::Pipeline(pipeline) => Some(Staged {
                pipeline,
                has_input,
            }),
            Loaded::Disabled(_) => {
                tracing::info!(
                    config = name,
                    "pipeline `{name}` is disabled (`enable: false`)"
                );
                None
            }
        };
        lock(&self.slots).entry(name.to_owned()).or_default().staged = staged;
        tracing::info!(config = name, "pipeline `{name}` loaded (staged)");
        Ok(())
    }

    /// `UnloadPipeline`: drops what is staged under `name`.
    pub fn unload(&self, name: &str) {
        let staged = lock(&self.slots)
            .get_mut(name)
            .and_then(|s| s.staged.take());
        if staged.is_some() {
            tracing::info!(config = name, "pipeline `{name}` unloaded (was staged)");
        }
    }

    /// `Start`: runs what is staged under `name`; one still running under that name is
    /// stopped first.
    ///
    /// # Errors
    /// Nothing is staged, or a plugin did not start.
    pub fn start(&self, name: &str) -> Result<(), HostError> {
        let (staged, old) = {
            let mut slots = lock(&self.slots);
            let slot = slots.entry(name.to_owned()).or_default();
            let Some(staged) = slot.staged.take() else {
                return Err(HostError::NothingStaged(name.to_owned()));
            };
            (staged, slot.running.take())
        };
        if let Some(old) = old {
            tracing::warn!(
                config = name,
                "Start: `{name}` still runs; stopping it first"
            );
            report_stop(old.pipeline.stop());
        }
        let checkpoints = Arc::clone(&*lock(&self.checkpoints));
        let pipeline = RunningPipeline::start(staged.pipeline, checkpoints, &self.options)
            .map_err(|source| HostError::Start {
                name: name.to_owned(),
                source,
            })?;
        let running = Running {
            input: pipeline.external_input(),
            pipeline,
            has_input: staged.has_input,
        };
        let old = lock(&self.slots)
            .entry(name.to_owned())
            .or_default()
            .running
            .replace(running);
        if let Some(old) = old {
            // Another `Start` for the same name ran at the same time.
            report_stop(old.pipeline.stop());
        }
        Ok(())
    }

    /// `Stop`: stops the pipeline running under `name` and returns when it has; `removed`:
    /// the config is gone (its entry is forgotten unless a new one is staged).
    pub fn stop(&self, name: &str, removed: bool) {
        let running = {
            let mut slots = lock(&self.slots);
            let running = slots.get_mut(name).and_then(|s| s.running.take());
            if removed && slots.get(name).is_some_and(|s| s.staged.is_none()) {
                slots.remove(name);
            }
            running
        };
        match running {
            Some(r) => report_stop(r.pipeline.stop()),
            None => tracing::debug!(config = name, "Stop: `{name}` is not running"),
        }
    }

    /// `StopAllPipelines`: stops every running pipeline with inputs of its own
    /// (`with_input`) or every one without (the core-fed ones), in parallel.
    pub fn stop_all(&self, with_input: bool) {
        let stopping: Vec<Running> = {
            let mut slots = lock(&self.slots);
            slots
                .values_mut()
                .filter(|s| {
                    s.running
                        .as_ref()
                        .is_some_and(|r| r.has_input == with_input)
                })
                .filter_map(|s| s.running.take())
                .collect()
        };
        std::thread::scope(|scope| {
            for r in stopping {
                scope.spawn(move || report_stop(r.pipeline.stop()));
            }
        });
    }

    /// `StopBuiltInModules`: drops staged pipelines; `flusher_sls` stops retrying.
    pub fn stop_builtin(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        for slot in lock(&self.slots).values_mut() {
            slot.staged = None;
        }
    }

    /// `ProcessPipelineEventGroup`: decodes `bytes` and puts the group into the input queue
    /// of the pipeline running under `name`, blocking while it is full. `pack_id` is not
    /// used.
    ///
    /// # Errors
    /// No such pipeline runs, or the bytes are not a group.
    pub fn process(&self, name: &str, bytes: &[u8], pack_id: &str) -> Result<(), ProcessError> {
        let _ = pack_id;
        let input = self.running_input(name)?;
        let group = crate::proto::decode_event_group(bytes)
            .map_err(|e| ProcessError::Decode(e.to_string()))?;
        match input {
            ExternalInput::V2(sink) => sink.send(group),
            ExternalInput::V1(sink) => {
                for log in pipeplug::convert::group_to_v1_logs(&group) {
                    sink.send(pipeplug::LogWithContext { log, context: None });
                }
            }
        }
        Ok(())
    }

    /// `ProcessLogGroup` (LoongCollector v3.3.5): one serialized `sls_logs.LogGroup` into
    /// the input queue of the pipeline running under `name`, as [`Host::process`] does with
    /// a `PipelineEventGroup`. A V2 pipeline gets it as one group (its topic, category and
    /// source as metadata, its tags as the group's tags); a V1 pipeline gets each log with
    /// the topic added as a `__log_topic__` content (as iLogtail's Go library adds it) and
    /// each tag as a `__tag__:<key>` content.
    ///
    /// # Errors
    /// No such pipeline runs, or the bytes are not a `LogGroup`.
    pub fn process_log_group(
        &self,
        name: &str,
        bytes: &[u8],
        pack_id: &str,
    ) -> Result<(), ProcessError> {
        let _ = pack_id;
        let input = self.running_input(name)?;
        let decode_error = |e: crate::proto::DecodeError| ProcessError::Decode(e.to_string());
        match &input {
            // Straight into the V2 model, from views into one copy of the bytes.
            ExternalInput::V2(sink) => {
                sink.send(crate::proto::decode_log_group_v2(bytes).map_err(decode_error)?);
            }
            ExternalInput::V1(_) => feed_log_group(
                &input,
                crate::proto::decode_log_group(bytes).map_err(decode_error)?,
                true,
            ),
        }
        Ok(())
    }

    /// `ProcessLog` (LoongCollector v3.3.5): one serialized `sls_logs.Log` with the core's
    /// `topic` and `tags` (`k1~=~v1^^^k2~=~v2`, see [`parse_core_tags`]) into the input
    /// queue of the pipeline running under `name`. As iLogtail's Go library does, a
    /// non-empty topic is added to the log as `__log_topic__`; the tags and the topic are the
    /// group's.
    ///
    /// # Errors
    /// No such pipeline runs, or the bytes are not a `Log`.
    pub fn process_log(
        &self,
        name: &str,
        bytes: &[u8],
        pack_id: &str,
        topic: &str,
        tags: &[u8],
    ) -> Result<(), ProcessError> {
        let _ = pack_id;
        let input = self.running_input(name)?;
        let mut log =
            crate::proto::decode_log(bytes).map_err(|e| ProcessError::Decode(e.to_string()))?;
        if !topic.is_empty() {
            log.push(LOG_TOPIC_KEY, topic);
        }
        let group = LogGroup {
            logs: vec![log],
            topic: topic.to_owned(),
            log_tags: parse_core_tags(tags),
            ..LogGroup::default()
        };
        // The topic is in the log's contents already.
        feed_log_group(&input, group, false);
        Ok(())
    }

    /// The input of the pipeline running under `name`.
    fn running_input(&self, name: &str) -> Result<ExternalInput, ProcessError> {
        lock(&self.slots)
            .get(name)
            .and_then(|s| s.running.as_ref())
            .map(|r| r.input.clone())
            .ok_or(ProcessError::UnknownConfig)
    }

    /// One metric record per running pipeline (see [`metrics`]).
    #[must_use]
    pub fn metric_records(&self) -> Vec<Vec<(String, String)>> {
        let slots = lock(&self.slots);
        let mut names: Vec<&String> = slots.keys().collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|name| {
                let r = slots.get(name)?.running.as_ref()?;
                let ident = self.ident(name).unwrap_or_default();
                let flushed: u64 = r.pipeline.flushed().iter().sum();
                Some(vec![
                    ("label.metric_category".into(), "runner".into()),
                    ("label.project".into(), ident.project),
                    ("label.logstore".into(), ident.logstore),
                    ("label.pipeline_name".into(), name.clone()),
                    ("label.plugin_library".into(), "pipeplug".into()),
                    (
                        "value.in_events_total".into(),
                        r.pipeline.events_in().to_string(),
                    ),
                    ("value.flushed_events_total".into(), flushed.to_string()),
                    (
                        "value.plugin_panics_total".into(),
                        r.pipeline.panics().to_string(),
                    ),
                ])
            })
            .collect()
    }

    /// The config names with a running pipeline, sorted.
    #[must_use]
    pub fn running(&self) -> Vec<String> {
        let mut v: Vec<String> = lock(&self.slots)
            .iter()
            .filter(|(_, s)| s.running.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        v
    }

    /// The config names with a staged pipeline, sorted.
    #[must_use]
    pub fn staged(&self) -> Vec<String> {
        let mut v: Vec<String> = lock(&self.slots)
            .iter()
            .filter(|(_, s)| s.staged.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        v
    }
}

/// Raises an alarm for what a stop lost (the engine has logged the details).
fn report_stop(report: pipeplug_agent::engine::StopReport) {
    let lost: u64 = report.flushers.iter().map(|f| f.dropped).sum::<u64>()
        + report.refused_after_stop
        + report.lost_in_panics;
    if lost > 0 || !report.overstayed.is_empty() {
        alarms::raise(
            ERROR_ALARM,
            alarms::Level::Error,
            &report.config,
            &format!(
                "pipeline `{}` stopped with {lost} event(s) lost ({}); left behind: [{}]",
                report.config,
                report
                    .flushers
                    .iter()
                    .map(|f| format!("{}: {}", f.plugin, f.drops))
                    .collect::<Vec<_>>()
                    .join(", "),
                report.overstayed.join(", ")
            ),
        );
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Tests that use the process-wide host or alarms run one at a time.
    pub(crate) fn serial() -> MutexGuard<'static, ()> {
        static SERIAL: Mutex<()> = Mutex::new(());
        lock(&SERIAL)
    }

    #[test]
    fn suffixes_are_stripped_for_the_core() {
        assert_eq!(base_name("a/2"), "a");
        assert_eq!(base_name("a/1"), "a");
        assert_eq!(base_name("a"), "a");
        assert_eq!(base_name("a/3"), "a/3");
    }

    #[test]
    fn a_core_fed_config_becomes_v2_with_the_core_input() {
        let (text, has_input) = prepare_config(
            "x/2",
            r#"{"processors":[],"flushers":[{"type":"flusher_sls/1"}]}"#,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(!has_input);
        assert_eq!(v["global"]["StructureType"], "v2");
        assert_eq!(v["inputs"][0]["type"], CORE_INPUT);
        // A config that says v1, or has inputs, keeps them.
        let (text, has_input) = prepare_config(
            "x/1",
            r#"{"global":{"structuretype":"v1"},"inputs":[{"type":"service_mock/1"}]}"#,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(has_input);
        assert_eq!(v["global"]["structuretype"], "v1");
        assert_eq!(v["inputs"][0]["type"], "service_mock/1");
        let err = prepare_config("x/2", "{not json").unwrap_err().to_string();
        assert!(err.starts_with("pipeline `x/2`: not JSON"), "{err}");
    }
}
