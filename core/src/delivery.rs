//! Delivery errors: how a flusher tells the engine that a failed `flush`/`export` must not
//! be retried.
//!
//! The engine retries a failed call with exponential backoff (the flusher's `Delivery`
//! settings in the pipeline file). An error that no retry can fix (a server that answers
//! "400 Bad Request", a record too large for the destination) should not be retried: the
//! flusher wraps it in a [`PermanentError`], and the engine drops the groups at once,
//! counting them as dropped for a permanent error and logging the error's whole chain.
//!
//! ```
//! use pipeplug::{BoxError, PermanentError};
//!
//! fn send(status: u16) -> Result<(), BoxError> {
//!     match status {
//!         200 => Ok(()),
//!         400..=499 => Err(PermanentError::new(format!("server refused the batch: {status}")).into()),
//!         _ => Err(format!("server unavailable: {status}").into()),
//!     }
//! }
//!
//! assert!(PermanentError::is_permanent(&*send(400).unwrap_err()));
//! assert!(!PermanentError::is_permanent(&*send(503).unwrap_err()));
//! ```

use crate::BoxError;
use std::error::Error;
use std::fmt;

/// An error a flusher returns from `flush`/`export` when retrying cannot help: the engine
/// drops the groups without retrying.
///
/// It displays as the error it wraps, which is also its [`source`](Error::source), so
/// [`error_chain`](crate::error_chain) shows the cause once.
#[derive(Debug)]
pub struct PermanentError {
    inner: BoxError,
}

impl PermanentError {
    /// Marks `error` as permanent.
    pub fn new(error: impl Into<BoxError>) -> Self {
        Self {
            inner: error.into(),
        }
    }

    /// The wrapped error.
    #[must_use]
    pub fn inner(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.inner
    }

    /// Unwraps the error.
    #[must_use]
    pub fn into_inner(self) -> BoxError {
        self.inner
    }

    /// Whether `error`, or an error in its chain of sources, is a [`PermanentError`].
    #[must_use]
    pub fn is_permanent(error: &(dyn Error + 'static)) -> bool {
        let mut next: Option<&(dyn Error + 'static)> = Some(error);
        while let Some(e) = next {
            if e.is::<Self>() {
                return true;
            }
            next = e.source();
        }
        false
    }
}

impl fmt::Display for PermanentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "permanent error, not retried")
    }
}

impl Error for PermanentError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.inner)
    }
}

pub use crate::config::delivery::{DeliveryConfig, DeliveryPolicy, DELIVERY_KEY};
