//! A plugin crate with one extension, `ext_fixture_token`, that adds a bearer token to
//! requests. Its type is private: another crate can use it only by name, through the
//! capability trait [`ClientAuthenticator`] (see `tests/tests/capability_cross_crate.rs`).

use pipeplug::capability::HttpRequest;
use pipeplug::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Adds `Authorization: Bearer <Token>` and `X-Request-Number: <n>` (counting from 1 across
/// every plugin that uses this instance) to requests.
#[extension(
    name = "ext_fixture_token",
    rename_all = "PascalCase",
    example = "Token: abc"
)]
struct ExtFixtureToken {
    /// The token.
    token: String,
    /// Requests authenticated so far, shared by every handle given out.
    #[state]
    count: Arc<AtomicU64>,
}

/// What plugins get: the token and the shared count.
struct TokenHandle {
    token: String,
    count: Arc<AtomicU64>,
}

impl Extension for ExtFixtureToken {
    fn init(&mut self, _ctx: &Context) -> Result<(), BoxError> {
        if self.token.is_empty() {
            return Err("ext_fixture_token: key `Token` is empty".into());
        }
        Ok(())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().with::<dyn ClientAuthenticator>(Arc::new(TokenHandle {
            token: self.token.clone(),
            count: Arc::clone(&self.count),
        }))
    }
}

impl ClientAuthenticator for TokenHandle {
    fn authenticate(&self, req: &mut HttpRequest) -> Result<(), BoxError> {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        req.set_header("Authorization", format!("Bearer {}", self.token));
        req.set_header("X-Request-Number", n.to_string());
        Ok(())
    }
}

/// This crate's plugins (Go's `all.go`); a binary links them with
/// `pipeplug::link!(pipeplug_test_ext_fixture::all)`.
pub mod all {
    /// The names of this crate's plugins.
    pub const PLUGINS: &[&str] = &["ext_fixture_token"];
}
