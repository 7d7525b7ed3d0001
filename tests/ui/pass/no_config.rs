//! Plugins without config fields: a unit struct, an empty struct, and one with state only.
use pipeplug::prelude::*;
use pipeplug::PluginConfig;

/// A unit struct.
#[metric_input(name = "metric_unit")]
pub struct Unit;

/// An empty struct.
#[metric_input(name = "metric_empty")]
pub struct Empty {}

/// Only state.
#[metric_input(name = "metric_state_only")]
pub struct StateOnly {
    /// Times collected.
    #[state]
    n: u64,
}

impl MetricInput for Unit {}
impl MetricInputV1 for Unit {
    fn collect(&mut self, _: &Collector) -> Result<(), BoxError> {
        Ok(())
    }
}
impl MetricInput for Empty {}
impl MetricInputV2 for Empty {
    fn read(&mut self, _: &PipelineContext) -> Result<(), BoxError> {
        Ok(())
    }
}
impl MetricInput for StateOnly {}
impl MetricInputV1 for StateOnly {
    fn collect(&mut self, _: &Collector) -> Result<(), BoxError> {
        self.n += 1;
        Ok(())
    }
}

fn main() {
    assert!(Unit::FIELDS.is_empty() && Empty::FIELDS.is_empty() && StateOnly::FIELDS.is_empty());
    assert!(Unit::from_json_str("{}").is_ok());
    assert!(Empty::from_json_str("null").is_ok());
    assert_eq!(StateOnly::from_json_str("{}").unwrap().n, 0);
    assert_eq!(Unit.to_config(), serde_json::json!({}));
    let err = Unit::from_json_str(r#"{"x": 1}"#).err().unwrap();
    // A metric input takes the engine's `IntervalMs` without declaring it.
    assert_eq!(err.to_string(), "plugin `metric_unit`: key `x`: unknown key; accepted keys: `IntervalMs`");
    assert!(Unit::from_json_str(r#"{"IntervalMs": 500}"#).is_ok());
}
