//! [`SharedBuffer`]: an in-memory writer a test can read back.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// An in-memory [`Write`] whose clones share the bytes: give one clone to a plugin that
/// writes to any writer (a flusher's sink), read what it wrote through another.
///
/// ```
/// use pipeplug::testing::SharedBuffer;
/// use std::io::Write;
/// let buf = SharedBuffer::new();
/// let mut sink: Box<dyn Write + Send> = Box::new(buf.clone());
/// writeln!(sink, "{{\"a\":1}}").unwrap();
/// assert_eq!(buf.lines(), [r#"{"a":1}"#]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct SharedBuffer {
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl SharedBuffer {
    /// An empty buffer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.bytes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Everything written so far.
    #[must_use]
    pub fn bytes(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// Everything written so far, as text (invalid UTF-8 replaced).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    /// The lines written so far, without their line ends.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_owned).collect()
    }

    /// Forgets everything written.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
