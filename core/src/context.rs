//! [`Context`]: what a plugin knows of its pipeline.

use crate::checkpoint::{CheckpointStore, MemoryCheckpoints};
use crate::error::CheckpointError;
use crate::self_metrics::{AverageMetric, Counter, Gauge, Latency, MetricsRecord, SelfMetric};
use crate::{Clock, GlobalConfig, HostIdentity, StopSignal};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};

/// Which plugin a context belongs to (`PluginMeta`): `processor_rename/2` has type
/// `processor_rename` and ID `2`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PluginMeta {
    /// The registered name.
    pub plugin_type: String,
    /// The ID within the pipeline.
    pub plugin_id: String,
}

impl PluginMeta {
    /// `type/id`, or `type` when the ID is empty (`PluginTypeWithID`).
    #[must_use]
    pub fn type_with_id(&self) -> String {
        if self.plugin_id.is_empty() {
            self.plugin_type.clone()
        } else {
            format!("{}/{}", self.plugin_type, self.plugin_id)
        }
    }
}

/// The severity of a [`LogRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Detail for debugging.
    Debug,
    /// Normal operation.
    Info,
    /// Something is off but the plugin goes on.
    Warn,
    /// Something failed.
    Error,
}

/// How serious an alarm is (iLogtail's alarm levels). [`Logger::alarm`] raises a
/// warning; [`Logger::alarm_at`] any level.
///
/// ```
/// use pipeplug::AlarmLevel;
/// assert!(AlarmLevel::Critical > AlarmLevel::Error);
/// assert_eq!(AlarmLevel::Error.as_str(), "error");
/// assert_eq!(AlarmLevel::default(), AlarmLevel::Warning);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum AlarmLevel {
    /// Something is off; data may be late or partly lost. The level of
    /// [`Logger::alarm`]. Logged as a warning.
    #[default]
    Warning,
    /// Something failed; data is lost. Logged as an error.
    Error,
    /// The plugin or pipeline cannot go on. Logged as an error.
    Critical,
}

impl AlarmLevel {
    /// `warning`, `error` or `critical`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }

    /// The [`Level`] an alarm of this level is logged at.
    #[must_use]
    pub fn log_level(self) -> Level {
        match self {
            Self::Warning => Level::Warn,
            Self::Error | Self::Critical => Level::Error,
        }
    }
}

impl fmt::Display for AlarmLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A line a plugin logged through [`Context::logger`], as the test harness records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Severity.
    pub level: Level,
    /// The alarm type (`XXX_ALARM`) for alarms, else `None`.
    pub alarm: Option<String>,
    /// The alarm's level for alarms, else `None`.
    pub alarm_level: Option<AlarmLevel>,
    /// The plugin that logged it (`type/id`), empty for the pipeline itself.
    pub plugin: String,
    /// The message.
    pub message: String,
}

/// A value kept by type-erased slot: the context stores extensions and their factory without
/// naming the plugin traits (the `extensions` module, which does, reads them back).
pub(crate) type Erased = Arc<dyn Any + Send + Sync>;

struct Shared {
    config_name: String,
    project: String,
    logstore: String,
    global: GlobalConfig,
    /// The identity given to the builder, if any; `global` overrides it.
    host_base: Option<HostIdentity>,
    /// The identity, worked out on first use.
    host: OnceLock<HostIdentity>,
    checkpoints: Arc<dyn CheckpointStore>,
    clock: Clock,
    stopping: StopSignal,
    /// Extensions by name: each an `ExtensionHandle` (see `crate::extensions`).
    extensions: RwLock<HashMap<String, Erased>>,
    /// The `ExtensionFactory`, if the host installed one.
    extension_factory: Option<Erased>,
    metrics: MetricsRecord,
    records: Option<Mutex<Vec<LogRecord>>>,
    live_threads: Arc<AtomicUsize>,
}

/// What a plugin knows of its pipeline (Go's `pipeline.Context`): identity, checkpoints,
/// extensions, self-metrics, a logger, the clock and the stop signal.
///
/// Cheap to clone (an `Arc`), `Send + Sync`: keep a clone in a worker thread.
///
/// ```
/// use pipeplug::Context;
/// let ctx = Context::builder().config_name("cfg").project("p").logstore("l").build();
/// ctx.save_checkpoint_object("offset", &42_u64).unwrap();
/// assert_eq!(ctx.get_checkpoint_object::<u64>("offset").unwrap(), Some(42));
/// ctx.counter("lines").add(3);
/// assert_eq!(ctx.counter("lines").get(), 3);
/// ```
#[derive(Clone)]
pub struct Context {
    shared: Arc<Shared>,
    plugin: Arc<PluginMeta>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("config_name", &self.shared.config_name)
            .field("project", &self.shared.project)
            .field("logstore", &self.shared.logstore)
            .field("plugin", &self.plugin.type_with_id())
            .finish_non_exhaustive()
    }
}

