//! Extensions by capability: what an extension can do for other plugins, as a trait
//! (iLogtail's `pkg/pipeline/extensions`).
//!
//! A flusher that sends over HTTP does not care which crate its authenticator comes from:
//! it names one in its config (`Authenticator: ext_basicauth/shared`) and asks the context
//! for it **as the trait** [`ClientAuthenticator`]:
//!
//! ```
//! use pipeplug::prelude::*;
//! use pipeplug::capability::HttpRequest;
//! use std::sync::Arc;
//!
//! /// Adds a fixed token.
//! #[derive(Clone)]
//! struct Token(String);
//! impl Plugin for Token { fn description(&self) -> &str { "adds a token" } }
//! impl Extension for Token {
//!     fn capabilities(&self) -> Capabilities {
//!         Capabilities::new().with::<dyn ClientAuthenticator>(Arc::new(self.clone()))
//!     }
//! }
//! impl ClientAuthenticator for Token {
//!     fn authenticate(&self, req: &mut HttpRequest) -> Result<(), BoxError> {
//!         req.set_header("Authorization", format!("Bearer {}", self.0));
//!         Ok(())
//!     }
//! }
//!
//! let ctx = Context::default();
//! ctx.add_extension("ext_token/main", std::sync::Arc::new(std::sync::Mutex::new(
//!     Box::new(Token("t0k".into())) as Box<dyn Extension>,
//! )));
//! // In a plugin's `init`, with the name from its config:
//! let auth = ctx.capability::<dyn ClientAuthenticator>("ext_token/main").unwrap();
//! let mut req = HttpRequest::new("POST", "http://example.invalid/write");
//! auth.authenticate(&mut req).unwrap();
//! assert_eq!(req.header("authorization"), Some("Bearer t0k"));
//!
//! // Asking for a capability it lacks, or a name not declared, says which and what.
//! let err = ctx.capability::<dyn Encoder>("ext_token/main").err().unwrap();
//! assert_eq!(
//!     err.to_string(),
//!     "extension `ext_token/main` does not provide the capability `Encoder` \
//!      (it provides: ClientAuthenticator)"
//! );
//! ```
//!
//! # How it works
//!
//! An extension says what it provides in [`Extension::capabilities`]: a [`Capabilities`]
//! set of trait objects, each an `Arc` that the plugins keep and call from their own
//! threads (so the traits take `&self` and are `Send + Sync`; an extension with state that
//! changes keeps it behind a lock or atomics). [`Context::capability`] finds the
//! extension by name as [`Context::get_extension`] does (declared `type/id`, or a bare type
//! created on first use), calls `capabilities` and picks the one asked for. Nothing in the
//! attribute macros is involved: `#[extension]` plugins override `capabilities` in their
//! `impl Extension`.
//!
//! The built-in kinds are iLogtail's: [`Encoder`], [`Decoder`], [`ClientAuthenticator`],
//! [`RequestInterceptor`] and [`FlushInterceptor`]. A crate can define its own: a trait
//! with `Send + Sync` as supertraits, and `impl Capability for dyn MyTrait`.
//!
//! The API is synchronous: iLogtail's authenticators and interceptors wrap an
//! `http.RoundTripper`; here they modify (or veto) an [`HttpRequest`] before the plugin
//! sends it with whatever HTTP client it uses.
//!
//! [`Extension::capabilities`]: crate::plugin::Extension::capabilities
//! [`Context::capability`]: crate::Context::capability
//! [`Context::get_extension`]: crate::Context::get_extension

use crate::models::PipelineGroupEvents;
use crate::protocol::{Log, LogGroup};
use crate::BoxError;
use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

/// A kind of capability: implemented for the trait object type (`dyn ClientAuthenticator`),
/// it names the kind in errors and lets [`Capabilities`] key by it.
pub trait Capability: Send + Sync + 'static {
    /// The name used in messages (`ClientAuthenticator`).
    const NAME: &'static str;
}

struct Entry {
    type_id: TypeId,
    name: &'static str,
    /// An `Arc<T>` for the capability `T` of `type_id`.
    value: Box<dyn Any + Send + Sync>,
}

