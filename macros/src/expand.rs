//! Code generation: the only file that builds the output of a successful expansion.
//!
//! [`plugin`] runs the phases (parse → check → expand) and hands errors to `fallback.rs`.
//! Generated code names runtime items only as `#krate::__private::...` (`::pipeplug` unless
//! `crate = "..."`) and std items as `::core::...`, so that it compiles under
//! `#![no_implicit_prelude]` and with the user's own `Result` or `Option` in scope.

use crate::ast::{Default, Field, Plugin, Shape};
use crate::attr::PluginArgs;
use crate::ctxt::Ctxt;
use crate::kind::Kind;
use crate::{fallback, valid};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

/// Expands `#[<kind>(args)] item`.
pub(crate) fn plugin(kind: Kind, args: TokenStream, input: &TokenStream) -> TokenStream {
    let item: syn::Item = match syn::parse2(input.clone()) {
        Ok(item) => item,
        // Not an item at all: rustc reports the syntax error when it parses the input.
        Err(err) => return fallback::unparsed(input, &err),
    };
    let cx = Ctxt::new();
    let args = PluginArgs::parse(&cx, kind, args);
    let plugin = Plugin::from_syn(&cx, kind, args, &item);
    if let Some(plugin) = &plugin {
        valid::check(&cx, plugin);
    }
    match (cx.check(), plugin) {
        (Ok(()), Some(plugin)) => expand(&plugin),
        (result, plugin) => fallback::expand(&item, plugin.as_ref(), result.err()),
    }
}

/// `#krate` of the generated paths: `::pipeplug`, or the `crate = "..."` path.
pub(crate) fn krate(args: &PluginArgs) -> TokenStream {
    match &args.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::pipeplug),
    }
}

