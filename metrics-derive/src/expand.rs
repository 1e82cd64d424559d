//! Code generation from a checked input.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned as _;

use crate::ast::{Field, Input, Role};
use crate::attr::{Ctxt, Kind};
use crate::check;

/// Expands `#[derive(Metrics)]`: the impls, or every error with stub impls beside them.
pub fn derive(original: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let input = Input::from_syn(&cx, original);
    if let Some(input) = &input {
        check::check(&cx, input);
    }
    match (cx.finish(), input) {
        (Ok(()), Some(input)) => expand(&input),
        (Err(errors), input) => {
            let mut out = errors.to_compile_error();
            let krate = input.as_ref().map_or_else(|| quote!(::meterstick), krate);
            out.extend(fallback(&krate, original));
            out
        }
        // `from_syn` returns `None` only after recording an error.
        (Ok(()), None) => TokenStream::new(),
    }
}

fn krate(input: &Input<'_>) -> TokenStream {
    match &input.attrs.krate {
        Some(path) => quote!(#path),
        None => quote!(::meterstick),
    }
}

fn expand(input: &Input<'_>) -> TokenStream {
    let krate = krate(input);
    let ident = input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let prefix = input.prefix();

    let visits = input.fields.iter().filter_map(|field| {
        let member = field.ident;
        match field.role()? {
            Role::Skip => None,
            Role::Flatten => {
                // `self` and `__visitor` keep the call site's hygiene; only the call is spanned
                // on the field type, for its error.
                let (access, visitor) = (quote!(&self.#member), quote!(__visitor));
                let visit = quote_spanned! {field.ty.span()=> #krate::MetricGroup::visit };
                Some(quote!(#visit(#access, #visitor);))
            }
            Role::Metric(kind) => Some(expand_visit(&krate, input, field, kind, prefix.as_deref())),
        }
    });

    let inits = input.fields.iter().map(|field| {
        let member = field.ident;
        let init = expand_init(&krate, field);
        quote!(#member: #init)
    });

    // Kind and label-count assertions for types the derive cannot read (aliases, custom label
    // types); a generic struct's field types are checked when it is used instead.
    let assertions: TokenStream = if input.generics.params.is_empty() {
        input
            .metrics()
            .map(|(field, kind)| expand_assertion(&krate, field, kind))
            .collect()
    } else {
        TokenStream::new()
    };

    quote! {
        const _: () = {
            #assertions

            #[automatically_derived]
            impl #impl_generics #krate::MetricGroup for #ident #ty_generics #where_clause {
                fn visit<'__a>(&'__a self, __visitor: &mut dyn #krate::Visitor<'__a>) {
                    #(#visits)*
                }
            }

            #[automatically_derived]
            impl #impl_generics ::core::default::Default for #ident #ty_generics #where_clause {
                fn default() -> Self {
                    Self { #(#inits,)* }
                }
            }

            #[automatically_derived]
            impl #impl_generics #ident #ty_generics #where_clause {
                /// Creates every metric at zero, every family empty, with the declared buckets.
                #[allow(dead_code)]
                pub fn new() -> Self {
                    <Self as ::core::default::Default>::default()
                }
            }

            #[automatically_derived]
            impl #impl_generics #krate::__private::serde::Serialize for #ident #ty_generics
            #where_clause
            {
                fn serialize<__S>(
                    &self,
                    __serializer: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error>
                where
                    __S: #krate::__private::serde::Serializer,
                {
                    #krate::__private::serialize_group(self, __serializer)
                }
            }
        };
    }
}

/// The expression that builds one field in `Default::default()`.
fn expand_init(krate: &TokenStream, field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let attrs = &field.attrs;
    let mut init = match (field.role(), &attrs.buckets, &attrs.callback) {
        (Some(Role::Metric(Kind::Histogram)), Some(buckets), _) => {
            let bounds = buckets.value.iter().map(|b| Literal::f64_suffixed(b.value));
            quote_spanned! {ty.span()=>
                <#ty as #krate::__private::HistogramField>::with_bounds(&[#(#bounds),*])
            }
        }
        (Some(Role::Metric(Kind::Histogram)), None, None)
            if attrs.schema.is_some()
                || attrs.max_buckets.is_some()
                || attrs.zero_threshold.is_some() =>
        {
            let schema =
                attrs
                    .schema
                    .as_ref()
                    .map_or(quote!(#krate::NativeOptions::DEFAULT_SCHEMA), |s| {
                        let s = Literal::i8_suffixed(s.value as i8);
                        quote!(#s)
                    });
            let max = attrs.max_buckets.as_ref().map_or(
                quote!(#krate::NativeOptions::DEFAULT_MAX_BUCKETS),
                |m| {
                    let m = Literal::u32_suffixed(m.base10_parse::<u32>().unwrap_or(1));
                    quote!(#m)
                },
            );
            let zero = attrs.zero_threshold.as_ref().map_or(
                quote!(#krate::NativeOptions::DEFAULT_ZERO_THRESHOLD),
                |z| {
                    let z = Literal::f64_suffixed(z.value);
                    quote!(#z)
                },
            );
            quote_spanned! {ty.span()=>
                <#ty as #krate::__private::NativeField>::with_native(
                    #krate::NativeOptions::from_checked(#schema, #max, #zero)
                )
            }
        }
        (Some(Role::Metric(_)), _, Some(callback)) => quote_spanned! {ty.span()=>
            <#ty as #krate::__private::CallbackField>::from_fn(#callback)
        },
        _ => quote_spanned! {ty.span()=> <#ty as ::core::default::Default>::default() },
    };
    if attrs.prune.is_some() || attrs.max_series.is_some() {
        let prune = attrs.prune.is_some();
        let max_series = match &attrs.max_series {
            Some(max) => quote!(::core::option::Option::Some(#max)),
            None => quote!(::core::option::Option::None),
        };
        init = quote_spanned! {ty.span()=>
            <#ty as #krate::__private::FamilyField>::configure(#init, #prune, #max_series)
        };
    }
    init
}

/// The descriptor of one metric field and the call that shows it to the visitor.
fn expand_visit(
    krate: &TokenStream,
    input: &Input<'_>,
    field: &Field<'_>,
    kind: Kind,
    prefix: Option<&str>,
) -> TokenStream {
    let member = field.ident;
    let ty = field.ty;
    let name = field.final_name(prefix);
    let help = field.help().unwrap_or_default();
    let keys = field.label_keys();
    let variant = format_ident!("{}", kind.variant());
    let buckets = match &field.attrs.buckets {
        Some(b) => {
            let bounds = b.value.iter().map(|b| Literal::f64_suffixed(b.value));
            quote!(::core::option::Option::Some(&[#(#bounds),*]))
        }
        None if kind == Kind::Histogram && !field.native() => {
            quote!(::core::option::Option::Some(#krate::DEFAULT_BUCKETS))
        }
        None => quote!(::core::option::Option::None),
    };
    let mut options = TokenStream::new();
    if let Some(unit) = &field.attrs.unit {
        options.extend(quote!(.with_unit(#unit)));
    }
    if kind == Kind::Counter && field.exact_name(&input.attrs) {
        options.extend(quote!(.with_exact_name()));
    }
    let access = quote!(&self.#member);
    let as_metric = quote_spanned! {ty.span()=> #krate::__private::as_metric::<#ty> };
    let metric = quote!(#as_metric(#access));
    quote! {
        {
            static __DESCRIPTOR: #krate::Descriptor = #krate::Descriptor::new(
                #name,
                #help,
                #krate::MetricKind::#variant,
                &[#(#keys),*],
                #buckets,
            )#options;
            __visitor.visit_metric(&__DESCRIPTOR, #metric);
        }
    }
}

/// A compile-time check that the field type is a metric of the kind and label count declared.
fn expand_assertion(krate: &TokenStream, field: &Field<'_>, kind: Kind) -> TokenStream {
    let ty = field.ty;
    let arity = field.label_keys().len();
    let variant = format_ident!("{}", kind.variant());
    let message = format!(
        "field `{}` must be a {} with {} label key(s), as its `#[metric(...)]` declares",
        field.ident,
        kind.as_str(),
        arity
    );
    quote_spanned! {ty.span()=>
        const _: () = ::core::assert!(
            #krate::__private::field_matches::<#ty>(#krate::MetricKind::#variant, #arity),
            #message,
        );
    }
}

/// Every impl the derive generates, stubbed, so that the real errors are reported alone: no
/// use of the struct (`new()`, `register`, `Serialize`) adds one of its own.
fn fallback(krate: &TokenStream, original: &DeriveInput) -> TokenStream {
    let ident = &original.ident;
    let (impl_generics, ty_generics, where_clause) = original.generics.split_for_impl();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::MetricGroup for #ident #ty_generics #where_clause {
                fn visit<'__a>(&'__a self, _: &mut dyn #krate::Visitor<'__a>) {
                    ::core::unreachable!()
                }
            }

            #[automatically_derived]
            impl #impl_generics #krate::__private::serde::Serialize for #ident #ty_generics
            #where_clause
            {
                fn serialize<__S>(
                    &self,
                    _: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error>
                where
                    __S: #krate::__private::serde::Serializer,
                {
                    ::core::unreachable!()
                }
            }

            #[automatically_derived]
            impl #impl_generics ::core::default::Default for #ident #ty_generics #where_clause {
                fn default() -> Self {
                    ::core::unreachable!()
                }
            }

            #[automatically_derived]
            impl #impl_generics #ident #ty_generics #where_clause {
                #[allow(dead_code)]
                pub fn new() -> Self {
                    ::core::unreachable!()
                }
            }
        };
    }
}