/// What an extension provides: at most one trait object per [`Capability`].
///
/// ```
/// use pipeplug::capability::{Capabilities, FlushInterceptor, Encoder};
/// use pipeplug::models::PipelineGroupEvents;
/// use std::sync::Arc;
///
/// struct KeepAll;
/// impl FlushInterceptor for KeepAll {
///     fn intercept(&self, g: PipelineGroupEvents) -> Option<PipelineGroupEvents> { Some(g) }
/// }
/// let caps = Capabilities::new().with::<dyn FlushInterceptor>(Arc::new(KeepAll));
/// assert!(caps.get::<dyn FlushInterceptor>().is_some());
/// assert!(caps.get::<dyn Encoder>().is_none());
/// assert_eq!(caps.names(), ["FlushInterceptor"]);
/// ```
#[derive(Default)]
pub struct Capabilities {
    entries: Vec<Entry>,
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Capabilities {
    /// None.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the capability `T`, builder style.
    #[must_use]
    pub fn with<T: ?Sized + Capability>(mut self, value: Arc<T>) -> Self {
        self.add(value);
        self
    }

    /// Adds (or replaces) the capability `T`.
    pub fn add<T: ?Sized + Capability>(&mut self, value: Arc<T>) {
        let type_id = TypeId::of::<T>();
        self.entries.retain(|e| e.type_id != type_id);
        self.entries.push(Entry {
            type_id,
            name: T::NAME,
            value: Box::new(value),
        });
    }

    /// The capability `T`, if provided.
    #[must_use]
    pub fn get<T: ?Sized + Capability>(&self) -> Option<Arc<T>> {
        let type_id = TypeId::of::<T>();
        self.entries
            .iter()
            .find(|e| e.type_id == type_id)
            .and_then(|e| e.value.downcast_ref::<Arc<T>>())
            .map(Arc::clone)
    }

    /// The names of the capabilities provided, in the order added.
    #[must_use]
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.name).collect()
    }

    /// Whether nothing is provided.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// An outgoing HTTP request as authenticators and interceptors see it: method, URL,
/// headers and body, without tying the core to an HTTP crate. A plugin builds one, passes
/// it through its extensions, then sends it with its own client.
///
/// Header names compare case-insensitively, as HTTP's do.
///
/// ```
/// use pipeplug::capability::HttpRequest;
/// let mut req = HttpRequest::new("GET", "http://h/write?db=mydb&precision=s");
/// req.set_header("Content-Type", "text/plain");
/// req.set_header("content-type", "application/json");
/// assert_eq!(req.headers.len(), 1);
/// assert_eq!(req.header("CONTENT-TYPE"), Some("application/json"));
/// assert_eq!(req.query_param("db").as_deref(), Some("mydb"));
/// assert_eq!(req.query_param("nope"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The full URL, query included.
    pub url: String,
    /// Headers, in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A request with no headers and an empty body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            url: url.into(),
            ..Self::default()
        }
    }

    /// The first value of the header `name`.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sets the header `name`, replacing every value it had.
    pub fn set_header(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        self.remove_header(&name);
        self.headers.push((name, value.into()));
    }

    /// Adds a value to the header `name`, keeping those it had.
    pub fn add_header(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.headers.push((name.into(), value.into()));
    }

    /// Removes every value of the header `name`; whether it had one.
    pub fn remove_header(&mut self, name: &str) -> bool {
        let before = self.headers.len();
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.len() != before
    }

    /// The first value of the query parameter `name`, percent-decoded (Go's
    /// `req.FormValue` for a query).
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.url.split_once('?')?.1;
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// Encodes events into bytes to send (iLogtail's `extensions.Encoder`, V1 and V2).
///
/// Each call returns the payloads to send, one or more per group (an encoder may split a
/// group that is too large).
pub trait Encoder: Send + Sync {
    /// Encodes a V1 group.
    ///
    /// # Errors
    /// The group cannot be encoded in this format.
    fn encode_v1(&self, group: &LogGroup) -> Result<Vec<Vec<u8>>, BoxError>;

    /// Encodes V1 groups; by default each with [`encode_v1`](Self::encode_v1), in order.
    ///
    /// # Errors
    /// As `encode_v1`.
    fn encode_batch_v1(&self, groups: &[LogGroup]) -> Result<Vec<Vec<u8>>, BoxError> {
        let mut out = Vec::new();
        for g in groups {
            out.extend(self.encode_v1(g)?);
        }
        Ok(out)
    }

    /// Encodes a V2 group.
    ///
    /// # Errors
    /// The group cannot be encoded in this format.
    fn encode_v2(&self, group: &PipelineGroupEvents) -> Result<Vec<Vec<u8>>, BoxError>;

    /// Encodes V2 groups; by default each with [`encode_v2`](Self::encode_v2), in order.
    ///
    /// # Errors
    /// As `encode_v2`.
    fn encode_batch_v2(&self, groups: &[PipelineGroupEvents]) -> Result<Vec<Vec<u8>>, BoxError> {
        let mut out = Vec::new();
        for g in groups {
            out.extend(self.encode_v2(g)?);
        }
        Ok(out)
    }
}

/// Decodes received bytes into events (iLogtail's `extensions.Decoder`).
///
/// `req` is the request the bytes came in, when there is one: some formats read it (the
/// InfluxDB decoder takes `db` and `precision` from its query). Reading the body (size
/// limits, decompression: Go's `ParseRequest`) is the receiving plugin's job.
pub trait Decoder: Send + Sync {
    /// Decodes into V1 logs.
    ///
    /// # Errors
    /// The bytes are not valid in this format; the message says where.
    fn decode_v1(&self, data: &[u8], req: Option<&HttpRequest>) -> Result<Vec<Log>, BoxError>;