/// Everything generated for a checked plugin:
///
/// ```text
/// pub struct MyInput { ... }                        // without #[config] / #[state]
/// const _: () = {
///     impl Plugin for MyInput { fn description(&self) -> &str { "..." } }
///     impl PluginConfig for MyInput { NAME, FIELDS, from_config, to_config }
///     const _: () = assert!(MyInput implements V1 or V2, "...");
///     static DESCRIPTOR: PluginDescriptor = ...;   // factories from `glue`
///     static NODE: Node = Node::new(&DESCRIPTOR);
///     ctor! { #[ctor(unsafe, anonymous)] fn register() { submit(&NODE) } }
/// };
/// #[cfg(test)] mod __pipeplug_conformance_<name> { #[test] fn pipeplug_conformance() { ... } }
/// ```
fn expand(plugin: &Plugin<'_>) -> TokenStream {
    let krate = krate(&plugin.args);
    let private = quote!(#krate::__private);
    let item = crate::ast::without_helpers(plugin.item);
    let plugin_impl = impl_plugin(plugin, &private);
    let config_impl = impl_plugin_config(plugin, &private);
    let registration = registration(plugin, &private);
    let conformance = conformance(plugin, &krate);
    let probe_scope = quote!(use #private::glue::NotImplemented as _;);
    quote! {
        #item

        #[doc(hidden)]
        const _: () = {
            #probe_scope
            #plugin_impl
            #config_impl
            #registration
        };

        #conformance
    }
}

/// The name, as the string literal the user wrote (its span included).
fn name_lit(plugin: &Plugin<'_>) -> TokenStream {
    match &plugin.args.name {
        Some(lit) => lit.to_token_stream(),
        None => quote!(""),
    }
}

// impl Plugin for MyInput {
//     fn description(&self) -> &str { "Custom service input." }
// }
fn impl_plugin(plugin: &Plugin<'_>, private: &TokenStream) -> TokenStream {
    let ident = &plugin.item.ident;
    let description = plugin.description.as_deref().unwrap_or_default();
    quote! {
        #[automatically_derived]
        impl #private::Plugin for #ident {
            fn description(&self) -> &str {
                #description
            }
        }
    }
}

/// The local holding a field's decoded value in `from_config`.
fn local(index: usize) -> Ident {
    format_ident!("__pipeplug_field{}", index)
}

// impl PluginConfig for MyInput {
//     const NAME: &'static str = "service_x";
//     const FIELDS: &'static [ConfigField] = &[ConfigField { key: "interval", ... }, ...];
//     fn from_config(config: &Value) -> Result<Self, ConfigError> {
//         let mut decoder = Decoder::options(NAME, &["interval", ...])
//             .lenient(lenient).engine_keys(engine_keys(PluginKind::ServiceInput))
//             .decode(config)?;
//         let field0 = decoder.duration(0, DurationUnit::Nanos);
//         ...
//         decoder.required(1);                // each `#[config(required)]` field
//         decoder.finish()?;
//         Ok(Self { interval: match field0 { Some(v) => v, None => <default> }, ... })
//     }
//     fn to_config(&self) -> Value {
//         let mut encoder = Encoder::new();
//         encoder.duration("interval", &self.interval);
//         ...
//         encoder.finish()
//     }
// }
fn impl_plugin_config(plugin: &Plugin<'_>, private: &TokenStream) -> TokenStream {
    let ident = &plugin.item.ident;
    let name = name_lit(plugin);
    let lenient = plugin.args.lenient;
    let config: Vec<&Field<'_>> = plugin.fields.iter().filter(|f| f.is_config()).collect();
    let descriptors = config.iter().map(|f| field_descriptor(f, private));
    let keys = config.iter().map(|f| &f.key);
    let decodes = config
        .iter()
        .enumerate()
        .map(|(index, f)| decode_field(index, f, private));
    let requires = config
        .iter()
        .enumerate()
        .filter(|(_, f)| f.attrs.required.is_some())
        .map(|(index, _)| quote!(__pipeplug_decoder.required(#index);));
    let variant = Ident::new(plugin.kind.variant(), Span::call_site());
    let example = match &plugin.args.example {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    };

    let inits = field_inits(plugin, private, &name);
    let construct = match plugin.item.fields {
        syn::Fields::Named(_) => quote!(Self { #(#inits,)* }),
        syn::Fields::Unit | syn::Fields::Unnamed(_) => quote!(Self),
    };

    let encodes = config.iter().map(|f| {
        let key = &f.key;
        let ident = f.ident;
        let method = match f.shape {
            Shape::Duration => quote!(duration),
            Shape::OptionDuration => quote!(optional_duration),
            Shape::Serde => quote!(value),
        };
        quote_spanned! {f.ty.span()=>
            __pipeplug_encoder.#method(#key, &self.#ident);
        }
    });
    let decoder_mut = if config.is_empty() {
        quote!()
    } else {
        quote!(mut)
    };
    let encoder_mut = decoder_mut.clone();
    // With `validate = "path"`: the decoded plugin goes through the user's check, whose
    // problem becomes the config error (spanned on the path, so a wrong signature is
    // reported there).
    let finish = match &plugin.args.validate {
        None => quote!(::core::result::Result::Ok(#construct)),
        Some(path) => {
            let check = quote_spanned! {path.span()=>
                #private::validated(#name, #path(&__pipeplug_plugin))?;
            };
            quote! {
                let __pipeplug_plugin = #construct;
                #check
                ::core::result::Result::Ok(__pipeplug_plugin)
            }
        }
    };

    quote! {
        #[automatically_derived]
        impl #private::PluginConfig for #ident {
            const NAME: &'static str = #name;
            const FIELDS: &'static [#private::ConfigField] = &[#(#descriptors),*];
            const EXAMPLE: ::core::option::Option<&'static str> = #example;

            fn from_config(
                __pipeplug_config: &#private::Value,
            ) -> ::core::result::Result<Self, #private::ConfigError> {
                let #decoder_mut __pipeplug_decoder = #private::Decoder::options(#name, &[#(#keys),*])
                    .lenient(#lenient)
                    .engine_keys(#private::engine_keys(#private::PluginKind::#variant))
                    .decode(__pipeplug_config)?;
                #(#decodes)*
                #(#requires)*
                __pipeplug_decoder.finish()?;
                #finish
            }

            fn to_config(&self) -> #private::Value {
                let #encoder_mut __pipeplug_encoder = #private::Encoder::new();
                #(#encodes)*
                __pipeplug_encoder.finish()
            }
        }
    }
}

/// `field: value` of each field in `from_config`: a config field's decoded value or its
/// default (a required one returns an error instead), a `#[state]` field's `Default`.
fn field_inits(plugin: &Plugin<'_>, private: &TokenStream, name: &TokenStream) -> Vec<TokenStream> {
    let mut config_index = 0;
    plugin
        .fields
        .iter()
        .map(|f| {
            let ident = f.ident;
            if !f.is_config() {
                let ty = f.ty;
                return quote_spanned!(ty.span()=> #ident: ::core::default::Default::default());
            }
            let local = local(config_index);
            config_index += 1;
            // A required field was given, or `finish` reported it: no default is needed (nor
            // `Default` of its type).
            let default = if f.attrs.required.is_some() {
                let key = &f.key;
                quote! {
                    return ::core::result::Result::Err(#private::missing_required(#name, #key))
                }
            } else {
                default_value(f)
            };
            quote! {
                #ident: match #local {
                    ::core::option::Option::Some(__pipeplug_value) => __pipeplug_value,
                    ::core::option::Option::None => #default,
                }
            }
        })
        .collect()
}

/// `ConfigField { key, type_name, default, doc, unit, required }` of one config field.
fn field_descriptor(f: &Field<'_>, private: &TokenStream) -> TokenStream {
    let key = &f.key;
    let type_name = f.type_name();
    let default = match &f.attrs.default {
        Some(expr) => {
            let text = expr.to_token_stream().to_string();
            quote!(::core::option::Option::Some(#text))
        }
        None => quote!(::core::option::Option::None),
    };
    let doc = &f.doc;
    let required = f.attrs.required.is_some();
    let unit = match f.shape {
        Shape::Duration | Shape::OptionDuration => {
            let unit = f
                .attrs
                .unit
                .as_ref()
                .map_or("ns".to_owned(), |(lit, _)| lit.value());
            quote!(::core::option::Option::Some(#unit))
        }
        Shape::Serde => quote!(::core::option::Option::None),
    };
    quote! {
        #private::ConfigField {
            key: #key,
            type_name: #type_name,
            default: #default,
            doc: #doc,
            unit: #unit,
            required: #required,
        }
    }
}

/// `let fieldN = decoder.<method>(N, ...);`: decodes one config field, spanned at its type so
/// that a type that is not `Deserialize` is reported there.
fn decode_field(index: usize, f: &Field<'_>, private: &TokenStream) -> TokenStream {
    let local = local(index);
    let ty = f.ty;
    match f.shape {
        Shape::Duration | Shape::OptionDuration => {
            let method = if f.shape == Shape::Duration {
                quote!(duration)
            } else {
                quote!(optional_duration)
            };
            let unit = Ident::new(
                f.attrs
                    .unit
                    .as_ref()
                    .map_or("Nanos", |(_, variant)| variant),
                Span::call_site(),
            );
            quote_spanned! {ty.span()=>
                let #local = __pipeplug_decoder.#method(#index, #private::DurationUnit::#unit);
            }
        }
        Shape::Serde => {
            let type_name = f.type_name();
            quote_spanned! {ty.span()=>
                let #local = __pipeplug_decoder.value::<#ty>(#index, #type_name);
            }
        }
    }
}

/// The value of a config field absent from the config.
fn default_value(f: &Field<'_>) -> TokenStream {
    match &f.default {
        Default::Implicit => {
            quote_spanned!(f.ty.span()=> ::core::default::Default::default())
        }
        Default::Duration { lit, parsed } => {
            // `valid` rejected unparsable defaults before expansion.
            let (secs, nanos) = parsed.as_ref().map_or((0, 0), |d| *d);
            let (secs, nanos) = (
                Literal::u64_unsuffixed(secs),
                Literal::u32_unsuffixed(nanos),
            );
            let duration = quote_spanned!(lit.span()=> ::core::time::Duration::new(#secs, #nanos));
            if f.shape == Shape::OptionDuration {
                quote!(::core::option::Option::Some(#duration))
            } else {
                duration
            }
        }
        // A string for a non-duration field is converted (`String`, `PathBuf`, ...), so
        // `default = "x"` works as it reads; rustc checks `From<&str>` at the string.
        Default::Expr(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        })) => quote_spanned!(lit.span()=> ::core::convert::From::from(#lit)),
        // Bound to the field's type, so that a default of the wrong type is reported as
        // "expected `u32`, found ..." at the default.
        Default::Expr(expr) => {
            let ty = f.ty;
            quote! {{
                let __pipeplug_default: #ty = #expr;
                __pipeplug_default
            }}
        }
    }
}

/// The descriptor, its node, and the constructor linking the node before `main`.
fn registration(plugin: &Plugin<'_>, private: &TokenStream) -> TokenStream {
    let ident = &plugin.item.ident;
    let name = name_lit(plugin);
    let description = plugin.description.as_deref().unwrap_or_default();
    let variant = Ident::new(plugin.kind.variant(), Span::call_site());
    let (native, factories, assertion) = match plugin.kind.interfaces() {
        Some(interfaces) => {
            let probe = |c: &str| {
                let c = Ident::new(c, Span::call_site());
                quote!(#private::glue::Probe::<#ident>::#c)
            };
            let (p1, p2) = (probe(interfaces.probe_v1), probe(interfaces.probe_v2));
            let glue = quote!(#private::glue::Glue::<#ident, { #p1 }, { #p2 }>);
            let f1 = Ident::new(interfaces.factory_v1, Span::call_site());
            let f2 = Ident::new(interfaces.factory_v2, Span::call_site());
            let message = format!(
                "`{ident}` is {} but implements neither `{}` nor `{}`: implement one of \
                 them, or both (the other one is adapted)",
                plugin.kind.with_article(),
                interfaces.v1,
                interfaces.v2,
            );
            (
                quote!(#private::Native { v1: #p1, v2: #p2 }),
                quote!(#private::Factories::#variant { v1: &#glue::#f1, v2: &#glue::#f2 }),
                quote_spanned! {ident.span()=>
                    const _: () = ::core::assert!(#p1 || #p2, #message);
                },
            )
        }
        None => {
            let probe = quote!(#private::glue::Probe::<#ident>::EXTENSION);
            let message = format!(
                "`{ident}` is an extension but does not implement `Extension`: add `impl \
                 Extension for {ident} {{}}` (its methods have defaults)"
            );
            // `{{`/`}}` would be format arguments in `assert!`'s message.
            let message = message.replace('{', "{{").replace('}', "}}");
            (
                quote!(#private::Native { v1: true, v2: true }),
                quote! {
                    #private::Factories::Extension {
                        new: &#private::glue::ExtensionGlue::<#ident, { #probe }>::extension,
                    }
                },
                quote_spanned! {ident.span()=>
                    const _: () = ::core::assert!(#probe, #message);
                },
            )
        }
    };
    let line = quote_spanned!(ident.span()=> ::core::line!());
    let file = quote_spanned!(ident.span()=> ::core::file!());
    quote! {
        #assertion

        static __PIPEPLUG_DESCRIPTOR: #private::PluginDescriptor = #private::PluginDescriptor {
            name: #name,
            description: #description,
            config_fields: <#ident as #private::PluginConfig>::FIELDS,
            source: #private::SourceLocation {
                crate_name: ::core::env!("CARGO_PKG_NAME"),
                file: #file,
                line: #line,
            },
            native: #native,
            factories: #factories,
            defaults: #private::glue::defaults::<#ident>,
            example: <#ident as #private::PluginConfig>::EXAMPLE,
        };

        static __PIPEPLUG_NODE: #private::Node = #private::Node::new(&__PIPEPLUG_DESCRIPTOR);

        // Runs before `main`: links a static node, so it allocates nothing, takes no lock
        // and cannot panic.
        #private::ctor::declarative::ctor! {
            #[ctor(unsafe, anonymous)]
            fn __pipeplug_register() {
                #private::submit(&__PIPEPLUG_NODE);
            }
        }
    }
}

/// `#krate` as seen from a module nested in the user's: `self::x` becomes `super::x`.
fn krate_from_child(krate: &TokenStream) -> TokenStream {
    let Ok(path) = syn::parse2::<syn::Path>(krate.clone()) else {
        return krate.clone();
    };
    match path.segments.first() {
        Some(first) if path.leading_colon.is_none() && first.ident == "self" => {
            let rest = path.segments.iter().skip(1);
            quote!(super #(:: #rest)*)
        }
        Some(first) if path.leading_colon.is_none() && first.ident == "super" => {
            quote!(super::#path)
        }
        _ => krate.clone(),
    }
}

// #[cfg(test)]
// mod __pipeplug_conformance_service_x {
//     #[test]
//     fn pipeplug_conformance() { conformance_test(PluginKind::ServiceInput, "service_x") }
// }
fn conformance(plugin: &Plugin<'_>, krate: &TokenStream) -> TokenStream {
    if !plugin.args.conformance {
        return quote!();
    }
    let Some(name) = &plugin.args.name else {
        return quote!();
    };
    let module = format_ident!("__pipeplug_conformance_{}", name.value());
    let krate = krate_from_child(krate);
    let variant = Ident::new(plugin.kind.variant(), Span::call_site());
    quote! {
        #[cfg(test)]
        #[doc(hidden)]
        mod #module {
            // Lets a `crate = "..."` path that names an import of the parent module resolve.
            #[allow(unused_imports)]
            use super::*;

            #[::core::prelude::v1::test]
            fn pipeplug_conformance() {
                #krate::__private::conformance_test(
                    #krate::__private::PluginKind::#variant,
                    #name,
                );
            }
        }
    }
}
