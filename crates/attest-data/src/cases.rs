//! The cases of a spec: its `data:` block applied to the case table — ids, image paths,
//! reference-standard labels for the model's task, and clusters.
//!
//! Loading never stops at the first problem. Duplicate ids, missing ids, missing labels,
//! unknown label values and missing image files are all collected, each with its rows, so a
//! user fixes the table once, before any inference starts.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use attest_spec::types::{LabelValue, Task};
use attest_spec::{Code, Severity, Spec, SpecPath};

use crate::table::{Table, TableError};

/// How many individual problems of one kind are listed before the rest are summarised.
const MAX_LISTED: usize = 20;

/// How many row numbers one problem lists.
const MAX_ROWS: usize = 10;

/// The reference standard of every case, in table order.
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    /// One yes/no per case; `None` where the label is missing.
    Binary(Vec<Option<bool>>),
    /// One class index per case (into `classes`); `None` where missing or unknown.
    Multiclass {
        /// The class names, in the model's output order.
        classes: Vec<String>,
        /// Each case's class.
        class: Vec<Option<usize>>,
    },
    /// Per case, which classes are present (`classes.len()` flags); `None` where missing.
    Multilabel {
        /// The class names, in the model's output order.
        classes: Vec<String>,
        /// Each case's findings.
        present: Vec<Option<Vec<bool>>>,
    },
}

impl Labels {
    /// Whether case `row` has no usable label (excluded from every metric).
    pub fn is_missing(&self, row: usize) -> bool {
        match self {
            Labels::Binary(v) => v.get(row).is_none_or(Option::is_none),
            Labels::Multiclass { class, .. } => class.get(row).is_none_or(Option::is_none),
            Labels::Multilabel { present, .. } => present.get(row).is_none_or(Option::is_none),
        }
    }

    /// The binary label of case `row`, for binary tasks.
    pub fn binary(&self, row: usize) -> Option<bool> {
        match self {
            Labels::Binary(v) => v.get(row).copied().flatten(),
            _ => None,
        }
    }

    /// Whether case `row` belongs to class `k` (one-vs-rest), for multiclass and multilabel
    /// tasks; `None` where the label is missing, and for binary tasks.
    pub fn one_vs_rest(&self, row: usize, k: usize) -> Option<bool> {
        match self {
            Labels::Binary(_) => None,
            Labels::Multiclass { class, .. } => class.get(row).copied().flatten().map(|c| c == k),
            Labels::Multilabel { present, .. } => present
                .get(row)
                .and_then(Option::as_ref)
                .and_then(|p| p.get(k).copied()),
        }
    }

    /// The class index of case `row`, for multiclass tasks.
    pub fn class(&self, row: usize) -> Option<usize> {
        match self {
            Labels::Multiclass { class, .. } => class.get(row).copied().flatten(),
            _ => None,
        }
    }
}

/// One problem found in the case table.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The class of problem.
    pub code: Code,
    /// Error (the run cannot start) or warning.
    pub severity: Severity,
    /// One lowercase sentence.
    pub message: String,
    /// The table column it concerns.
    pub column: Option<String>,
    /// The rows it concerns (0-based, in table order; shown 1-based after the header).
    pub rows: Vec<usize>,
    /// Where in the spec the fix may lie (e.g. `data.label.positive`).
    pub spec_path: Option<SpecPath>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Problem {
    fn error(code: Code, message: String) -> Problem {
        Problem {
            code,
            severity: Severity::Error,
            message,
            column: None,
            rows: Vec::new(),
            spec_path: None,
            help: None,
        }
    }

    fn warning(code: Code, message: String) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, message)
        }
    }

    fn column(mut self, column: &str) -> Problem {
        self.column = Some(column.to_string());
        self
    }

    fn rows(mut self, rows: Vec<usize>) -> Problem {
        self.rows = rows;
        self
    }

    fn at(mut self, path: SpecPath) -> Problem {
        self.spec_path = Some(path);
        self
    }

    fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    /// Whether this problem stops a run.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The rows as people count them (1 = first row after the header), shortened.
    pub fn rows_text(&self) -> String {
        rows_text(&self.rows)
    }
}

