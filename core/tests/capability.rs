//! Extensions found by capability: `Context::capability` gives a trait object that plugins
//! keep and call from their threads; missing names and capabilities are errors naming both.

use pipeplug::capability::{HttpRequest, RequestVerdict};
use pipeplug::prelude::*;
use pipeplug::registry::add_extension_creator;
use pipeplug::testing::{FlusherHarness, MockContext};
use pipeplug::{error_chain, ExtensionError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Signs requests with a counter, and vetoes requests to `/blocked`.
#[derive(Default)]
struct Signer {
    signed: Arc<AtomicU64>,
}
impl Plugin for Signer {
    fn description(&self) -> &str {
        "signs requests"
    }
}
impl Extension for Signer {
    fn capabilities(&self) -> Capabilities {
        let shared = Arc::new(SignerHandle(Arc::clone(&self.signed)));
        Capabilities::new()
            .with::<dyn ClientAuthenticator>(shared.clone())
            .with::<dyn RequestInterceptor>(shared)
    }
}

struct SignerHandle(Arc<AtomicU64>);
impl ClientAuthenticator for SignerHandle {
    fn authenticate(&self, req: &mut HttpRequest) -> Result<(), BoxError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        req.set_header("X-Signature", format!("sig-{n}"));
        Ok(())
    }
}
impl RequestInterceptor for SignerHandle {
    fn intercept(&self, req: &mut HttpRequest) -> RequestVerdict {
        if req.url.ends_with("/blocked") {
            RequestVerdict::Veto("blocked path".into())
        } else {
            RequestVerdict::Proceed
        }
    }
}

#[test]
fn a_declared_extension_is_found_as_each_trait_it_provides_and_used_from_threads() {
    let mock = MockContext::default();
    mock.add_extension("ext_signer/main", Signer::default())
        .unwrap();
    let ctx = mock.context();
    let auth = ctx
        .capability::<dyn ClientAuthenticator>("ext_signer/main")
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let auth = Arc::clone(&auth);
            std::thread::spawn(move || {
                let mut req = HttpRequest::new("POST", "http://h/write");
                auth.authenticate(&mut req).unwrap();
                req.header("x-signature").unwrap().to_owned()
            })
        })
        .collect();
    let mut sigs: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    sigs.sort();
    assert_eq!(sigs, ["sig-0", "sig-1", "sig-2", "sig-3"]);

    let interceptor = ctx
        .capability::<dyn RequestInterceptor>("ext_signer/main")
        .unwrap();
    let mut req = HttpRequest::new("POST", "http://h/blocked");
    assert_eq!(
        interceptor.intercept(&mut req),
        RequestVerdict::Veto("blocked path".into())
    );
}

#[test]
fn a_missing_capability_names_the_extension_the_capability_and_what_it_provides() {
    let mock = MockContext::default();
    mock.add_extension("ext_signer/main", Signer::default())
        .unwrap();
    let err = mock
        .context()
        .capability::<dyn Encoder>("ext_signer/main")
        .err()
        .unwrap();
    assert!(matches!(err, ExtensionError::MissingCapability { .. }));
    assert_eq!(
        err.to_string(),
        "extension `ext_signer/main` does not provide the capability `Encoder` \
         (it provides: ClientAuthenticator, RequestInterceptor)"
    );

    /// Provides nothing.
    struct Plain;
    impl Plugin for Plain {
        fn description(&self) -> &str {
            "plain"
        }
    }
    impl Extension for Plain {}
    mock.add_extension("ext_plain/1", Plain).unwrap();
    let err = mock
        .context()
        .capability::<dyn Decoder>("ext_plain/1")
        .err()
        .unwrap();
    assert!(err.to_string().ends_with("(it provides: nothing)"), "{err}");
}

#[test]
fn an_undeclared_name_names_the_extension_and_the_capability_and_says_why() {
    let mock = MockContext::default();
    let err = mock
        .context()
        .capability::<dyn ClientAuthenticator>("ext_basicauth/shared")
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "extension `ext_basicauth/shared`, wanted for the capability `ClientAuthenticator`, is not available"
    );
    assert_eq!(
        error_chain(&err),
        "extension `ext_basicauth/shared`, wanted for the capability `ClientAuthenticator`, is not \
         available: extension `ext_basicauth/shared` is not declared in the pipeline"
    );
    // A bare type that is in no registry.
    let err = mock
        .context()
        .capability::<dyn Encoder>("ext_no_such_thing")
        .err()
        .unwrap();
    assert!(
        error_chain(&err).starts_with(
            "extension `ext_no_such_thing`, wanted for the capability `Encoder`, is not available: \
             extension `ext_no_such_thing` cannot be created"
        ),
        "{}",
        error_chain(&err)
    );
}

#[test]
fn a_bare_registered_type_is_created_on_first_use_and_found_by_capability() {
    add_extension_creator("ext_capability_signer", "signs requests", |_| {
        Ok(Signer::default())
    });
    let mock = MockContext::default();
    let auth = mock
        .context()
        .capability::<dyn ClientAuthenticator>("ext_capability_signer")
        .unwrap();
    let mut req = HttpRequest::new("GET", "http://h/");
    auth.authenticate(&mut req).unwrap();
    assert_eq!(req.header("X-Signature"), Some("sig-0"));
    // The same instance on the next lookup: its counter goes on.
    let again = mock
        .context()
        .capability::<dyn ClientAuthenticator>("ext_capability_signer")
        .unwrap();
    again.authenticate(&mut req).unwrap();
    assert_eq!(req.header("X-Signature"), Some("sig-1"));
}

/// A flusher whose `init` fails when its authenticator is missing: the harness reports the
/// whole chain.
#[derive(Default)]
struct NeedsAuth;
impl Plugin for NeedsAuth {
    fn description(&self) -> &str {
        "needs an authenticator"
    }
}
impl Flusher for NeedsAuth {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        ctx.capability::<dyn ClientAuthenticator>("ext_missing/a")?;
        Ok(())
    }
}
impl FlusherV1 for NeedsAuth {
    fn flush(&mut self, _: &str, _: &str, _: &str, _: &[LogGroup]) -> Result<(), BoxError> {
        Ok(())
    }
}

#[test]
fn a_plugin_init_that_lacks_its_extension_fails_with_a_message_naming_both() {
    let err = FlusherHarness::new(NeedsAuth)
        .init()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "init failed: extension `ext_missing/a`, wanted for the capability `ClientAuthenticator`, is \
             not available: extension `ext_missing/a` is not declared in the pipeline"
        ),
        "{err}"
    );
}
