//! The typed model of an annotated item: what `expand` works from.
//!
//! Built from syn's tree; each node keeps a reference to the user's tokens (`original`,
//! `item`) so that later phases can point at them. Problems found while parsing go to the
//! [`Ctxt`]; the rules that look at several parts at once are in `valid.rs`.

use crate::attr::{self, FieldAttrs, PluginArgs};
use crate::ctxt::Ctxt;
use crate::duration;
use crate::kind::Kind;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Expr, ExprLit, Lit, LitStr};

/// An annotated struct.
pub(crate) struct Plugin<'a> {
    pub(crate) kind: Kind,
    pub(crate) args: PluginArgs,
    pub(crate) item: &'a syn::ItemStruct,
    /// The first paragraph of the struct's doc comment, if it has one.
    pub(crate) description: Option<String>,
    pub(crate) fields: Vec<Field<'a>>,
}

/// How a field's type is decoded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `Duration`: a humantime string or an integer of its unit.
    Duration,
    /// `Option<Duration>`: as `Duration`, and `null`.
    OptionDuration,
    /// Anything else: serde.
    Serde,
}

/// A field's default.
pub(crate) enum Default {
    /// `Default::default()`.
    Implicit,
    /// `default = expr`, type-checked by rustc.
    Expr(Expr),
    /// `default = "5s"` on a duration field, parsed now: `(secs, nanos)` or why not.
    Duration {
        lit: LitStr,
        parsed: Result<(u64, u32), String>,
    },
}

/// A named field of the struct.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) ty: &'a syn::Type,
    pub(crate) shape: Shape,
    pub(crate) attrs: FieldAttrs<'a>,
    /// The config key: `rename`, else the field name after `rename_all`.
    pub(crate) key: String,
    pub(crate) default: Default,
    /// The field's doc comment.
    pub(crate) doc: String,
}

impl Field<'_> {
    /// Whether this field is config (not `#[state]`).
    pub(crate) fn is_config(&self) -> bool {
        self.attrs.state.is_none()
    }

    /// The type as the user wrote it, tidied (`Vec<String>`).
    pub(crate) fn type_name(&self) -> String {
        type_name(self.ty)
    }
}

impl<'a> Plugin<'a> {
    /// The model of `item`, or `None` (with an error) when it is not a struct.
    pub(crate) fn from_syn(
        cx: &Ctxt,
        kind: Kind,
        args: PluginArgs,
        item: &'a syn::Item,
    ) -> Option<Self> {
        let what = match item {
            syn::Item::Struct(item) => {
                let rename_all = args.rename_all;
                let fields = match &item.fields {
                    syn::Fields::Named(named) => named
                        .named
                        .iter()
                        .filter_map(|f| Field::from_syn(cx, f, rename_all))
                        .collect(),
                    syn::Fields::Unit | syn::Fields::Unnamed(_) => Vec::new(),
                };
                return Some(Self {
                    kind,
                    args,
                    item,
                    description: description(&item.attrs),
                    fields,
                });
            }
            syn::Item::Enum(e) => Some((e.enum_token.to_token_stream(), "an enum")),
            syn::Item::Fn(f) => Some((f.sig.fn_token.to_token_stream(), "a function")),
            syn::Item::Union(u) => Some((u.union_token.to_token_stream(), "a union")),
            syn::Item::Trait(t) => Some((t.trait_token.to_token_stream(), "a trait")),
            syn::Item::Impl(i) => Some((i.impl_token.to_token_stream(), "an impl block")),
            _ => None,
        };
        let attr = kind.attr();
        match what {
            Some((tokens, noun)) => cx.error_spanned_by(
                tokens,
                format!("`#[{attr}]` goes on a struct, not on {noun}"),
            ),
            None => cx.error_at(
                attr::attribute_span(),
                format!("`#[{attr}]` goes on a struct"),
            ),
        }
        None
    }
}

