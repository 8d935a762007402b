//! The semantic layer of validation: everything a schema cannot say. Names resolve, metrics
//! suit the task and the test kind, criteria make sense for the metric, files exist,
//! operating points are not chosen on the cases they are tested on.
//!
//! Every check reports through [`Checker::report`], never stops at the first problem.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::catalog::{self, MetricFamily, MetricInfo};
use crate::diagnostic::{Code, Diagnostic, SpecSource};
use crate::path::SpecPath;
use crate::suggest;
use crate::types::{CiMethod, Model, OperatingPoint, Spec, Task, Test, TestKind, ALL_COHORT};
use crate::yaml::Node;

/// What the semantic layer may look at besides the spec text.
pub(crate) struct Environment {
    /// Folder that relative paths in the spec are relative to; `None`: do not touch files.
    pub base_dir: Option<PathBuf>,
}

/// Runs every semantic check.
pub(crate) fn check(
    spec: &Spec,
    doc: &Node,
    source: &Arc<SpecSource>,
    env: &Environment,
) -> Vec<Diagnostic> {
    let mut checker = Checker {
        spec,
        doc,
        source,
        env,
        out: Vec::new(),
        columns: None,
    };
    checker.run();
    checker.out
}

/// A block of named definitions that tests refer to.
#[derive(Clone, Copy)]
struct Namespace {
    code: Code,
    block: &'static str,
    what: &'static str,
}

const COHORTS: Namespace = Namespace {
    code: Code::UnknownCohort,
    block: "cohorts",
    what: "cohorts",
};
const OPERATING_POINTS: Namespace = Namespace {
    code: Code::UnknownOperatingPoint,
    block: "operating_points",
    what: "operating points",
};
const PERTURBATIONS: Namespace = Namespace {
    code: Code::UnknownPerturbation,
    block: "perturbations",
    what: "perturbations",
};
const REFERENCES: Namespace = Namespace {
    code: Code::UnknownReference,
    block: "references",
    what: "reference models",
};

fn names<V>(map: &IndexMap<String, V>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

struct Checker<'a> {
    spec: &'a Spec,
    doc: &'a Node,
    source: &'a Arc<SpecSource>,
    env: &'a Environment,
    out: Vec<Diagnostic>,
    /// The case table's column names, when its header could be read.
    columns: Option<Vec<String>>,
}

/// The kind a test has, as written or inferred from its keys.
pub fn infer_kind(test: &Test) -> TestKind {
    if let Some(kind) = test.kind {
        return kind;
    }
    if test.checks.is_some() {
        TestKind::Data
    } else if test.reference.is_some() {
        TestKind::Comparison
    } else if test.perturbation.is_some() {
        let flips = test.require.as_ref().is_some_and(|r| r.flip_rate.is_some());
        if flips {
            TestKind::Invariance
        } else {
            TestKind::Robustness
        }
    } else if test.across.is_some() || test.cohorts.is_some() {
        TestKind::Subgroups
    } else if test
        .metric
        .as_deref()
        .and_then(catalog::metric_info)
        .is_some_and(|m| m.calibration)
    {
        TestKind::Calibration
    } else {
        TestKind::Performance
    }
}

