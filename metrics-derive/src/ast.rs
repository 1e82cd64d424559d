//! The checked-against data model of one derive input: the struct and its fields.

use proc_macro2::Span;
use syn::{Data, DeriveInput, Fields, GenericArgument, Generics, Ident, PathArguments, Type};

use crate::attr::{Container, Ctxt, FieldAttrs, Kind};

pub struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: Container,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
    pub shape: Shape,
}

/// What the field's type says, read from its syntax: `Counter`, `Family<Gauge, (String, String)>`.
/// Unknown parts (a type alias, a label type other than `String` or a tuple) stay `None` and are
/// checked by the compiler through the generated assertions instead.
#[derive(Default)]
pub struct Shape {
    pub kind: Option<Kind>,
    pub family: Option<bool>,
    pub arity: Option<usize>,
    /// The label type as written, to quote in messages.
    pub label_type: Option<String>,
    /// Whether the type is a callback metric (`GaugeFn`, `CounterFn`).
    pub callback: Option<bool>,
    /// Whether the type is a native histogram, or a family of them.
    pub native: bool,
}

/// What the derive does with a field.
pub enum Role {
    Metric(Kind),
    Flatten,
    Skip,
}

impl<'a> Input<'a> {
    pub fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = Container::from_attrs(cx, &input.attrs);
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                Fields::Unnamed(_) | Fields::Unit => {
                    cx.error(
                        input.ident.span(),
                        "`#[derive(Metrics)]` needs a struct with named fields; the field names \
                         become the metric names",
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                cx.error(
                    data.enum_token.span,
                    "`#[derive(Metrics)]` is only for structs with named fields, not enums",
                );
                return None;
            }
            Data::Union(data) => {
                cx.error(
                    data.union_token.span,
                    "`#[derive(Metrics)]` is only for structs with named fields, not unions",
                );
                return None;
            }
        };
        let fields = named
            .named
            .iter()
            .filter_map(|original| {
                Some(Field {
                    ident: original.ident.as_ref()?,
                    ty: &original.ty,
                    attrs: FieldAttrs::from_attrs(cx, &original.attrs),
                    shape: Shape::of(&original.ty),
                })
            })
            .collect();
        Some(Input {
            ident: &input.ident,
            generics: &input.generics,
            attrs,
            fields,
        })
    }

    /// The fields that are exported as metrics, with their kinds.
    pub fn metrics(&self) -> impl Iterator<Item = (&Field<'a>, Kind)> {
        self.fields.iter().filter_map(|f| match f.role() {
            Some(Role::Metric(kind)) => Some((f, kind)),
            _ => None,
        })
    }

    pub fn prefix(&self) -> Option<String> {
        self.attrs.prefix.as_ref().map(|p| p.value())
    }
}

impl Field<'_> {
    /// The role of the field, or `None` when neither its attribute nor its type tells the kind.
    pub fn role(&self) -> Option<Role> {
        if self.attrs.skip.is_some() {
            Some(Role::Skip)
        } else if self.attrs.flatten.is_some() {
            Some(Role::Flatten)
        } else {
            self.attrs
                .kind
                .as_ref()
                .map(|k| k.value)
                .or(self.shape.kind)
                .map(Role::Metric)
        }
    }

    /// The name before the prefix: `name = "..."` or the field's own name.
    pub fn base_name(&self) -> (String, Span) {
        match &self.attrs.name {
            Some(name) => (name.value(), name.span()),
            None => (self.ident.unraw_string(), self.ident.span()),
        }
    }

    /// Whether a counter keeps its exact name: `exact_name` on it or `exact_names` on the struct.
    pub fn exact_name(&self, container: &Container) -> bool {
        self.attrs.exact_name.is_some() || container.exact_names.is_some()
    }

    /// The exported name, prefix included.
    pub fn final_name(&self, prefix: Option<&str>) -> String {
        let (name, _) = self.base_name();
        match prefix {
            Some(prefix) => format!("{prefix}_{name}"),
            None => name,
        }
    }

    /// The help text, trimmed: the text formats cannot carry white space at either end.
    pub fn help(&self) -> Option<String> {
        self.attrs
            .help
            .as_ref()
            .map(|h| h.value().trim().to_owned())
            .or_else(|| self.attrs.doc.clone())
    }

    /// Whether the field is a native histogram: by its type, or by a native histogram's key.
    pub fn native(&self) -> bool {
        let a = &self.attrs;
        self.shape.native
            || a.schema.is_some()
            || a.max_buckets.is_some()
            || a.zero_threshold.is_some()
    }

    pub fn label_keys(&self) -> Vec<String> {
        self.attrs
            .labels
            .as_ref()
            .map(|l| l.value.iter().map(|k| k.value()).collect())
            .unwrap_or_default()
    }
}

trait UnrawString {
    fn unraw_string(&self) -> String;
}

impl UnrawString for Ident {
    fn unraw_string(&self) -> String {
        let s = self.to_string();
        s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
    }
}

impl Shape {
    fn of(ty: &Type) -> Shape {
        let Some((ident, args)) = last_segment(ty) else {
            return Shape::default();
        };
        if let Some(kind) = kind_named(&ident) {
            return Shape {
                kind: Some(kind),
                family: Some(false),
                arity: Some(0),
                label_type: None,
                callback: Some(false),
                native: ident == "NativeHistogram",
            };
        }
        if let Some(kind) = callback_kind_named(&ident) {
            return Shape {
                kind: Some(kind),
                family: Some(false),
                arity: Some(0),
                label_type: None,
                callback: Some(true),
                native: false,
            };
        }
        let mut types = args.into_iter();
        let mut native = false;
        let kind = if ident == "Family" {
            types
                .next()
                .and_then(|m| last_segment(&m))
                .and_then(|(i, _)| {
                    native = i == "NativeHistogram";
                    kind_named(&i)
                })
        } else if ident == "Info" {
            // Labeled like a family: its label type is its first argument.
            Some(Kind::Info)
        } else {
            return Shape::default();
        };
        let (arity, label_type) = match types.next() {
            None => (Some(1), Some("String".to_owned())),
            Some(Type::Tuple(t)) => (
                Some(t.elems.len()),
                Some(quote::ToTokens::to_token_stream(&t).to_string()),
            ),
            Some(other) => match last_segment(&other) {
                Some((i, _)) if i == "String" => (Some(1), Some("String".to_owned())),
                _ => (None, None),
            },
        };
        Shape {
            kind,
            family: Some(true),
            arity,
            label_type,
            callback: Some(false),
            native,
        }
    }
}

fn kind_named(ident: &Ident) -> Option<Kind> {
    match ident.to_string().as_str() {
        "Counter" | "ShardedCounter" => Some(Kind::Counter),
        "Gauge" => Some(Kind::Gauge),
        "Histogram" | "NativeHistogram" => Some(Kind::Histogram),
        _ => None,
    }
}

fn callback_kind_named(ident: &Ident) -> Option<Kind> {
    match ident.to_string().as_str() {
        "CounterFn" => Some(Kind::Counter),
        "GaugeFn" => Some(Kind::Gauge),
        _ => None,
    }
}

/// The last path segment of a type and its generic type arguments.
fn last_segment(ty: &Type) -> Option<(Ident, Vec<Type>)> {
    let Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    let args = match &segment.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((segment.ident.clone(), args))
}
