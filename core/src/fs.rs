//! Bounded reads of the files a host or a plugin reads whole at start-up (config files, a
//! plugin's `File:`): only regular files, and never more than a limit.
//!
//! A FIFO, a device such as `/dev/zero`, a socket or a directory is refused at once, before
//! it is opened (opening a FIFO would block until a writer comes, and reading `/dev/zero`
//! never ends); a file over the limit is refused after reading at most `limit + 1` bytes, so
//! memory stays bounded whatever the file is.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("pipeplug-fs-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let file = dir.join("small.txt");
//! std::fs::write(&file, "hello").unwrap();
//! assert_eq!(pipeplug::fs::read_to_string_limited(&file, 16).unwrap(), "hello");
//! let err = pipeplug::fs::read_to_string_limited(&file, 4).unwrap_err();
//! assert!(err.to_string().contains("larger than the limit of 4 bytes"), "{err}");
//! let err = pipeplug::fs::read_to_string_limited(&dir, 16).unwrap_err();
//! assert!(err.to_string().contains("not a regular file (a directory)"), "{err}");
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The size limit of a pipeline config file: 16 MiB, far above any real pipeline.
pub const CONFIG_FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// Why a bounded read failed. Displays as `FILE: what is wrong`.
#[derive(Debug, thiserror::Error)]
pub struct ReadError {
    /// The file, as given.
    pub path: PathBuf,
    /// What went wrong.
    pub kind: ReadErrorKind,
}

/// What went wrong in a bounded read.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// Not a regular file (a FIFO, a device, a socket, a directory); the name of what it is.
    NotRegular(&'static str),
    /// Larger than the limit (in bytes).
    TooLarge(u64),
    /// Not valid UTF-8.
    NotUtf8,
    /// The system's error.
    Io(std::io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.kind)
    }
}

impl fmt::Display for ReadErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRegular(what) => write!(
                f,
                "not a regular file ({what}); only regular files are read"
            ),
            Self::TooLarge(limit) => write!(
                f,
                "larger than the limit of {limit} bytes ({}); nothing was read past it",
                human_size(*limit)
            ),
            Self::NotUtf8 => f.write_str("not valid UTF-8 text"),
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

/// `16 MiB`, `512 KiB`, `100 bytes`.
fn human_size(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// What a non-regular file is, for messages.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// Reads the regular file at `path` whole, refusing anything else and anything over `limit`
/// bytes (see the module docs).
///
/// # Errors
/// [`ReadError`], naming the file: not a regular file, over the limit, or the system's error.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let err = |kind| ReadError {
        path: path.to_owned(),
        kind,
    };
    // Checked before opening: opening a FIFO blocks until someone writes to it.
    let meta = std::fs::metadata(path).map_err(|e| err(ReadErrorKind::Io(e)))?;
    if !meta.is_file() {
        return Err(err(ReadErrorKind::NotRegular(file_kind(&meta))));
    }
    let file = std::fs::File::open(path).map_err(|e| err(ReadErrorKind::Io(e)))?;
    // And again on what was opened, in case the path changed in between.
    let meta = file.metadata().map_err(|e| err(ReadErrorKind::Io(e)))?;
    if !meta.is_file() {
        return Err(err(ReadErrorKind::NotRegular(file_kind(&meta))));
    }
    if meta.len() > limit {
        return Err(err(ReadErrorKind::TooLarge(limit)));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // `limit + 1`: a file that grew past the limit since `metadata` is still caught.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| err(ReadErrorKind::Io(e)))?;
    if bytes.len() as u64 > limit {
        return Err(err(ReadErrorKind::TooLarge(limit)));
    }
    Ok(bytes)
}

/// As [`read_limited`], as UTF-8 text.
///
/// # Errors
/// As [`read_limited`], and [`ReadErrorKind::NotUtf8`].
pub fn read_to_string_limited(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_limited(path, limit)?;
    String::from_utf8(bytes).map_err(|_| ReadError {
        path: path.to_owned(),
        kind: ReadErrorKind::NotUtf8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(16 * 1024 * 1024), "16 MiB");
        assert_eq!(human_size(2048), "2 KiB");
        assert_eq!(human_size(100), "100 bytes");
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_without_reading() {
        let err = read_limited(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(matches!(
            err.kind,
            ReadErrorKind::NotRegular("a character device")
        ));
        assert!(err.to_string().starts_with("/dev/zero: not a regular file"));
    }

    #[test]
    fn a_file_at_the_limit_is_read_one_over_is_not() {
        let dir = std::env::temp_dir().join(format!("pipeplug-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("ten");
        std::fs::write(&f, [b'x'; 10]).unwrap();
        assert_eq!(read_limited(&f, 10).unwrap().len(), 10);
        assert!(matches!(
            read_limited(&f, 9).unwrap_err().kind,
            ReadErrorKind::TooLarge(9)
        ));
        std::fs::write(&f, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            read_to_string_limited(&f, 10).unwrap_err().kind,
            ReadErrorKind::NotUtf8
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
