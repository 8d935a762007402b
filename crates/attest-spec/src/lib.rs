//! The Attest spec language: the test **spec** a team writes (`attest.yaml`) and the
//! **results** record a run writes (`results.json`), as typed documents with their JSON
//! Schemas, and the three layers of validation that turn a file into a [`Spec`] or into
//! diagnostics that point at the exact text to fix.
//!
//! Validation never stops at the first problem:
//! 1. **YAML** ([`yaml`]): read into a tree where every key and value keeps its span.
//!    Duplicate keys, alias bombs, nesting deeper than [`yaml::MAX_DEPTH`], several documents
//!    and files over [`yaml::MAX_SPEC_BYTES`] are errors, never panics or hangs.
//! 2. **Schema** ([`schema`]): the committed JSON Schema, generated from [`types`], enforced
//!    with the `jsonschema` crate: unknown keys, missing keys, types, ranges, criterion syntax.
//! 3. **Semantics**: names resolve (with "did you mean"), metrics suit the task and test kind,
//!    criteria suit the metric, files exist, thresholds are not tuned on the tested cohort.
//!
//! # Why serde-saphyr, read through our own located tree
//! `serde_yaml` is archived. `serde-saphyr` is maintained, panic-free by design, has resource
//! budgets against hostile input and gives `Spanned<T>` locations, but spans are lost inside
//! flattened, untagged and internally tagged types. So this crate asks serde-saphyr for one
//! thing only: a located tree (a hand-written visitor, which keeps spans). Every later layer
//! reports a [`SpecPath`] and looks its span up in that tree. Schema errors (which only know
//! JSON pointers) and semantic errors get the same precise locations, and the typed model is
//! free to use any serde shape. `yaml-rust2`/`saphyr` were not chosen: the first is a plain
//! event parser without serde or budgets, the second has no serde layer.
//!
//! This crate depends on nothing heavy (no candle, no polars): `attest validate` never loads
//! a model or an image.

pub mod catalog;
mod diagnostic;
mod errors;
mod path;
pub mod results;
pub mod schema;
mod semantic;
mod suggest;
pub mod types;
pub mod yaml;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use diagnostic::{Code, Diagnostic, Diagnostics, Label, Severity, SpecSource};
pub use errors::LoadError;
pub use path::{Segment, SpecPath};
pub use semantic::infer_kind;
pub use suggest::did_you_mean;
pub use types::Spec;

/// What validation may touch besides the text.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// Folder that relative paths in the spec are resolved against. `None` skips every check
    /// that reads the file system (referenced files exist, the table's header has the named
    /// columns).
    pub base_dir: Option<PathBuf>,
}

/// The outcome of validating one spec: the typed spec when it could be built, and every
/// diagnostic found.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The spec, present when the document has the spec's shape (it may still have semantic
    /// errors; see [`Validation::is_valid`]).
    pub spec: Option<Spec>,
    /// Every problem found, errors first.
    pub diagnostics: Diagnostics,
    /// The source the diagnostics point into.
    pub source: Arc<SpecSource>,
}

impl Validation {
    /// Whether the spec can be run: it was built and no error was found.
    pub fn is_valid(&self) -> bool {
        self.spec.is_some() && !self.diagnostics.has_errors()
    }

    /// Whether any error was found.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }

    /// The spec if it is valid.
    pub fn valid_spec(&self) -> Option<&Spec> {
        self.spec.as_ref().filter(|_| self.is_valid())
    }
}

/// Reads and validates a spec file; relative paths in it resolve against its folder.
pub fn validate_file(path: &Path) -> Result<Validation, LoadError> {
    let text = read_spec_file(path)?;
    let base_dir = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .map(Path::to_path_buf);
    let source = SpecSource::new(path.display().to_string(), text);
    Ok(validate_source(&source, &ValidateOptions { base_dir }))
}

