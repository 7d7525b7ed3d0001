//! Checkpoints on disk: a redb database under the data folder (iLogtail keeps them in
//! LevelDB).

use pipeplug::{BoxError, CheckpointStore};
use redb::{Database, ReadableDatabase, TableDefinition, TableError};
use std::fmt;
use std::path::{Path, PathBuf};

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("checkpoints");

/// The file name of the database inside the data folder.
pub const CHECKPOINT_FILE: &str = "checkpoints.redb";

/// Checkpoints kept in `<data dir>/checkpoints.redb`. Every save is a committed (durable)
/// transaction, so a checkpoint survives a crash right after `save_checkpoint` returns.
pub struct RedbCheckpoints {
    db: Database,
    path: PathBuf,
}

impl fmt::Debug for RedbCheckpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbCheckpoints")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The checkpoint database could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the checkpoint database {}{}", path.display(), source.hint())]
pub struct OpenError {
    /// The database file.
    pub path: PathBuf,
    /// What failed.
    pub source: OpenErrorCause,
}

/// Why the checkpoint database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenErrorCause {
    /// The data folder could not be created.
    #[error("cannot create the data folder")]
    DataDir(#[source] std::io::Error),
    /// redb could not open or create the file.
    #[error(transparent)]
    Database(#[from] redb::DatabaseError),
}

impl OpenErrorCause {
    /// What to do about it, when known, to follow the path in [`OpenError`]'s message.
    fn hint(&self) -> &'static str {
        match self {
            Self::Database(redb::DatabaseError::DatabaseAlreadyOpen) => {
                ": it is in use (is another pipeplug running with the same --data-dir?)"
            }
            _ => "",
        }
    }
}

impl RedbCheckpoints {
    /// Opens (or creates) the database in `data_dir`, creating the folder if needed.
    ///
    /// # Errors
    /// The folder cannot be created, the file is not a redb database, or another process
    /// has it open.
    pub fn open(data_dir: &Path) -> Result<Self, OpenError> {
        let path = data_dir.join(CHECKPOINT_FILE);
        let err = |source: OpenErrorCause| OpenError {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(|e| err(OpenErrorCause::DataDir(e)))?;
        let db = Database::create(&path).map_err(|e| err(e.into()))?;
        Ok(Self { db, path })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl CheckpointStore for RedbCheckpoints {
    fn save(&self, key: &str, value: &[u8]) -> Result<(), BoxError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(TABLE)?;
            table.insert(key, value)?;
        }
        txn.commit()?;
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BoxError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(TABLE) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(table.get(key)?.map(|v| v.value().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = RedbCheckpoints::open(dir.path()).unwrap();
            assert_eq!(store.get("cfg^offset").unwrap(), None);
            store.save("cfg^offset", b"42").unwrap();
        }
        let store = RedbCheckpoints::open(dir.path()).unwrap();
        assert_eq!(
            store.get("cfg^offset").unwrap().as_deref(),
            Some(&b"42"[..])
        );
    }

    #[test]
    fn a_second_opener_gets_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let _first = RedbCheckpoints::open(dir.path()).unwrap();
        let err = RedbCheckpoints::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("in use"), "{err}");
        // The message is the top of the chain; redb's own error is its source.
        let source = std::error::Error::source(&err).unwrap();
        assert!(!err.to_string().contains(&source.to_string()), "{err}");
    }
}
