//! `ext_basicauth`: HTTP basic authentication for outgoing requests (iLogtail's
//! `ext_basicauth`).

use base64::Engine as _;
use pipeplug::capability::HttpRequest;
use pipeplug::prelude::*;
use std::fmt;
use std::sync::Arc;

/// Adds HTTP basic authentication to the requests of the plugins that name it: provides the
/// capability [`ClientAuthenticator`], which sets `Authorization: Basic
/// base64(Username:Password)` on a request (replacing any `Authorization` it had).
///
/// A flusher names it in its config (`Authenticator: ext_basicauth/shared`) and gets it with
/// `ctx.capability::<dyn ClientAuthenticator>(name)`. An empty `Username` logs a warning
/// at `init` (the header is still sent, as iLogtail does).
#[extension(
    name = "ext_basicauth",
    rename_all = "PascalCase",
    example = "Username: user\nPassword: secret"
)]
#[derive(Clone)]
pub struct ExtBasicAuth {
    /// The user name.
    username: String,
    /// The password.
    password: String,
}

impl fmt::Debug for ExtBasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the password.
        f.debug_struct("ExtBasicAuth")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Extension for ExtBasicAuth {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        if self.username.is_empty() {
            ctx.logger()
                .warn("ext_basicauth: `Username` is empty; requests get an empty user name");
        }
        Ok(())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().with::<dyn ClientAuthenticator>(Arc::new(self.clone()))
    }
}

impl ClientAuthenticator for ExtBasicAuth {
    fn authenticate(&self, req: &mut HttpRequest) -> Result<(), BoxError> {
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.username, self.password));
        req.set_header("Authorization", format!("Basic {token}"));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeplug::testing::ExtensionHarness;

    fn auth(yaml: &str) -> (ExtensionHarness<ExtBasicAuth>, Arc<dyn ClientAuthenticator>) {
        let mut h = ExtensionHarness::<ExtBasicAuth>::from_yaml(yaml).unwrap();
        let a = h.capability::<dyn ClientAuthenticator>().unwrap();
        (h, a)
    }

    #[test]
    fn sets_the_basic_authorization_header() {
        let (mut h, a) = auth("Username: Aladdin\nPassword: open sesame");
        let mut req = HttpRequest::new("POST", "http://h/write");
        req.set_header("authorization", "old");
        a.authenticate(&mut req).unwrap();
        // RFC 7617's example.
        assert_eq!(
            req.header("Authorization"),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        assert_eq!(req.headers.len(), 1);
        h.stop().unwrap();
    }

    #[test]
    fn an_empty_user_warns_and_still_authenticates() {
        let (h, a) = auth("");
        let mut req = HttpRequest::new("GET", "http://h/");
        a.authenticate(&mut req).unwrap();
        assert_eq!(req.header("authorization"), Some("Basic Og=="));
        let logs = h.mock().context().log_records();
        assert!(
            logs.iter()
                .any(|r| r.message.contains("`Username` is empty")),
            "{logs:?}"
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let (h, _) = auth("Username: u\nPassword: hunter2");
        let text = h.with(|e| format!("{e:?}"));
        assert!(
            text.contains("\"u\"") && !text.contains("hunter2"),
            "{text}"
        );
    }

    #[test]
    fn it_is_not_an_encoder() {
        let mut h = ExtensionHarness::<ExtBasicAuth>::from_yaml("Username: u").unwrap();
        let err = h.capability::<dyn Encoder>().err().unwrap().to_string();
        assert!(
            err.contains(
                "does not provide the capability `Encoder` (it provides: ClientAuthenticator)"
            ),
            "{err}"
        );
    }
}
