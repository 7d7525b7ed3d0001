//! Parsing of the attributes: `#[service_input(...)]` (and its siblings) on the struct,
//! `#[config(...)]` and `#[state]` on its fields.
//!
//! Nothing here returns early on a user mistake: each bad key or value is reported to the
//! [`Ctxt`] and parsing goes on, so that the user sees every error of the item at once
//! (`serde_derive`'s `attr.rs` does the same).

use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use crate::kind::Kind;
use crate::symbol;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, ExprLit, Lit, LitBool, LitStr, Token};

/// The arguments of the plugin attribute.
pub(crate) struct PluginArgs {
    /// `name = "..."`.
    pub(crate) name: Option<LitStr>,
    /// Whether a `name` key was written at all (valid or not).
    pub(crate) name_written: bool,
    /// `crate = "..."`, parsed as a path (spanned on the string, so that a path that does
    /// not resolve is reported there).
    pub(crate) krate: Option<syn::Path>,
    /// `lenient`.
    pub(crate) lenient: bool,
    /// `conformance = false` turns it off.
    pub(crate) conformance: bool,
    /// `rename_all = "..."`.
    pub(crate) rename_all: Option<RenameRule>,
    /// `validate = "path"`, parsed as a path spanned on the string.
    pub(crate) validate: Option<syn::ExprPath>,
    /// `example = "..."`: an example config (YAML), checked by the conformance tests.
    pub(crate) example: Option<LitStr>,
}

/// A value that may be given once.
struct Once<'c, T> {
    cx: &'c Ctxt,
    key: &'static str,
    context: String,
    value: Option<T>,
}

impl<'c, T> Once<'c, T> {
    fn new(cx: &'c Ctxt, key: &'static str, context: &str) -> Self {
        Self {
            cx,
            key,
            context: context.to_owned(),
            value: None,
        }
    }

    /// Sets the value, or reports a duplicate at `key_tokens`.
    fn set<K: ToTokens>(&mut self, key_tokens: K, value: T) {
        if self.value.is_some() {
            self.cx.error_spanned_by(
                key_tokens,
                format!("duplicate `{}` in `{}`", self.key, self.context),
            );
        } else {
            self.value = Some(value);
        }
    }
}

/// Consumes the value of a key we reject, so that parsing goes on after it.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// The string after `key =`, or an error saying a string is wanted.
fn string_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: &str,
    example: &str,
) -> syn::Result<Option<LitStr>> {
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Some(s)),
        other => {
            cx.error_spanned_by(
                other,
                format!("`{key}` takes a string literal, as in `{key} = {example}`"),
            );
            Ok(None)
        }
    }
}

/// `key` (meaning true) or `key = true|false`.
fn flag_value(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<Option<bool>> {
    if !meta.input.peek(Token![=]) {
        return Ok(Some(true));
    }
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(LitBool { value, .. }),
            ..
        }) => Ok(Some(value)),
        other => {
            cx.error_spanned_by(
                other,
                format!("`{key}` takes `true` or `false`, as in `{key} = false`"),
            );
            Ok(None)
        }
    }
}