/// "row 6" or "rows 1, 4": [`rows_text`] with its noun.
pub fn rows_phrase(rows: &[usize]) -> String {
    if rows.len() == 1 {
        format!("row {}", rows_text(rows))
    } else {
        format!("rows {}", rows_text(rows))
    }
}

/// Row numbers as people count them (1 = first row after the header), at most
/// [`MAX_ROWS`] shown.
pub fn rows_text(rows: &[usize]) -> String {
    let shown: Vec<String> = rows
        .iter()
        .take(MAX_ROWS)
        .map(|r| (r + 1).to_string())
        .collect();
    if rows.len() > MAX_ROWS {
        format!("{} … ({} rows)", shown.join(", "), rows.len())
    } else {
        shown.join(", ")
    }
}

/// The cases of a spec, ready for cohorts and inference.
#[derive(Debug, Clone)]
pub struct Cases {
    /// The whole table (for cohort predicates and metadata columns).
    pub table: Table,
    /// Case ids, unique.
    pub ids: Vec<String>,
    /// Each case's image file, resolved against the spec's folder; `None` for a
    /// scores-only model without an image column.
    pub images: Option<Vec<PathBuf>>,
    /// The reference standard.
    pub labels: Labels,
    /// Each case's cluster (patient), when the spec names a cluster column.
    pub clusters: Option<Vec<String>>,
}

impl Cases {
    /// Number of cases.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the table has no case.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// What loading found: the cases when no error stops a run, and every problem.
#[derive(Debug)]
pub struct Loaded {
    /// The cases; `None` when an error makes them unusable.
    pub cases: Option<Cases>,
    /// The table, whenever it could be read (even when its rows have errors).
    pub table: Option<Table>,
    /// Every problem, errors first.
    pub problems: Vec<Problem>,
}

/// Whether to look for every image file (a scores-only run does not need them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageCheck {
    /// Check that every image file exists.
    Exists,
    /// Do not touch the image files.
    Skip,
}

/// Reads the case table of `spec` (paths relative to `base_dir`, the spec's folder) and
/// checks every row.
pub fn load(spec: &Spec, base_dir: &Path, images: ImageCheck) -> Loaded {
    let data = &spec.data;
    let table_path = base_dir.join(&data.table);
    let table = match Table::read_with_limits(&table_path, &crate::limits::table_limits(data)) {
        Ok(t) => t,
        Err(e) => {
            let problem = Problem::error(Code::TableRead, e.to_string())
                .at(SpecPath::root().key("data").key("table"))
                .help("check the path (relative to the spec file) and that the file is CSV, CSV.GZ or Parquet");
            return Loaded {
                cases: None,
                table: None,
                problems: vec![problem],
            };
        }
    };
    let mut problems = Vec::new();
    let data_path = SpecPath::root().key("data");

    let ids = required_text(&table, &data.id, &data_path.key("id"), &mut problems);
    if let Some(ids) = &ids {
        check_unique(ids, &data.id, &mut problems);
    }
    let clusters = data
        .cluster
        .as_ref()
        .and_then(|c| required_text(&table, c, &data_path.key("cluster"), &mut problems));

    let image_paths = data.image.as_ref().and_then(|column| {
        let names = required_text(&table, column, &data_path.key("image"), &mut problems)?;
        let root = match &data.images {
            Some(folder) => base_dir.join(folder),
            None => table_path
                .parent()
                .map_or_else(|| base_dir.to_path_buf(), Path::to_path_buf),
        };
        let paths: Vec<PathBuf> = names.iter().map(|n| root.join(n)).collect();
        if !data.allow_images_outside {
            check_images_inside(&names, &paths, &root, column, images, &mut problems);
        }
        if images == ImageCheck::Exists {
            check_images_exist(&names, &paths, column, &mut problems);
        }
        Some(paths)
    });

    let labels = read_labels(spec, &table, &mut problems);

    problems.sort_by_key(|p| p.severity != Severity::Error);
    let has_errors = problems.iter().any(Problem::is_error);
    match (ids, labels) {
        (Some(ids), Some(labels)) if !has_errors => Loaded {
            cases: Some(Cases {
                table: table.clone(),
                ids,
                images: image_paths,
                labels,
                clusters,
            }),
            table: Some(table),
            problems,
        },
        _ => Loaded {
            cases: None,
            table: Some(table),
            problems,
        },
    }
}