impl Default for Context {
    fn default() -> Self {
        Self::builder().build()
    }
}

/// Builds a [`Context`]; see [`Context::builder`].
#[derive(Default)]
#[must_use]
pub struct ContextBuilder {
    config_name: String,
    project: String,
    logstore: String,
    global: GlobalConfig,
    host: Option<HostIdentity>,
    checkpoints: Option<Arc<dyn CheckpointStore>>,
    clock: Clock,
    record_logs: bool,
    /// Set by `ContextBuilder::extension_factory` (in `crate::extensions`).
    pub(crate) extension_factory: Option<Erased>,
}

impl ContextBuilder {
    /// The pipeline's config name.
    pub fn config_name(mut self, v: impl Into<String>) -> Self {
        self.config_name = v.into();
        self
    }
    /// The project.
    pub fn project(mut self, v: impl Into<String>) -> Self {
        self.project = v.into();
        self
    }
    /// The logstore.
    pub fn logstore(mut self, v: impl Into<String>) -> Self {
        self.logstore = v.into();
        self
    }
    /// The pipeline's `global` section.
    pub fn global(mut self, v: GlobalConfig) -> Self {
        self.global = v;
        self
    }
    /// The host identity (the system's by default, [`HostIdentity::system`]);
    /// `global.Hostname` and `global.HostIP` take precedence where given.
    pub fn host(mut self, v: HostIdentity) -> Self {
        self.host = Some(v);
        self
    }
    /// Where checkpoints go (in memory by default).
    pub fn checkpoints(mut self, v: Arc<dyn CheckpointStore>) -> Self {
        self.checkpoints = Some(v);
        self
    }
    /// The clock (the system clock by default).
    pub fn clock(mut self, v: Clock) -> Self {
        self.clock = v;
        self
    }
    /// Keep every line logged through [`Context::logger`], for [`Context::log_records`].
    pub fn record_logs(mut self, v: bool) -> Self {
        self.record_logs = v;
        self
    }
    /// The context.
    pub fn build(self) -> Context {
        Context {
            shared: Arc::new(Shared {
                config_name: self.config_name,
                project: self.project,
                logstore: self.logstore,
                global: self.global,
                host_base: self.host,
                host: OnceLock::new(),
                checkpoints: self
                    .checkpoints
                    .unwrap_or_else(|| Arc::new(MemoryCheckpoints::new())),
                clock: self.clock,
                stopping: StopSignal::new(),
                extensions: RwLock::new(HashMap::new()),
                extension_factory: self.extension_factory,
                metrics: MetricsRecord::default(),
                records: self.record_logs.then(|| Mutex::new(Vec::new())),
                live_threads: Arc::new(AtomicUsize::new(0)),
            }),
            plugin: Arc::new(PluginMeta::default()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Context {
    /// A builder; every part has a default.
    pub fn builder() -> ContextBuilder {
        ContextBuilder::default()
    }

    /// The same pipeline, seen by the plugin `meta` (its logger and metrics name it).
    #[must_use]
    pub fn for_plugin(&self, meta: PluginMeta) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            plugin: Arc::new(meta),
        }
    }

    /// The pipeline's config name (`GetConfigName`).
    #[must_use]
    pub fn config_name(&self) -> &str {
        &self.shared.config_name
    }
    /// The project (`GetProject`).
    #[must_use]
    pub fn project(&self) -> &str {
        &self.shared.project
    }
    /// The logstore (`GetLogstore`).
    #[must_use]
    pub fn logstore(&self) -> &str {
        &self.shared.logstore
    }
    /// The plugin this context was given to.
    #[must_use]
    pub fn plugin(&self) -> &PluginMeta {
        &self.plugin
    }
    /// The pipeline's `global` section (`GetPipelineScopeConfig`).
    #[must_use]
    pub fn global(&self) -> &GlobalConfig {
        &self.shared.global
    }
    /// The host identity: `global.Hostname` / `global.HostIP` where the config gives them,
    /// else the builder's, else the system's ([`HostIdentity::system`]); worked out once.
    ///
    /// ```
    /// use pipeplug::{Context, GlobalConfig};
    /// let global = GlobalConfig { host_ip: "10.0.0.7".into(), ..GlobalConfig::default() };
    /// let ctx = Context::builder().global(global).build();
    /// assert_eq!(ctx.host_ip(), "10.0.0.7");
    /// assert!(!ctx.host_name().is_empty()); // the machine's
    /// ```
    #[must_use]
    pub fn host(&self) -> &HostIdentity {
        self.shared.host.get_or_init(|| {
            self.shared
                .host_base
                .clone()
                .unwrap_or_else(|| HostIdentity::system().clone())
                .with_global(&self.shared.global)
        })
    }
    /// The host name (`util.GetHostName`); see [`host`](Self::host).
    #[must_use]
    pub fn host_name(&self) -> &str {
        self.host().host_name()
    }
    /// The host IP address (`util.GetIPAddress`); see [`host`](Self::host).
    #[must_use]
    pub fn host_ip(&self) -> &str {
        self.host().host_ip()
    }
    /// The clock: read the time and wait through it, so tests can use virtual time.
    #[must_use]
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }
    /// Fires when the pipeline stops. A V1 `start` that blocks must return once it fires.
    #[must_use]
    pub fn stopping(&self) -> &StopSignal {
        &self.shared.stopping
    }

    /// Threads started through [`Worker`](crate::Worker) with this pipeline's contexts that
    /// are still running.
    #[must_use]
    pub fn live_threads(&self) -> usize {
        self.shared
            .live_threads
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn live_thread_counter(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.shared.live_threads)
    }

    fn checkpoint_key(&self, key: &str) -> String {
        format!("{}^{key}", self.shared.config_name)
    }

    /// Stores a checkpoint (`SaveCheckPoint`), keyed by config name and `key`.
    ///
    /// # Errors
    /// The store could not write.
    pub fn save_checkpoint(&self, key: &str, value: &[u8]) -> Result<(), CheckpointError> {
        self.shared
            .checkpoints
            .save(&self.checkpoint_key(key), value)
            .map_err(|source| CheckpointError::Store {
                key: key.to_owned(),
                source,
            })
    }

    /// Reads a checkpoint (`GetCheckPoint`).
    ///
    /// # Errors
    /// The store could not read.
    pub fn get_checkpoint(&self, key: &str) -> Result<Option<Vec<u8>>, CheckpointError> {
        self.shared
            .checkpoints
            .get(&self.checkpoint_key(key))
            .map_err(|source| CheckpointError::Store {
                key: key.to_owned(),
                source,
            })
    }

    /// Stores a serde value as a JSON checkpoint (`SaveCheckPointObject`).
    ///
    /// # Errors
    /// The value does not serialize, or the store could not write.
    pub fn save_checkpoint_object<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), CheckpointError> {
        let bytes = serde_json::to_vec(value).map_err(|source| CheckpointError::Json {
            key: key.to_owned(),
            source,
        })?;
        self.save_checkpoint(key, &bytes)
    }

