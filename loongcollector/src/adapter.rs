//! The way back into LoongCollector's core: the send callbacks of its plugin adapter,
//! `libGoPluginAdapter.so`.
//!
//! The core opens the adapter before this library and registers its callbacks there; the
//! adapter exports `LogtailIsValidToSend` and `LogtailSendPbV2`, which call them. This
//! library does not link against the adapter: it finds the copy already loaded, by its
//! SONAME (`dlopen` with `RTLD_NOLOAD`, which never loads a second copy), and looks the
//! two functions up ([`Adapter::find`]). An embedding program, or a test, can put any
//! other [`CoreLink`] in its place ([`crate::host::Host::set_link`]).

use std::ffi::{c_char, c_int, c_void, CStr};

/// The adapter's SONAME.
pub const ADAPTER_SONAME: &CStr = c"libGoPluginAdapter.so";

/// What the core answered to a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// Taken (0).
    Sent,
    /// Its queue is full (-1): try again later.
    QueueFull,
    /// It has no pipeline of that name any more (-2): the data cannot go anywhere.
    ConfigGone,
    /// Any other answer.
    Other(i32),
}

impl SendOutcome {
    /// The outcome of the adapter's answer `rc`.
    #[must_use]
    pub fn from_rc(rc: i32) -> Self {
        match rc {
            0 => Self::Sent,
            -1 => Self::QueueFull,
            -2 => Self::ConfigGone,
            n => Self::Other(n),
        }
    }
}

/// The core's send interface, as the plugin library sees it.
pub trait CoreLink: Send + Sync + std::fmt::Debug {
    /// Whether the core's sender queue for `logstore_key` takes data now
    /// (`LogtailIsValidToSend(key) == 0`).
    fn is_valid_to_send(&self, logstore_key: i64) -> bool;

    /// Hands one serialized, uncompressed `sls_logs.LogGroup` of `lines` logs to the core
    /// for the pipeline `config` (its name without `/1` or `/2`) and `logstore`
    /// (`LogtailSendPbV2`).
    fn send(
        &self,
        config: &str,
        logstore: &str,
        log_group: &[u8],
        lines: i32,
        shard_hash: &str,
    ) -> SendOutcome;
}

type IsValidToSendFn = unsafe extern "C" fn(logstore_key: i64) -> c_int;
type SendPbV2Fn = unsafe extern "C" fn(
    config: *const c_char,
    config_len: c_int,
    logstore: *const c_char,
    logstore_len: c_int,
    pb: *mut c_char,
    pb_len: c_int,
    lines: c_int,
    shard_hash: *const c_char,
    shard_hash_len: c_int,
) -> c_int;
type VersionFn = unsafe extern "C" fn() -> c_int;

