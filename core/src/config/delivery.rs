//! A flusher's delivery settings (its `Delivery` key), decoded here beside the other config
//! decoding and re-exported from [`pipeplug::delivery`](crate::delivery).

use super::{Decoder, DurationUnit};
use crate::ConfigProblem;

/// The key of a flusher's entry that holds its [`DeliveryConfig`]: an
/// [engine key](super::engine) of every flusher, read by the engine and never
/// handed to the plugin (a flusher cannot declare a parameter of that name).
pub const DELIVERY_KEY: &str = "Delivery";

const DELIVERY_FIELDS: [&str; 4] = ["Policy", "MaxRetries", "RetryInitialDelay", "RetryMaxDelay"];

/// What the engine does when a flusher cannot take a batch: its queue is full while it is
/// not ready, or it is too slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeliveryPolicy {
    /// `block` (the default, as iLogtail): the pipeline waits for the flusher; inputs feel
    /// the back-pressure, memory stays bounded, nothing is dropped.
    #[default]
    Block,
    /// `drop_newest`: once the flusher has been unready for the engine's stall grace with
    /// a full queue, the batches for it are dropped (counted, warned about at a limited
    /// rate) and the other flushers go on.
    DropNewest,
}

impl DeliveryPolicy {
    /// The policy as written in a pipeline file.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::DropNewest => "drop_newest",
        }
    }
}

/// A flusher's delivery settings: the map under its `Delivery` key
/// (`Delivery: {Policy: drop_newest, MaxRetries: 5, RetryInitialDelay: 100ms,
/// RetryMaxDelay: 5s}`), every key optional.
///
/// ```
/// use pipeplug::delivery::{DeliveryConfig, DeliveryPolicy};
/// use std::time::Duration;
///
/// let c = DeliveryConfig::decode(&serde_json::json!({"Policy": "drop_newest", "MaxRetries": 2})).unwrap();
/// assert_eq!((c.policy, c.max_retries), (DeliveryPolicy::DropNewest, 2));
/// assert_eq!(c.retry_max_delay, Duration::from_secs(5));
/// let err = DeliveryConfig::decode(&serde_json::json!({"Policy": "later"})).unwrap_err();
/// assert_eq!(err[0].to_string(), "key `Delivery.Policy`: expected `block` or `drop_newest`, found string \"later\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// `Policy`: `block` (default) or `drop_newest`.
    pub policy: DeliveryPolicy,
    /// `MaxRetries`: how many times a failed `flush`/`export` is retried (default 5; 0: never).
    pub max_retries: u32,
    /// `RetryInitialDelay`: the wait before the first retry (default 100 ms); it doubles at
    /// each retry, with up to ±25 % jitter.
    pub retry_initial_delay: std::time::Duration,
    /// `RetryMaxDelay`: the longest wait between retries (default 5 s).
    pub retry_max_delay: std::time::Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            policy: DeliveryPolicy::Block,
            max_retries: 5,
            retry_initial_delay: std::time::Duration::from_millis(100),
            retry_max_delay: std::time::Duration::from_secs(5),
        }
    }
}

impl DeliveryConfig {
    /// Decodes the `Delivery` map (`null`: every default).
    ///
    /// # Errors
    /// Each problem, its path under `Delivery` (`Delivery.Policy`).
    pub fn decode(value: &serde_json::Value) -> Result<Self, Vec<ConfigProblem>> {
        let at = |k: &str| {
            if k.is_empty() {
                DELIVERY_KEY.to_owned()
            } else {
                format!("{DELIVERY_KEY}.{k}")
            }
        };
        let mut d = Decoder::options(DELIVERY_KEY, &DELIVERY_FIELDS)
            .decode(value)
            .map_err(|e| {
                e.problems
                    .into_iter()
                    .map(|p| ConfigProblem {
                        path: DELIVERY_KEY.to_owned(),
                        kind: p.kind,
                    })
                    .collect::<Vec<_>>()
            })?;
        let mut c = Self::default();
        let mut own = Vec::new();
        if let Some((key, v)) = d.raw(0) {
            match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("block") => c.policy = DeliveryPolicy::Block,
                Some("drop_newest") => c.policy = DeliveryPolicy::DropNewest,
                _ => own.push(ConfigProblem::custom(
                    at(key),
                    format!(
                        "expected `block` or `drop_newest`, found {}",
                        super::describe_value(v)
                    ),
                )),
            }
        }
        if let Some(n) = d.value::<u32>(1, "u32") {
            c.max_retries = n;
        }
        if let Some(t) = d.duration(2, DurationUnit::Millis) {
            c.retry_initial_delay = t;
        }
        if let Some(t) = d.duration(3, DurationUnit::Millis) {
            c.retry_max_delay = t;
        }
        if c.retry_initial_delay < std::time::Duration::from_millis(1)
            || c.retry_max_delay < c.retry_initial_delay
        {
            own.push(ConfigProblem::custom(
                at("RetryMaxDelay"),
                format!(
                    "retry delays must be at least 1ms and RetryInitialDelay ({}) at most RetryMaxDelay ({})",
                    super::format_duration(c.retry_initial_delay),
                    super::format_duration(c.retry_max_delay)
                ),
            ));
        }
        let mut problems: Vec<ConfigProblem> = d
            .into_problems()
            .into_iter()
            .map(|p| ConfigProblem {
                path: at(&p.path),
                kind: p.kind,
            })
            .collect();
        problems.extend(own);
        if problems.is_empty() {
            Ok(c)
        } else {
            Err(problems)
        }
    }
}