impl<'a> Checker<'a> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.out.push(diagnostic);
    }

    fn error(&self, code: Code, path: &SpecPath, message: String, label: &str) -> Diagnostic {
        Diagnostic::error(code, message, self.source)
            .at(path.clone())
            .label(self.doc.label_span(path), label)
    }

    fn warning(&self, code: Code, path: &SpecPath, message: String, label: &str) -> Diagnostic {
        Diagnostic::warning(code, message, self.source)
            .at(path.clone())
            .label(self.doc.label_span(path), label)
    }

    fn run(&mut self) {
        self.columns = self.read_columns();
        let spec = self.spec;
        self.check_model(&SpecPath::root().key("model"), &spec.model, true);
        for (name, model) in &spec.references {
            self.check_model(
                &SpecPath::root().key("references").key(name.clone()),
                model,
                false,
            );
        }
        self.check_data();
        self.check_cohorts();
        self.check_operating_points();
        self.check_perturbations();
        self.check_test_ids();
        for (i, test) in spec.tests.iter().enumerate() {
            self.check_test(i, test);
        }
        self.check_traces();
        self.check_explore();
    }

    /// `class` is one of the model's output classes (when it names them).
    fn check_class(&mut self, path: &SpecPath, class: &str) {
        let Some(classes) = &self.spec.model.output.classes else {
            return;
        };
        if classes.iter().any(|c| c == class) {
            return;
        }
        let help = suggest::help_for(class, classes.iter().map(String::as_str), "classes");
        let d = self
            .error(
                Code::InvalidValue,
                path,
                format!("`{class}` is not one of the model's classes"),
                "unknown class",
            )
            .help_opt(help);
        self.report(d);
    }

    // ---------------------------------------------------------------- explore

    /// The `explore:` block names a cohort, columns and (on a multi-class task) a class that
    /// exist.
    fn check_explore(&mut self) {
        let Some(explore) = &self.spec.explore else {
            return;
        };
        let path = SpecPath::root().key("explore");
        let onnx = self
            .spec
            .model
            .sources()
            .iter()
            .any(|(_, s)| matches!(s, crate::types::ModelSource::Onnx(_)));
        if explore.embeddings == Some(true) && !onnx {
            let d = self
                .error(
                    Code::Conflict,
                    &path.key("embeddings"),
                    "embeddings are read from an ONNX model, and this model is not one".to_string(),
                    "needs `model.onnx`",
                )
                .help("export the network to ONNX (similar-case retrieval reads ONNX models), or leave `embeddings` out");
            self.report(d);
        }
        if let Some(cohort) = &explore.cohort {
            self.check_cohort_ref(&path.key("cohort"), cohort);
        }
        for (i, column) in explore.columns.iter().flatten().enumerate() {
            self.check_column(&path.key("columns").index(i), column);
        }
        let multi = matches!(
            self.spec.model.output.task,
            Task::Multiclass | Task::Multilabel
        );
        match (&explore.class, &self.spec.model.output.classes) {
            (None, _) if multi => {
                let d = self
                    .error(
                        Code::Incomplete,
                        &path,
                        format!(
                            "on a {} task, `explore` needs `class:`",
                            self.spec.model.output.task.as_str()
                        ),
                        "which class?",
                    )
                    .help(
                        "add `class: NAME`: segments are compared on that class against the rest",
                    );
                self.report(d);
            }
            (Some(_), _) if !multi => {
                let d = self.warning(
                    Code::Ignored,
                    &path.key("class"),
                    "`class` has no effect on a binary task".to_string(),
                    "ignored",
                );
                self.report(d);
            }
            (Some(class), _) => self.check_class(&path.key("class"), class),
            _ => {}
        }
    }

    // ---------------------------------------------------------------- files and columns

    fn resolve(&self, relative: &str) -> Option<PathBuf> {
        self.env.base_dir.as_ref().map(|base| base.join(relative))
    }

    fn check_file(&mut self, path: &SpecPath, relative: &str, what: &str, dir: bool) {
        let Some(full) = self.resolve(relative) else {
            return;
        };
        let ok = if dir { full.is_dir() } else { full.is_file() };
        if !ok {
            let d = self
                .error(
                    Code::FileNotFound,
                    path,
                    format!("{what} `{relative}` does not exist"),
                    "no such file",
                )
                .help("paths are relative to the folder of the spec file; check the name or add the file");
            self.report(d);
        }
    }

    /// Reads the header line of a CSV (or gzip-compressed CSV) case table. Parquet and
    /// unreadable tables yield `None`: column names are then checked by `run`.
    fn read_columns(&self) -> Option<Vec<String>> {
        let full = self.resolve(&self.spec.data.table)?;
        let name = full.to_string_lossy().to_lowercase();
        let file = std::fs::File::open(&full).ok()?;
        let reader: Box<dyn std::io::Read> = if name.ends_with(".csv.gz") {
            Box::new(flate2::read::GzDecoder::new(file))
        } else if name.ends_with(".csv") {
            Box::new(file)
        } else {
            return None;
        };
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(reader);
        let headers = csv.headers().ok()?;
        Some(headers.iter().map(|h| h.trim().to_string()).collect())
    }

    fn check_column(&mut self, path: &SpecPath, column: &str) {
        let Some(columns) = &self.columns else {
            return;
        };
        if columns.iter().any(|c| c == column) {
            return;
        }
        let help = suggest::help_for(column, columns.iter().map(String::as_str), "columns")
            .unwrap_or_else(|| "check the column name against the table's header".to_string());
        let table = self.spec.data.table.clone();
        let d = self
            .error(
                Code::UnknownColumn,
                path,
                format!("the case table `{table}` has no column `{column}`"),
                "unknown column",
            )
            .help(help);
        self.report(d);
    }

    // ---------------------------------------------------------------- model

    fn check_model(&mut self, path: &SpecPath, model: &'a Model, under_test: bool) {
        let sources = model.sources();
        match sources.len() {
            0 => {
                let d = self
                    .error(
                        Code::Incomplete,
                        path,
                        "the model has no source".to_string(),
                        "no `onnx`, `safetensors`, `scores` or `rust` here",
                    )
                    .help("add exactly one of `onnx: FILE`, `safetensors: FILE` (with `architecture`), `scores: TABLE` or `rust: NAME`");
                self.report(d);
            }
            1 => {}
            _ => {
                let names: Vec<&str> = sources.iter().map(|(k, _)| *k).collect();
                let mut d = self
                    .error(
                        Code::Conflict,
                        &path.key(names[1]),
                        format!(
                            "the model has {} sources ({}); it must have exactly one",
                            names.len(),
                            suggest::quoted_list(names.iter())
                        ),
                        "second source",
                    )
                    .help(
                        "keep one source; to compare two models, put the other under `references:`",
                    );
                if let Some(span) = self.doc.key_span(&path.key(names[0])) {
                    d = d.label(span, "first source");
                }
                self.report(d);
            }
        }
        if let Some(p) = &model.onnx {
            self.check_file(&path.key("onnx"), p, "the ONNX model", false);
        }
        if let Some(p) = &model.safetensors {
            self.check_file(&path.key("safetensors"), p, "the safetensors file", false);
            if model.architecture.is_none() {
                let d = self
                    .error(
                        Code::Incomplete,
                        &path.key("safetensors"),
                        "safetensors weights need an `architecture`".to_string(),
                        "weights without a network",
                    )
                    .help("add `architecture:` (see `attest explain architectures`), e.g. `architecture: resnet18`");
                self.report(d);
            }
        }
        if model.architecture.is_some() && model.safetensors.is_none() {
            let d = self.warning(
                Code::Ignored,
                &path.key("architecture"),
                "`architecture` has no effect without `safetensors`".to_string(),
                "ignored",
            );
            self.report(d);
        }
        if model.backend.is_some() && model.onnx.is_none() {
            let d = self.warning(
                Code::Ignored,
                &path.key("backend"),
                "`backend` only applies to ONNX models".to_string(),
                "ignored",
            );
            self.report(d);
        }
        if let Some(scores) = &model.scores {
            self.check_file(
                &path.key("scores"),
                scores.table(),
                "the scores table",
                false,
            );
        }
        if !model.is_scores_only() && model.input.is_none() && !sources.is_empty() {
            let d = self
                .error(
                    Code::Incomplete,
                    path,
                    "a runnable model needs `input:` preprocessing".to_string(),
                    "no `input` here",
                )
                .help("add e.g. `input: { size: [224, 224], channels: 1 }`");
            self.report(d);
        }
        if let Some(input) = &model.input {
            let input_path = path.key("input");
            if input.size.contains(&0) {
                let d = self.error(
                    Code::OutOfRange,
                    &input_path.key("size"),
                    "the input size must be positive in both dimensions".to_string(),
                    "zero size",
                );
                self.report(d);
            }
            if input.channels == 2 {
                let d = self
                    .error(
                        Code::OutOfRange,
                        &input_path.key("channels"),
                        "`channels` must be 1 or 3".to_string(),
                        "2 channels",
                    )
                    .help("1 for grayscale, 3 for RGB or grayscale replicated");
                self.report(d);
            }
            if let Some(norm) = &input.normalize {
                let channels = usize::from(input.channels);
                for (key, values) in [("mean", &norm.mean), ("std", &norm.std)] {
                    if values.len() != 1 && values.len() != channels {
                        let d = self
                            .error(
                                Code::Conflict,
                                &input_path.key("normalize").key(key),
                                format!(
                                    "`{key}` has {} values for {channels} channel{}",
                                    values.len(),
                                    if channels == 1 { "" } else { "s" }
                                ),
                                "wrong number of values",
                            )
                            .help("give one value for all channels, or one per channel");
                        self.report(d);
                    }
                }
                for (i, s) in norm.std.iter().enumerate() {
                    if *s <= 0.0 {
                        let d = self.error(
                            Code::OutOfRange,
                            &input_path.key("normalize").key("std").index(i),
                            format!("a standard deviation must be positive, found {s}"),
                            "not positive",
                        );
                        self.report(d);
                    }
                }
            }
        }
        let output = &model.output;
        let out_path = path.key("output");
        match output.task {
            Task::Binary => {
                if output.classes.is_some() {
                    let d = self.warning(
                        Code::Ignored,
                        &out_path.key("classes"),
                        "`classes` is ignored for a binary task".to_string(),
                        "ignored",
                    );
                    self.report(d);
                }
            }
            Task::Multiclass | Task::Multilabel => {
                match &output.classes {
                    None => {
                        let d = self
                            .error(
                                Code::Incomplete,
                                &out_path.key("task"),
                                format!(
                                    "a {} task needs `classes`",
                                    output.task.as_str()
                                ),
                                "no `classes` in this output",
                            )
                            .help("list the class names in the order of the model's outputs, e.g. `classes: [normal, pneumonia, effusion]`");
                        self.report(d);
                    }
                    Some(classes) if classes.len() < 2 => {
                        let d = self.error(
                            Code::OutOfRange,
                            &out_path.key("classes"),
                            "at least two classes are needed".to_string(),
                            "too few classes",
                        );
                        self.report(d);
                    }
                    Some(_) => {}
                }
                if output.positive.is_some() {
                    let d = self
                        .error(
                            Code::Conflict,
                            &out_path.key("positive"),
                            format!(
                                "`positive` applies to binary tasks, not {}",
                                output.task.as_str()
                            ),
                            "binary only",
                        )
                        .help(
                            "use `class:` on a test to compute a one-vs-rest metric for one class",
                        );
                    self.report(d);
                }
            }
        }
        let label = &self.spec.data.label;
        if under_test
            && output.task == Task::Binary
            && label.positive.is_none()
            && label.negative.is_none()
        {
            let d = self
                .error(
                    Code::Incomplete,
                    &SpecPath::root().key("data").key("label"),
                    "a binary task needs the label value that means positive".to_string(),
                    "no `positive` here",
                )
                .help(format!(
                    "add `positive:` to `data.label`, e.g. `positive: {}` (or `negative:` when one value means negative and all others positive)",
                    output.positive.as_deref().unwrap_or("1")
                ));
            self.report(d);
        }
        if under_test && label.positive.is_some() && label.negative.is_some() {
            let d = self
                .error(
                    Code::Conflict,
                    &SpecPath::root().key("data").key("label").key("negative"),
                    "`positive` and `negative` cannot both be given".to_string(),
                    "remove one",
                )
                .help("`positive: V` makes every other value negative; `negative: V` makes every other value positive");
            self.report(d);
        }
    }

    // ---------------------------------------------------------------- data, cohorts

    fn check_data(&mut self) {
        let data = &self.spec.data;
        let path = SpecPath::root().key("data");
        self.check_file(
            &path.key("table"),
            &data.table.clone(),
            "the case table",
            false,
        );
        if let Some(images) = data.images.clone() {
            self.check_file(&path.key("images"), &images, "the image folder", true);
        }
        self.check_column(&path.key("id"), &data.id.clone());
        if let Some(image) = data.image.clone() {
            self.check_column(&path.key("image"), &image);
        } else if !self.spec.model.is_scores_only() {
            let d = self
                .error(
                    Code::Incomplete,
                    &path,
                    "a model that reads images needs the image column".to_string(),
                    "no `image` here",
                )
                .help("add `image: COLUMN`, the column with each case's image path");
            self.report(d);
        }
        self.check_column(&path.key("label").key("column"), &data.label.column.clone());
        if let Some(cluster) = data.cluster.clone() {
            self.check_column(&path.key("cluster"), &cluster);
        }
        let task = self.spec.model.output.task;
        if task == Task::Multilabel && data.label.separator.is_none() {
            let d = self
                .error(
                    Code::Incomplete,
                    &path.key("label"),
                    "a multilabel task needs the separator between findings".to_string(),
                    "no `separator` here",
                )
                .help("add e.g. `separator: \"|\"` for cells like `Effusion|Mass`");
            self.report(d);
        }
        for (key, given) in [
            ("positive", data.label.positive.is_some()),
            ("negative", data.label.negative.is_some()),
        ] {
            if task != Task::Binary && given {
                let d = self.error(
                    Code::Conflict,
                    &path.key("label").key(key),
                    format!("`{key}` applies to binary tasks, not {}", task.as_str()),
                    "binary only",
                );
                self.report(d);
            }
        }
    }

    fn check_cohorts(&mut self) {
        if self.spec.cohorts.contains_key(ALL_COHORT) {
            let path = SpecPath::root().key("cohorts").key(ALL_COHORT);
            let span = self
                .doc
                .key_span(&path)
                .unwrap_or_else(|| self.doc.label_span(&path));
            let d = Diagnostic::error(
                Code::ReservedName,
                "the cohort name `all` is built in and cannot be redefined",
                self.source,
            )
            .at(path)
            .label(span, "reserved")
            .help("`all` always holds every case of the table; give this cohort another name");
            self.report(d);
        }
    }

    /// Reports an unknown name with a "did you mean".
    fn check_name(&mut self, path: &SpecPath, name: &str, defined: &[&str], ns: Namespace) -> bool {
        if defined.contains(&name) {
            return true;
        }
        let block = ns.block;
        let help = suggest::help_for(name, defined.iter().copied(), ns.what).unwrap_or_else(|| {
            if defined.is_empty() {
                format!("define it under `{block}:` first")
            } else {
                format!("define `{name}` under `{block}:`, or use one of the names defined there")
            }
        });
        let d = self
            .error(
                ns.code,
                path,
                format!("unknown {} `{name}`", ns.what.trim_end_matches('s')),
                &format!("not defined under `{block}:`"),
            )
            .help(help);
        self.report(d);
        false
    }

    fn check_cohort_ref(&mut self, path: &SpecPath, name: &str) -> bool {
        let defined: Vec<&str> = std::iter::once(ALL_COHORT)
            .chain(self.spec.cohorts.keys().map(String::as_str))
            .collect();
        self.check_name(path, name, &defined, COHORTS)
    }

    // ---------------------------------------------------------------- operating points

    fn check_operating_points(&mut self) {
        let spec = self.spec;
        for (name, op) in &spec.operating_points {
            let path = SpecPath::root().key("operating_points").key(name.clone());
            self.check_operating_point(&path, op);
        }
    }

    fn check_operating_point(&mut self, path: &SpecPath, op: &OperatingPoint) {
        let rules: Vec<&str> = [
            ("threshold", op.threshold.is_some()),
            ("target", op.target.is_some()),
            ("youden", op.youden.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect();
        match rules.len() {
            0 => {
                let d = self
                    .error(
                        Code::Incomplete,
                        path,
                        "the operating point has no rule".to_string(),
                        "no `threshold`, `target` or `youden` here",
                    )
                    .help("add one of `threshold: 0.5`, `target: { specificity: 0.95 }` or `youden: true`");
                self.report(d);
            }
            1 => {}
            _ => {
                let d = self
                    .error(
                        Code::Conflict,
                        &path.key(rules[1]),
                        format!(
                            "the operating point has both `{}` and `{}`",
                            rules[0], rules[1]
                        ),
                        "second rule",
                    )
                    .help("keep exactly one of `threshold`, `target` or `youden`");
                self.report(d);
            }
        }
        if let Some(threshold) = op.threshold {
            if !(0.0..=1.0).contains(&threshold) && self.spec.model.output.activation.is_none() {
                let d = self
                    .warning(
                        Code::OutOfRange,
                        &path.key("threshold"),
                        format!("threshold {threshold} is outside [0, 1], the range of probabilities"),
                        "outside [0, 1]",
                    )
                    .help("scores are probabilities unless the model's outputs are logits; set `model.output.activation` if they are");
                self.report(d);
            }
            if op.choose_on.is_some() {
                let d = self.warning(
                    Code::Ignored,
                    &path.key("choose_on"),
                    "`choose_on` has no effect on a fixed threshold".to_string(),
                    "ignored",
                );
                self.report(d);
            }
        }
        if let Some(target) = &op.target {
            let set = target.set();
            if set.len() != 1 {
                let d = self
                    .error(
                        Code::Conflict,
                        &path.key("target"),
                        format!("a target names exactly one rate, found {}", set.len()),
                        "one of sensitivity, specificity, fpr, ppv",
                    )
                    .help("write e.g. `target: { specificity: 0.95 }`");
                self.report(d);
            }
        }
        if op.youden == Some(false) {
            let d = self
                .error(
                    Code::Incomplete,
                    &path.key("youden"),
                    "`youden: false` does not choose a threshold".to_string(),
                    "false",
                )
                .help("write `youden: true`, or use `threshold` or `target`");
            self.report(d);
        }
        let chosen = op.target.is_some() || op.youden.is_some();
        match &op.choose_on {
            Some(cohort) => {
                self.check_cohort_ref(&path.key("choose_on"), cohort);
            }
            None if chosen => {
                let d = self
                    .error(
                        Code::Incomplete,
                        path,
                        "a target or Youden threshold needs the cohort it is chosen on".to_string(),
                        "no `choose_on` here",
                    )
                    .help("add `choose_on: COHORT` (a tuning cohort, disjoint from the cohorts it is tested on)");
                self.report(d);
            }
            None => {}
        }
        if let Some(per) = &op.per {
            self.check_column(&path.key("per"), per);
        }
    }

    // ---------------------------------------------------------------- perturbations

    fn check_perturbations(&mut self) {
        let spec = self.spec;
        for (name, p) in &spec.perturbations {
            let path = SpecPath::root().key("perturbations").key(name.clone());
            let Some(kind) = catalog::perturbation_kind(&p.kind) else {
                let help = suggest::did_you_mean(
                    &p.kind,
                    catalog::PERTURBATION_KINDS.iter().map(|k| k.name),
                )
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| "`attest explain perturbations` lists every kind".to_string());
                let d = self
                    .error(
                        Code::UnknownPerturbationKind,
                        &path.key("kind"),
                        format!("unknown perturbation kind `{}`", p.kind),
                        "not a perturbation kind",
                    )
                    .help(help);
                self.report(d);
                continue;
            };
            if p.severities.is_some() && p.levels.is_some() {
                let d = self
                    .error(
                        Code::Conflict,
                        &path.key("levels"),
                        "a perturbation has `severities` or `levels`, not both".to_string(),
                        "second ladder",
                    )
                    .help("use `severities` for the published table, `levels` for explicit parameters");
                self.report(d);
            }
            if let Some(severities) = &p.severities {
                let mut seen = BTreeSet::new();
                for (i, s) in severities.iter().enumerate() {
                    let item = path.key("severities").index(i);
                    if *s > kind.max_severity {
                        let d = self.error(
                            Code::OutOfRange,
                            &item,
                            format!(
                                "`{}` has severities 1 to {}, not {s}",
                                kind.name, kind.max_severity
                            ),
                            "no such severity",
                        );
                        self.report(d);
                    } else if !seen.insert(*s) {
                        let d = self.error(
                            Code::Conflict,
                            &item,
                            format!("severity {s} is listed twice"),
                            "repeated",
                        );
                        self.report(d);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- tests

    fn check_test_ids(&mut self) {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, test) in self.spec.tests.iter().enumerate() {
            match first.get(test.id.as_str()) {
                Some(&j) => {
                    let here = SpecPath::root().key("tests").index(i).key("id");
                    let there = SpecPath::root().key("tests").index(j).key("id");
                    let d = self
                        .error(
                            Code::DuplicateTestId,
                            &here,
                            format!("test id `{}` is used twice", test.id),
                            "second use",
                        )
                        .label(self.doc.label_span(&there), "first use")
                        .help("test ids name cargo tests and report sections; give each test its own id");
                    self.report(d);
                }
                None => {
                    first.insert(test.id.as_str(), i);
                }
            }
        }
    }

    fn check_test(&mut self, i: usize, test: &Test) {
        let path = SpecPath::root().key("tests").index(i);
        let kind = infer_kind(test);
        let task = self.spec.model.output.task;
        let how = if test.kind.is_some() {
            "is"
        } else {
            "is inferred as"
        };
        // Keys that only one kind reads.
        let exclusive: [(&str, bool, &[TestKind]); 9] = [
            ("across", test.across.is_some(), &[TestKind::Subgroups]),
            (
                "cohorts",
                test.cohorts.is_some(),
                &[TestKind::Subgroups, TestKind::Data],
            ),
            (
                "perturbation",
                test.perturbation.is_some(),
                &[TestKind::Robustness, TestKind::Invariance],
            ),
            (
                "reference",
                test.reference.is_some(),
                &[TestKind::Comparison],
            ),
            ("margin", test.margin.is_some(), &[TestKind::Comparison]),
            (
                "correction",
                test.correction.is_some(),
                &[TestKind::Subgroups],
            ),
            ("bins", test.bins.is_some(), &[TestKind::Calibration]),
            ("checks", test.checks.is_some(), &[TestKind::Data]),
            (
                "metric",
                test.metric.is_some() && kind == TestKind::Data,
                &[],
            ),
        ];
        for (key, present, kinds) in exclusive {
            if present && !kinds.contains(&kind) {
                let which = if kinds.is_empty() {
                    format!("`{key}` does not apply to data tests")
                } else {
                    format!(
                        "`{key}` applies to {} tests, and test `{}` {how} {kind}",
                        kinds
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(" and "),
                        test.id
                    )
                };
                let d = self
                    .error(
                        Code::Conflict,
                        &path.key(key),
                        which,
                        &format!("not used by {kind} tests"),
                    )
                    .help(format!(
                        "remove `{key}`, or set `kind:` to the kind you meant"
                    ));
                self.report(d);
            }
        }
        if kind == TestKind::Subgroups && test.across.is_some() && test.cohorts.is_some() {
            let d = self
                .error(
                    Code::Conflict,
                    &path.key("cohorts"),
                    "a subgroup test has `across` or `cohorts`, not both".to_string(),
                    "second way to form subgroups",
                )
                .help("`across: COLUMN` makes one subgroup per value; `cohorts: [..]` lists them");
            self.report(d);
        }
        // What each kind needs.
        let needs: &[(&str, bool)] = match kind {
            TestKind::Performance | TestKind::Calibration => &[("metric", test.metric.is_some())],
            TestKind::Subgroups => &[
                ("metric", test.metric.is_some()),
                (
                    "across` or `cohorts",
                    test.across.is_some() || test.cohorts.is_some(),
                ),
            ],
            TestKind::Robustness => &[
                ("metric", test.metric.is_some()),
                ("perturbation", test.perturbation.is_some()),
            ],
            TestKind::Invariance => &[("perturbation", test.perturbation.is_some())],
            TestKind::Comparison => &[
                ("metric", test.metric.is_some()),
                ("reference", test.reference.is_some()),
            ],
            TestKind::Data => &[("checks", test.checks.is_some())],
        };
        for (key, present) in needs {
            if !present {
                let d = self
                    .error(
                        Code::Incomplete,
                        &path,
                        format!("test `{}` {how} a {kind} test and needs `{key}`", test.id),
                        &format!("no `{key}` here"),
                    )
                    .help(catalog::test_kind_definition(kind));
                self.report(d);
            }
        }
        // Names.
        if let Some(cohort) = &test.cohort {
            self.check_cohort_ref(&path.key("cohort"), cohort);
        }
        for (j, cohort) in test.cohorts.iter().flatten().enumerate() {
            self.check_cohort_ref(&path.key("cohorts").index(j), cohort);
        }
        if let Some(across) = &test.across {
            self.check_column(&path.key("across"), across);
        }
        if let Some(at) = &test.at {
            let defined = names(&self.spec.operating_points);
            self.check_name(&path.key("at"), at, &defined, OPERATING_POINTS);
        }
        if let Some(p) = &test.perturbation {
            let known = {
                let defined = names(&self.spec.perturbations);
                self.check_name(&path.key("perturbation"), p, &defined, PERTURBATIONS)
            };
            if known && self.spec.model.is_scores_only() {
                let d = self
                    .error(
                        Code::ScoresOnlyModel,
                        &path.key("perturbation"),
                        format!(
                            "test `{}` perturbs images, but the model is a table of precomputed scores",
                            test.id
                        ),
                        "needs a model that can see perturbed images",
                    )
                    .help("use an `onnx`, `safetensors` or `rust` model for robustness and invariance tests, or remove this test");
                self.report(d);
            }
        }
        if let Some(r) = &test.reference {
            let defined = names(&self.spec.references);
            self.check_name(&path.key("reference"), r, &defined, REFERENCES);
        }
        // Metric.
        let metric = test.metric.as_deref().and_then(|name| {
            let info = catalog::metric_info(name);
            if info.is_none() {
                let help = suggest::did_you_mean(name, catalog::metric_names())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "`attest explain metrics` lists every metric".to_string());
                let d = self
                    .error(
                        Code::UnknownMetric,
                        &path.key("metric"),
                        format!("unknown metric `{name}`"),
                        "not a metric",
                    )
                    .help(help);
                self.report(d);
            }
            info
        });
        if let Some(m) = metric {
            self.check_metric_use(&path, test, kind, task, m);
        }
        if kind == TestKind::Invariance && task == Task::Binary && test.at.is_none() {
            let d = self
                .error(
                    Code::MissingOperatingPoint,
                    &path,
                    format!("invariance test `{}` needs an operating point to call a prediction", test.id),
                    "no `at` here",
                )
                .help("add `at: OPERATING_POINT`: a binary prediction flips when the score crosses its threshold");
            self.report(d);
        }
        self.check_require(&path, test, kind, metric);
        self.check_leakage(&path, test);
    }

    fn check_metric_use(
        &mut self,
        path: &SpecPath,
        test: &Test,
        kind: TestKind,
        task: Task,
        m: &MetricInfo,
    ) {
        let metric_path = path.key("metric");
        if !m.tasks.contains(&task) {
            let d = self
                .error(
                    Code::MetricNotApplicable,
                    &metric_path,
                    format!("`{}` is not defined for a {} task", m.name, task.as_str()),
                    &format!("not a {} metric", task.as_str()),
                )
                .help(format!(
                    "`{}` applies to {} tasks",
                    m.name,
                    m.tasks
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            self.report(d);
        }
        if kind == TestKind::Calibration && !m.calibration {
            let d = self
                .error(
                    Code::MetricNotApplicable,
                    &metric_path,
                    format!("`{}` is not a calibration metric", m.name),
                    "not a calibration metric",
                )
                .help("calibration tests use `ece`, `brier`, `calibration_slope` or `calibration_intercept`");
            self.report(d);
        }
        if m.family == MetricFamily::Count {
            let d = self.error(
                Code::MetricNotApplicable,
                &metric_path,
                format!("`{}` is a count and cannot be gated", m.name),
                "a count",
            );
            self.report(d);
        }
        let multiclass_accuracy = task == Task::Multiclass && m.name == "accuracy";
        let needs_at = m.needs_threshold && !multiclass_accuracy;
        if needs_at && test.at.is_none() && kind != TestKind::Data {
            let ops: Vec<&str> = self
                .spec
                .operating_points
                .keys()
                .map(String::as_str)
                .collect();
            let help = if ops.is_empty() {
                "define an operating point under `operating_points:` and name it with `at:`"
                    .to_string()
            } else {
                format!(
                    "add `at:` with one of: {}",
                    suggest::quoted_list(ops.iter())
                )
            };
            let d = self
                .error(
                    Code::MissingOperatingPoint,
                    &metric_path,
                    format!(
                        "`{}` depends on a threshold, and test `{}` names no operating point",
                        m.name, test.id
                    ),
                    "needs `at:`",
                )
                .help(help);
            self.report(d);
        }
        if !needs_at && test.at.is_some() && kind != TestKind::Invariance {
            let d = self.warning(
                Code::Ignored,
                &path.key("at"),
                format!("`{}` does not use a threshold; `at` has no effect", m.name),
                "ignored",
            );
            self.report(d);
        }
        let multi = matches!(task, Task::Multiclass | Task::Multilabel);
        let one_vs_rest = m.tasks.contains(&Task::Binary) && !multiclass_accuracy;
        if multi && one_vs_rest && test.class.is_none() && test.average.is_none() {
            let d = self
                .error(
                    Code::Incomplete,
                    &metric_path,
                    format!("on a {} task, `{}` needs `class:` or `average:`", task.as_str(), m.name),
                    "which class?",
                )
                .help("add `class: NAME` for one class against the rest, or `average: macro` (or micro, weighted)");
            self.report(d);
        }
        if !multi {
            for (key, set) in [
                ("class", test.class.is_some()),
                ("average", test.average.is_some()),
            ] {
                if set {
                    let d = self.warning(
                        Code::Ignored,
                        &path.key(key),
                        format!("`{key}` has no effect on a binary task"),
                        "ignored",
                    );
                    self.report(d);
                }
            }
        }
        if let Some(class) = &test.class {
            self.check_class(&path.key("class"), class);
        }
        if let Some(method) = test.ci.as_ref().and_then(|c| c.method) {
            let info = catalog::ci_method_info(method);
            let gap_test = kind == TestKind::Subgroups && method == CiMethod::Newcombe;
            if !info.families.contains(&m.family) && !gap_test {
                let fitting: Vec<&str> = catalog::CI_METHODS
                    .iter()
                    .filter(|c| c.families.contains(&m.family))
                    .map(|c| c.name)
                    .collect();
                let d = self
                    .error(
                        Code::CiMethodNotApplicable,
                        &path.key("ci").key("method"),
                        format!(
                            "the `{}` interval does not apply to `{}`",
                            info.name, m.name
                        ),
                        "wrong method for this metric",
                    )
                    .help(format!(
                        "for `{}` use {}",
                        m.name,
                        suggest::quoted_list(fitting.iter())
                    ));
                self.report(d);
            }
        }
    }

    fn check_require(
        &mut self,
        path: &SpecPath,
        test: &Test,
        kind: TestKind,
        metric: Option<&MetricInfo>,
    ) {
        let allowed = kind.criteria();
        let Some(require) = &test.require else {
            let optional =
                kind == TestKind::Data || (kind == TestKind::Comparison && test.margin.is_some());
            if !optional {
                let d = self
                    .error(
                        Code::Incomplete,
                        path,
                        format!("test `{}` has no acceptance criteria", test.id),
                        "no `require` here",
                    )
                    .help(format!(
                        "pre-specify what must hold, e.g. `require: {{ lower: \">= 0.85\" }}`; {kind} tests accept {}",
                        suggest::quoted_list(allowed.iter())
                    ));
                self.report(d);
            }
            return;
        };
        let require_path = path.key("require");
        for (key, criterion) in require.set() {
            let key_path = require_path.key(key);
            if !allowed.contains(&key) {
                let help = if allowed.is_empty() {
                    "data tests carry their criteria in `checks:`".to_string()
                } else {
                    format!(
                        "{kind} tests accept {}",
                        suggest::quoted_list(allowed.iter())
                    )
                };
                let d = Diagnostic::error(
                    Code::CriterionNotApplicable,
                    format!(
                        "criterion `{key}` does not apply to {kind} test `{}`",
                        test.id
                    ),
                    self.source,
                )
                .at(key_path.clone())
                .label(
                    self.doc
                        .key_span(&key_path)
                        .unwrap_or_else(|| self.doc.label_span(&key_path)),
                    format!("not a {kind} criterion"),
                )
                .help(help);
                self.report(d);
                continue;
            }
            // Unparsable criteria are reported by the schema layer.
            let Some((_, bound)) = criterion.parse() else {
                continue;
            };
            let range = match (key, metric) {
                ("flip_rate", _) => (Some(0.0), Some(1.0)),
                ("drop" | "gap", Some(m)) => match m.range {
                    (Some(lo), Some(hi)) => (Some(-(hi - lo)), Some(hi - lo)),
                    _ => (None, None),
                },
                (_, Some(m)) if kind == TestKind::Comparison => match m.range {
                    (Some(lo), Some(hi)) => (Some(-(hi - lo)), Some(hi - lo)),
                    _ => (None, None),
                },
                (_, Some(m)) => m.range,
                (_, None) => (None, None),
            };
            let below = range.0.is_some_and(|lo| bound < lo);
            let above = range.1.is_some_and(|hi| bound > hi);
            if below || above {
                let what = match (key, metric) {
                    ("flip_rate", _) => "a flip rate".to_string(),
                    (_, Some(m)) => format!("`{}`", m.name),
                    _ => "this value".to_string(),
                };
                let lo = range.0.map_or("-inf".to_string(), |v| v.to_string());
                let hi = range.1.map_or("inf".to_string(), |v| v.to_string());
                let percent_hint = if above && bound > 1.0 && bound <= 100.0 && range.1 == Some(1.0)
                {
                    format!(
                        "; did you mean {}? (fractions, not percentages)",
                        bound / 100.0
                    )
                } else {
                    String::new()
                };
                let d = self
                    .error(
                        Code::CriterionOutOfRange,
                        &key_path,
                        format!("bound {bound} is outside the range of {what}, [{lo}, {hi}]"),
                        "can never be reached",
                    )
                    .help(format!("write a bound within [{lo}, {hi}]{percent_hint}"));
                self.report(d);
            }
        }
        if require.set().is_empty() && !(kind == TestKind::Comparison && test.margin.is_some()) {
            let d = self
                .error(
                    Code::Incomplete,
                    &require_path,
                    format!("`require` of test `{}` is empty", test.id),
                    "no criterion",
                )
                .help(format!(
                    "{kind} tests accept {}",
                    suggest::quoted_list(allowed.iter())
                ));
            self.report(d);
        }
    }

    /// An operating point chosen on a cohort that overlaps the tested cohort: the threshold
    /// was tuned on (some of) the very cases it is judged on, which biases every estimate at it.
    fn check_leakage(&mut self, path: &SpecPath, test: &Test) {
        let Some(op_name) = &test.at else { return };
        let Some(op) = self.spec.operating_points.get(op_name) else {
            return;
        };
        let Some(chosen_on) = &op.choose_on else {
            return;
        };
        if op.threshold.is_some() {
            return;
        }
        let op_path = SpecPath::root()
            .key("operating_points")
            .key(op_name.clone())
            .key("choose_on");
        let tested: Vec<(SpecPath, &str)> = match &test.cohorts {
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(j, c)| (path.key("cohorts").index(j), c.as_str()))
                .collect(),
            None => vec![(
                if test.cohort.is_some() {
                    path.key("cohort")
                } else {
                    path.key("at")
                },
                test.cohort.as_deref().unwrap_or(ALL_COHORT),
            )],
        };
        for (tested_path, cohort) in tested {
            let overlaps = cohort == chosen_on || cohort == ALL_COHORT || chosen_on == ALL_COHORT;
            if !overlaps {
                continue;
            }
            let why = if cohort == chosen_on.as_str() {
                format!("`{cohort}`, the very cohort the test is evaluated on")
            } else if cohort == ALL_COHORT {
                format!(
                    "`{chosen_on}`, which is part of `all`, the cohort the test is evaluated on"
                )
            } else {
                format!("`all`, which contains `{cohort}`, the cohort the test is evaluated on")
            };
            let d = Diagnostic::warning(
                Code::ThresholdLeakage,
                format!(
                    "threshold leakage in test `{}`: operating point `{op_name}` is chosen on {why}",
                    test.id
                ),
                self.source,
            )
            .at(tested_path.clone())
            .label(self.doc.label_span(&tested_path), "evaluated here")
            .label(self.doc.label_span(&op_path), "threshold chosen here")
            .help("choose thresholds on a tuning cohort disjoint from the test cohort (e.g. `split = 'tune'` vs `split = 'test'`), or the estimates will be optimistic");
            self.report(d);
        }
    }

    // ---------------------------------------------------------------- traceability

    fn check_traces(&mut self) {
        let declared: Vec<&str> = self
            .spec
            .requirements
            .keys()
            .chain(self.spec.risk_controls.keys())
            .map(String::as_str)
            .collect();
        if declared.is_empty() {
            return;
        }
        let mut traced = BTreeSet::new();
        for (i, test) in self.spec.tests.iter().enumerate() {
            for (j, trace) in test.traces.iter().enumerate() {
                traced.insert(trace.as_str());
                if declared.contains(&trace.as_str()) {
                    continue;
                }
                let tpath = SpecPath::root()
                    .key("tests")
                    .index(i)
                    .key("traces")
                    .index(j);
                let help = suggest::did_you_mean(trace, declared.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        "declare it under `requirements:` or `risk_controls:`".to_string()
                    });
                let d = self
                    .error(
                        Code::UnknownTrace,
                        &tpath,
                        format!("test `{}` traces `{trace}`, which is not declared", test.id),
                        "undeclared requirement or risk control",
                    )
                    .help(help);
                self.report(d);
            }
        }
        for (block, map) in [
            ("requirements", &self.spec.requirements),
            ("risk_controls", &self.spec.risk_controls),
        ] {
            for id in map.keys() {
                if !traced.contains(id.as_str()) {
                    let p = SpecPath::root().key(block).key(id.clone());
                    let span = self
                        .doc
                        .key_span(&p)
                        .unwrap_or_else(|| self.doc.label_span(&p));
                    let d = Diagnostic::warning(
                        Code::Untested,
                        format!("`{id}` is declared but no test traces it"),
                        self.source,
                    )
                    .at(p)
                    .label(span, "untested")
                    .help("add it to the `traces` of the test that verifies it; the traceability matrix will show it as untested");
                    self.report(d);
                }
            }
        }
    }
}
