//! Checkpoints on disk: a redb database under the data folder (iLogtail keeps them in
//! LevelDB). Nothing is written until a plugin saves a checkpoint: a pipeline without
//! checkpoints leaves the data folder alone (not even created).

use pipeplug::{BoxError, CheckpointStore};
use redb::{Database, ReadableDatabase, TableDefinition, TableError};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("checkpoints");

/// The file name of the database inside the data folder.
pub const CHECKPOINT_FILE: &str = "checkpoints.redb";

/// Checkpoints kept in `<data dir>/checkpoints.redb`. Every save is a committed (durable)
/// transaction, so a checkpoint survives a crash right after `save_checkpoint` returns.
///
/// An existing database is opened at once (and held, so that a second agent on the same
/// folder is refused); a missing one is created, with its folder, at the first save.
pub struct RedbCheckpoints {
    db: OnceLock<Database>,
    /// Held while the database is created at the first save.
    creating: Mutex<()>,
    data_dir: PathBuf,
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
    /// The checkpoints of `data_dir`: its database is opened when it exists; otherwise
    /// nothing is created until the first save, which creates the folder and the file.
    ///
    /// # Errors
    /// The file exists but is not a redb database, or another process has it open; or the
    /// folder could not be made (a part of its path is a file).
    pub fn open(data_dir: &Path) -> Result<Self, OpenError> {
        let store = Self {
            db: OnceLock::new(),
            creating: Mutex::new(()),
            data_dir: data_dir.to_owned(),
            path: data_dir.join(CHECKPOINT_FILE),
        };
        if store.path.exists() {
            store.database()?;
        } else {
            // Said now rather than at the first save: a folder that cannot be made.
            creatable(data_dir).map_err(|e| OpenError {
                path: store.path.clone(),
                source: OpenErrorCause::DataDir(e),
            })?;
        }
        Ok(store)
    }

    /// The database, opened or created (with its folder) on first use.
    fn database(&self) -> Result<&Database, OpenError> {
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        let _creating = self.creating.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(db) = self.db.get() {
            return Ok(db);
        }
        let err = |source: OpenErrorCause| OpenError {
            path: self.path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.data_dir).map_err(|e| err(OpenErrorCause::DataDir(e)))?;
        let db = Database::create(&self.path).map_err(|e| err(e.into()))?;
        Ok(self.db.get_or_init(|| db))
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether `dir` is a folder or could be made one: the nearest part of it that exists is a
/// folder.
fn creatable(dir: &Path) -> std::io::Result<()> {
    let mut part = Some(dir);
    while let Some(p) = part {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => return Ok(()),
            Ok(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    format!("`{}` is not a folder", p.display()),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => part = p.parent(),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl CheckpointStore for RedbCheckpoints {
    fn save(&self, key: &str, value: &[u8]) -> Result<(), BoxError> {
        let txn = self.database()?.begin_write()?;
        {
            let mut table = txn.open_table(TABLE)?;
            table.insert(key, value)?;
        }
        txn.commit()?;
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BoxError> {
        // No database yet: nothing was ever saved here.
        let Some(db) = self.db.get() else {
            return Ok(None);
        };
        let txn = db.begin_read()?;
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
    fn nothing_is_written_until_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let store = RedbCheckpoints::open(&data).unwrap();
        assert_eq!(store.get("k").unwrap(), None);
        assert!(
            !data.exists(),
            "opening and reading created the data folder"
        );
        store.save("k", b"v").unwrap();
        assert!(data.join(CHECKPOINT_FILE).exists());
        assert_eq!(store.get("k").unwrap().as_deref(), Some(&b"v"[..]));
    }

    #[test]
    fn a_second_opener_gets_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let first = RedbCheckpoints::open(dir.path()).unwrap();
        // The database exists once something was saved; from then on it is held.
        first.save("k", b"v").unwrap();
        let err = RedbCheckpoints::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("in use"), "{err}");
        // The message is the top of the chain; redb's own error is its source.
        let source = std::error::Error::source(&err).unwrap();
        assert!(!err.to_string().contains(&source.to_string()), "{err}");
    }
}
