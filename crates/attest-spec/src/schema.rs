//! The JSON Schemas of the spec and of the results record, generated from the types, and
//! the schema layer of validation.
//!
//! The committed files `schemas/spec.v1.json` and `schemas/results.v1.json` are exactly what
//! [`spec_schema`] and [`results_schema`] return; a test fails when they drift.

use std::sync::{Arc, OnceLock};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::ValidationError;
use serde_json::Value as Json;

use crate::diagnostic::{Code, Diagnostic, SpecSource};
use crate::path::SpecPath;
use crate::suggest;
use crate::types::{Spec, CRITERION_PATTERN};
use crate::yaml::Node;

/// The `$id` of the spec schema.
pub const SPEC_SCHEMA_ID: &str = "https://attest.dev/schemas/spec.v1.json";
/// The `$id` of the results schema.
pub const RESULTS_SCHEMA_ID: &str = "https://attest.dev/schemas/results.v1.json";

/// The JSON Schema (draft 2020-12) of `attest.yaml`, version 1.
pub fn spec_schema() -> Json {
    with_id(schemars::schema_for!(Spec), SPEC_SCHEMA_ID)
}

/// The JSON Schema (draft 2020-12) of `results.json`, version 1.
pub fn results_schema() -> Json {
    with_id(
        schemars::schema_for!(crate::results::Results),
        RESULTS_SCHEMA_ID,
    )
}

/// A schema as the pretty-printed text committed under `schemas/` (with a final newline).
pub fn to_pretty(schema: &Json) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

fn with_id(schema: schemars::Schema, id: &str) -> Json {
    let mut value = schema.to_value();
    if let Json::Object(map) = &mut value {
        let mut out = serde_json::Map::new();
        for (k, v) in map.iter() {
            out.insert(k.clone(), v.clone());
            if k == "$schema" {
                out.insert("$id".into(), Json::String(id.into()));
            }
        }
        if !out.contains_key("$id") {
            out.insert("$id".into(), Json::String(id.into()));
        }
        *map = out;
    }
    value
}

struct CompiledSpecSchema {
    schema: Json,
    validator: Option<jsonschema::Validator>,
}

fn compiled() -> &'static CompiledSpecSchema {
    static COMPILED: OnceLock<CompiledSpecSchema> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let schema = spec_schema();
        let validator = jsonschema::validator_for(&schema).ok();
        CompiledSpecSchema { schema, validator }
    })
}

/// A change that makes a document with schema errors deserialisable, so the semantic layer
/// can still run and report its own findings in the same pass.
#[derive(Debug, Clone)]
pub(crate) struct Repair {
    /// Where.
    pub path: SpecPath,
    /// The value to put there; `None` removes the key or item.
    pub replacement: Option<Json>,
}

/// Validates the document against the spec schema: one diagnostic per violation, and the
/// repairs that would let the typed model be built anyway.
pub(crate) fn check(
    doc: &Node,
    json: &Json,
    source: &Arc<SpecSource>,
) -> (Vec<Diagnostic>, Vec<Repair>) {
    let compiled = compiled();
    let Some(validator) = &compiled.validator else {
        // The schema is generated from our own types; failing to compile it is a bug.
        return (
            vec![Diagnostic::error(
                Code::Schema,
                "internal error: the spec schema does not compile; please report this",
                source,
            )],
            Vec::new(),
        );
    };
    let mut out = Vec::new();
    let mut repairs = Vec::new();
    for error in validator.iter_errors(json) {
        out.extend(convert(&error, doc, &compiled.schema, source, &mut repairs));
    }
    (out, repairs)
}

/// Applies repairs to a copy of the document.
pub(crate) fn repaired(json: &Json, repairs: &[Repair]) -> Json {
    let mut out = json.clone();
    for repair in repairs {
        let Some((parent, last)) = repair.path.split_last() else {
            continue;
        };
        let Some(node) = out.pointer_mut(&parent.to_json_pointer()) else {
            continue;
        };
        match (last, node, &repair.replacement) {
            (crate::path::Segment::Key(k), Json::Object(m), None) => {
                m.remove(k);
            }
            (crate::path::Segment::Key(k), Json::Object(m), Some(v)) => {
                m.insert(k.clone(), v.clone());
            }
            (crate::path::Segment::Index(i), Json::Array(a), Some(v)) if *i < a.len() => {
                a[*i] = v.clone();
            }
            // Removing items would shift later indices; leave them.
            _ => {}
        }
    }
    out
}

