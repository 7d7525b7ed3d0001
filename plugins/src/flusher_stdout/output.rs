//! Where `flusher_stdout` writes: standard output, or a file it appends to and may roll.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The destination of the lines.
#[derive(Debug, Default)]
pub(super) enum Output {
    /// Standard output.
    #[default]
    Stdout,
    /// A file.
    File(RollingFile),
}

impl Output {
    /// Writes `bytes` (whole lines) in one piece.
    ///
    /// # Errors
    /// The write failed; the message names the destination.
    pub(super) fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        match self {
            Self::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(bytes)
                    .and_then(|()| out.flush())
                    .map_err(|e| annotate(e, "standard output"))
            }
            Self::File(file) => file.write(bytes),
        }
    }
}

/// Adds the destination to an I/O error's message, keeping its kind.
fn annotate(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("cannot write to {what}: {e}"))
}

/// A file opened for appending; with a size limit, it is rolled before a write would take
/// it past the limit: `name` becomes `name.1`, `name.1` becomes `name.2`, ... up to
/// `max_rolls` old files (the oldest is removed).
#[derive(Debug)]
pub(super) struct RollingFile {
    path: PathBuf,
    file: File,
    size: u64,
    max_size: u64,
    max_rolls: usize,
}

impl RollingFile {
    /// Opens (creating it if need be) `path` for appending. `max_size` 0 means never roll.
    ///
    /// # Errors
    /// The file cannot be opened; the message names it.
    pub(super) fn open(path: &Path, max_size: u64, max_rolls: usize) -> io::Result<Self> {
        let file = append(path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Self {
            path: path.to_owned(),
            file,
            size,
            max_size,
            max_rolls: max_rolls.max(1),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let len = bytes.len() as u64;
        if self.max_size > 0 && self.size > 0 && self.size.saturating_add(len) > self.max_size {
            self.roll()?;
        }
        self.file
            .write_all(bytes)
            .map_err(|e| annotate(e, &format!("`{}`", self.path.display())))?;
        self.size = self.size.saturating_add(len);
        Ok(())
    }

    fn roll(&mut self) -> io::Result<()> {
        let rolled = |n: usize| {
            let mut name = self.path.clone().into_os_string();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        let fail = |e: io::Error| {
            io::Error::new(
                e.kind(),
                format!("cannot roll `{}`: {e}", self.path.display()),
            )
        };
        for n in (1..self.max_rolls).rev() {
            let from = rolled(n);
            if from.exists() {
                std::fs::rename(&from, rolled(n + 1)).map_err(fail)?;
            }
        }
        std::fs::rename(&self.path, rolled(1)).map_err(fail)?;
        self.file = append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot open `{}` for appending: {e}", path.display()),
            )
        })
}
