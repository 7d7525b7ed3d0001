//! The [`MetricsHub`], where running pipelines can be read from another thread (the
//! `/metrics` endpoint of `pipeplug run --metrics-listen`): each pipeline's counts per plugin
//! ([`super::counts`]) and its plugins' self-metrics, read as [`PipelineSnapshot`]s.

use super::counts::{CallHistogram, PluginStats, QueueDepth};
use super::flush::{DropReason, FlusherState};
use super::InputControl;
use pipeplug::registry::PluginKind;
use pipeplug::{Context, PluginMeta, SelfMetric};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// One plugin instance's engine counts, read at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginSnapshot {
    /// Its type (`processor_add_fields`).
    pub plugin_type: String,
    /// Its id: the one the config gave, else its number in the pipeline (empty for the
    /// engine's pass-through aggregator).
    pub plugin_id: String,
    /// Events handed to it: a processor's or an aggregator's input, what went into a
    /// flusher's `flush`/`export` calls (once per batch, not per retry); 0 for inputs.
    pub events_in: u64,
    /// Events it gave out: an input's, a processor's output, what an aggregator's flushes
    /// returned, what a flusher flushed (its call returned `Ok`).
    pub events_out: u64,
    /// Events lost at this plugin, by reason: a flusher's drop reasons (`stalled`,
    /// `failed`, `permanent`, `panicked`, `at_stop`), `panicked` for the data of a
    /// processor's or aggregator's call that panicked, `refused` for the logs an
    /// aggregator kept refusing. Every reason of its kind is listed, with 0 when none;
    /// none for inputs.
    pub dropped: Vec<(&'static str, u64)>,
    /// Calls that returned an error (`collect`, `start`, `stop`, an aggregator's refused
    /// `add`/`record`, a flusher's failed `flush`/`export`, each retry counting).
    pub errors: u64,
    /// Calls that panicked.
    pub panics: u64,
    /// The time of its work calls: `collect`/`read`, `process_logs`/`process`,
    /// an aggregator's adds or records of one batch, `flush`/`get_result`, a flusher's
    /// `flush`/`export`.
    pub calls: CallHistogram,
    /// A flusher's queue.
    pub queue: Option<QueueDepth>,
}

/// One pipeline read at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSnapshot {
    /// The config name.
    pub name: String,
    /// Running: started and not stopping.
    pub running: bool,
    /// Events accepted from its inputs.
    pub events_in: u64,
    /// Its input queue.
    pub input_queue: QueueDepth,
    /// Its plugins, in config order by kind: inputs, processors, aggregators, flushers.
    pub plugins: Vec<PluginSnapshot>,
    /// The self-metrics its plugins registered in their `Context`
    /// ([`Context::export_metrics`]).
    pub self_metrics: Vec<SelfMetric>,
}

/// A running pipeline as the hub sees it.
pub(crate) struct PipelineEntry {
    pub name: String,
    pub ctx: Context,
    pub running: AtomicBool,
    pub input: Arc<dyn InputControl>,
    pub plugins: Vec<PluginEntry>,
    pub flushers: Vec<Arc<FlusherState>>,
}

/// Turns each plugin's counting on or off (before the pipeline's threads start); returns
/// them.
pub(crate) fn enable(plugins: Vec<PluginEntry>, on: bool) -> Vec<PluginEntry> {
    for (_, _, s) in &plugins {
        s.set_enabled(on);
    }
    plugins
}

/// A plugin as the hub knows it: its kind, identity and counts.
pub(crate) type PluginEntry = (PluginKind, PluginMeta, Arc<PluginStats>);

impl PipelineEntry {
    /// The entry of the running pipeline `name`.
    pub(crate) fn new(
        name: &str,
        ctx: &Context,
        input: &Arc<dyn InputControl>,
        plugins: Vec<PluginEntry>,
        flushers: &[Arc<FlusherState>],
    ) -> Self {
        Self {
            name: name.to_owned(),
            ctx: ctx.clone(),
            running: AtomicBool::new(true),
            input: Arc::clone(input),
            plugins,
            flushers: flushers.to_vec(),
        }
    }

