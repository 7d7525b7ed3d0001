//! Built-in plugins of pipeplug.

mod aggregator_default;
pub mod all;
mod flusher_stdout;
mod keys;
mod metric_mock;
mod processor_add_fields;
mod processor_drop;
mod processor_rename;
mod service_mock;

pub use aggregator_default::AggregatorDefault;
pub use flusher_stdout::FlusherStdout;
pub use metric_mock::MetricMock;
pub use processor_add_fields::ProcessorAddFields;
pub use processor_drop::ProcessorDrop;
pub use processor_rename::ProcessorRename;
pub use service_mock::ServiceMock;
