//! Test harnesses for plugin authors: a mock context, a typed harness per plugin kind, a
//! virtual clock, and helpers in the spirit of iLogtail's test kit.

mod base;
mod boxed;
mod capture;
pub mod conformance;
mod error;
mod kit;
mod mock;
mod service_input;

pub use base::DEFAULT_TIMEOUT;
pub use capture::{Capture, Emission, Emitted};
pub use error::HarnessError;
pub use kit::{
    create_group, create_log, create_log_event, create_log_events, create_logs, pick_events,
    pick_logs, read_event_val, read_log_val,
};
pub use mock::{mock_context, MockContext, MockContextBuilder};
pub use service_input::ServiceInputHarness;
