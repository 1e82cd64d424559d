//! `#[derive(LabelValue)]`: a field-less enum as the label type of a family, one slot per
//! variant.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned as _;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::attr::Ctxt;

/// Expands `#[derive(LabelValue)]`, or reports every error.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let krate = container_crate(&cx, input);
    let variants = variants(&cx, input);
    match cx.finish() {
        Ok(()) => expand(input, &krate, &variants),
        Err(errors) => errors.to_compile_error(),
    }
}

/// `#[label(crate = path)]` on the enum.
fn container_crate(cx: &Ctxt, input: &DeriveInput) -> TokenStream {
    let mut krate = quote!(::meterstick);
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("label")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let value = meta.value()?;
                let path: syn::Path = if value.peek(LitStr) {
                    value.parse::<LitStr>()?.parse()?
                } else {
                    value.parse()?
                };
                krate = quote!(#path);
                Ok(())
            } else {
                Err(meta.error("unknown key in `#[label(...)]` on an enum; expected `crate`"))
            }
        });
        if let Err(e) = parsed {
            cx.push(e);
        }
    }
    krate
}

/// The variants and the label value each stands for.
fn variants<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Vec<(&'a syn::Ident, String)> {
    let data = match &input.data {
        Data::Enum(data) => data,
        _ => {
            cx.error(
                input.ident.span(),
                "`#[derive(LabelValue)]` is only for enums whose variants have no fields",
            );
            return Vec::new();
        }
    };
    if !input.generics.params.is_empty() {
        cx.error(
            input.generics.span(),
            "`#[derive(LabelValue)]` does not take generic parameters",
        );
    }
    if data.variants.is_empty() {
        cx.error(
            input.ident.span(),
            "an enum without variants has no label values; add at least one",
        );
    }
    let mut out = Vec::new();
    let mut seen: HashMap<String, &syn::Ident> = HashMap::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            cx.error(
                variant.fields.span(),
                format!(
                    "variant `{}` has fields; a label value is a variant without fields",
                    variant.ident
                ),
            );
            continue;
        }
        let mut value = snake_case(&variant.ident.to_string());
        let mut span = variant.ident.span();
        for attr in variant.attrs.iter().filter(|a| a.path().is_ident("label")) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let lit: LitStr = meta.value()?.parse()?;
                    value = lit.value();
                    span = lit.span();
                    Ok(())
                } else {
                    Err(meta
                        .error("unknown key in `#[label(...)]` on a variant; expected `rename`"))
                }
            });
            if let Err(e) = parsed {
                cx.push(e);
            }
        }
        if let Some(first) = seen.get(&value) {
            cx.error(
                span,
                format!("label value `{value}` is already the value of variant `{first}`"),
            );
        } else {
            seen.insert(value.clone(), &variant.ident);
        }
        out.push((&variant.ident, value));
    }
    out
}

fn expand(
    input: &DeriveInput,
    krate: &TokenStream,
    variants: &[(&syn::Ident, String)],
) -> TokenStream {
    let ident = &input.ident;
    let count = variants.len();
    let indices = 0..count;
    let idents: Vec<_> = variants.iter().map(|(v, _)| *v).collect();
    let values = variants.iter().map(|(_, value)| value);
    let indices_again = 0..count;
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #krate::LabelSet for #ident {
                type Ref<'a> = #ident;
                const ARITY: usize = 1;
                const CARDINALITY: ::core::option::Option<usize> = ::core::option::Option::Some(#count);

                #[inline]
                fn value_of<'a>(values: <Self as #krate::LabelSet>::Ref<'a>, _: usize) -> &'a str {
                    match values {
                        #(#ident::#idents => #values,)*
                    }
                }

                #[inline]
                fn dense_index(values: Self) -> usize {
                    match values {
                        #(#ident::#idents => #indices,)*
                    }
                }

                fn from_dense_index<'a>(index: usize) -> ::core::option::Option<<Self as #krate::LabelSet>::Ref<'a>> {
                    match index {
                        #(#indices_again => ::core::option::Option::Some(#ident::#idents),)*
                        _ => ::core::option::Option::None,
                    }
                }

                fn overflow<'a>() -> ::core::option::Option<<Self as #krate::LabelSet>::Ref<'a>> {
                    ::core::option::Option::None
                }

            }
        };
    }
}

/// `ReadyQueue` -> `ready_queue`, `HTTPProxy` -> `http_proxy`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn snake_case() {
        for (name, expected) in [
            ("Ready", "ready"),
            ("ReadyQueue", "ready_queue"),
            ("HTTPProxy", "http_proxy"),
            ("Ipv4", "ipv4"),
            ("Tls13Handshake", "tls13_handshake"),
            ("already_snake", "already_snake"),
        ] {
            assert_eq!(super::snake_case(name), expected);
        }
    }
}
