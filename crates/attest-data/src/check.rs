//! The data layer of validation: the spec's case table and cohorts checked against the real
//! table, as diagnostics in the same form as the spec's own (file, line, column, fix).
//!
//! A cohort problem points at the exact token inside the `where:` string in the spec; a
//! table problem points at the row in the CSV file when the table is plain CSV, and names
//! the rows otherwise.

use std::path::Path;
use std::sync::Arc;

use attest_spec::yaml::{Node, Span};
use attest_spec::{Code, Diagnostic, Severity, Spec, SpecPath, SpecSource};

use crate::cases::{self, rows_phrase, Cases, ImageCheck, Labels, Problem};
use crate::cohort::{self, Predicate, PredicateError};

/// Below this many cases a cohort is flagged as tiny (a warning): a proportion's 95%
/// interval at n = 20 is still ±0.2 wide.
pub const TINY_COHORT_CASES: usize = 20;

/// Below this many positives (or negatives) a binary cohort is flagged as tiny.
pub const TINY_COHORT_CLASS: usize = 5;

/// One cohort resolved on the table.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortCases {
    /// The cohort's name (`all` for the built-in cohort).
    pub name: String,
    /// Its predicate as written (`None` for `all`).
    pub predicate: Option<String>,
    /// The rows it selects, in table order.
    pub rows: Vec<usize>,
    /// Binary tasks: selected cases labelled positive.
    pub positives: Option<usize>,
    /// Binary tasks: selected cases labelled negative.
    pub negatives: Option<usize>,
    /// Selected cases without a usable label.
    pub unlabelled: usize,
}

impl CohortCases {
    /// Number of cases selected.
    pub fn n(&self) -> usize {
        self.rows.len()
    }
}