    fn snapshot(&self) -> PipelineSnapshot {
        let plugins = self
            .plugins
            .iter()
            .map(|(kind, meta, stats)| {
                let flusher = self
                    .flushers
                    .iter()
                    .find(|f| Arc::ptr_eq(&f.label.stats, stats));
                let dropped = match flusher {
                    Some(f) => DropReason::ALL
                        .iter()
                        .map(|&r| (r.as_str(), f.dropped(r)))
                        .collect(),
                    None => {
                        let panicked = ("panicked", stats.lost_in_panics.load(Ordering::Relaxed));
                        match kind {
                            PluginKind::Processor => vec![panicked],
                            PluginKind::Aggregator => {
                                vec![panicked, ("refused", stats.refused.load(Ordering::Relaxed))]
                            }
                            // What an input's panicking call held is not known.
                            _ => Vec::new(),
                        }
                    }
                };
                PluginSnapshot {
                    plugin_type: meta.plugin_type.clone(),
                    plugin_id: meta.plugin_id.clone(),
                    events_in: stats.events_in.load(Ordering::Relaxed),
                    events_out: stats.events_out.load(Ordering::Relaxed),
                    dropped,
                    errors: stats.errors.load(Ordering::Relaxed),
                    panics: stats.panics.load(Ordering::Relaxed),
                    calls: stats.calls.snapshot(),
                    queue: flusher.map(|f| f.queue_depth()),
                }
            })
            .collect();
        PipelineSnapshot {
            name: self.name.clone(),
            running: self.running.load(Ordering::SeqCst),
            events_in: self.input.accepted(),
            input_queue: self.input.queue_depth(),
            plugins,
            self_metrics: self.ctx.export_metrics(),
        }
    }
}

/// Where running pipelines can be read from another thread: each pipeline started with
/// [`EngineOptions::metrics`](super::EngineOptions::metrics) set registers here, is marked
/// not running when its stop begins, and leaves once stopped. Reading takes a lock only
/// on the list of pipelines, never one the pipelines' threads take.
#[derive(Debug, Default)]
pub struct MetricsHub {
    pipelines: Mutex<Vec<Arc<PipelineEntry>>>,
}

impl std::fmt::Debug for PipelineEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineEntry")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl MetricsHub {
    /// An empty hub.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a pipeline; returns its entry (to [`Self::unregister`] it by).
    pub(crate) fn register(&self, entry: PipelineEntry) -> Arc<PipelineEntry> {
        let entry = Arc::new(entry);
        self.pipelines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&entry));
        entry
    }

    pub(crate) fn unregister(&self, entry: &Arc<PipelineEntry>) {
        self.pipelines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|e| !Arc::ptr_eq(e, entry));
    }

    /// Every registered pipeline, read now (in start order). Reading a plugin's averages
    /// ([`pipeplug::AverageMetric`]) starts their next interval, as iLogtail's export does.
    #[must_use]
    pub fn snapshot(&self) -> Vec<PipelineSnapshot> {
        let entries: Vec<Arc<PipelineEntry>> = self
            .pipelines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        entries.iter().map(|e| e.snapshot()).collect()
    }

    /// Whether every pipeline is running (and there is at least one), with a line per
    /// pipeline saying so: what `/health` answers.
    #[must_use]
    pub fn health(&self) -> (bool, String) {
        let pipelines = self
            .pipelines
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if pipelines.is_empty() {
            return (false, "no pipeline is running\n".to_owned());
        }
        let mut ok = true;
        let mut text = String::new();
        for p in pipelines.iter() {
            let running = p.running.load(Ordering::SeqCst);
            ok &= running;
            let state = if running { "running" } else { "stopping" };
            text.push_str(&format!("{}: {state}\n", p.name));
        }
        (ok, text)
    }
}
