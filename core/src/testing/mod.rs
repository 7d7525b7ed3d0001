//! Test harnesses for plugin authors: a mock context, a typed harness per plugin kind, a
//! virtual clock, and helpers in the spirit of iLogtail's test kit.

pub mod conformance;