    /// Decodes into V2 groups.
    ///
    /// # Errors
    /// The bytes are not valid in this format; the message says where.
    fn decode_v2(
        &self,
        data: &[u8],
        req: Option<&HttpRequest>,
    ) -> Result<Vec<PipelineGroupEvents>, BoxError>;
}

/// Adds credentials to an outgoing request (iLogtail's `extensions.ClientAuthenticator`,
/// whose round-tripper wrapper becomes a hook called before sending).
pub trait ClientAuthenticator: Send + Sync {
    /// Adds credentials to `req` (a header, a query parameter, a signature).
    ///
    /// # Errors
    /// No credentials can be had (a token cannot be fetched): the plugin does not send.
    fn authenticate(&self, req: &mut HttpRequest) -> Result<(), BoxError>;
}

/// What a [`RequestInterceptor`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestVerdict {
    /// Send the request (as the interceptor left it).
    Proceed,
    /// Do not send it, for this reason (a circuit breaker is open, a rate is exceeded).
    Veto(String),
}

/// Changes or vetoes an outgoing request (iLogtail's `extensions.RequestInterceptor`).
pub trait RequestInterceptor: Send + Sync {
    /// Looks at `req`, may change it, and says whether to send it.
    fn intercept(&self, req: &mut HttpRequest) -> RequestVerdict;
}

/// Filters groups before a flusher sends them (iLogtail's `extensions.FlushInterceptor`).
pub trait FlushInterceptor: Send + Sync {
    /// The group to send, changed or not, or `None` to drop it.
    fn intercept(&self, group: PipelineGroupEvents) -> Option<PipelineGroupEvents>;
}

impl Capability for dyn Encoder {
    const NAME: &'static str = "Encoder";
}
impl Capability for dyn Decoder {
    const NAME: &'static str = "Decoder";
}
impl Capability for dyn ClientAuthenticator {
    const NAME: &'static str = "ClientAuthenticator";
}
impl Capability for dyn RequestInterceptor {
    const NAME: &'static str = "RequestInterceptor";
}
impl Capability for dyn FlushInterceptor {
    const NAME: &'static str = "FlushInterceptor";
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Veto;
    impl RequestInterceptor for Veto {
        fn intercept(&self, req: &mut HttpRequest) -> RequestVerdict {
            req.set_header("X-Seen", "1");
            RequestVerdict::Veto("breaker open".into())
        }
    }

    #[test]
    fn a_capability_added_twice_keeps_the_last_and_is_listed_once() {
        struct Other;
        impl RequestInterceptor for Other {
            fn intercept(&self, _: &mut HttpRequest) -> RequestVerdict {
                RequestVerdict::Proceed
            }
        }
        let caps = Capabilities::new()
            .with::<dyn RequestInterceptor>(Arc::new(Veto))
            .with::<dyn RequestInterceptor>(Arc::new(Other));
        assert_eq!(caps.names(), ["RequestInterceptor"]);
        let i = caps.get::<dyn RequestInterceptor>().unwrap();
        let mut req = HttpRequest::new("GET", "http://h/");
        assert_eq!(i.intercept(&mut req), RequestVerdict::Proceed);
        assert_eq!(req.header("x-seen"), None);
    }

    #[test]
    fn an_interceptor_can_change_and_veto() {
        let caps = Capabilities::new().with::<dyn RequestInterceptor>(Arc::new(Veto));
        let mut req = HttpRequest::new("GET", "http://h/");
        let v = caps
            .get::<dyn RequestInterceptor>()
            .unwrap()
            .intercept(&mut req);
        assert_eq!(v, RequestVerdict::Veto("breaker open".into()));
        assert_eq!(req.header("X-SEEN"), Some("1"));
        assert!(caps.get::<dyn ClientAuthenticator>().is_none());
        assert_eq!(format!("{caps:?}"), r#"["RequestInterceptor"]"#);
    }

    #[test]
    fn headers_and_query() {
        let mut req = HttpRequest::new("POST", "http://h/w?db=a%20b&x=1#frag");
        req.add_header("Accept", "a");
        req.add_header("accept", "b");
        assert_eq!(req.header("ACCEPT"), Some("a"));
        assert!(req.remove_header("Accept"));
        assert!(!req.remove_header("Accept"));
        assert_eq!(req.query_param("db").as_deref(), Some("a b"));
        assert_eq!(req.query_param("x").as_deref(), Some("1"));
        assert_eq!(HttpRequest::new("GET", "http://h/").query_param("db"), None);
    }
}