/// Everything the data layer found.
#[derive(Debug)]
pub struct DataCheck {
    /// The cases, when the table could be read without errors.
    pub cases: Option<Cases>,
    /// The built-in `all` cohort, then the spec's cohorts in spec order, when every predicate
    /// could be evaluated.
    pub cohorts: Option<Vec<CohortCases>>,
    /// Every problem, as diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

impl DataCheck {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The cohort called `name`.
    pub fn cohort(&self, name: &str) -> Option<&CohortCases> {
        self.cohorts.as_ref()?.iter().find(|c| c.name == name)
    }
}

/// Checks the spec's data against the real table: reads it, checks every row, parses and
/// evaluates every cohort. `source` is the spec's text (diagnostics point into it);
/// `base_dir` is the spec's folder.
pub fn check(
    spec: &Spec,
    source: &Arc<SpecSource>,
    base_dir: &Path,
    images: ImageCheck,
) -> DataCheck {
    let doc = Node::parse(&source.text).ok();
    let locate = |path: &SpecPath| doc.as_ref().map(|d| d.label_span(path));
    let loaded = cases::load(spec, base_dir, images);
    let table_path = base_dir.join(&spec.data.table);
    let mut diagnostics = table_diagnostics(&loaded.problems, source, &locate, &table_path);

    let columns = loaded.table.as_ref().map(|t| t.column_names());
    let mut parsed_ok = true;
    for (name, cohort) in &spec.cohorts {
        let errors = match Predicate::parse(&cohort.predicate) {
            Ok(p) => columns
                .as_ref()
                .map(|c| p.check_columns(c))
                .unwrap_or_default(),
            Err(e) => vec![e],
        };
        for e in errors {
            parsed_ok = false;
            diagnostics.push(predicate_diagnostic(
                name,
                &cohort.predicate,
                &e,
                source,
                doc.as_ref(),
            ));
        }
    }
    if let Some(columns) = &columns {
        for d in grouping_column_diagnostics(spec, columns, source, doc.as_ref()) {
            diagnostics.push(d);
        }
    }
    let Some(cases) = loaded.cases else {
        diagnostics.sort_by_key(|d| d.severity != Severity::Error);
        return DataCheck {
            cases: None,
            cohorts: None,
            diagnostics,
        };
    };
    let mut cohorts = None;
    if parsed_ok {
        let names: Vec<&String> = spec.cohorts.keys().collect();
        let texts: Vec<&str> = spec
            .cohorts
            .values()
            .map(|c| c.predicate.as_str())
            .collect();
        match cohort::evaluate(&cases.table, &texts) {
            Ok(masks) => {
                let mut list = vec![summarise(
                    "all",
                    None,
                    (0..cases.len()).collect(),
                    &cases.labels,
                )];
                for ((name, text), mask) in names.iter().zip(&texts).zip(masks) {
                    let rows = mask
                        .iter()
                        .enumerate()
                        .filter(|(_, &m)| m)
                        .map(|(i, _)| i)
                        .collect();
                    list.push(summarise(name, Some(text), rows, &cases.labels));
                }
                for c in list.iter().skip(1) {
                    if let Some(d) = size_diagnostic(c, source, doc.as_ref()) {
                        diagnostics.push(d);
                    }
                }
                cohorts = Some(list);
            }
            Err((i, message)) => {
                let name = names.get(i).map_or("?", |s| s.as_str());
                let text = texts.get(i).copied().unwrap_or("");
                let e = PredicateError {
                    message: format!("the predicate cannot be evaluated on the table: {message}"),
                    range: 0..text.len(),
                    label: "cannot be evaluated".into(),
                    help: Some(
                        "compare columns with values of their type (numbers unquoted, text in single quotes)".into(),
                    ),
                };
                let mut d = predicate_diagnostic(name, text, &e, source, doc.as_ref());
                d.code = Code::CohortEvaluation;
                diagnostics.push(d);
            }
        }
    }
    diagnostics.sort_by_key(|d| d.severity != Severity::Error);
    DataCheck {
        cases: Some(cases),
        cohorts,
        diagnostics,
    }
}

/// Columns named by operating points (`per:`) and subgroup tests (`across:`) that the table
/// lacks. The spec layer checks these only in CSV headers; this covers every format (it runs
/// only on a spec the spec layer accepted, so nothing is reported twice).
fn grouping_column_diagnostics(
    spec: &Spec,
    columns: &[String],
    source: &Arc<SpecSource>,
    doc: Option<&Node>,
) -> Vec<Diagnostic> {
    let mut named: Vec<(SpecPath, &str)> = Vec::new();
    for (name, op) in &spec.operating_points {
        if let Some(per) = &op.per {
            named.push((
                SpecPath::root()
                    .key("operating_points")
                    .key(name.clone())
                    .key("per"),
                per,
            ));
        }
    }
    for (i, test) in spec.tests.iter().enumerate() {
        if let Some(across) = &test.across {
            named.push((SpecPath::root().key("tests").index(i).key("across"), across));
        }
    }
    named
        .into_iter()
        .filter(|(_, column)| !columns.iter().any(|c| c == column))
        .map(|(path, column)| {
            let span = doc.map(|d| d.label_span(&path)).unwrap_or_default();
            let help = attest_spec::did_you_mean(column, columns.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("the table's columns are: {}", columns.join(", ")));
            Diagnostic::error(
                Code::UnknownColumn,
                format!("the case table has no column `{column}`"),
                source,
            )
            .at(path)
            .label(span, "unknown column")
            .help(help)
        })
        .collect()
}

fn summarise(
    name: &str,
    predicate: Option<&str>,
    rows: Vec<usize>,
    labels: &Labels,
) -> CohortCases {
    let unlabelled = rows.iter().filter(|&&r| labels.is_missing(r)).count();
    let (positives, negatives) = match labels {
        Labels::Binary(_) => {
            let p = rows
                .iter()
                .filter(|&&r| labels.binary(r) == Some(true))
                .count();
            let n = rows
                .iter()
                .filter(|&&r| labels.binary(r) == Some(false))
                .count();
            (Some(p), Some(n))
        }
        _ => (None, None),
    };
    CohortCases {
        name: name.to_string(),
        predicate: predicate.map(str::to_string),
        rows,
        positives,
        negatives,
        unlabelled,
    }
}

fn size_diagnostic(
    c: &CohortCases,
    source: &Arc<SpecSource>,
    doc: Option<&Node>,
) -> Option<Diagnostic> {
    let path = SpecPath::root()
        .key("cohorts")
        .key(c.name.clone())
        .key("where");
    let span = doc.map(|d| d.label_span(&path)).unwrap_or_default();
    if c.n() == 0 {
        return Some(
            Diagnostic::error(
                Code::EmptyCohort,
                format!("cohort `{}` selects no case of the table", c.name),
                source,
            )
            .at(path)
            .label(span, "matches no row")
            .help("check the values against the table (text comparisons are case-sensitive: 'a' is not 'A')"),
        );
    }
    let counts = match (c.positives, c.negatives) {
        (Some(p), Some(n)) => format!("{} cases: {p} positive, {n} negative", c.n()),
        _ => format!("{} cases", c.n()),
    };
    let tiny_class = c
        .positives
        .zip(c.negatives)
        .is_some_and(|(p, n)| p < TINY_COHORT_CLASS || n < TINY_COHORT_CLASS);
    if c.n() < TINY_COHORT_CASES || tiny_class {
        return Some(
            Diagnostic::warning(
                Code::SmallCohort,
                format!("cohort `{}` is tiny ({counts}); its estimates will have wide intervals", c.name),
                source,
            )
            .at(path)
            .label(span, counts)
            .help(format!(
                "tests on it may be INCONCLUSIVE; Attest flags cohorts under {TINY_COHORT_CASES} cases or {TINY_COHORT_CLASS} of either class"
            )),
        );
    }
    None
}

/// A predicate problem as a diagnostic underlining the exact place inside the `where:` value.
fn predicate_diagnostic(
    name: &str,
    predicate: &str,
    e: &PredicateError,
    source: &Arc<SpecSource>,
    doc: Option<&Node>,
) -> Diagnostic {
    let path = SpecPath::root()
        .key("cohorts")
        .key(name.to_string())
        .key("where");
    let value_span = doc.map(|d| d.label_span(&path)).unwrap_or_default();
    let span = inner_span(&source.text, value_span, predicate, &e.range).unwrap_or(value_span);
    let code = if e.label == "unknown column" {
        Code::UnknownColumn
    } else {
        Code::CohortSyntax
    };
    Diagnostic::error(code, format!("cohort `{name}`: {}", e.message), source)
        .at(path)
        .label(span, e.label.clone())
        .help_opt(e.help.clone())
}

/// The span of `range` (bytes of `predicate`) inside the YAML scalar at `value`, when the
/// scalar's text holds the predicate verbatim (plain or quoted without escapes).
fn inner_span(
    text: &str,
    value: Span,
    predicate: &str,
    range: &std::ops::Range<usize>,
) -> Option<Span> {
    let written = text.get(value.offset..value.offset + value.len)?;
    // Plain and quoted scalars start with the text (after the quote); a block scalar (`>-`)
    // holds it after its header line.
    let start = if written.starts_with(predicate) {
        0
    } else if written.get(1..)?.starts_with(predicate) {
        1
    } else if predicate.is_empty() {
        return None;
    } else {
        written.find(predicate)?
    };
    let len = range
        .end
        .saturating_sub(range.start)
        .max(if range.start >= predicate.len() { 0 } else { 1 });
    Some(Span::new(value.offset + start + range.start, len))
}

/// Table problems as diagnostics: pointing at the row in a plain CSV file, otherwise at the
/// spec key involved.
fn table_diagnostics(
    problems: &[Problem],
    spec_source: &Arc<SpecSource>,
    locate: &dyn Fn(&SpecPath) -> Option<Span>,
    table_path: &Path,
) -> Vec<Diagnostic> {
    let csv = CsvLines::read(table_path, problems);
    problems
        .iter()
        .map(|p| {
            let message = p.message.clone();
            let severity_ctor = if p.is_error() {
                Diagnostic::error
            } else {
                Diagnostic::warning
            };
            let in_table = csv
                .as_ref()
                .filter(|csv| p.rows.first().and_then(|&r| csv.row_span(r)).is_some());
            let mut d = match in_table {
                Some(csv) => {
                    let mut d = severity_ctor(p.code, message, &csv.source);
                    for &row in p.rows.iter().take(MAX_LABELLED_ROWS) {
                        if let Some(span) = csv.row_span(row) {
                            let label = match &p.column {
                                Some(c) => format!("row {} (column `{c}`)", row + 1),
                                None => format!("row {}", row + 1),
                            };
                            d = d.label(span, label);
                        }
                    }
                    d
                }
                None => {
                    let mut d = severity_ctor(p.code, message, spec_source);
                    if let Some(path) = &p.spec_path {
                        if let Some(span) = locate(path) {
                            d = d.label(span, label_for(p));
                        }
                        d = d.at(path.clone());
                    } else if !p.rows.is_empty() {
                        d.message = format!(
                            "{} (`{}` {})",
                            d.message,
                            table_path.display(),
                            rows_phrase(&p.rows)
                        );
                    }
                    d
                }
            };
            if let Some(path) = &p.spec_path {
                d.path = Some(path.clone());
            }
            d.help_opt(p.help.clone())
        })
        .collect()
}

fn label_for(p: &Problem) -> String {
    match p.code {
        Code::UnknownLabel => "this value".into(),
        Code::UnknownColumn => "unknown column".into(),
        Code::TableRead => "this table".into(),
        _ => "here".into(),
    }
}

/// How many rows one diagnostic underlines in a CSV file.
const MAX_LABELLED_ROWS: usize = 5;

/// A plain CSV file's text with the byte span of each data row, for pointing at rows.
struct CsvLines {
    source: Arc<SpecSource>,
    rows: Vec<Span>,
}

/// Largest CSV file held in memory to point at rows (a larger one is reported by row number).
const MAX_CSV_SOURCE_BYTES: u64 = 64 << 20;

impl CsvLines {
    fn read(path: &Path, problems: &[Problem]) -> Option<CsvLines> {
        if problems.iter().all(|p| p.rows.is_empty()) {
            return None;
        }
        let lower = path.to_string_lossy().to_ascii_lowercase();
        if !lower.ends_with(".csv") || std::fs::metadata(path).ok()?.len() > MAX_CSV_SOURCE_BYTES {
            return None;
        }
        let text = std::fs::read_to_string(path).ok()?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut starts = Vec::new();
        let mut record = csv::ByteRecord::new();
        reader.byte_headers().ok()?;
        loop {
            let position = reader.position().byte() as usize;
            match reader.read_byte_record(&mut record) {
                Ok(true) => starts.push(position),
                _ => break,
            }
        }
        let rows = starts
            .iter()
            .map(|&start| {
                let line = text.get(start..).unwrap_or("");
                let end = line.find(['\n', '\r']).unwrap_or(line.len());
                Span::new(start, end)
            })
            .collect();
        Some(CsvLines {
            source: Arc::new(SpecSource::new(path.display().to_string(), text)),
            rows,
        })
    }

    fn row_span(&self, row: usize) -> Option<Span> {
        self.rows.get(row).copied()
    }
}