/// Reads a spec file's text, refusing oversize and non-UTF-8 files before parsing.
pub fn read_spec_file(path: &Path) -> Result<String, LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > yaml::MAX_SPEC_BYTES as u64 {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: yaml::MAX_SPEC_BYTES,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

/// Validates a spec's text through all three layers and collects every diagnostic.
pub fn validate_source(source: &SpecSource, options: &ValidateOptions) -> Validation {
    let source = Arc::new(source.clone());
    let mut diagnostics = Diagnostics::default();
    let doc = match yaml::Node::parse(&source.text) {
        Ok(doc) => doc,
        Err(err) => {
            let code = match err.kind {
                yaml::YamlErrorKind::Syntax => Code::YamlSyntax,
                yaml::YamlErrorKind::DuplicateKey => Code::DuplicateKey,
                yaml::YamlErrorKind::Limit => Code::YamlLimit,
                yaml::YamlErrorKind::TooLarge => Code::TooLarge,
            };
            let help = match err.kind {
                yaml::YamlErrorKind::Syntax => "check indentation, colons and brackets near here; quote strings that contain `: ` or start with a special character",
                yaml::YamlErrorKind::DuplicateKey => "each key may appear once per mapping; remove or rename the repeat",
                yaml::YamlErrorKind::Limit => "a spec needs neither deep nesting nor many aliases; simplify the document",
                yaml::YamlErrorKind::TooLarge => "a spec is a page or two of YAML; is this the right file?",
            };
            let mut d = Diagnostic::error(code, err.message.clone(), &source).help(help);
            if let Some(span) = err.span {
                d = d.label(span, "here");
            }
            diagnostics.push(d);
            return Validation {
                spec: None,
                diagnostics,
                source,
            };
        }
    };
    if matches!(doc.value, yaml::Value::Null) {
        diagnostics.push(
            Diagnostic::error(Code::WrongType, "the spec is empty", &source)
                .help("start from `attest init`, which writes a complete example"),
        );
        return Validation {
            spec: None,
            diagnostics,
            source,
        };
    }
    let json = doc.to_json();
    let (schema_diagnostics, repairs) = schema::check(&doc, &json, &source);
    let schema_paths: Vec<SpecPath> = schema_diagnostics
        .iter()
        .filter_map(|d| d.path.clone())
        .collect();
    for d in schema_diagnostics {
        diagnostics.push(d);
    }
    let typed = serde_path_to_error::deserialize::<_, Spec>(&json);
    let spec = match typed {
        Ok(spec) => Some(spec),
        Err(err) => {
            if !diagnostics.has_errors() {
                // The schema accepted what the types refuse: a bug in the schema generation.
                let path = SpecPath::from(err.path());
                diagnostics.push(
                    Diagnostic::error(Code::Schema, format!("`{path}`: {}", err.inner()), &source)
                        .at(path.clone())
                        .label(doc.label_span(&path), "here"),
                );
            }
            None
        }
    };
    // With schema errors, still run the semantic layer on a repaired copy (unknown keys and
    // ill-typed values removed, misspelt words replaced), so one pass reports everything.
    let repaired_spec = match spec {
        Some(_) => None,
        None => serde_json::from_value::<Spec>(schema::repaired(&json, &repairs)).ok(),
    };
    if let Some(checked) = spec.as_ref().or(repaired_spec.as_ref()) {
        let env = semantic::Environment {
            base_dir: options.base_dir.clone(),
        };
        for d in semantic::check(checked, &doc, &source, &env) {
            // Findings next to a schema error are usually its echo; the schema's is clearer.
            let echo = d.path.as_ref().is_some_and(|p| {
                schema_paths.iter().any(|s| {
                    s.segments().starts_with(p.segments()) || p.segments().starts_with(s.segments())
                })
            });
            if !echo {
                diagnostics.push(d);
            }
        }
    }
    diagnostics.finish();
    Validation {
        spec,
        diagnostics,
        source,
    }
}