/// A text column that must have a value in every row; missing values are one problem.
fn required_text(
    table: &Table,
    column: &str,
    spec_path: &SpecPath,
    problems: &mut Vec<Problem>,
) -> Option<Vec<String>> {
    let values = match table.optional_text_column(column) {
        Ok(v) => v,
        Err(e) => {
            problems.push(column_problem(e, spec_path));
            return None;
        }
    };
    let missing: Vec<usize> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_none())
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        problems.push(
            Problem::error(
                Code::MissingValue,
                format!("column `{column}` is empty in {}", rows_phrase(&missing)),
            )
            .column(column)
            .rows(missing)
            .help("every case needs a value here; fill it in or remove the row"),
        );
        return None;
    }
    Some(values.into_iter().map(Option::unwrap_or_default).collect())
}

fn column_problem(e: TableError, spec_path: &SpecPath) -> Problem {
    let code = match e {
        TableError::MissingColumn { .. } => Code::UnknownColumn,
        _ => Code::TableRead,
    };
    Problem::error(code, e.to_string()).at(spec_path.clone())
}

fn check_unique(ids: &[String], column: &str, problems: &mut Vec<Problem>) {
    let mut first_seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    let mut repeats: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (row, id) in ids.iter().enumerate() {
        match first_seen.get(id.as_str()) {
            None => {
                first_seen.insert(id, row);
            }
            Some(&first) => {
                let slot = *index.entry(id).or_insert_with(|| {
                    repeats.push((id, vec![first]));
                    repeats.len() - 1
                });
                repeats[slot].1.push(row);
            }
        }
    }
    let total = repeats.len();
    for (id, rows) in repeats.iter().take(MAX_LISTED) {
        problems.push(
            Problem::error(
                Code::DuplicateId,
                format!("case id `{id}` appears {} times, at {}", rows.len(), rows_phrase(rows)),
            )
            .column(column)
            .rows(rows.clone())
            .help("case ids must be unique; two images of one patient need two ids (and a shared `cluster`)"),
        );
    }
    if total > MAX_LISTED {
        problems.push(Problem::error(
            Code::DuplicateId,
            format!("… and {} more duplicated ids", total - MAX_LISTED),
        ));
    }
}

