//! The rules the engine and the test harnesses share: how long a metric input waits between
//! rounds, how long an aggregator waits between flushes, when a metric input first runs, and
//! how a caught panic is named.
//!
//! The agent's engine (`pipeplug-agent`) and the harnesses of `pipeplug::testing` both
//! call these functions, so a plugin timed one way under a harness is timed the same
//! way in the agent.
//!
//! # Intervals
//!
//! As iLogtail's `plugin_runner_v1.go` / `metric_wrapper_v1.go`:
//!
//! - a metric input runs on the interval its `init` returned; when that is zero
//!   ([`DEFAULT_INTERVAL`](crate::plugin::DEFAULT_INTERVAL)), on the plugin config's
//!   `IntervalMs` ([`config_interval_ms`]); without one, on `global.InputIntervalMs`;
//! - an aggregator flushes on the interval its `init` returned; when that is zero, on
//!   `global.AggregatIntervalMs`.
//!
//! Then both are clamped to [`MIN_INTERVAL`]..=[`MAX_INTERVAL`]: a zero or sub-millisecond
//! interval would spin the runner, and one longer than a year is as good as "never" and would
//! overflow clock arithmetic. [`Interval::clamped_from`] says when a clamp applied, so the
//! caller can warn.
//!
//! ```
//! use pipeplug::runner::{metric_input_interval, IntervalSource, MAX_INTERVAL};
//! use pipeplug::GlobalConfig;
//! use serde_json::json;
//! use std::time::Duration;
//!
//! let global = GlobalConfig::default();
//! // `init` returned zero: the config's `IntervalMs` decides.
//! let i = metric_input_interval(Duration::ZERO, &json!({"IntervalMs": 250}), &global);
//! assert_eq!(i.interval, Duration::from_millis(250));
//! assert_eq!(i.source, IntervalSource::ConfigIntervalMs);
//! assert_eq!(i.clamped_from, None);
//! // A huge `IntervalMs` is lowered to a year, and the caller learns it.
//! let i = metric_input_interval(Duration::ZERO, &json!({"IntervalMs": 99_999_999_999_999_u64}), &global);
//! assert_eq!(i.interval, MAX_INTERVAL);
//! assert_eq!(i.clamped_from, Some(Duration::from_millis(99_999_999_999_999)));
//! ```

use crate::GlobalConfig;
use std::any::Any;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// The shortest interval a runner uses: a shorter one (zero included) is raised to it.
pub const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// The longest interval a runner uses (365 days): a longer one is lowered to it.
pub const MAX_INTERVAL: Duration = Duration::from_secs(365 * 24 * 3600);

/// The config key a metric input's interval is read from when its `init` returns zero.
pub const INTERVAL_MS_KEY: &str = crate::config::engine::INTERVAL_MS;

/// Where an [`Interval`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntervalSource {
    /// The plugin's `init` returned it.
    Init,
    /// The plugin config's `IntervalMs` (a metric input whose `init` returned zero).
    ConfigIntervalMs,
    /// `global.InputIntervalMs` (a metric input whose `init` returned zero, without
    /// `IntervalMs`).
    GlobalInputInterval,
    /// `global.AggregatIntervalMs` (an aggregator whose `init` returned zero).
    GlobalAggregatorInterval,
}

impl fmt::Display for IntervalSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Init => "returned by `init`",
            Self::ConfigIntervalMs => "from the config's `IntervalMs`",
            Self::GlobalInputInterval => "from `global.InputIntervalMs`",
            Self::GlobalAggregatorInterval => "from `global.AggregatIntervalMs`",
        })
    }
}

/// An interval as a runner uses it, with where it came from and whether it was clamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interval {
    /// The interval to run on, within [`MIN_INTERVAL`]..=[`MAX_INTERVAL`].
    pub interval: Duration,
    /// Where the requested interval came from.
    pub source: IntervalSource,
    /// The requested interval, when it was outside the bounds and clamped; `None` when it is
    /// used as requested.
    pub clamped_from: Option<Duration>,
}

impl Interval {
    /// `requested` from `source`, clamped to [`MIN_INTERVAL`]..=[`MAX_INTERVAL`].
    #[must_use]
    pub fn clamp(requested: Duration, source: IntervalSource) -> Self {
        let interval = requested.clamp(MIN_INTERVAL, MAX_INTERVAL);
        Self {
            interval,
            source,
            clamped_from: (interval != requested).then_some(requested),
        }
    }

