use super::Plugin;
use crate::{BoxError, Context};

/// A shared helper that other plugins of the pipeline look up by name
/// (`pipeline.Extension`): an authenticator, an encoder, ...
///
/// Get one with [`Context::get_extension`] or [`Context::with_extension`] (which gives the
/// concrete type).
pub trait Extension: Plugin {
    /// Prepares the extension. Declared extensions are initialised before any other plugin.
    ///
    /// # Errors
    /// The pipeline does not start.
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }

    /// Stops the extension; called last, after the flushers.
    ///
    /// # Errors
    /// Logged with the plugin's name.
    fn stop(&mut self) -> Result<(), BoxError> {
        Ok(())
    }
}
