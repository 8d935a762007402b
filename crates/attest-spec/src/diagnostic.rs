//! One diagnostic model for every problem found in a spec, whatever layer found it.
//!
//! A [`Diagnostic`] carries a stable [`Code`], a message, the dotted [`SpecPath`], labelled
//! spans into the file and a help line. It implements [`miette::Diagnostic`] so the CLI can
//! render it graphically, and [`Diagnostic::to_json`] gives the machine form. Libraries never
//! print; they return these.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use serde::Serialize;

use crate::path::SpecPath;
use crate::yaml::Span;

/// A spec file's name (as the user gave it) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSource {
    /// The path or name shown in diagnostics.
    pub name: String,
    /// The full text.
    pub text: String,
}

impl SpecSource {
    /// A source from a display name and its text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or(&self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }
}

impl SourceCode for SpecSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// How serious a diagnostic is. Errors make a spec invalid (exit code 2); warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec cannot be run as written.
    Error,
    /// The spec can run, but a reader should look (e.g. threshold leakage).
    Warning,
}

/// Stable identifiers of every class of problem. The text form (`attest::spec::…`) is part of
/// the public contract: tools may match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// The file could not be read.
    Io,
    /// The file is larger than the spec size limit.
    TooLarge,
    /// The text is not well-formed YAML.
    YamlSyntax,
    /// A mapping has the same key twice.
    DuplicateKey,
    /// Aliases, nesting or node count exceed the loader's limits.
    YamlLimit,
    /// A key that the spec language does not define.
    UnknownKey,
    /// A required key is missing.
    MissingKey,
    /// A value has the wrong type.
    WrongType,
    /// A value is not one of the allowed words.
    InvalidValue,
    /// A number is outside its allowed range.
    OutOfRange,
    /// Any other schema violation.
    Schema,
    /// The `attest:` version is not supported.
    UnsupportedVersion,
    /// Two tests share an id.
    DuplicateTestId,
    /// A metric name that Attest does not know.
    UnknownMetric,
    /// A cohort name that is not defined under `cohorts:`.
    UnknownCohort,
    /// An operating point that is not defined under `operating_points:`.
    UnknownOperatingPoint,
    /// A perturbation that is not defined under `perturbations:`.
    UnknownPerturbation,
    /// A perturbation `kind` that Attest does not implement.
    UnknownPerturbationKind,
    /// A reference model that is not defined under `references:`.
    UnknownReference,
    /// A column that the data table does not have.
    UnknownColumn,
    /// A trace id that is not declared under `requirements:` or `risk_controls:`.
    UnknownTrace,
    /// A metric that does not apply to the model's task or to the test's kind.
    MetricNotApplicable,
    /// A threshold metric without an operating point.
    MissingOperatingPoint,
    /// A criterion string that cannot be parsed.
    InvalidCriterion,
    /// A criterion key that does not apply to the test's kind.
    CriterionNotApplicable,
    /// A criterion bound outside the metric's range.
    CriterionOutOfRange,
    /// A confidence-interval method that does not apply to the metric.
    CiMethodNotApplicable,
    /// Keys that contradict each other or the test's kind.
    Conflict,
    /// Something the test's kind needs is missing.
    Incomplete,
    /// A model defined by precomputed scores used where images must be fed to it.
    ScoresOnlyModel,
    /// A referenced file does not exist.
    FileNotFound,
    /// A reserved name was redefined.
    ReservedName,
    /// An operating point is chosen on the cohort it is tested on (warning).
    ThresholdLeakage,
    /// A key that has no effect where it is written (warning).
    Ignored,
    /// A declared requirement or risk control that no test traces (warning).
    Untested,
    /// The case table could not be read.
    TableRead,
    /// A cohort's `where:` predicate is not valid SQL.
    CohortSyntax,
    /// A cohort's predicate is valid SQL but cannot be evaluated on the table (types,
    /// unsupported functions, not true/false).
    CohortEvaluation,
    /// A cohort selects no case.
    EmptyCohort,
    /// A cohort is so small that its estimates will be very uncertain (warning).
    SmallCohort,
    /// Two rows of the case table share an id.
    DuplicateId,
    /// Rows without a label (warning: they are excluded from every metric).
    MissingLabel,
    /// A label value that the task does not know.
    UnknownLabel,
    /// An image named in the case table does not exist.
    MissingImage,
    /// An image path leads outside the image folder (absolute, `..`, or a symbolic link out)
    /// and the spec does not allow it.
    ImageOutsideRoot,
    /// A value of the id, image or cluster column is missing.
    MissingValue,
    /// The model file cannot be read or parsed, or its weights do not fit the architecture.
    ModelLoad,
    /// The ONNX graph uses an operator the chosen backend does not implement.
    UnsupportedOperator,
    /// The model's input does not take what `model.input` produces.
    ModelInput,
    /// The model's output does not match `model.output`.
    ModelOutput,
    /// The chosen backend (onnxruntime) is not available in this build or on this machine.
    BackendUnavailable,
}

