//! Alarms for the core (`GetGoAlarms`): what went wrong since it last asked.
//!
//! Raised by the exported functions (bad arguments, configs that do not load, caught
//! panics) and, through [`AlarmLayer`], by every `tracing` event at warning level or above
//! that carries an `alarm` field (a plugin's `ctx.logger().alarm(..)`) and every error event
//! (the engine's reports: a plugin that panicked, data dropped). Equal alarms (same type,
//! level, config and message) are counted, not repeated; at most [`MAX_ALARMS`] distinct
//! ones are kept between two calls (later ones are counted in the last).

use std::sync::{Mutex, PoisonError};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context as LayerContext;
use tracing_subscriber::Layer;

/// Distinct alarms kept between two `GetGoAlarms` calls.
pub const MAX_ALARMS: usize = 1000;

/// The core's alarm levels (`alarmLevel` is sent as text: `"1"` warning, `"2"` error,
/// `"3"` critical).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `"1"`.
    Warning,
    /// `"2"`.
    Error,
    /// `"3"`.
    Critical,
}

impl Level {
    /// As the core reads it.
    #[must_use]
    pub fn as_code(self) -> &'static str {
        match self {
            Self::Warning => "1",
            Self::Error => "2",
            Self::Critical => "3",
        }
    }
}

/// One alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// Its type (`PIPEPLUG_PANIC_ALARM`, a plugin's own, ...).
    pub alarm_type: String,
    /// Its level.
    pub level: Level,
    /// What happened.
    pub message: String,
    /// The project (empty when not known).
    pub project: String,
    /// The logstore (empty when not known).
    pub logstore: String,
    /// The config name (with its `/1` or `/2`; the core strips it), or empty.
    pub config: String,
    /// How many times it was raised since the last call.
    pub count: u32,
}

static ALARMS: Mutex<Vec<Alarm>> = Mutex::new(Vec::new());

/// Raises an alarm.
pub fn raise(alarm_type: &str, level: Level, config: &str, message: &str) {
    let mut alarms = ALARMS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(a) = alarms.iter_mut().find(|a| {
        a.alarm_type == alarm_type && a.level == level && a.config == config && a.message == message
    }) {
        a.count = a.count.saturating_add(1);
        return;
    }
    if alarms.len() >= MAX_ALARMS {
        if let Some(last) = alarms.last_mut() {
            last.count = last.count.saturating_add(1);
        }
        return;
    }
    alarms.push(Alarm {
        alarm_type: alarm_type.to_owned(),
        level,
        message: message.to_owned(),
        project: String::new(),
        logstore: String::new(),
        config: config.to_owned(),
        count: 1,
    });
}

/// Every alarm since the last call, in the order first raised; forgets them.
#[must_use]
pub fn take() -> Vec<Alarm> {
    std::mem::take(&mut *ALARMS.lock().unwrap_or_else(PoisonError::into_inner))
}

/// Turns `tracing` events into alarms (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub struct AlarmLayer;

#[derive(Default)]
struct Fields {
    message: String,
    alarm: String,
    config: String,
    plugin: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => value.clone_into(&mut self.message),
            "alarm" => value.clone_into(&mut self.alarm),
            "config" => value.clone_into(&mut self.config),
            "plugin" => value.clone_into(&mut self.plugin),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        let text = match field.name() {
            "message" => text,
            // Display values (`config = %name`) come through here quoted by Debug.
            _ => text.trim_matches('"').to_owned(),
        };
        self.record_str(field, &text);
    }
}

impl<S: Subscriber> Layer<S> for AlarmLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let level = *event.metadata().level();
        if level > tracing::Level::WARN {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let message = if f.plugin.is_empty() {
            f.message
        } else {
            format!("{}: {}", f.plugin, f.message)
        };
        let alarm_level = if level == tracing::Level::ERROR {
            Level::Error
        } else {
            Level::Warning
        };
        if !f.alarm.is_empty() {
            raise(&f.alarm, alarm_level, &f.config, &message);
        } else if level == tracing::Level::ERROR {
            let alarm_type = if message.contains("panicked") {
                super::PANIC_ALARM
            } else {
                super::ERROR_ALARM
            };
            raise(alarm_type, Level::Error, &f.config, &message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn plugin_alarms_and_errors_become_alarms_and_repeats_are_counted() {
        let _serial = super::super::tests::serial();
        let _ = take();
        let subscriber = tracing_subscriber::registry().with(AlarmLayer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                config = "c/2",
                plugin = "processor_x/1",
                alarm = "MY_ALARM",
                "odd input"
            );
            tracing::warn!(
                config = "c/2",
                plugin = "processor_x/1",
                alarm = "MY_ALARM",
                "odd input"
            );
            tracing::warn!(config = "c/2", "a warning without an alarm is not one");
            tracing::info!(alarm = "IGNORED", "info is never an alarm");
            let name = "c/1";
            tracing::error!(config = %name, "plugin processor_y/2 panicked in `process`: boom");
        });
        let alarms = take();
        assert_eq!(alarms.len(), 2, "{alarms:?}");
        assert_eq!(alarms[0].alarm_type, "MY_ALARM");
        assert_eq!(alarms[0].level, Level::Warning);
        assert_eq!(alarms[0].count, 2);
        assert_eq!(alarms[0].config, "c/2");
        assert_eq!(alarms[0].message, "processor_x/1: odd input");
        assert_eq!(alarms[1].alarm_type, super::super::PANIC_ALARM);
        assert_eq!(alarms[1].level.as_code(), "2");
        assert_eq!(alarms[1].config, "c/1");
        assert!(take().is_empty(), "taken alarms are forgotten");
    }
}
