//! [`MockContext`]: a [`Context`] for tests (Go's `mock.NewEmptyContext`).

use super::HarnessError;
use crate::plugin::Extension;
use crate::registry;
use crate::{
    Clock, Context, ExtensionFactory, ExtensionHandle, GlobalConfig, HostIdentity, Level,
    LogRecord, MemoryCheckpoints, PluginMeta, SelfMetric, SelfMetricValue, VirtualClock,
};
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// A [`Context`] for tests, with what a test wants to look at kept at hand: a
/// [`VirtualClock`], in-memory checkpoints, and a record of every line plugins log.
///
/// Cheap to clone; clones share everything. Every harness owns one (see
/// [`mock`](super::ServiceInputHarness::mock)); give the same one to several harnesses
/// (their `with_mock`) to let plugins share extensions, checkpoints and time.
///
/// ```
/// use pipeplug::testing::mock_context;
/// use std::time::Duration;
///
/// let mock = mock_context("project", "logstore", "config");
/// let ctx = mock.context();
/// assert_eq!(ctx.project(), "project");
///
/// ctx.logger().alarm("PARSE_LOG_FAIL_ALARM", "bad line");
/// assert_eq!(mock.alarms()[0].message, "bad line");
///
/// ctx.save_checkpoint_object("offset", &42_u64).unwrap();
/// assert_eq!(mock.checkpoint::<u64>("offset"), Some(42));
///
/// ctx.counter("lines").add(3);
/// assert_eq!(mock.counter("lines"), Some(3));
///
/// let t0 = ctx.clock().now();
/// mock.advance(Duration::from_secs(5));
/// assert_eq!(ctx.clock().now().duration_since(t0).unwrap(), Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct MockContext {
    ctx: Context,
    clock: Arc<VirtualClock>,
    checkpoints: Arc<MemoryCheckpoints>,
}

/// A [`MockContext`] for `project`, `logstore` and `config_name` (Go's
/// `mock.NewEmptyContext(project, logstore, configName)`).
#[must_use]
pub fn mock_context(project: &str, logstore: &str, config_name: &str) -> MockContext {
    MockContext::builder()
        .project(project)
        .logstore(logstore)
        .config_name(config_name)
        .build()
}

impl Default for MockContext {
    /// Project `test_project`, logstore `test_logstore`, config `test_config`.
    fn default() -> Self {
        mock_context("test_project", "test_logstore", "test_config")
    }
}

impl MockContext {
    /// The host name of a mock context unless its builder sets one.
    pub const HOST_NAME: &'static str = "test_host";
    /// The host IP of a mock context unless its builder sets one.
    pub const HOST_IP: &'static str = "127.0.0.1";

    /// A builder for the less common settings (global config, start time, ...).
    pub fn builder() -> MockContextBuilder {
        MockContextBuilder::default()
    }

    /// The context to give plugins.
    #[must_use]
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The context as the plugin `plugin_type` sees it (its log lines and self-metrics are
    /// labelled with it). Shares everything with [`context`](Self::context).
    #[must_use]
    pub fn context_for(&self, plugin_type: &str) -> Context {
        self.ctx.for_plugin(PluginMeta {
            plugin_type: plugin_type.to_owned(),
            plugin_id: String::new(),
        })
    }

    /// The virtual clock.
    #[must_use]
    pub fn clock(&self) -> &Arc<VirtualClock> {
        &self.clock
    }

    /// Moves virtual time forward, firing every ticker on the way and waiting for what the
    /// plugins do on each tick (see [`VirtualClock::advance`]).
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// The current virtual time.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The checkpoint store (keys are `config_name^key`).
    #[must_use]
    pub fn checkpoints(&self) -> &Arc<MemoryCheckpoints> {
        &self.checkpoints
    }

    /// The JSON checkpoint `key` read as a `T`; `None` when absent or not a `T`.
    #[must_use]
    pub fn checkpoint<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.ctx.get_checkpoint_object(key).ok().flatten()
    }

    /// Every line plugins logged through [`Context::logger`], in order.
    #[must_use]
    pub fn log_records(&self) -> Vec<LogRecord> {
        self.ctx.log_records()
    }

    /// The lines logged at `level` or above.
    #[must_use]
    pub fn log_records_at_least(&self, level: Level) -> Vec<LogRecord> {
        self.ctx
            .log_records()
            .into_iter()
            .filter(|r| r.level >= level)
            .collect()
    }

    /// The alarms (lines with an alarm type, such as `PARSE_LOG_FAIL_ALARM`).
    #[must_use]
    pub fn alarms(&self) -> Vec<LogRecord> {
        self.ctx
            .log_records()
            .into_iter()
            .filter(|r| r.alarm.is_some())
            .collect()
    }

    /// Every self-metric (`ExportMetricRecords`).
    #[must_use]
    pub fn metrics(&self) -> Vec<SelfMetric> {
        self.ctx.export_metrics()
    }