/// The string of `example = "..."`, which must not be blank.
fn example_value(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<LitStr>> {
    let value = string_value(cx, meta, symbol::EXAMPLE, "\"SourceKey: content\"")?;
    if let Some(s) = &value {
        if s.value().trim().is_empty() {
            cx.error_spanned_by(
                s,
                "`example` must not be empty: give a config in YAML with the plugin's keys, \
                 such as \"SourceKey: content\"",
            );
        }
    }
    Ok(value)
}

/// The key as the user wrote it, for messages.
fn key_text(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.to_token_stream().to_string().replace(' ', "")
}

impl PluginArgs {
    /// Parses the tokens inside `#[service_input(...)]`.
    pub(crate) fn parse(cx: &Ctxt, kind: Kind, args: TokenStream) -> Self {
        let context = format!("#[{}(...)]", kind.attr());
        let mut name = Once::new(cx, symbol::NAME, &context);
        let mut krate = Once::new(cx, symbol::CRATE, &context);
        let mut lenient = Once::new(cx, symbol::LENIENT, &context);
        let mut conformance = Once::new(cx, symbol::CONFORMANCE, &context);
        let mut rename_all = Once::new(cx, symbol::RENAME_ALL, &context);
        let mut validate = Once::new(cx, symbol::VALIDATE, &context);
        let mut example = Once::new(cx, symbol::EXAMPLE, &context);
        let example_name = format!("\"{}my_plugin\"", kind.prefix());
        let mut name_written = false;

        let parser = syn::meta::parser(|meta| {
            let key = &meta.path;
            if key.is_ident(symbol::NAME) {
                name_written = true;
                if let Some(s) = string_value(cx, &meta, symbol::NAME, &example_name)? {
                    name.set(key, s);
                }
            } else if key.is_ident(symbol::CRATE) {
                if let Some(s) = string_value(cx, &meta, symbol::CRATE, "\"::pipeplug\"")? {
                    match s.parse::<syn::Path>() {
                        Ok(path) => krate.set(key, path),
                        Err(_) => cx.error_spanned_by(
                            &s,
                            format!(
                                "`crate` takes the path of the `pipeplug` crate, such as \
                                 \"::pipeplug\" or \"my_framework::pipeplug\"; `{}` is not a path",
                                s.value()
                            ),
                        ),
                    }
                }
            } else if key.is_ident(symbol::LENIENT) {
                if let Some(b) = flag_value(cx, &meta, symbol::LENIENT)? {
                    lenient.set(key, b);
                }
            } else if key.is_ident(symbol::CONFORMANCE) {
                if let Some(b) = flag_value(cx, &meta, symbol::CONFORMANCE)? {
                    conformance.set(key, b);
                }
            } else if key.is_ident(symbol::RENAME_ALL) {
                if let Some(s) = string_value(cx, &meta, symbol::RENAME_ALL, "\"PascalCase\"")? {
                    match RenameRule::from_str(&s.value()) {
                        Some(rule) => rename_all.set(key, rule),
                        None => cx.error_spanned_by(
                            &s,
                            format!(
                                "unknown `rename_all` rule `{}`; accepted rules: {}",
                                s.value(),
                                symbol::list(symbol::RENAME_RULES)
                            ),
                        ),
                    }
                }
            } else if key.is_ident(symbol::VALIDATE) {
                if let Some(s) = string_value(cx, &meta, symbol::VALIDATE, "\"Self::validate\"")? {
                    match s.parse::<syn::ExprPath>() {
                        Ok(path) => validate.set(key, path),
                        Err(_) => cx.error_spanned_by(
                            &s,
                            format!(
                                "`validate` takes the path of a function \
                                 `fn(&Self) -> Result<(), ConfigProblem>`, such as \"Self::validate\"; \
                                 `{}` is not a path",
                                s.value()
                            ),
                        ),
                    }
                }
            } else if key.is_ident(symbol::EXAMPLE) {
                if let Some(s) = example_value(cx, &meta)? {
                    example.set(key, s);
                }
            } else {
                cx.error_spanned_by(
                    key,
                    format!(
                        "unknown key `{}` in `{context}`{}; accepted keys: {}",
                        key_text(&meta),
                        symbol::did_you_mean(&key_text(&meta), symbol::PLUGIN_KEYS),
                        symbol::list(symbol::PLUGIN_KEYS)
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = parser.parse2(args) {
            cx.syn_error(e);
        }

        Self {
            name: name.value,
            name_written,
            krate: krate.value,
            lenient: lenient.value.unwrap_or(false),
            conformance: conformance.value.unwrap_or(true),
            rename_all: rename_all.value,
            validate: validate.value,
            example: example.value,
        }
    }
}

/// The helper attributes of one field.
pub(crate) struct FieldAttrs<'a> {
    /// The first `#[config(...)]`, for errors about it as a whole.
    pub(crate) config: Option<&'a syn::Attribute>,
    /// `#[state]`.
    pub(crate) state: Option<&'a syn::Attribute>,
    /// `default = expr`.
    pub(crate) default: Option<Expr>,
    /// `rename = "..."`.
    pub(crate) rename: Option<LitStr>,
    /// `unit = "..."`, with the runtime's `DurationUnit` variant.
    pub(crate) unit: Option<(LitStr, &'static str)>,
    /// `required` (or `required = true`), with the key's tokens for errors.
    pub(crate) required: Option<syn::Path>,
}

/// Whether `attr` is one of the field helper attributes the macros consume.
pub(crate) fn is_helper(attr: &syn::Attribute) -> bool {
    attr.path().is_ident(symbol::CONFIG) || attr.path().is_ident(symbol::STATE)
}

impl<'a> FieldAttrs<'a> {
    pub(crate) fn parse(cx: &Ctxt, field: &'a syn::Field) -> Self {
        let context = "#[config(...)]";
        let mut default = Once::new(cx, symbol::DEFAULT, context);
        let mut rename = Once::new(cx, symbol::RENAME, context);
        let mut unit = Once::new(cx, symbol::UNIT, context);
        let mut required = Once::new(cx, symbol::REQUIRED, context);
        let mut config = None;
        let mut state = None;

        for attr in &field.attrs {
            if attr.path().is_ident(symbol::STATE) {
                if state.is_some() {
                    cx.error_spanned_by(attr, "duplicate `#[state]`");
                }
                state = Some(attr);
                if !matches!(attr.meta, syn::Meta::Path(_)) {
                    cx.error_spanned_by(&attr.meta, "`#[state]` takes no arguments");
                }
                continue;
            }
            if !attr.path().is_ident(symbol::CONFIG) {
                continue;
            }
            config.get_or_insert(attr);
            if let syn::Meta::Path(_) = attr.meta {
                continue; // `#[config]` alone: a config field with no options
            }
            let result = attr.parse_nested_meta(|meta| {
                let key = &meta.path;
                if key.is_ident(symbol::DEFAULT) {
                    let expr: Expr = meta.value()?.parse()?;
                    default.set(key, expr);
                } else if key.is_ident(symbol::RENAME) {
                    if let Some(s) = string_value(cx, &meta, symbol::RENAME, "\"IntervalMs\"")? {
                        if s.value().is_empty() {
                            cx.error_spanned_by(&s, "`rename` must not be empty");
                        }
                        rename.set(key, s);
                    }
                } else if key.is_ident(symbol::UNIT) {
                    if let Some(s) = string_value(cx, &meta, symbol::UNIT, "\"ms\"")? {
                        let value = s.value();
                        match symbol::UNITS.iter().find(|(u, _)| *u == value) {
                            Some((_, variant)) => unit.set(key, (s, *variant)),
                            None => cx.error_spanned_by(
                                &s,
                                format!(
                                    "unknown unit `{value}`; accepted units: {}",
                                    symbol::list(
                                        &symbol::UNITS.iter().map(|(u, _)| *u).collect::<Vec<_>>()
                                    )
                                ),
                            ),
                        }
                    }
                } else if key.is_ident(symbol::REQUIRED) {
                    if let Some(b) = flag_value(cx, &meta, symbol::REQUIRED)? {
                        required.set(key, b.then(|| key.clone()));
                    }
                } else {
                    cx.error_spanned_by(
                        key,
                        format!(
                            "unknown key `{}` in `#[config(...)]`{}; accepted keys: {}",
                            key_text(&meta),
                            symbol::did_you_mean(&key_text(&meta), symbol::CONFIG_KEYS),
                            symbol::list(symbol::CONFIG_KEYS)
                        ),
                    );
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = result {
                cx.syn_error(e);
            }
        }

        Self {
            config,
            state,
            default: default.value,
            rename: rename.value,
            unit: unit.value,
            required: required.value.flatten(),
        }
    }
}

/// The span to blame when the attribute itself is missing something (`name`).
pub(crate) fn attribute_span() -> Span {
    Span::call_site()
}
