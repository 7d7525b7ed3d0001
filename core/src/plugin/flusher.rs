use super::Plugin;
use crate::models::PipelineGroupEvents;
use crate::protocol::LogGroup;
use crate::{BoxError, Context, PipelineContext};

/// Sends groups out of the agent (`pipeline.Flusher`).
pub trait Flusher: Plugin {
    /// Prepares the plugin.
    ///
    /// # Errors
    /// The plugin cannot run; the pipeline does not start.
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }

    /// Whether the flusher can take data now (`IsReady`). The runner holds data back, in
    /// this flusher's own bounded queue, until it is; what happens when that queue is full
    /// depends on the flusher's delivery policy (`block`, the default, holds the pipeline
    /// back; `drop_newest` drops this flusher's batches once it has been unready for a
    /// while).
    fn is_ready(&self, project: &str, logstore: &str, logstore_key: i64) -> bool {
        let _ = (project, logstore, logstore_key);
        true
    }

    /// Told `true` when the agent is about to exit: flush fast, skip retries (`SetUrgent`).
    fn set_urgent(&mut self, urgent: bool) {
        let _ = urgent;
    }

    /// Stops the plugin after the last flush.
    ///
    /// # Errors
    /// Logged with the plugin's name.
    fn stop(&mut self) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A V1 flusher: takes log groups.
pub trait FlusherV1: Flusher {
    /// Sends `groups` (`Flush`).
    ///
    /// # Errors
    /// The engine retries the call with the same groups (exponential backoff with jitter,
    /// up to the flusher's `Delivery.MaxRetries` and never past the pipeline's stop
    /// deadline); then the groups are dropped, counted and logged with the plugin's name
    /// and the error's whole chain. An error wrapped in a
    /// [`PermanentError`](crate::PermanentError) (`Err(PermanentError::new(e).into())`) is
    /// not retried: the groups are dropped at once. A flusher that may be retried should
    /// not have sent part of `groups` when it fails, or that part is sent twice.
    fn flush(
        &mut self,
        project: &str,
        logstore: &str,
        config_name: &str,
        groups: &[LogGroup],
    ) -> Result<(), BoxError>;
}

/// A V2 flusher: takes event groups.
pub trait FlusherV2: Flusher {
    /// Sends `groups` (`Export`).
    ///
    /// # Errors
    /// Retried, then dropped, as [`FlusherV1::flush`]: a
    /// [`PermanentError`](crate::PermanentError) is not retried.
    fn export(
        &mut self,
        groups: &[PipelineGroupEvents],
        ctx: &PipelineContext,
    ) -> Result<(), BoxError>;
}
