//! Parsing of `#[metrics(...)]` on the struct and `#[metric(...)]` on its fields.

use std::cell::RefCell;

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, ExprArray, ExprLit, ExprUnary, Lit, LitStr, Token, UnOp};

/// Collects every error of one derive, so that all of them are reported in one compile.
pub struct Ctxt {
    errors: RefCell<Option<syn::Error>>,
}

impl Ctxt {
    pub fn new() -> Self {
        Ctxt {
            errors: RefCell::new(None),
        }
    }

    /// Records an error spanned on `span`.
    pub fn error(&self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    pub fn push(&self, error: syn::Error) {
        let mut errors = self.errors.borrow_mut();
        match &mut *errors {
            Some(all) => all.combine(error),
            None => *errors = Some(error),
        }
    }

    /// All the errors recorded, combined, if there were any.
    pub fn finish(self) -> Result<(), syn::Error> {
        match self.errors.into_inner() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// The kind a `#[metric(...)]` attribute or a field type names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
    Info,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::Info => "info",
        }
    }

    /// The variant name of `MetricKind`.
    pub fn variant(self) -> &'static str {
        match self {
            Kind::Counter => "Counter",
            Kind::Gauge => "Gauge",
            Kind::Histogram => "Histogram",
            Kind::Info => "Info",
        }
    }
}

/// A value and the span of the key it was given with.
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// `#[metrics(prefix = "...", exact_names, crate = path)]`.
#[derive(Default)]
pub struct Container {
    pub prefix: Option<LitStr>,
    pub exact_names: Option<Span>,
    pub krate: Option<syn::Path>,
}

impl Container {
    pub fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Container::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("metrics")) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("prefix") {
                    let value: LitStr = meta.value()?.parse()?;
                    set_once(cx, &meta, &mut out.prefix, value, "prefix");
                } else if meta.path.is_ident("exact_names") {
                    let span = meta.path.span();
                    set_once(cx, &meta, &mut out.exact_names, span, "exact_names");
                } else if meta.path.is_ident("crate") {
                    let input = meta.value()?;
                    let path = if input.peek(LitStr) {
                        input.parse::<LitStr>()?.parse()?
                    } else {
                        input.parse()?
                    };
                    set_once(cx, &meta, &mut out.krate, path, "crate");
                } else {
                    return Err(meta.error(format!(
                        "unknown key `{}` in `#[metrics(...)]`; expected `prefix`, `exact_names` or \
                         `crate`",
                        path_text(&meta.path)
                    )));
                }
                Ok(())
            });
            if let Err(e) = parsed {
                cx.push(e);
            }
        }
        out
    }
}

/// Everything `#[metric(...)]` and the doc comment say about one field.
#[derive(Default)]
pub struct FieldAttrs {
    pub kind: Option<Spanned<Kind>>,
    pub help: Option<LitStr>,
    pub doc: Option<String>,
    pub name: Option<LitStr>,
    pub labels: Option<Spanned<Vec<LitStr>>>,
    pub buckets: Option<Spanned<Vec<Bound>>>,
    pub flatten: Option<Span>,
    pub skip: Option<Span>,
    pub prune: Option<Span>,
    pub max_series: Option<syn::LitInt>,
    pub callback: Option<Expr>,
    pub unit: Option<LitStr>,
    pub exact_name: Option<Span>,
    /// A native histogram's schema, as written.
    pub schema: Option<Bound>,
    /// A native histogram's most buckets.
    pub max_buckets: Option<syn::LitInt>,
    /// A native histogram's zero threshold.
    pub zero_threshold: Option<Bound>,
    /// The keys given, in order, for the rules that forbid combinations.
    pub keys: Vec<Spanned<&'static str>>,
}

/// One bucket bound as written.
pub struct Bound {
    pub value: f64,
    pub text: String,
    pub span: Span,
}

const FIELD_KEYS: &str = "`counter`, `gauge`, `histogram`, `info`, `help`, `name`, `unit`, \
                          `exact_name`, `label`, `labels`, `buckets`, `schema`, \
                          `max_buckets`, `zero_threshold`, `prune`, `max_series`, \
                          `callback`, `flatten` or `skip`";

