//! The Go types cgo passes across the C ABI (`GoInt`, `GoString`, `GoSlice`), and reading
//! them as Rust values. Used by the exported functions ([`ffi`](crate::ffi)) and by forward
//! mode ([`forward`](crate::forward)), which passes them on to the Go library.

use std::ffi::{c_char, c_void};

/// Go's `int` on 64-bit targets (`long long`).
pub type GoInt = i64;
/// Go's `int64` (`long long`).
pub type GoInt64 = i64;

/// Go's string as cgo passes it: a pointer and a length, not NUL-terminated, borrowed for
/// the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct GoString {
    /// The bytes (may be NULL when `n` is 0).
    pub p: *const c_char,
    /// How many bytes.
    pub n: GoInt64,
}

/// Go's slice as cgo passes it, borrowed for the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct GoSlice {
    /// The first element (may be NULL when `len` is 0).
    pub data: *mut c_void,
    /// How many elements.
    pub len: GoInt,
    /// The capacity (not used).
    pub cap: GoInt,
}

/// An argument the core passed that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgError {
    /// A NULL pointer with a non-zero length.
    #[error("argument `{0}`: NULL pointer with a non-zero length")]
    Null(&'static str),
    /// A negative length.
    #[error("argument `{arg}`: negative length {len}")]
    NegativeLength {
        /// Which argument.
        arg: &'static str,
        /// Its length.
        len: i64,
    },
    /// Not UTF-8 text.
    #[error("argument `{arg}`: not UTF-8 ({source})")]
    NotUtf8 {
        /// Which argument.
        arg: &'static str,
        /// Where it is not.
        source: std::str::Utf8Error,
    },
}

/// Reads `len` bytes at `p` (`arg` names it in errors).
///
/// # Safety
/// When `p` is not NULL and `len > 0`, `p` points to `len` readable bytes that stay valid
/// and unchanged for `'a`.
unsafe fn bytes<'a>(arg: &'static str, p: *const u8, len: i64) -> Result<&'a [u8], ArgError> {
    if len < 0 {
        return Err(ArgError::NegativeLength { arg, len });
    }
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(ArgError::Null(arg));
    }
    let len = usize::try_from(len).map_err(|_| ArgError::NegativeLength { arg, len: i64::MIN })?;
    // SAFETY: the caller guarantees `len` readable bytes at `p`.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

impl GoString {
    /// A `GoString` borrowing `s` (for tests and for callers in Rust).
    #[must_use]
    pub fn borrowed(s: &str) -> Self {
        Self {
            p: s.as_ptr().cast(),
            n: i64::try_from(s.len()).unwrap_or(i64::MAX),
        }
    }

    /// The text (`arg` names the argument in errors).
    ///
    /// # Errors
    /// NULL with a length, a negative length, or bytes that are not UTF-8.
    ///
    /// # Safety
    /// `self.p` points to `self.n` readable bytes valid for `'a` (what cgo's callers
    /// guarantee for the call).
    pub unsafe fn to_str<'a>(self, arg: &'static str) -> Result<&'a str, ArgError> {
        // SAFETY: forwarded from the caller.
        let b = unsafe { bytes(arg, self.p.cast(), self.n) }?;
        std::str::from_utf8(b).map_err(|source| ArgError::NotUtf8 { arg, source })
    }

    /// The text, with sequences that are not UTF-8 replaced by U+FFFD (for arguments Go
    /// takes as any bytes: a topic, a pack id).
    ///
    /// # Errors
    /// NULL with a length, or a negative length.
    ///
    /// # Safety
    /// As [`GoString::to_str`].
    pub unsafe fn to_str_lossy<'a>(
        self,
        arg: &'static str,
    ) -> Result<std::borrow::Cow<'a, str>, ArgError> {
        // SAFETY: forwarded from the caller.
        let b = unsafe { bytes(arg, self.p.cast(), self.n) }?;
        Ok(String::from_utf8_lossy(b))
    }
}

impl GoSlice {
    /// A `GoSlice` borrowing `b` (for tests and for callers in Rust).
    #[must_use]
    pub fn borrowed(b: &[u8]) -> Self {
        let len = i64::try_from(b.len()).unwrap_or(i64::MAX);
        Self {
            data: b.as_ptr().cast_mut().cast(),
            len,
            cap: len,
        }
    }

    /// The bytes (`arg` names the argument in errors).
    ///
    /// # Errors
    /// NULL with a length, or a negative length.
    ///
    /// # Safety
    /// `self.data` points to `self.len` readable bytes valid for `'a`.
    pub unsafe fn as_bytes<'a>(self, arg: &'static str) -> Result<&'a [u8], ArgError> {
        // SAFETY: forwarded from the caller.
        unsafe { bytes(arg, self.data.cast_const().cast(), self.len) }
    }
}