impl Code {
    /// The stable text form, e.g. `attest::spec::unknown_metric`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "attest::spec::io",
            Code::TooLarge => "attest::spec::too_large",
            Code::YamlSyntax => "attest::spec::yaml_syntax",
            Code::DuplicateKey => "attest::spec::duplicate_key",
            Code::YamlLimit => "attest::spec::yaml_limit",
            Code::UnknownKey => "attest::spec::unknown_key",
            Code::MissingKey => "attest::spec::missing_key",
            Code::WrongType => "attest::spec::wrong_type",
            Code::InvalidValue => "attest::spec::invalid_value",
            Code::OutOfRange => "attest::spec::out_of_range",
            Code::Schema => "attest::spec::schema",
            Code::UnsupportedVersion => "attest::spec::unsupported_version",
            Code::DuplicateTestId => "attest::spec::duplicate_test_id",
            Code::UnknownMetric => "attest::spec::unknown_metric",
            Code::UnknownCohort => "attest::spec::unknown_cohort",
            Code::UnknownOperatingPoint => "attest::spec::unknown_operating_point",
            Code::UnknownPerturbation => "attest::spec::unknown_perturbation",
            Code::UnknownPerturbationKind => "attest::spec::unknown_perturbation_kind",
            Code::UnknownReference => "attest::spec::unknown_reference",
            Code::UnknownColumn => "attest::spec::unknown_column",
            Code::UnknownTrace => "attest::spec::unknown_trace",
            Code::MetricNotApplicable => "attest::spec::metric_not_applicable",
            Code::MissingOperatingPoint => "attest::spec::missing_operating_point",
            Code::InvalidCriterion => "attest::spec::invalid_criterion",
            Code::CriterionNotApplicable => "attest::spec::criterion_not_applicable",
            Code::CriterionOutOfRange => "attest::spec::criterion_out_of_range",
            Code::CiMethodNotApplicable => "attest::spec::ci_method_not_applicable",
            Code::Conflict => "attest::spec::conflict",
            Code::Incomplete => "attest::spec::incomplete",
            Code::ScoresOnlyModel => "attest::spec::scores_only_model",
            Code::FileNotFound => "attest::spec::file_not_found",
            Code::ReservedName => "attest::spec::reserved_name",
            Code::ThresholdLeakage => "attest::spec::threshold_leakage",
            Code::Ignored => "attest::spec::ignored",
            Code::Untested => "attest::spec::untested",
            Code::TableRead => "attest::data::table_read",
            Code::CohortSyntax => "attest::data::cohort_syntax",
            Code::CohortEvaluation => "attest::data::cohort_evaluation",
            Code::EmptyCohort => "attest::data::empty_cohort",
            Code::SmallCohort => "attest::data::small_cohort",
            Code::DuplicateId => "attest::data::duplicate_id",
            Code::MissingLabel => "attest::data::missing_label",
            Code::UnknownLabel => "attest::data::unknown_label",
            Code::MissingImage => "attest::data::missing_image",
            Code::ImageOutsideRoot => "attest::data::image_outside_root",
            Code::MissingValue => "attest::data::missing_value",
            Code::ModelLoad => "attest::model::load",
            Code::UnsupportedOperator => "attest::model::unsupported_operator",
            Code::ModelInput => "attest::model::input_shape",
            Code::ModelOutput => "attest::model::output_shape",
            Code::BackendUnavailable => "attest::model::backend_unavailable",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A span in the file with the text written under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there.
    pub text: String,
}

/// One problem in a spec file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The stable class of the problem.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// One lowercase sentence saying what is wrong.
    pub message: String,
    /// Where in the spec's structure, when the problem has a place.
    pub path: Option<SpecPath>,
    /// Underlined places; the first is the primary one.
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// The file it is about.
    pub source: Arc<SpecSource>,
}

impl Diagnostic {
    /// An error with a message, about `source`.
    pub fn error(code: Code, message: impl Into<String>, source: &Arc<SpecSource>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            path: None,
            labels: Vec::new(),
            help: None,
            source: Arc::clone(source),
        }
    }

    /// A warning with a message, about `source`.
    pub fn warning(code: Code, message: impl Into<String>, source: &Arc<SpecSource>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message, source)
        }
    }

    /// Sets the structural path.
    #[must_use]
    pub fn at(mut self, path: SpecPath) -> Self {
        self.path = Some(path);
        self
    }

    /// Adds a labelled span (the first added is the primary one).
    #[must_use]
    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line when there is one.
    #[must_use]
    pub fn help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Line and column (1-based) of the primary label, if any.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        self.labels
            .first()
            .map(|l| self.source.line_column(l.span.offset))
    }

    /// The machine-readable form used by `attest validate --format json`.
    pub fn to_json(&self) -> serde_json::Value {
        let (line, column) = self.line_column().unzip();
        serde_json::json!({
            "code": self.code.as_str(),
            "severity": self.severity,
            "message": self.message,
            "file": self.source.name,
            "path": self.path.as_ref().map(ToString::to_string),
            "line": line,
            "column": column,
            "labels": self.labels.iter().map(|l| {
                let (line, column) = self.source.line_column(l.span.offset);
                serde_json::json!({
                    "line": line,
                    "column": column,
                    "offset": l.span.offset,
                    "length": l.span.len,
                    "text": l.text,
                })
            }).collect::<Vec<_>>(),
            "help": self.help,
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source.as_ref())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().enumerate().map(|(i, l)| {
            let text = Some(l.text.clone()).filter(|t| !t.is_empty());
            if i == 0 {
                LabeledSpan::new_primary_with_span(text, l.span)
            } else {
                LabeledSpan::new_with_span(text, l.span)
            }
        })))
    }
}

/// Every diagnostic found in one spec, errors first, then in file order.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// How many errors.
    pub fn error_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// How many warnings.
    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    /// All of them in report order.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorts by severity, then position in the file, and drops exact repeats.
    pub(crate) fn finish(&mut self) {
        self.0.sort_by_key(|d| {
            (
                d.severity,
                d.labels.first().map_or(usize::MAX, |l| l.span.offset),
            )
        });
        self.0
            .dedup_by(|a, b| a.code == b.code && a.message == b.message && a.labels == b.labels);
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