impl FieldAttrs {
    pub fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = FieldAttrs {
            doc: doc_paragraph(attrs),
            ..FieldAttrs::default()
        };
        for attr in attrs.iter().filter(|a| a.path().is_ident("metric")) {
            if let Err(e) = attr.parse_nested_meta(|meta| out.parse_key(cx, &meta)) {
                cx.push(e);
            }
        }
        out
    }

    fn parse_key(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let span = meta.path.span();
        let key: &'static str = if let Some(kind) =
            [Kind::Counter, Kind::Gauge, Kind::Histogram, Kind::Info]
                .into_iter()
                .find(|k| meta.path.is_ident(k.as_str()))
        {
            if let Some(previous) = &self.kind {
                cx.error(
                    span,
                    format!(
                        "a field has one metric kind, but both `{}` and `{}` are given",
                        previous.value.as_str(),
                        kind.as_str()
                    ),
                );
            }
            self.kind = Some(Spanned { value: kind, span });
            kind.as_str()
        } else if meta.path.is_ident("help") {
            let value: LitStr = meta.value()?.parse()?;
            set_once(cx, meta, &mut self.help, value, "help");
            "help"
        } else if meta.path.is_ident("name") {
            let value: LitStr = meta.value()?.parse()?;
            set_once(cx, meta, &mut self.name, value, "name");
            "name"
        } else if meta.path.is_ident("unit") {
            let value: LitStr = meta.value()?.parse()?;
            set_once(cx, meta, &mut self.unit, value, "unit");
            "unit"
        } else if meta.path.is_ident("exact_name") {
            set_once(cx, meta, &mut self.exact_name, span, "exact_name");
            "exact_name"
        } else if meta.path.is_ident("label") {
            let value: LitStr = meta.value()?.parse()?;
            let labels = Spanned {
                value: vec![value],
                span,
            };
            set_once(cx, meta, &mut self.labels, labels, "label` or `labels");
            "label"
        } else if meta.path.is_ident("labels") {
            let content;
            syn::parenthesized!(content in meta.input);
            let keys = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
            let labels = Spanned {
                value: keys.into_iter().collect(),
                span,
            };
            set_once(cx, meta, &mut self.labels, labels, "label` or `labels");
            "labels"
        } else if meta.path.is_ident("buckets") {
            let array: ExprArray = meta.value()?.parse()?;
            let bounds = array
                .elems
                .iter()
                .map(parse_bound)
                .collect::<syn::Result<Vec<_>>>()?;
            let buckets = Spanned {
                value: bounds,
                span,
            };
            set_once(cx, meta, &mut self.buckets, buckets, "buckets");
            "buckets"
        } else if meta.path.is_ident("schema") {
            let value = parse_bound(&meta.value()?.parse()?)?;
            set_once(cx, meta, &mut self.schema, value, "schema");
            "schema"
        } else if meta.path.is_ident("max_buckets") {
            let value: syn::LitInt = meta.value()?.parse()?;
            set_once(cx, meta, &mut self.max_buckets, value, "max_buckets");
            "max_buckets"
        } else if meta.path.is_ident("zero_threshold") {
            let value = parse_bound(&meta.value()?.parse()?)?;
            set_once(cx, meta, &mut self.zero_threshold, value, "zero_threshold");
            "zero_threshold"
        } else if meta.path.is_ident("prune") {
            set_once(cx, meta, &mut self.prune, span, "prune");
            "prune"
        } else if meta.path.is_ident("max_series") {
            let value: syn::LitInt = meta.value()?.parse()?;
            set_once(cx, meta, &mut self.max_series, value, "max_series");
            "max_series"
        } else if meta.path.is_ident("callback") {
            let value: Expr = meta.value()?.parse()?;
            set_once(cx, meta, &mut self.callback, value, "callback");
            "callback"
        } else if meta.path.is_ident("flatten") {
            set_once(cx, meta, &mut self.flatten, span, "flatten");
            "flatten"
        } else if meta.path.is_ident("skip") {
            set_once(cx, meta, &mut self.skip, span, "skip");
            "skip"
        } else {
            return Err(meta.error(format!(
                "unknown key `{}` in `#[metric(...)]`; expected {FIELD_KEYS}",
                path_text(&meta.path)
            )));
        };
        self.keys.push(Spanned { value: key, span });
        Ok(())
    }
}

/// Parses one bucket bound: a number literal, possibly negated.
fn parse_bound(expr: &Expr) -> syn::Result<Bound> {
    let (negative, lit) = match expr {
        Expr::Lit(ExprLit { lit, .. }) => (false, lit),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(ExprLit { lit, .. }) => (true, lit),
            _ => return Err(bound_error(expr)),
        },
        _ => return Err(bound_error(expr)),
    };
    let (value, text) = match lit {
        Lit::Float(f) => (f.base10_parse::<f64>()?, f.base10_digits().to_owned()),
        Lit::Int(i) => (i.base10_parse::<f64>()?, i.base10_digits().to_owned()),
        _ => return Err(bound_error(expr)),
    };
    Ok(Bound {
        value: if negative { -value } else { value },
        text: if negative { format!("-{text}") } else { text },
        span: expr.span(),
    })
}

fn bound_error(expr: &Expr) -> syn::Error {
    syn::Error::new(
        expr.span(),
        "a bucket bound must be a number literal, such as `0.25` or `10`",
    )
}

fn set_once<T>(cx: &Ctxt, meta: &ParseNestedMeta<'_>, slot: &mut Option<T>, value: T, key: &str) {
    if slot.is_some() {
        cx.error(meta.path.span(), format!("`{key}` is given twice"));
    } else {
        *slot = Some(value);
    }
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// The first paragraph of the doc comment, its lines trimmed and joined by spaces.
fn doc_paragraph(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        let Ok(nv) = attr.meta.require_name_value() else {
            continue;
        };
        let Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) = &nv.value
        else {
            continue;
        };
        for line in s.value().split('\n') {
            let line = line.trim();
            if line.is_empty() {
                if !lines.is_empty() {
                    return Some(lines.join(" "));
                }
            } else {
                lines.push(line.to_owned());
            }
        }
    }
    (!lines.is_empty()).then(|| lines.join(" "))
}
