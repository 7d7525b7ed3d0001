//! Test harnesses for plugin authors: a mock context, a typed harness per plugin kind, a
//! virtual clock, and helpers in the spirit of iLogtail's test kit.

mod aggregator;
mod base;
mod boxed;
mod buffer;
mod capture;
pub mod conformance;
mod error;
mod extension;
mod flusher;
mod kit;
mod metric_input;
mod mock;
mod processor;
mod service_input;

pub use aggregator::AggregatorHarness;
pub use base::DEFAULT_TIMEOUT;
pub use buffer::SharedBuffer;
pub use capture::{Capture, Emission, Emitted};
pub use error::HarnessError;
pub use extension::ExtensionHarness;
pub use flusher::{Delivery, FlusherHarness};
pub use kit::{
    create_group, create_log, create_log_event, create_log_events, create_logs, pick_events,
    pick_logs, read_event_val, read_log_val,
};
pub use metric_input::MetricInputHarness;
pub use mock::{mock_context, MockContext, MockContextBuilder};
pub use processor::ProcessorHarness;
pub use service_input::ServiceInputHarness;
