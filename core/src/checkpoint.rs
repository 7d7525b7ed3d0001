//! Checkpoint storage behind [`Context::save_checkpoint`](crate::Context::save_checkpoint).

use crate::BoxError;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Mutex, PoisonError};

/// Where checkpoints live. The agent keeps them in an embedded database under its data
/// folder; tests use [`MemoryCheckpoints`]. Keys arrive already prefixed with the pipeline's
/// config name.
pub trait CheckpointStore: Send + Sync + Debug {
    /// Stores `value` under `key`, replacing any previous value.
    ///
    /// # Errors
    /// The store could not write.
    fn save(&self, key: &str, value: &[u8]) -> Result<(), BoxError>;

    /// The value under `key`, if any.
    ///
    /// # Errors
    /// The store could not read.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BoxError>;
}

/// Checkpoints kept in memory (Go's mock context does the same).
#[derive(Debug, Default)]
pub struct MemoryCheckpoints {
    map: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryCheckpoints {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every key and value, for assertions in tests.
    #[must_use]
    pub fn entries(&self) -> Vec<(String, Vec<u8>)> {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<_> = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        v.sort();
        v
    }
}

impl CheckpointStore for MemoryCheckpoints {
    fn save(&self, key: &str, value: &[u8]) -> Result<(), BoxError> {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BoxError> {
        Ok(self
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned())
    }
}