    /// Reads a JSON checkpoint into a serde value (`GetCheckPointObject`).
    ///
    /// # Errors
    /// The store could not read, or the stored bytes are not a `T`.
    pub fn get_checkpoint_object<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, CheckpointError> {
        match self.get_checkpoint(key)? {
            None => Ok(None),
            Some(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|source| CheckpointError::Json {
                        key: key.to_owned(),
                        source,
                    })
            }
        }
    }

    /// The extension kept under `name`, type-erased.
    pub(crate) fn extension_slot(&self, name: &str) -> Option<Erased> {
        self.shared
            .extensions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// Keeps `ext` under `name`.
    pub(crate) fn set_extension_slot(&self, name: String, ext: Erased) {
        self.shared
            .extensions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name, ext);
    }

    /// The installed extension factory, type-erased.
    pub(crate) fn extension_factory_slot(&self) -> Option<&Erased> {
        self.shared.extension_factory.as_ref()
    }

    fn labels(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut labels = vec![
            ("config_name".to_owned(), self.shared.config_name.clone()),
            ("plugin".to_owned(), self.plugin.type_with_id()),
        ];
        labels.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        labels
    }

    /// The counter `name` of this plugin, created on first use.
    #[must_use]
    pub fn counter(&self, name: &str) -> Counter {
        self.shared.metrics.counter(name, self.labels(&[]))
    }
    /// The counter `name` with extra labels.
    #[must_use]
    pub fn counter_with_labels(&self, name: &str, labels: &[(&str, &str)]) -> Counter {
        self.shared.metrics.counter(name, self.labels(labels))
    }
    /// The gauge `name` of this plugin, created on first use.
    #[must_use]
    pub fn gauge(&self, name: &str) -> Gauge {
        self.shared.metrics.gauge(name, self.labels(&[]))
    }
    /// The latency `name` of this plugin, created on first use.
    #[must_use]
    pub fn latency(&self, name: &str) -> Latency {
        self.shared.metrics.latency(name, self.labels(&[]))
    }
    /// The average `name` of this plugin, created on first use
    /// (`helper.NewAverageMetricAndRegister`). Exporting it reads its mean and starts a new
    /// interval, as iLogtail's does.
    #[must_use]
    pub fn average(&self, name: &str) -> AverageMetric {
        self.shared.metrics.average(name, self.labels(&[]))
    }
    /// Every self-metric of the pipeline (`ExportMetricRecords`).
    #[must_use]
    pub fn export_metrics(&self) -> Vec<SelfMetric> {
        self.shared.metrics.export()
    }

    /// A logger whose lines name this pipeline and plugin.
    #[must_use]
    pub fn logger(&self) -> Logger<'_> {
        Logger { ctx: self }
    }

    /// Every line logged so far, when the context records them (the test harness's do).
    #[must_use]
    pub fn log_records(&self) -> Vec<LogRecord> {
        self.shared
            .records
            .as_ref()
            .map(|r| lock(r).clone())
            .unwrap_or_default()
    }
}

