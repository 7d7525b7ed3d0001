//! The extension harness, and extensions shared through a mock context.

use pipeplug::prelude::*;
use pipeplug::registry::add_extension_creator;
use pipeplug::testing::{ExtensionHarness, FlusherHarness, HarnessError, MockContext};

/// Signs payloads.
#[derive(Default)]
struct Signer {
    key: String,
    inits: u32,
    stopped: bool,
}
impl Plugin for Signer {
    fn description(&self) -> &str {
        "signs payloads"
    }
}
impl Extension for Signer {
    fn init(&mut self, _: &Context) -> Result<(), BoxError> {
        self.inits += 1;
        Ok(())
    }
    fn stop(&mut self) -> Result<(), BoxError> {
        self.stopped = true;
        Ok(())
    }
}

/// A flusher that asks its context for `ext_signer/main` in `init`.
#[derive(Default)]
struct SignedFlusher {
    key: String,
}
impl Plugin for SignedFlusher {
    fn description(&self) -> &str {
        "signed flusher"
    }
}
impl Flusher for SignedFlusher {
    fn init(&mut self, ctx: &Context) -> Result<(), BoxError> {
        self.key = ctx.with_extension(
            "ext_signer/main",
            &serde_json::Value::Null,
            |s: &mut Signer| s.key.clone(),
        )?;
        Ok(())
    }
}
impl FlusherV1 for SignedFlusher {
    fn flush(&mut self, _: &str, _: &str, _: &str, _: &[LogGroup]) -> Result<(), BoxError> {
        Ok(())
    }
}

#[test]
fn a_registered_extension_is_found_by_plugins_sharing_the_mock() {
    let mut ext = ExtensionHarness::new(Signer {
        key: "k1".into(),
        ..Signer::default()
    });
    ext.register("ext_signer/main").unwrap();
    let mut h = FlusherHarness::new(SignedFlusher::default()).with_mock(ext.mock().clone());
    h.init().unwrap();
    assert_eq!(h.plugin().key, "k1");
    ext.stop().unwrap();
    assert!(ext.with(|s| s.stopped));
    assert_eq!(ext.with(|s| s.inits), 1);
}

#[test]
fn an_undeclared_extension_is_an_error_from_init() {
    let mut h = FlusherHarness::new(SignedFlusher::default());
    let err = h.init().unwrap_err();
    assert!(
        err.to_string()
            .contains("`ext_signer/main` is not declared"),
        "{err}"
    );
}

#[test]
fn mock_context_add_extension_inits_and_declares() {
    let mock = MockContext::default();
    mock.add_extension(
        "ext_signer/main",
        Signer {
            key: "k2".into(),
            ..Signer::default()
        },
    )
    .unwrap();
    let mut h = FlusherHarness::new(SignedFlusher::default()).with_mock(mock);
    h.init().unwrap();
    assert_eq!(h.plugin().key, "k2");
}

#[test]
fn from_the_registry_and_a_bare_name_created_on_first_use() {
    add_extension_creator("ext_harness_signer", "signs payloads", |_| {
        Ok(Signer {
            key: "from-registry".into(),
            ..Signer::default()
        })
    });
    let mut ext = ExtensionHarness::from_registry("ext_harness_signer", "").unwrap();
    ext.init().unwrap();
    assert_eq!(
        ext.with_dyn(|e| e.description().to_owned()),
        "signs payloads"
    );
    ext.stop().unwrap();
    assert!(matches!(ext.stop(), Err(HarnessError::Misuse { .. })));

    // A bare name not declared is created from the registry, as Go's GetExtension does.
    let mock = MockContext::default();
    let key = mock
        .context()
        .with_extension(
            "ext_harness_signer",
            &serde_json::Value::Null,
            |s: &mut Signer| s.key.clone(),
        )
        .unwrap();
    assert_eq!(key, "from-registry");
}