    /// A sentence for a warning when a clamp applied (`None` otherwise), such as "interval
    /// 0ns from the config's `IntervalMs` is below 1 ms; 1ms is used".
    #[must_use]
    pub fn clamp_warning(&self) -> Option<String> {
        let from = self.clamped_from?;
        let bound = if from < self.interval {
            "below 1 ms"
        } else {
            "above a year"
        };
        Some(format!(
            "interval {from:?} {} is {bound}; {:?} is used",
            self.source, self.interval
        ))
    }
}

/// The plugin config's `IntervalMs`, in whole milliseconds, as the engine reads it
/// ([`engine::interval`](crate::config::engine::interval): an integer of milliseconds or a
/// duration such as `"500ms"`, the key in any case). `None` when the config is not a map,
/// has no such key, or its value is not valid (then the global default applies; the
/// plugin's config decoding reports it).
#[must_use]
pub fn config_interval_ms(config: &serde_json::Value) -> Option<u64> {
    crate::config::engine::interval(config)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The interval of a metric input: `from_init` (what its `init` returned), or when that is
/// zero the `IntervalMs` of `config` (the plugin's config as written), else
/// `global.InputIntervalMs`; clamped (see the module docs).
#[must_use]
pub fn metric_input_interval(
    from_init: Duration,
    config: &serde_json::Value,
    global: &GlobalConfig,
) -> Interval {
    if !from_init.is_zero() {
        return Interval::clamp(from_init, IntervalSource::Init);
    }
    match crate::config::engine::interval(config) {
        Some(d) => Interval::clamp(d, IntervalSource::ConfigIntervalMs),
        None => Interval::clamp(
            Duration::from_millis(global.input_interval_ms),
            IntervalSource::GlobalInputInterval,
        ),
    }
}

/// The flush interval of an aggregator: `from_init` (what its `init` returned), or when that
/// is zero `global.AggregatIntervalMs`; clamped (see the module docs).
#[must_use]
pub fn aggregator_interval(from_init: Duration, global: &GlobalConfig) -> Interval {
    if from_init.is_zero() {
        Interval::clamp(
            Duration::from_millis(global.aggregat_interval_ms),
            IntervalSource::GlobalAggregatorInterval,
        )
    } else {
        Interval::clamp(from_init, IntervalSource::Init)
    }
}

/// The longest a metric input waits before its first round: its interval, at most
/// `global.InputMaxFirstCollectDelayMs`.
#[must_use]
pub fn first_collect_delay_cap(interval: Duration, global: &GlobalConfig) -> Duration {
    interval.min(Duration::from_millis(
        global.input_max_first_collect_delay_ms,
    ))
}

/// How long a metric input waits before its first round: a random delay between zero and
/// [`first_collect_delay_cap`] (whole milliseconds), so that inputs started together do not
/// all collect at once (as iLogtail's `metric_wrapper_v1.go`).
#[must_use]
pub fn first_collect_delay(interval: Duration, global: &GlobalConfig) -> Duration {
    let cap = first_collect_delay_cap(interval, global);
    Duration::from_millis(random_up_to(millis(cap)))
}

/// How long after a flush an aggregator flushes next: its interval, less 5 %, plus a
/// random 0–10 % (whole milliseconds), so that aggregators do not flush in step (as
/// iLogtail's `aggregator_wrapper_v1.go`). Always within `interval ± 5 %`.
#[must_use]
pub fn aggregator_flush_delay(interval: Duration) -> Duration {
    let ms = millis(interval);
    let jitter = random_up_to(ms / 10);
    interval - Duration::from_millis(ms / 20) + Duration::from_millis(jitter)
}

/// The message of a caught panic's payload (`panic!("...")` gives a `&str` or a `String`).
#[must_use]
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a string message)".to_owned()
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A random number in `0..=max`. Timing jitter only: std's per-process random hash keys are
/// good enough, and spare core a dependency.
fn random_up_to(max: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(max);
    let r = h.finish();
    match max.checked_add(1) {
        Some(n) => r % n,
        None => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn global(input_ms: u64, aggregat_ms: u64) -> GlobalConfig {
        GlobalConfig {
            input_interval_ms: input_ms,
            aggregat_interval_ms: aggregat_ms,
            ..GlobalConfig::default()
        }
    }

    #[test]
    fn init_wins_then_interval_ms_then_global() {
        let g = global(1000, 3000);
        let cfg = json!({"IntervalMs": 200});
        let i = metric_input_interval(Duration::from_secs(5), &cfg, &g);
        assert_eq!(
            (i.interval, i.source),
            (Duration::from_secs(5), IntervalSource::Init)
        );
        let i = metric_input_interval(Duration::ZERO, &cfg, &g);
        assert_eq!(
            (i.interval, i.source),
            (Duration::from_millis(200), IntervalSource::ConfigIntervalMs)
        );
        let i = metric_input_interval(Duration::ZERO, &json!({}), &g);
        assert_eq!(
            (i.interval, i.source),
            (Duration::from_secs(1), IntervalSource::GlobalInputInterval)
        );
        let i = metric_input_interval(Duration::ZERO, &serde_json::Value::Null, &g);
        assert_eq!(i.source, IntervalSource::GlobalInputInterval);
    }

    #[test]
    fn interval_ms_is_matched_exactly_then_ignoring_case() {
        assert_eq!(config_interval_ms(&json!({"intervalms": 5})), Some(5));
        assert_eq!(
            config_interval_ms(&json!({"intervalms": 5, "IntervalMs": 7})),
            Some(7)
        );
        // A duration text, as the engine key takes it; anything else is ignored here (the
        // plugin's decoding reports it).
        assert_eq!(config_interval_ms(&json!({"IntervalMs": "5s"})), Some(5000));
        assert_eq!(config_interval_ms(&json!({"IntervalMs": "soon"})), None);
        assert_eq!(config_interval_ms(&json!({"IntervalMs": -1})), None);
        assert_eq!(config_interval_ms(&json!({"IntervalMs": 1.5})), None);
        assert_eq!(config_interval_ms(&json!([1])), None);
    }

    #[test]
    fn clamps_are_reported() {
        let g = global(0, 0);
        let i = metric_input_interval(Duration::ZERO, &json!({"IntervalMs": 0}), &g);
        assert_eq!(i.interval, MIN_INTERVAL);
        assert_eq!(i.clamped_from, Some(Duration::ZERO));
        let w = i.clamp_warning().unwrap();
        assert!(w.contains("below 1 ms") && w.contains("IntervalMs"), "{w}");
        let i = metric_input_interval(Duration::from_micros(10), &json!({}), &g);
        assert_eq!(i.interval, MIN_INTERVAL);
        let i = metric_input_interval(Duration::ZERO, &json!({}), &g);
        assert_eq!(
            (i.interval, i.source),
            (MIN_INTERVAL, IntervalSource::GlobalInputInterval)
        );
        let i = aggregator_interval(Duration::ZERO, &g);
        assert_eq!(
            (i.interval, i.source),
            (MIN_INTERVAL, IntervalSource::GlobalAggregatorInterval)
        );
        let i = aggregator_interval(Duration::MAX, &g);
        assert_eq!(i.interval, MAX_INTERVAL);
        assert!(i.clamp_warning().unwrap().contains("above a year"));
        let i = aggregator_interval(Duration::from_secs(3), &g);
        assert_eq!(i.clamped_from, None);
        assert_eq!(i.clamp_warning(), None);
    }

    #[test]
    fn first_delay_stays_under_its_cap() {
        let g = GlobalConfig {
            input_max_first_collect_delay_ms: 50,
            ..GlobalConfig::default()
        };
        assert_eq!(
            first_collect_delay_cap(Duration::from_secs(10), &g),
            Duration::from_millis(50)
        );
        assert_eq!(
            first_collect_delay_cap(Duration::from_millis(20), &g),
            Duration::from_millis(20)
        );
        for _ in 0..200 {
            assert!(first_collect_delay(Duration::from_secs(10), &g) <= Duration::from_millis(50));
        }
        assert_eq!(first_collect_delay(Duration::ZERO, &g), Duration::ZERO);
    }

    #[test]
    fn flush_delay_is_within_five_percent() {
        let interval = Duration::from_secs(3);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let d = aggregator_flush_delay(interval);
            assert!(d >= Duration::from_millis(2850) && d <= Duration::from_millis(3150));
            seen.insert(d);
        }
        assert!(seen.len() > 1, "the delay is random");
        assert_eq!(aggregator_flush_delay(MIN_INTERVAL), MIN_INTERVAL);
        assert!(aggregator_flush_delay(MAX_INTERVAL) <= MAX_INTERVAL + MAX_INTERVAL / 20);
    }

    #[test]
    fn panic_messages() {
        let p = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
        assert_eq!(panic_message(&*p), "boom");
        let p = std::panic::catch_unwind(|| panic!("{}", 42)).unwrap_err();
        assert_eq!(panic_message(&*p), "42");
        let p = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
        assert_eq!(panic_message(&*p), "(a panic without a string message)");
    }
}