/// The adapter could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdapterError {
    /// No library with the adapter's SONAME is loaded in the process.
    #[error(
        "`libGoPluginAdapter.so` is not loaded in this process (LoongCollector's core loads \
         it before the plugin library; a test harness must too)"
    )]
    NotLoaded,
    /// The adapter lacks a function.
    #[error(
        "`libGoPluginAdapter.so` has no function `{0}` (an adapter older than LoongCollector 2.x?)"
    )]
    Missing(&'static str),
    /// A buffer is larger than the C interface's `int` lengths.
    #[error("{what} is {len} bytes, more than the adapter's `int` length can say")]
    TooLarge {
        /// What.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

/// The loaded adapter's send functions.
#[derive(Debug, Clone, Copy)]
pub struct Adapter {
    is_valid_to_send: IsValidToSendFn,
    send_pb_v2: SendPbV2Fn,
    /// `PluginAdapterVersion()`, when it has it.
    pub version: Option<i32>,
}

/// Looks `name` up in `handle`.
///
/// # Safety
/// `handle` is a live handle from `dlopen`.
unsafe fn symbol(handle: *mut c_void, name: &CStr) -> Option<*mut c_void> {
    // SAFETY: `handle` is live; `name` is NUL-terminated.
    let p = unsafe { libc::dlsym(handle, name.as_ptr()) };
    (!p.is_null()).then_some(p)
}

impl Adapter {
    /// Finds the adapter the process has loaded and its send functions.
    ///
    /// # Errors
    /// It is not loaded, or lacks `LogtailIsValidToSend` or `LogtailSendPbV2`.
    pub fn find() -> Result<Self, AdapterError> {
        // SAFETY: a NUL-terminated name; RTLD_NOLOAD only returns an already loaded object
        // (adding a reference, which keeps it loaded while this library uses it).
        let handle =
            unsafe { libc::dlopen(ADAPTER_SONAME.as_ptr(), libc::RTLD_NOLOAD | libc::RTLD_LAZY) };
        if handle.is_null() {
            return Err(AdapterError::NotLoaded);
        }
        // SAFETY: `handle` is live (never closed: the reference is kept on purpose).
        let (valid, send, version) = unsafe {
            (
                symbol(handle, c"LogtailIsValidToSend"),
                symbol(handle, c"LogtailSendPbV2"),
                symbol(handle, c"PluginAdapterVersion"),
            )
        };
        let valid = valid.ok_or(AdapterError::Missing("LogtailIsValidToSend"))?;
        let send = send.ok_or(AdapterError::Missing("LogtailSendPbV2"))?;
        // SAFETY: the adapter exports these functions with these C signatures (its ABI,
        // declared above); a data pointer from dlsym is the function's address.
        let (is_valid_to_send, send_pb_v2, version) = unsafe {
            (
                std::mem::transmute::<*mut c_void, IsValidToSendFn>(valid),
                std::mem::transmute::<*mut c_void, SendPbV2Fn>(send),
                version.map(|v| std::mem::transmute::<*mut c_void, VersionFn>(v)),
            )
        };
        // SAFETY: `PluginAdapterVersion` takes nothing and returns an int.
        let version = version.map(|v| unsafe { v() });
        Ok(Self {
            is_valid_to_send,
            send_pb_v2,
            version,
        })
    }
}

/// `len` as a C `int`.
fn c_len(what: &'static str, len: usize) -> Result<c_int, AdapterError> {
    c_int::try_from(len).map_err(|_| AdapterError::TooLarge { what, len })
}

impl CoreLink for Adapter {
    fn is_valid_to_send(&self, logstore_key: i64) -> bool {
        // SAFETY: the adapter's function, called as declared.
        unsafe { (self.is_valid_to_send)(logstore_key) == 0 }
    }

    fn send(
        &self,
        config: &str,
        logstore: &str,
        log_group: &[u8],
        lines: i32,
        shard_hash: &str,
    ) -> SendOutcome {
        let lens = (|| {
            Ok::<_, AdapterError>((
                c_len("the config name", config.len())?,
                c_len("the logstore name", logstore.len())?,
                c_len("a log group", log_group.len())?,
                c_len("the shard hash", shard_hash.len())?,
            ))
        })();
        let (config_len, logstore_len, pb_len, hash_len) = match lens {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("flusher_sls: {e}; not sent");
                return SendOutcome::Other(-3);
            }
        };
        // The core copies the buffer before it returns (its `std::string(pb, size)`); the
        // `char *` is not written to.
        // SAFETY: every pointer is valid for its length during the call.
        let rc = unsafe {
            (self.send_pb_v2)(
                config.as_ptr().cast(),
                config_len,
                logstore.as_ptr().cast(),
                logstore_len,
                log_group.as_ptr().cast_mut().cast(),
                pb_len,
                lines,
                if shard_hash.is_empty() {
                    std::ptr::null()
                } else {
                    shard_hash.as_ptr().cast()
                },
                hash_len,
            )
        };
        SendOutcome::from_rc(rc)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Takes everything at once (for tests that do not look at what is sent).
    #[derive(Debug)]
    pub(crate) struct Null;

    impl CoreLink for Null {
        fn is_valid_to_send(&self, _logstore_key: i64) -> bool {
            true
        }
        fn send(&self, _: &str, _: &str, _: &[u8], _: i32, _: &str) -> SendOutcome {
            SendOutcome::Sent
        }
    }

    #[test]
    fn without_the_adapter_loaded_find_says_so_and_loads_nothing() {
        // The test binary does not load an adapter; RTLD_NOLOAD must not load one either.
        assert_eq!(Adapter::find().err(), Some(AdapterError::NotLoaded));
        assert!(AdapterError::NotLoaded
            .to_string()
            .contains("libGoPluginAdapter.so"));
    }

    #[test]
    fn answers_map_to_outcomes() {
        assert_eq!(SendOutcome::from_rc(0), SendOutcome::Sent);
        assert_eq!(SendOutcome::from_rc(-1), SendOutcome::QueueFull);
        assert_eq!(SendOutcome::from_rc(-2), SendOutcome::ConfigGone);
        assert_eq!(SendOutcome::from_rc(7), SendOutcome::Other(7));
    }
}
