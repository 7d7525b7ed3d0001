//! What comes out when the item has errors: the errors, the user's struct (so that the code
//! using it, and IDEs, keep working), and stub impls of `Plugin` and `PluginConfig` so that
//! the user's `impl ServiceInputV1 for MyInput` does not add a chain of "not implemented"
//! errors to the real ones (thiserror's and clap's fallbacks do the same).

use crate::ast::{self, Plugin};
use crate::expand;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

/// The output for an item that does not parse as Rust: the item as is, plus the error.
pub(crate) fn unparsed(input: &TokenStream, err: &syn::Error) -> TokenStream {
    let err = err.to_compile_error();
    quote!(#input #err)
}

/// The output for an item with errors.
pub(crate) fn expand(
    item: &syn::Item,
    plugin: Option<&Plugin<'_>>,
    errors: Option<syn::Error>,
) -> TokenStream {
    let errors = errors.map(|e| e.to_compile_error());
    let Some(plugin) = plugin else {
        return quote!(#item #errors);
    };
    let stripped = ast::without_helpers(plugin.item);
    // A generic struct gets no stubs: they would need bounds the user has not written,
    // and would add errors instead of hiding them.
    if !plugin.item.generics.params.is_empty() || plugin.item.generics.where_clause.is_some() {
        return quote!(#stripped #errors);
    }
    let private = {
        let krate = expand::krate(&plugin.args);
        quote!(#krate::__private)
    };
    let ident = &plugin.item.ident;
    let name = plugin
        .args
        .name
        .as_ref()
        .map_or_else(|| quote!(""), ToTokens::to_token_stream);
    quote! {
        #stripped
        #errors

        const _: () = {
            #[automatically_derived]
            impl #private::Plugin for #ident {
                fn description(&self) -> &str {
                    ""
                }
            }

            #[automatically_derived]
            impl #private::PluginConfig for #ident {
                const NAME: &'static str = #name;
                const FIELDS: &'static [#private::ConfigField] = &[];

                fn from_config(
                    _: &#private::Value,
                ) -> ::core::result::Result<Self, #private::ConfigError> {
                    ::core::unimplemented!("the plugin attribute has errors")
                }

                fn to_config(&self) -> #private::Value {
                    ::core::unimplemented!("the plugin attribute has errors")
                }
            }
        };
    }
}
