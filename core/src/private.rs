//! Not public API. Used by generated code: items here may change in any release.

pub use ::ctor;
pub use ::serde;
pub use ::serde_json;

pub use crate::registry::Node;

/// Links a static registry node (what the macros' constructors call before `main`).
pub fn submit(node: &'static Node) {
    crate::registry::submit(node);
}
