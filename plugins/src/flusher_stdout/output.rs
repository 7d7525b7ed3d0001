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
                write_whole_lines(&mut out, bytes).map_err(|e| annotate(e, "standard output"))
            }
            Self::File(file) => file.write(bytes),
        }
    }
}

/// The most bytes a pipe takes in one piece (POSIX `PIPE_BUF` on Linux): a write of at most
/// that many bytes to a pipe is never cut, so a reader never sees part of it.
const PIPE_BUF: usize = 4096;

/// Writes `bytes` (whole lines) in pieces cut at line ends, each at most [`PIPE_BUF`] bytes
/// unless one line is longer, each followed by a flush (one `write` each).
fn write_whole_lines(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let cut = piece_end(rest);
        out.write_all(&rest[..cut])?;
        out.flush()?;
        rest = &rest[cut..];
    }
    Ok(())
}

/// Where the first piece of `bytes` ends: after the last line end within [`PIPE_BUF`]
/// bytes, else after the first line (longer than that), else at the end.
fn piece_end(bytes: &[u8]) -> usize {
    if bytes.len() <= PIPE_BUF {
        return bytes.len();
    }
    match bytes[..PIPE_BUF].iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None => bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| i + 1),
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

#[cfg(test)]
mod tests {
    use super::{write_whole_lines, PIPE_BUF};
    use std::io::{self, Write};

    /// Records each write it gets (as a pipe would take it) and each flush.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn pieces_are_whole_lines_of_at_most_pipe_buf_bytes() {
        let mut text = Vec::new();
        for i in 0..2000 {
            text.extend_from_slice(format!("{{\"n\":\"{i}\"}}\n").as_bytes());
        }
        let long = format!("{}\n", "x".repeat(PIPE_BUF * 2));
        text.extend_from_slice(long.as_bytes());
        text.extend_from_slice(b"last\n");
        let mut w = Writes::default();
        write_whole_lines(&mut w, &text).unwrap();
        assert_eq!(w.0.concat(), text, "everything, in order");
        assert!(w.0.len() > 3, "cut into pieces: {}", w.0.len());
        for piece in &w.0 {
            assert_eq!(piece.last(), Some(&b'\n'), "a piece ends a line");
            assert!(
                piece.len() <= PIPE_BUF || piece.as_slice() == long.as_bytes(),
                "a piece of {} bytes",
                piece.len()
            );
        }
    }
}
