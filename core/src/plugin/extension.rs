use super::Plugin;
use crate::capability::Capabilities;
use crate::{BoxError, Context};

/// A shared helper that other plugins of the pipeline look up by name
/// (`pipeline.Extension`): an authenticator, an encoder, ...
///
/// Get one with [`Context::get_extension`] or [`Context::with_extension`] (which gives the
/// concrete type), or, from any crate, by what it can do with [`Context::capability`] (which
/// gives a trait object: see [`capability`](crate::capability)).
pub trait Extension: Plugin {
    /// Prepares the extension. Declared extensions are initialised before any other plugin.
    ///
    /// # Errors
    /// The pipeline does not start.
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }

    /// What this extension provides to other plugins, as trait objects they keep
    /// ([`Context::capability`] picks one). Called after `init`, each time a plugin asks;
    /// none by default.
    ///
    /// ```
    /// use pipeplug::prelude::*;
    /// use pipeplug::capability::HttpRequest;
    /// use std::sync::Arc;
    ///
    /// /// Adds `X-Api-Key`.
    /// #[derive(Clone)]
    /// struct ApiKey(String);
    /// impl Plugin for ApiKey { fn description(&self) -> &str { "adds X-Api-Key" } }
    /// impl Extension for ApiKey {
    ///     fn capabilities(&self) -> Capabilities {
    ///         Capabilities::new().with::<dyn ClientAuthenticator>(Arc::new(self.clone()))
    ///     }
    /// }
    /// impl ClientAuthenticator for ApiKey {
    ///     fn authenticate(&self, req: &mut HttpRequest) -> Result<(), BoxError> {
    ///         req.set_header("X-Api-Key", self.0.clone());
    ///         Ok(())
    ///     }
    /// }
    /// assert_eq!(ApiKey("k".into()).capabilities().names(), ["ClientAuthenticator"]);
    /// ```
    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
    }

    /// Stops the extension; called last, after the flushers.
    ///
    /// # Errors
    /// Logged with the plugin's name.
    fn stop(&mut self) -> Result<(), BoxError> {
        Ok(())
    }
}