/// Logs lines tagged with the pipeline's config name and the plugin (Go's `logger.Info(ctx, ...)`).
///
/// Lines go to `tracing` (target `pipeplug::plugin`), and to the context's record when it
/// keeps one.
#[derive(Debug, Clone, Copy)]
pub struct Logger<'a> {
    ctx: &'a Context,
}

impl Logger<'_> {
    fn emit(&self, level: Level, alarm: Option<(AlarmLevel, &str)>, message: &str) {
        let config = self.ctx.config_name();
        let plugin = self.ctx.plugin.type_with_id();
        let alarm_s = alarm.map_or("", |(_, a)| a);
        let alarm_level = alarm.map_or("", |(l, _)| l.as_str());
        match level {
            Level::Debug => {
                tracing::debug!(target: "pipeplug::plugin", config, plugin, "{message}")
            }
            Level::Info => tracing::info!(target: "pipeplug::plugin", config, plugin, "{message}"),
            Level::Warn => {
                tracing::warn!(target: "pipeplug::plugin", config, plugin, alarm = alarm_s, alarm_level, "{message}")
            }
            Level::Error => {
                tracing::error!(target: "pipeplug::plugin", config, plugin, alarm = alarm_s, alarm_level, "{message}")
            }
        }
        if let Some(records) = &self.ctx.shared.records {
            lock(records).push(LogRecord {
                level,
                alarm: alarm.map(|(_, a)| a.to_owned()),
                alarm_level: alarm.map(|(l, _)| l),
                plugin,
                message: message.to_owned(),
            });
        }
    }
    /// A debug line.
    pub fn debug(&self, message: impl AsRef<str>) {
        self.emit(Level::Debug, None, message.as_ref());
    }
    /// An info line.
    pub fn info(&self, message: impl AsRef<str>) {
        self.emit(Level::Info, None, message.as_ref());
    }
    /// A warning.
    pub fn warn(&self, message: impl AsRef<str>) {
        self.emit(Level::Warn, None, message.as_ref());
    }
    /// An error.
    pub fn error(&self, message: impl AsRef<str>) {
        self.emit(Level::Error, None, message.as_ref());
    }
    /// An alarm: a warning with an alarm type such as `PARSE_LOG_FAIL_ALARM`
    /// ([`AlarmLevel::Warning`]).
    pub fn alarm(&self, alarm_type: &str, message: impl AsRef<str>) {
        self.alarm_at(AlarmLevel::Warning, alarm_type, message);
    }
    /// An alarm of the given level: a warning for [`AlarmLevel::Warning`], an error for
    /// the others.
    ///
    /// ```
    /// use pipeplug::{AlarmLevel, Context, Level};
    /// let ctx = Context::builder().record_logs(true).build();
    /// ctx.logger().alarm_at(AlarmLevel::Critical, "INIT_ALARM", "no disk");
    /// let r = &ctx.log_records()[0];
    /// assert_eq!((r.level, r.alarm_level), (Level::Error, Some(AlarmLevel::Critical)));
    /// assert_eq!(r.alarm.as_deref(), Some("INIT_ALARM"));
    /// ```
    pub fn alarm_at(&self, level: AlarmLevel, alarm_type: &str, message: impl AsRef<str>) {
        self.emit(
            level.log_level(),
            Some((level, alarm_type)),
            message.as_ref(),
        );
    }
}