/// Whether `name`, taken relative to a folder, stays inside it by its spelling alone: not
/// absolute, and never more `..` than folders entered so far.
fn stays_inside(name: &str) -> bool {
    let mut depth = 0usize;
    for component in Path::new(name).components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// Image paths must stay inside the image folder `root` unless the spec allows otherwise
/// (`data.allow_images_outside`): by their spelling (absolute paths, `..` above the folder)
/// and, when the files are to be read, by where they really are (a symbolic link out).
fn check_images_inside(
    names: &[String],
    paths: &[PathBuf],
    root: &Path,
    column: &str,
    images: ImageCheck,
    problems: &mut Vec<Problem>,
) {
    let real_root = if images == ImageCheck::Exists {
        root.canonicalize().ok()
    } else {
        None
    };
    let outside: Vec<usize> = names
        .iter()
        .zip(paths)
        .enumerate()
        .filter(|(_, (name, path))| {
            !stays_inside(name)
                || real_root.as_ref().is_some_and(|real_root| {
                    path.canonicalize()
                        .is_ok_and(|real| !real.starts_with(real_root))
                })
        })
        .map(|(i, _)| i)
        .collect();
    let help = format!(
        "image paths must stay inside `{}` (the table's folder, or `data.images`): move the \
         images there or point `data.images` at their folder; for a spec you trust, \
         `data.allow_images_outside: true` lifts this check",
        root.display()
    );
    for &row in outside.iter().take(MAX_LISTED) {
        problems.push(
            Problem::error(
                Code::ImageOutsideRoot,
                format!(
                    "image `{}` (row {}) is outside the image folder",
                    names[row],
                    row + 1
                ),
            )
            .column(column)
            .rows(vec![row])
            .help(help.clone()),
        );
    }
    if outside.len() > MAX_LISTED {
        problems.push(
            Problem::error(
                Code::ImageOutsideRoot,
                format!(
                    "… and {} more images outside the image folder ({} of {} in all)",
                    outside.len() - MAX_LISTED,
                    outside.len(),
                    paths.len()
                ),
            )
            .column(column)
            .rows(outside[MAX_LISTED..].to_vec())
            .help(help),
        );
    }
}

fn check_images_exist(
    names: &[String],
    paths: &[PathBuf],
    column: &str,
    problems: &mut Vec<Problem>,
) {
    let missing: Vec<usize> = paths
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_file())
        .map(|(i, _)| i)
        .collect();
    for &row in missing.iter().take(MAX_LISTED) {
        problems.push(
            Problem::error(
                Code::MissingImage,
                format!("image `{}` (row {}) does not exist", names[row], row + 1),
            )
            .column(column)
            .rows(vec![row])
            .help(format!(
                "image paths are relative to the table's folder (or to `data.images`); looked for `{}`",
                paths[row].display()
            )),
        );
    }
    if missing.len() > MAX_LISTED {
        problems.push(
            Problem::error(
                Code::MissingImage,
                format!(
                    "… and {} more missing images ({} of {} in all)",
                    missing.len() - MAX_LISTED,
                    missing.len(),
                    paths.len()
                ),
            )
            .column(column)
            .rows(missing[MAX_LISTED..].to_vec()),
        );
    }
}

/// Reads the label column for the model's task.
fn read_labels(spec: &Spec, table: &Table, problems: &mut Vec<Problem>) -> Option<Labels> {
    let label = &spec.data.label;
    let label_path = SpecPath::root().key("data").key("label");
    let values = match table.optional_text_column(&label.column) {
        Ok(v) => v,
        Err(e) => {
            problems.push(column_problem(e, &label_path.key("column")));
            return None;
        }
    };
    let missing: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_none()).collect();
    if !missing.is_empty() {
        problems.push(
            Problem::warning(
                Code::MissingLabel,
                format!(
                    "{} of {} rows have no label in column `{}` ({}); they are excluded from every metric",
                    missing.len(),
                    values.len(),
                    label.column,
                    rows_phrase(&missing)
                ),
            )
            .column(&label.column)
            .rows(missing)
            .help("fill in the reference standard, or bound the missing fraction with a data test's `label_missingness`"),
        );
    }
    let output = &spec.model.output;
    match output.task {
        Task::Binary => binary_labels(
            label,
            &label_path,
            &values,
            output.positive.as_deref(),
            problems,
        ),
        Task::Multiclass => {
            let classes = output.classes.clone().unwrap_or_default();
            let class = class_indices(&values, &classes, &label.column, problems);
            Some(Labels::Multiclass { classes, class })
        }
        Task::Multilabel => {
            let classes = output.classes.clone().unwrap_or_default();
            let separator = label.separator.clone().unwrap_or_else(|| "|".to_string());
            let present = label_sets(&values, &classes, &separator, &label.column, problems);
            Some(Labels::Multilabel { classes, present })
        }
    }
}

fn label_text(value: &LabelValue) -> String {
    value.to_string()
}