    /// The sum of the counters called `name`, over every plugin and label set; `None` when
    /// there is none.
    #[must_use]
    pub fn counter(&self, name: &str) -> Option<u64> {
        self.metrics()
            .into_iter()
            .filter(|m| m.name == name)
            .filter_map(|m| match m.value {
                SelfMetricValue::Counter(n) => Some(n),
                _ => None,
            })
            .reduce(|a, b| a + b)
    }

    /// Initialises `ext` with this context and declares it under `type_with_id` (as the
    /// host does for the pipeline's `extensions`), so that plugins find it with
    /// [`Context::get_extension`]. Returns the shared handle.
    ///
    /// ```
    /// use pipeplug::plugin::{Extension, Plugin};
    /// use pipeplug::testing::MockContext;
    ///
    /// struct Token(String);
    /// impl Plugin for Token { fn description(&self) -> &str { "a token" } }
    /// impl Extension for Token {}
    ///
    /// let mock = MockContext::default();
    /// mock.add_extension("ext_token/main", Token("secret".into())).unwrap();
    /// let token = mock.context()
    ///     .with_extension("ext_token/main", &serde_json::Value::Null, |t: &mut Token| t.0.clone())
    ///     .unwrap();
    /// assert_eq!(token, "secret");
    /// ```
    ///
    /// # Errors
    /// The extension's `init` failed.
    pub fn add_extension<E: Extension>(
        &self,
        type_with_id: &str,
        mut ext: E,
    ) -> Result<ExtensionHandle, HarnessError> {
        let plugin_type = type_with_id.split('/').next().unwrap_or(type_with_id);
        ext.init(&self.context_for(plugin_type))
            .map_err(|e| HarnessError::plugin(type_with_id, "init", e))?;
        let handle: ExtensionHandle = Arc::new(Mutex::new(Box::new(ext)));
        self.ctx.add_extension(type_with_id, Arc::clone(&handle));
        Ok(handle)
    }
}

/// Builds a [`MockContext`]; see [`MockContext::builder`].
#[derive(Default)]
#[must_use]
pub struct MockContextBuilder {
    project: Option<String>,
    logstore: Option<String>,
    config_name: Option<String>,
    global: GlobalConfig,
    start: Option<SystemTime>,
    host: Option<HostIdentity>,
    extension_factory: Option<ExtensionFactory>,
}

impl std::fmt::Debug for MockContextBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockContextBuilder")
            .field("project", &self.project)
            .field("logstore", &self.logstore)
            .field("config_name", &self.config_name)
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

impl MockContextBuilder {
    /// The project (`test_project` by default).
    pub fn project(mut self, v: impl Into<String>) -> Self {
        self.project = Some(v.into());
        self
    }
    /// The logstore (`test_logstore` by default).
    pub fn logstore(mut self, v: impl Into<String>) -> Self {
        self.logstore = Some(v.into());
        self
    }
    /// The config name (`test_config` by default).
    pub fn config_name(mut self, v: impl Into<String>) -> Self {
        self.config_name = Some(v.into());
        self
    }
    /// The pipeline's `global` section (iLogtail's defaults by default).
    pub fn global(mut self, v: GlobalConfig) -> Self {
        self.global = v;
        self
    }
    /// The host identity plugins see ([`MockContext::HOST_NAME`] and
    /// [`MockContext::HOST_IP`] by default, not the machine's, so that tests give the same
    /// result everywhere); `global.Hostname` / `global.HostIP` still take precedence.
    pub fn host(mut self, v: HostIdentity) -> Self {
        self.host = Some(v);
        self
    }
    /// What the virtual clock reads before it is advanced (the system time by default).
    pub fn start_time(mut self, v: SystemTime) -> Self {
        self.start = Some(v);
        self
    }
    /// How undeclared extensions are created (from the global registry by default:
    /// [`registry::global_extension_factory`]).
    pub fn extension_factory(mut self, v: ExtensionFactory) -> Self {
        self.extension_factory = Some(v);
        self
    }
    /// The mock context.
    pub fn build(self) -> MockContext {
        let clock = Arc::new(VirtualClock::new(
            self.start.unwrap_or_else(SystemTime::now),
        ));
        let checkpoints = Arc::new(MemoryCheckpoints::new());
        let host = self
            .host
            .unwrap_or_else(|| HostIdentity::new(MockContext::HOST_NAME, MockContext::HOST_IP));
        let builder = Context::builder()
            .project(self.project.unwrap_or_else(|| "test_project".to_owned()))
            .logstore(self.logstore.unwrap_or_else(|| "test_logstore".to_owned()))
            .config_name(self.config_name.unwrap_or_else(|| "test_config".to_owned()))
            .global(self.global)
            .host(host)
            .clock(Clock::Virtual(Arc::clone(&clock)))
            .checkpoints(Arc::clone(&checkpoints) as Arc<dyn crate::CheckpointStore>)
            .record_logs(true)
            .extension_factory(
                self.extension_factory
                    .unwrap_or_else(registry::global_extension_factory),
            );
        MockContext {
            ctx: builder.build(),
            clock,
            checkpoints,
        }
    }
}
