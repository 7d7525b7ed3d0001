//! The rules a plugin must follow, each in its own function, checked after parsing and
//! before any code is generated (thiserror's `valid.rs`, serde's `check.rs`).

use crate::ast::{Default, Field, Plugin, Shape};
use crate::attr;
use crate::ctxt::Ctxt;
use crate::kind::Kind;
use quote::ToTokens;

/// Checks every rule, reporting each broken one to `cx`.
pub(crate) fn check(cx: &Ctxt, plugin: &Plugin<'_>) {
    check_struct_shape(cx, plugin);
    check_name(cx, plugin);
    check_description(cx, plugin);
    for field in &plugin.fields {
        check_state_is_not_config(cx, field);
        check_unit_on_duration(cx, field);
        check_duration_default(cx, field);
        check_required_without_default(cx, field);
    }
    check_unique_keys(cx, plugin);
}

/// A required key has no default: the config always gives it.
///
/// ```text
/// #[config(required, default = "content")] source_key: String,   // error at `default`
/// ```
fn check_required_without_default(cx: &Ctxt, field: &Field<'_>) {
    if let (Some(_), Some(default)) = (&field.attrs.required, &field.attrs.default) {
        cx.error_spanned_by(
            default,
            format!(
                "`{}` is `required`, so it has no default: remove `default` (or `required`, \
                 to make the key optional)",
                field.ident
            ),
        );
    }
}

/// A plugin is a struct with named fields (or none), without generic parameters: the
/// registry stores one factory per plugin, which must build one concrete type. A tuple
/// struct has no field names to use as config keys.
///
/// ```text
/// #[processor(name = "processor_x")] struct X<T>(T);   // two errors
/// ```
fn check_struct_shape(cx: &Ctxt, plugin: &Plugin<'_>) {
    let attr = plugin.kind.attr();
    let generics = &plugin.item.generics;
    if !generics.params.is_empty() || generics.where_clause.is_some() {
        cx.error_spanned_by(
            generics,
            format!(
                "`#[{attr}]` does not support generic parameters: the registry builds a \
                 plugin from its name alone, so it needs one concrete type; write a \
                 non-generic struct (wrap a generic one if needed)"
            ),
        );
    }
    if let syn::Fields::Unnamed(fields) = &plugin.item.fields {
        cx.error_spanned_by(
            fields,
            format!(
                "`#[{attr}]` needs a struct with named fields (or a unit struct): config keys \
                 are field names"
            ),
        );
    }
}

/// `name = "..."` is given, non-empty, made of `[a-z0-9_]`, and starts with the kind's
/// prefix followed by at least one character: `#[service_input(name = "service_x")]`.
fn check_name(cx: &Ctxt, plugin: &Plugin<'_>) {
    let kind = plugin.kind;
    let (attr, prefix) = (kind.attr(), kind.prefix());
    let Some(lit) = &plugin.args.name else {
        if plugin.args.name_written {
            return; // written, but not as a string: reported by `attr`
        }
        cx.error_at(
            attr::attribute_span(),
            format!("missing `name`: write `#[{attr}(name = \"{prefix}my_plugin\")]`"),
        );
        return;
    };
    let name = lit.value();
    if name.is_empty() {
        cx.error_spanned_by(
            lit,
            format!(
                "`name` is empty: {} is named like \"{prefix}my_plugin\"",
                kind.with_article()
            ),
        );
        return;
    }
    let mut bad: Vec<char> = name
        .chars()
        .filter(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_'))
        .collect();
    bad.dedup();
    if !bad.is_empty() {
        let shown = bad
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let noun = if bad.len() == 1 {
            "character"
        } else {
            "characters"
        };
        cx.error_spanned_by(
            lit,
            format!(
                "invalid {noun} {shown} in plugin name \"{name}\": names use only lowercase \
                 letters, digits and `_`"
            ),
        );
        return;
    }
    if !name.starts_with(prefix) {
        let other = [
            Kind::MetricInput,
            Kind::ServiceInput,
            Kind::Processor,
            Kind::Aggregator,
            Kind::Flusher,
            Kind::Extension,
        ]
        .into_iter()
        .find(|k| name.starts_with(k.prefix()));
        let hint = match other {
            Some(k) => format!(
                "; `{}` names {}: use `#[{}]` for that",
                k.prefix(),
                k.with_article(),
                k.attr()
            ),
            None => format!(", as in \"{prefix}{name}\""),
        };
        cx.error_spanned_by(
            lit,
            format!(
                "the name of {} must start with `{prefix}`{hint}",
                kind.with_article()
            ),
        );
    } else if name.len() == prefix.len() {
        cx.error_spanned_by(
            lit,
            format!("\"{name}\" is only the prefix: add a word, as in \"{prefix}my_plugin\""),
        );
    }
}

/// The struct has a doc comment: its first paragraph is the plugin's description, shown by
/// `pipeplug list` and in generated docs (Vector requires docs the same way).
fn check_description(cx: &Ctxt, plugin: &Plugin<'_>) {
    if plugin.description.is_none() {
        let ident = &plugin.item.ident;
        cx.error_spanned_by(
            ident,
            format!(
                "missing doc comment on `{ident}`: its first paragraph is the plugin's \
                 description; add `/// What the plugin does.` above the struct"
            ),
        );
    }
}

/// A `#[state]` field is runtime state, built with `Default`; it has no config options.
fn check_state_is_not_config(cx: &Ctxt, field: &Field<'_>) {
    if let (Some(_), Some(config)) = (field.attrs.state, field.attrs.config) {
        cx.error_spanned_by(
            config,
            format!(
                "`{}` is `#[state]`, which is not config: remove `#[config(...)]` or `#[state]`",
                field.ident
            ),
        );
    }
}

/// `unit = "ms"` says how to read an integer duration, so it needs a duration field.
fn check_unit_on_duration(cx: &Ctxt, field: &Field<'_>) {
    if let Some((lit, _)) = &field.attrs.unit {
        if field.shape == Shape::Serde {
            cx.error_spanned_by(
                lit,
                format!(
                    "`unit` applies only to `Duration` and `Option<Duration>` fields; `{}` is `{}`",
                    field.ident,
                    field.type_name()
                ),
            );
        }
    }
}

/// `default = "..."` on a duration field is a humantime duration, parsed now.
fn check_duration_default(cx: &Ctxt, field: &Field<'_>) {
    if let Default::Duration {
        lit,
        parsed: Err(reason),
    } = &field.default
    {
        cx.error_spanned_by(
            lit,
            format!("invalid duration \"{}\": {reason}", lit.value()),
        );
    }
}

/// Two config fields cannot have one key (after `rename` and `rename_all`).
fn check_unique_keys(cx: &Ctxt, plugin: &Plugin<'_>) {
    let config: Vec<&Field<'_>> = plugin.fields.iter().filter(|f| f.is_config()).collect();
    for (i, field) in config.iter().enumerate() {
        if let Some(first) = config[..i].iter().find(|f| f.key == field.key) {
            let at = field
                .attrs
                .rename
                .as_ref()
                .map_or_else(|| field.ident.to_token_stream(), ToTokens::to_token_stream);
            cx.error_spanned_by(
                at,
                format!(
                    "config key `{}` is used by two fields, `{}` and `{}`",
                    field.key, first.ident, field.ident
                ),
            );
        }
    }
}