/// The schema node at a JSON pointer (the error's keyword location).
fn schema_at<'a>(schema: &'a Json, pointer: &str) -> Option<&'a Json> {
    schema.pointer(pointer)
}

/// The description of the schema object that holds the failing keyword, following a `$ref`
/// when the object is only a reference.
fn description_near(schema: &Json, keyword_pointer: &str) -> Option<String> {
    let parent = keyword_pointer.rsplit_once('/').map(|(p, _)| p)?;
    let node = schema_at(schema, parent)?;
    if let Some(d) = node.get("description").and_then(Json::as_str) {
        return Some(d.to_string());
    }
    let target = node.get("$ref").and_then(Json::as_str)?.strip_prefix('#')?;
    schema_at(schema, target)?
        .get("description")
        .and_then(Json::as_str)
        .map(str::to_string)
}

fn type_word(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => article(&t.to_string()),
        TypeKind::Multiple(ts) => ts
            .iter()
            .map(|t| article(&t.to_string()))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn article(t: &str) -> String {
    let t = match t {
        "object" => "mapping",
        "array" => "list",
        "null" => "empty value",
        other => other,
    };
    match t.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {t}"),
        _ => format!("a {t}"),
    }
}

fn found_word(value: &Json) -> &'static str {
    match value {
        Json::Null => "an empty value",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_f64() => "a number",
        Json::Number(_) => "an integer",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

fn show(value: &Json) -> String {
    match value {
        Json::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn invalid_value(
    path: &SpecPath,
    instance: &Json,
    allowed: &[&str],
    doc: &Node,
    source: &Arc<SpecSource>,
    repairs: &mut Vec<Repair>,
) -> Diagnostic {
    let typed = instance.as_str().unwrap_or_default();
    let best = suggest::did_you_mean(typed, allowed.iter().copied());
    let hint = best
        .map(|s| format!("did you mean `{s}`?"))
        .unwrap_or_else(|| format!("allowed values: {}", suggest::quoted_list(allowed.iter())));
    if let Some(first) = best.or(allowed.first().copied()) {
        repairs.push(Repair {
            path: path.clone(),
            replacement: Some(Json::String(first.to_string())),
        });
    }
    Diagnostic::error(
        Code::InvalidValue,
        format!("{} is not an allowed value of `{path}`", show(instance)),
        source,
    )
    .at(path.clone())
    .label(doc.label_span(path), "not one of the allowed values")
    .help(hint)
}

fn convert(
    error: &ValidationError<'_>,
    doc: &Node,
    schema: &Json,
    source: &Arc<SpecSource>,
    repairs: &mut Vec<Repair>,
) -> Vec<Diagnostic> {
    let path = SpecPath::from_json_pointer(error.instance_path().as_str());
    let keyword = error.schema_path().as_str().to_string();
    let help = description_near(schema, &keyword);
    let instance = error.instance();
    let at = |code: Code, message: String, label: String| {
        Diagnostic::error(code, message, source)
            .at(path.clone())
            .label(doc.label_span(&path), label)
    };
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let parent = keyword.rsplit_once('/').map_or("", |(p, _)| p);
            let allowed: Vec<String> = schema_at(schema, &format!("{parent}/properties"))
                .and_then(Json::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|key| {
                    let key_path = path.key(key.clone());
                    repairs.push(Repair { path: key_path.clone(), replacement: None });
                    let span = doc.key_span(&key_path).unwrap_or_else(|| doc.label_span(&path));
                    let where_ = if path.is_empty() {
                        "at the top level".to_string()
                    } else {
                        format!("in `{path}`")
                    };
                    let hint = suggest::did_you_mean(key, allowed.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| {
                            format!(
                                "allowed keys here: {}",
                                suggest::quoted_list(allowed.iter())
                            )
                        });
                    Diagnostic::error(Code::UnknownKey, format!("unknown key `{key}` {where_}"), source)
                        .at(key_path)
                        .label(span, "not a key of the spec language here")
                        .help(hint)
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let what = if path.is_empty() { "the spec".to_string() } else { format!("`{path}`") };
            let property_help = schema_at(schema, &format!(
                "{}/properties/{name}/description",
                keyword.rsplit_once('/').map_or("", |(p, _)| p)
            ))
            .and_then(Json::as_str)
            .map(|d| format!("add `{name}:` — {d}"))
            .unwrap_or_else(|| format!("add `{name}:`"));
            vec![at(
                Code::MissingKey,
                format!("missing required key `{name}` in {what}"),
                format!("`{name}` is missing here"),
            )
            .help(property_help)]
        }
        ValidationErrorKind::Type { kind } => {
            repairs.push(Repair { path: path.clone(), replacement: None });
            vec![at(
            Code::WrongType,
            format!("`{path}` must be {}, found {}", type_word(kind), found_word(instance)),
            format!("expected {}", type_word(kind)),
        )
        .help_opt(help)]
        }
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<&str> = options
                .as_array()
                .map(|a| a.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default();
            vec![invalid_value(&path, instance, &allowed, doc, source, repairs)]
        }
        ValidationErrorKind::Minimum { limit } | ValidationErrorKind::ExclusiveMinimum { limit }
            if path.to_string() != "attest" =>
        {
            vec![at(
                Code::OutOfRange,
                format!("{} is below the minimum of {limit} for `{path}`", show(instance)),
                format!("must be at least {limit}"),
            )
            .help_opt(help)]
        }
        ValidationErrorKind::Maximum { limit } | ValidationErrorKind::ExclusiveMaximum { limit }
            if path.to_string() != "attest" =>
        {
            vec![at(
                Code::OutOfRange,
                format!("{} is above the maximum of {limit} for `{path}`", show(instance)),
                format!("must be at most {limit}"),
            )
            .help_opt(help)]
        }
        ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::ExclusiveMinimum { .. }
        | ValidationErrorKind::ExclusiveMaximum { .. } => vec![at(
            Code::UnsupportedVersion,
            format!("spec language version {instance} is not supported"),
            "unsupported version".to_string(),
        )
        .help(format!(
            "this Attest ({}) reads spec version 1; write `attest: 1`",
            env!("CARGO_PKG_VERSION")
        ))],
        ValidationErrorKind::Pattern { pattern } if pattern == CRITERION_PATTERN => vec![at(
            Code::InvalidCriterion,
            format!("{} is not a criterion", show(instance)),
            "expected an operator and a number".to_string(),
        )
        .help("write one of >=, <=, >, < followed by a number, e.g. \">= 0.85\" (fractions, not percentages)")],
        ValidationErrorKind::MinItems { limit } => vec![at(
            Code::OutOfRange,
            format!("`{path}` needs at least {limit} item{}", if *limit == 1 { "" } else { "s" }),
            "too few items".to_string(),
        )
        .help_opt(help)],
        ValidationErrorKind::MaxItems { limit } => vec![at(
            Code::OutOfRange,
            format!("`{path}` takes at most {limit} items"),
            "too many items".to_string(),
        )
        .help_opt(help)],
        ValidationErrorKind::MinLength { .. } => vec![at(
            Code::OutOfRange,
            format!("`{path}` must not be empty"),
            "empty".to_string(),
        )
        .help_opt(help)],
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // A closed word list (an enum with documented variants) is a oneOf of consts.
            let consts: Option<Vec<String>> = context
                .iter()
                .map(|errors| match errors.as_slice() {
                    [e] => match e.kind() {
                        ValidationErrorKind::Constant { expected_value } => {
                            expected_value.as_str().map(str::to_string)
                        }
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            if let Some(consts) = consts.filter(|c| !c.is_empty()) {
                let allowed: Vec<&str> = consts.iter().map(String::as_str).collect();
                return vec![invalid_value(&path, instance, &allowed, doc, source, repairs)];
            }
            // Report the branch that got furthest: the one whose errors are deepest, which is
            // the branch of the instance's own type.
            let best = context.iter().min_by_key(|errors| {
                let root_type_error = errors.iter().any(|e| {
                    matches!(e.kind(), ValidationErrorKind::Type { .. })
                        && e.instance_path().as_str() == error.instance_path().as_str()
                });
                (root_type_error, errors.len())
            });
            match best {
                Some(errors) if !errors.is_empty() => errors
                    .iter()
                    .flat_map(|e| convert(e, doc, schema, source, repairs))
                    .collect(),
                _ => vec![at(
                    Code::Schema,
                    format!("`{path}` does not have any of the allowed forms"),
                    "not an allowed form".to_string(),
                )
                .help_opt(help)],
            }
        }
        _ => vec![at(
            Code::Schema,
            format!("`{path}`: {}", error.masked()),
            "here".to_string(),
        )
        .help_opt(help)],
    }
}
