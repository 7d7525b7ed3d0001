//! `validate = "path"`: a check across keys, run after decoding.

use pipeplug::prelude::*;
use pipeplug::ConfigProblem;

/// Renames keys.
#[processor(name = "processor_pass_validate", rename_all = "PascalCase", validate = "Self::check")]
pub struct Rename {
    /// Keys to rename.
    source_keys: Vec<String>,
    /// Their new names.
    dest_keys: Vec<String>,
}

impl Rename {
    fn check(&self) -> Result<(), ConfigProblem> {
        if self.source_keys.len() == self.dest_keys.len() {
            Ok(())
        } else {
            Err(ConfigProblem::custom("DestKeys", "must have as many keys as `SourceKeys`"))
        }
    }
}

impl Processor for Rename {}

impl ProcessorV1 for Rename {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        logs
    }
}

fn main() {
    assert!(Rename::from_json_str(r#"{"SourceKeys": ["a"], "DestKeys": ["b"]}"#).is_ok());
    let err = Rename::from_json_str(r#"{"SourceKeys": ["a"]}"#).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("plugin `processor_pass_validate`: key `DestKeys`: must have as many keys as `SourceKeys`")
    );
}
