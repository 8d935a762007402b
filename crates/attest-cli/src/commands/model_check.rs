//! The model layer of `attest validate`: the spec's model (and references) loaded with the
//! spec's preprocessing, so that a wrong file, an unsupported operator or an input shape that
//! contradicts `model.input` is reported before anything runs.

use std::path::Path;

use attest_model::{LoadOptions, ModelError, NetworkInfo};
use attest_spec::types::{Model, Spec};
use attest_spec::yaml::Node;
use attest_spec::{Code, Diagnostic, SpecPath, Validation};

/// One loaded model's description, for the summary line.
pub struct ModelSummary {
    /// `model` or `references.NAME`.
    pub name: String,
    /// What was loaded.
    pub info: Option<NetworkInfo>,
}

/// Loads every runnable model of a valid spec; errors join the spec's diagnostics. Rust
/// models (`rust:`) exist only inside a Rust program and are not checked here.
pub fn check_models(validation: &mut Validation, base_dir: &Path) -> Vec<ModelSummary> {
    let Some(spec) = validation.valid_spec().cloned() else {
        return Vec::new();
    };
    let doc = Node::parse(&validation.source.text).ok();
    let mut summaries = Vec::new();
    let mut models: Vec<(SpecPath, String, &Model)> = vec![(
        SpecPath::root().key("model"),
        "model".to_string(),
        &spec.model,
    )];
    for (name, model) in &spec.references {
        models.push((
            SpecPath::root().key("references").key(name.clone()),
            format!("references.{name}"),
            model,
        ));
    }
    for (path, name, model) in models {
        if model.rust.is_some() {
            continue;
        }
        match load(&spec, model, base_dir) {
            Ok(info) => summaries.push(ModelSummary { name, info }),
            Err(e) => {
                let d = diagnostic(&e, model, &path, doc.as_ref(), validation);
                validation.diagnostics.push(d);
            }
        }
    }
    summaries
}

fn load(spec: &Spec, model: &Model, base_dir: &Path) -> Result<Option<NetworkInfo>, ModelError> {
    let options = LoadOptions {
        threads: 1,
        ..LoadOptions::default()
    };
    Ok(attest_model::load(model, base_dir, &spec.data.id, &options)?.info())
}

fn diagnostic(
    e: &ModelError,
    model: &Model,
    at: &SpecPath,
    doc: Option<&Node>,
    validation: &Validation,
) -> Diagnostic {
    let source_key = model.sources().first().map_or("onnx", |(key, _)| *key);
    let (code, path, label) = match e {
        ModelError::InputShape { .. } => (
            Code::ModelInput,
            at.key("input"),
            "the model takes another input",
        ),
        ModelError::OutputShape { .. } => (
            Code::ModelOutput,
            at.key("output"),
            "the model gives other outputs",
        ),
        ModelError::UnsupportedOperator { .. } => (
            Code::UnsupportedOperator,
            at.key(source_key),
            "unsupported operator in this file",
        ),
        ModelError::OnnxruntimeUnavailable { .. } => (
            Code::BackendUnavailable,
            at.key("backend"),
            "backend not available",
        ),
        _ => (
            Code::ModelLoad,
            at.key(source_key),
            "cannot load this model",
        ),
    };
    let span = doc.map(|d| d.label_span(&path)).unwrap_or_default();
    Diagnostic::error(code, e.to_string(), &validation.source)
        .at(path)
        .label(span, label)
        .help(e.help())
}