/// Whether a table value equals a label value written in the spec (numbers compare as
/// numbers, so `1` matches `1.0`).
fn same_label(cell: &str, wanted: &str) -> bool {
    if cell == wanted {
        return true;
    }
    match (cell.trim().parse::<f64>(), wanted.trim().parse::<f64>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn binary_labels(
    label: &attest_spec::types::LabelSpec,
    label_path: &SpecPath,
    values: &[Option<String>],
    output_positive: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Option<Labels> {
    let (wanted, key, is_positive) = match (&label.positive, &label.negative) {
        (Some(p), _) => (label_text(p), "positive", true),
        (None, Some(n)) => (label_text(n), "negative", false),
        (None, None) => match output_positive {
            Some(p) => (p.to_string(), "positive", true),
            None => {
                problems.push(
                    Problem::error(
                        Code::Incomplete,
                        "a binary task needs the label value that means positive".into(),
                    )
                    .at(label_path.clone())
                    .help("add `positive:` (or `negative:`) to `data.label`"),
                );
                return None;
            }
        },
    };
    // Distinct values with their counts, in order of first appearance.
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for v in values.iter().flatten() {
        match seen.get(v.as_str()) {
            Some(&i) => counts[i].1 += 1,
            None => {
                seen.insert(v, counts.len());
                counts.push((v.clone(), 1));
            }
        }
    }
    let matches = |v: &str| same_label(v, &wanted);
    if !counts.iter().any(|(v, _)| matches(v)) {
        let listed: Vec<String> = counts
            .iter()
            .take(12)
            .map(|(v, n)| format!("`{v}` ({n})"))
            .collect();
        let suggestion = attest_spec::did_you_mean(&wanted, counts.iter().map(|(v, _)| v.as_str()))
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        problems.push(
            Problem::error(
                Code::UnknownLabel,
                format!(
                    "the {key} label `{wanted}` never appears in column `{}`; its values are {}",
                    label.column,
                    listed.join(", ")
                ),
            )
            .column(&label.column)
            .at(label_path.key(key))
            .help(format!(
                "{suggestion}label values are compared exactly, case included"
            )),
        );
        return None;
    }
    // A value that differs from the named one only by case or a typo is almost certainly the
    // same class written differently; silently counting it as the other class would corrupt
    // every metric.
    let mut near_miss = false;
    for (value, _) in &counts {
        if matches(value) {
            continue;
        }
        let close = value.eq_ignore_ascii_case(&wanted)
            || value.trim() == wanted.trim()
            || looks_like_a_typo(value, &wanted);
        if close {
            near_miss = true;
            let rows: Vec<usize> = (0..values.len())
                .filter(|&i| values[i].as_deref() == Some(value.as_str()))
                .collect();
            problems.push(
                Problem::error(
                    Code::UnknownLabel,
                    format!(
                        "label `{value}` ({}) looks like a variant of the {key} value `{wanted}` but would count as the opposite class",
                        rows_phrase(&rows)
                    ),
                )
                .column(&label.column)
                .rows(rows)
                .help(format!("write it exactly as `{wanted}` in the table")),
            );
        }
    }
    if near_miss {
        return None;
    }
    let other: Vec<String> = counts
        .iter()
        .filter(|(v, _)| !matches(v))
        .map(|(v, n)| format!("`{v}` ({n})"))
        .collect();
    // `negative:` is the form for columns listing findings (`Effusion|Mass`), where many
    // positive values are the point; warn only for `positive:`.
    if other.len() > 1 && is_positive {
        problems.push(
            Problem::warning(
                Code::UnknownLabel,
                format!(
                    "column `{}` holds {} values besides `{wanted}`, all counted as negative: {}",
                    label.column,
                    other.len(),
                    other
                        .iter()
                        .take(12)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .column(&label.column)
            .at(label_path.key(key))
            .help("check that each of them is meant as that class"),
        );
    }
    Some(Labels::Binary(
        values
            .iter()
            .map(|v| v.as_deref().map(|v| matches(v) == is_positive))
            .collect(),
    ))
}

fn class_indices(
    values: &[Option<String>],
    classes: &[String],
    column: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Option<usize>> {
    let mut unknown: Vec<(String, Vec<usize>)> = Vec::new();
    let out = values
        .iter()
        .enumerate()
        .map(|(row, v)| {
            let v = v.as_deref()?;
            match classes.iter().position(|c| same_label(v, c)) {
                Some(i) => Some(i),
                None => {
                    match unknown.iter_mut().find(|(u, _)| u == v) {
                        Some((_, rows)) => rows.push(row),
                        None => unknown.push((v.to_string(), vec![row])),
                    }
                    None
                }
            }
        })
        .collect();
    report_unknown(unknown, classes, column, problems);
    out
}

fn label_sets(
    values: &[Option<String>],
    classes: &[String],
    separator: &str,
    column: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Option<Vec<bool>>> {
    let mut unknown: Vec<(String, Vec<usize>)> = Vec::new();
    let out = values
        .iter()
        .enumerate()
        .map(|(row, v)| {
            let v = v.as_deref()?;
            let mut present = vec![false; classes.len()];
            for token in v.split(separator).map(str::trim).filter(|t| !t.is_empty()) {
                match classes.iter().position(|c| c == token) {
                    Some(i) => present[i] = true,
                    None => match unknown.iter_mut().find(|(u, _)| u == token) {
                        Some((_, rows)) => rows.push(row),
                        None => unknown.push((token.to_string(), vec![row])),
                    },
                }
            }
            Some(present)
        })
        .collect();
    report_unknown(unknown, classes, column, problems);
    out
}

fn report_unknown(
    unknown: Vec<(String, Vec<usize>)>,
    classes: &[String],
    column: &str,
    problems: &mut Vec<Problem>,
) {
    for (value, rows) in unknown.iter().take(MAX_LISTED) {
        let suggestion = attest_spec::did_you_mean(value, classes.iter().map(String::as_str))
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        problems.push(
            Problem::error(
                Code::UnknownLabel,
                format!(
                    "label `{value}` in column `{column}` ({}) is not one of the model's classes",
                    rows_phrase(rows)
                ),
            )
            .column(column)
            .rows(rows.clone())
            .at(SpecPath::root().key("model").key("output").key("classes"))
            .help(format!(
                "{suggestion}the classes are: {}",
                classes.join(", ")
            )),
        );
    }
    if unknown.len() > MAX_LISTED {
        problems.push(Problem::error(
            Code::UnknownLabel,
            format!(
                "… and {} more unknown label values",
                unknown.len() - MAX_LISTED
            ),
        ));
    }
}

/// Whether `value` is one edit away from `wanted` in a way that reads as a typo (`Nodul` for
/// `nodule`). Short codes and numbers are distinct values, not typos of each other: `0`/`1`,
/// `Y`/`N` and `M`/`F` are one edit apart but are the usual encodings of two classes.
fn looks_like_a_typo(value: &str, wanted: &str) -> bool {
    let numeric = |s: &str| s.trim().parse::<f64>().is_ok();
    if numeric(value) || numeric(wanted) {
        return false;
    }
    let (value, wanted) = (value.trim().to_lowercase(), wanted.trim().to_lowercase());
    value.chars().count() >= 4
        && wanted.chars().count() >= 4
        && strsim::levenshtein(&value, &wanted) <= 1
}

#[cfg(test)]
mod tests {
    use super::looks_like_a_typo;

    #[test]
    fn typos_of_words_are_caught_but_codes_and_numbers_are_classes() {
        assert!(looks_like_a_typo("Nodul", "nodule"));
        assert!(looks_like_a_typo("nodules", "nodule"));
        for (a, b) in [
            ("0", "1"),
            ("N", "Y"),
            ("no", "yes"),
            ("M", "F"),
            ("10", "11"),
            ("1.0", "2.0"),
        ] {
            assert!(!looks_like_a_typo(a, b), "{a} / {b}");
        }
    }
}