impl<'a> Field<'a> {
    fn from_syn(
        cx: &Ctxt,
        original: &'a syn::Field,
        rename_all: Option<crate::case::RenameRule>,
    ) -> Option<Self> {
        let ident = original.ident.as_ref()?;
        let attrs = FieldAttrs::parse(cx, original);
        let shape = shape(&original.ty);
        let key = match &attrs.rename {
            Some(lit) => lit.value(),
            None => {
                let name = ident.unraw().to_string();
                rename_all.map_or(name.clone(), |rule| rule.apply(&name))
            }
        };
        let default = match (&attrs.default, shape) {
            (None, _) => Default::Implicit,
            (
                Some(Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                })),
                Shape::Duration | Shape::OptionDuration,
            ) => Default::Duration {
                lit: lit.clone(),
                parsed: duration::parse(&lit.value()),
            },
            (Some(expr), _) => Default::Expr(expr.clone()),
        };
        Some(Self {
            ident,
            ty: &original.ty,
            shape,
            doc: doc_lines(&original.attrs).join("\n").trim().to_owned(),
            attrs,
            key,
            default,
        })
    }
}

/// The lines of the `///` comments in `attrs`, without the leading space.
fn doc_lines(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(syn::MetaNameValue {
            value: Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }),
            ..
        }) = &attr.meta
        {
            let value = s.value();
            // An empty `///` line is an empty string, which `lines()` would skip: keep it,
            // it ends the first paragraph.
            if value.is_empty() {
                lines.push(String::new());
            }
            for line in value.lines() {
                lines.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned());
            }
        }
    }
    lines
}

/// The first paragraph of the doc comment, on one line; `None` when there is none.
fn description(attrs: &[syn::Attribute]) -> Option<String> {
    let lines = doc_lines(attrs);
    let paragraph: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    let text = paragraph.join(" ");
    (!text.is_empty()).then_some(text)
}

/// Whether a type is written as `Duration` (any path ending so, such as
/// `std::time::Duration`).
fn is_duration(ty: &syn::Type) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == "Duration" && s.arguments.is_none())
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        syn::Type::Group(g) => last_segment(&g.elem),
        syn::Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

fn shape(ty: &syn::Type) -> Shape {
    if is_duration(ty) {
        return Shape::Duration;
    }
    if let Some(seg) = last_segment(ty) {
        if seg.ident == "Option" {
            if let syn::PathArguments::AngleBracketed(args) = &seg.arguments {
                if let [syn::GenericArgument::Type(inner)] =
                    args.args.iter().collect::<Vec<_>>().as_slice()
                {
                    if is_duration(inner) {
                        return Shape::OptionDuration;
                    }
                }
            }
        }
    }
    Shape::Serde
}

/// A type as tokens, tidied for people: `Vec < String >` → `Vec<String>`.
pub(crate) fn type_name(ty: &syn::Type) -> String {
    let raw = ty.to_token_stream().to_string();
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::with_capacity(raw.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == ' ' {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let glue_prev = matches!(prev, Some('<' | '&' | '(' | '[' | ':'));
            let glue_next = matches!(next, Some('<' | '>' | ',' | ';' | ':' | ')' | ']'));
            if glue_prev || glue_next {
                continue;
            }
        }
        out.push(*c);
    }
    out
}

/// The struct as the user wrote it, minus the helper attributes (`#[config]`, `#[state]`)
/// that only the macro understands.
pub(crate) fn without_helpers(item: &syn::ItemStruct) -> syn::ItemStruct {
    let mut item = item.clone();
    for field in &mut item.fields {
        field.attrs.retain(|a| !attr::is_helper(a));
    }
    item
}

#[cfg(test)]
mod tests {
    use super::type_name;

    #[test]
    fn tidy_type_names() {
        let t = |s: &str| type_name(&syn::parse_str(s).unwrap());
        assert_eq!(t("Vec<String>"), "Vec<String>");
        assert_eq!(
            t("std::collections::HashMap<String, Vec<u8>>"),
            "std::collections::HashMap<String, Vec<u8>>"
        );
        assert_eq!(t("Option<Duration>"), "Option<Duration>");
        assert_eq!(t("[u8; 4]"), "[u8; 4]");
        assert_eq!(t("(u8, bool)"), "(u8, bool)");
    }
}
