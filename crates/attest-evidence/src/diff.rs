//! `attest diff`: two runs of a spec compared — typically two model versions on the same test
//! set — as a regression report. Per test: the verdict before and after; per estimate (same
//! test, metric, cohort and image variant): both values, the change and an interval for the
//! change; and how the data changed between the runs (case table, images added, removed or
//! altered, cohort sizes), since a metric can move because the cases moved.
//!
//! **The interval of a change** is MOVER (method of variance estimates recovery; Zou & Donner
//! 2008, *Stat Med* 27:1693; Newcombe 1998 for proportions): from each run's own interval
//! `[l, u]` around its estimate `θ`, the change `d = θ_B − θ_A` gets
//! `[d − √((θ_B − l_B)² + (u_A − θ_A)²), d + √((u_B − θ_B)² + (θ_A − l_A)²)]`. It needs only
//! the two results records, so it works years later without the data. It treats the runs as
//! independent samples; two runs on the *same* cases are positively correlated, so on the same
//! test set it is conservative (wider than a paired interval — a change it calls clear is
//! clear). A paired interval needs both runs' per-case predictions and the cohorts'
//! membership, and is what a comparison test (`reference:`) in the spec gives.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use attest_spec::results::{Estimate, ModelIdentity, Results, TestResult, Verdict};
use serde::{Deserialize, Serialize};

use crate::manifest::InputRole;
use crate::report::{esc, header, row, verdict_badge, STYLE};
use crate::EvidenceError;

/// The diff page's file name.
pub const DIFF_FILE: &str = "diff.html";
/// The diff's PDF file name.
pub const DIFF_PDF_FILE: &str = "diff.pdf";
/// The machine-readable diff's file name.
pub const DIFF_JSON_FILE: &str = "diff.json";

/// One run of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSide {
    /// The bundle folder as given.
    pub dir: String,
    /// Its run id.
    pub run_id: String,
    /// The spec's name.
    pub spec_name: String,
    /// The spec's SHA-256.
    pub spec_sha256: String,
    /// When the run finished (or started).
    pub date: String,
    /// The model under test.
    pub model: Option<ModelIdentity>,
    /// The overall verdict.
    pub verdict: Verdict,
}

/// The change of one cohort's size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortChange {
    /// The cohort.
    pub name: String,
    /// Cases before (none: the cohort did not exist).
    pub before: Option<u64>,
    /// Cases after.
    pub after: Option<u64>,
}

/// How the test data changed between the runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataChange {
    /// Case table SHA-256 before and after.
    pub table_sha256: (Option<String>, Option<String>),
    /// Cases (by id) with an image in both runs and the same image SHA-256.
    pub images_same: u64,
    /// Case ids whose image is only in the second run.
    pub images_added: Vec<String>,
    /// Case ids whose image is only in the first run.
    pub images_removed: Vec<String>,
    /// Case ids in both runs whose image bytes differ.
    pub images_changed: Vec<String>,
    /// Case ids in both runs whose reference-standard label differs (a relabelled case).
    #[serde(default)]
    pub labels_changed: Vec<String>,
    /// Cohort sizes, where they differ or a cohort was added or removed.
    pub cohorts: Vec<CohortChange>,
}

impl DataChange {
    /// Whether the two runs saw the same data (table, images and cohorts).
    pub fn unchanged(&self) -> bool {
        self.table_sha256.0 == self.table_sha256.1
            && self.images_added.is_empty()
            && self.images_removed.is_empty()
            && self.images_changed.is_empty()
            && self.labels_changed.is_empty()
            && self.cohorts.is_empty()
    }
}

/// An interval for a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeInterval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// The confidence level (both runs' intervals have it).
    pub level: f64,
    /// How it was computed.
    pub method: String,
}

/// One estimate in both runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateChange {
    /// The quantity (metric, `drop:…`, `gap:…`, …).
    pub metric: String,
    /// Cohort or subgroup.
    pub cohort: String,
    /// Image variant.
    pub variant: String,
    /// Value and n in the first run (none: absent or undefined there).
    pub before: Option<(f64, u64)>,
    /// Value and n in the second run.
    pub after: Option<(f64, u64)>,
    /// `after − before`.
    pub change: Option<f64>,
    /// Its interval, when both runs give an interval at the same level.
    pub interval: Option<ChangeInterval>,
    /// Why there is no change or no interval.
    pub note: Option<String>,
}

/// How a test's verdict moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictChange {
    /// The same verdict.
    Same,
    /// Better (e.g. FAIL → PASS).
    Improved,
    /// Worse (e.g. PASS → FAIL): a regression.
    Regressed,
    /// Only in the second run.
    Added,
    /// Only in the first run.
    Removed,
}

/// One test in both runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestChange {
    /// Test id.
    pub id: String,
    /// Title (second run's, else first's).
    pub title: Option<String>,
    /// Verdict in the first run.
    pub before: Option<Verdict>,
    /// Verdict in the second run.
    pub after: Option<Verdict>,
    /// How it moved.
    pub change: VerdictChange,
    /// Its estimates, matched by metric, cohort and variant.
    pub estimates: Vec<EstimateChange>,
}

/// Two runs compared (`diff.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDiff {
    /// The first (earlier, baseline) run.
    pub before: RunSide,
    /// The second run.
    pub after: RunSide,
    /// How the data changed.
    pub data: DataChange,
    /// Every test of either run, in the second run's order, then removed ones.
    pub tests: Vec<TestChange>,
    /// Each unperturbed AUC of a test in both runs split into the model's and the data's
    /// part of its change ([`crate::decompose`]).
    #[serde(default)]
    pub decomposition: Vec<crate::decompose::Decomposition>,
}

impl RunDiff {
    /// Tests whose verdict got worse.
    pub fn regressions(&self) -> impl Iterator<Item = &TestChange> {
        self.tests
            .iter()
            .filter(|t| t.change == VerdictChange::Regressed)
    }
}

/// Better verdicts rank higher. ERROR (the test could not be evaluated) ranks lowest: a run
/// that can no longer evaluate a test has lost its evidence, which is worse than a FAIL.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Pass => 3,
        Verdict::Inconclusive => 2,
        Verdict::Fail => 1,
        Verdict::Error => 0,
    }
}

fn side(dir: &Path, r: &Results) -> RunSide {
    RunSide {
        dir: dir.display().to_string(),
        run_id: r.run_id.clone(),
        spec_name: r.spec_name.clone(),
        spec_sha256: r.spec_sha256.clone(),
        date: r
            .finished_at
            .clone()
            .unwrap_or_else(|| r.started_at.clone()),
        model: r.model.clone(),
        verdict: r.verdict,
    }
}

/// MOVER interval of `after − before` from the two estimates' own intervals.
pub fn mover(before: &Estimate, after: &Estimate) -> Result<ChangeInterval, String> {
    let (Some(a), Some(b)) = (before.value, after.value) else {
        return Err("undefined in a run".into());
    };
    let (Some(ca), Some(cb)) = (&before.ci, &after.ci) else {
        return Err("no interval in one of the runs".into());
    };
    if (ca.level - cb.level).abs() > 1e-12 {
        return Err(format!(
            "the runs' intervals have different levels ({} and {})",
            ca.level, cb.level
        ));
    }
    let inside = |v: f64, l: f64, u: f64| l <= v && v <= u;
    if !inside(a, ca.lower, ca.upper) || !inside(b, cb.lower, cb.upper) {
        return Err("an interval does not contain its estimate".into());
    }
    let d = b - a;
    Ok(ChangeInterval {
        lower: d - ((b - cb.lower).powi(2) + (ca.upper - a).powi(2)).sqrt(),
        upper: d + ((cb.upper - b).powi(2) + (a - ca.lower).powi(2)).sqrt(),
        level: cb.level,
        method:
            "MOVER (Zou & Donner 2008) from the two runs' intervals; conservative on the same cases"
                .into(),
    })
}

fn key(e: &Estimate) -> (String, String, String) {
    (
        e.metric.clone(),
        e.cohort.clone(),
        e.variant.clone().unwrap_or_else(|| "original".into()),
    )
}

fn estimate_changes(
    before: Option<&TestResult>,
    after: Option<&TestResult>,
) -> Vec<EstimateChange> {
    let none: &[Estimate] = &[];
    let b_est = before.map_or(none, |t| t.estimates.as_slice());
    let a_est = after.map_or(none, |t| t.estimates.as_slice());
    let mut keys: Vec<(String, String, String)> = a_est.iter().map(key).collect();
    for e in b_est {
        if !keys.contains(&key(e)) {
            keys.push(key(e));
        }
    }
    keys.into_iter()
        .map(|k| {
            let old = b_est.iter().find(|e| key(e) == k);
            let new = a_est.iter().find(|e| key(e) == k);
            let value = |e: Option<&Estimate>| e.and_then(|e| e.value.map(|v| (v, e.n)));
            let (before, after) = (value(old), value(new));
            let change = before.zip(after).map(|((a, _), (b, _))| b - a);
            let (interval, note) = match (old, new) {
                (Some(o), Some(n)) => match mover(o, n) {
                    Ok(i) => (Some(i), None),
                    Err(why) => (None, Some(why)),
                },
                (None, _) => (None, Some("not in the first run".into())),
                (_, None) => (None, Some("not in the second run".into())),
            };
            EstimateChange {
                metric: k.0,
                cohort: k.1,
                variant: k.2,
                before,
                after,
                change,
                interval,
                note,
            }
        })
        .collect()
}

/// Case id → image SHA-256 from a bundle's manifest (empty for scores-only runs).
fn images(dir: &Path) -> Result<BTreeMap<String, Option<String>>, EvidenceError> {
    let manifest = crate::verify::read_manifest(dir)?;
    Ok(manifest
        .inputs
        .into_iter()
        .filter(|i| i.role == InputRole::Image)
        .map(|i| (i.name.unwrap_or(i.path), i.sha256))
        .collect())
}

/// Each case's label as the run recorded it (the unperturbed rows of `predictions.parquet`,
/// whose first column is the case id); empty when the bundle has no predictions table.
fn labels(dir: &Path) -> BTreeMap<String, Option<String>> {
    let path = dir.join(attest_engine::output::PREDICTIONS_FILE);
    let Ok(table) = attest_data::table::Table::read(&path) else {
        return BTreeMap::new();
    };
    let Some(id) = table.column_names().into_iter().next() else {
        return BTreeMap::new();
    };
    let (Ok(ids), Ok(variants), Ok(labels)) = (
        table.string_column(&id),
        table.string_column("variant"),
        table.optional_text_column("label"),
    ) else {
        return BTreeMap::new();
    };
    ids.into_iter()
        .zip(variants)
        .zip(labels)
        .filter(|((_, v), _)| v == "original")
        .map(|((id, _), label)| (id, label))
        .collect()
}

fn data_change(
    (dir_a, a): (&Path, &Results),
    (dir_b, b): (&Path, &Results),
) -> Result<DataChange, EvidenceError> {
    let (before, after) = (images(dir_a)?, images(dir_b)?);
    let mut change = DataChange {
        table_sha256: (
            a.data.as_ref().map(|d| d.table_sha256.clone()),
            b.data.as_ref().map(|d| d.table_sha256.clone()),
        ),
        images_same: 0,
        images_added: Vec::new(),
        images_removed: Vec::new(),
        images_changed: Vec::new(),
        labels_changed: Vec::new(),
        cohorts: Vec::new(),
    };
    let (labels_a, labels_b) = (labels(dir_a), labels(dir_b));
    change.labels_changed = labels_b
        .iter()
        .filter(|(id, label)| labels_a.get(*id).is_some_and(|old| old != *label))
        .map(|(id, _)| id.clone())
        .collect();
    for (case, sha) in &after {
        match before.get(case) {
            None => change.images_added.push(case.clone()),
            Some(old) if old == sha && sha.is_some() => change.images_same += 1,
            Some(_) => change.images_changed.push(case.clone()),
        }
    }
    change.images_removed = before
        .keys()
        .filter(|c| !after.contains_key(*c))
        .cloned()
        .collect();
    let size = |r: &Results, name: &str| r.cohorts.iter().find(|c| c.name == name).map(|c| c.n);
    let mut names: Vec<&str> = b.cohorts.iter().map(|c| c.name.as_str()).collect();
    names.extend(
        a.cohorts
            .iter()
            .map(|c| c.name.as_str())
            .filter(|n| b.cohorts.iter().all(|c| c.name != *n)),
    );
    for name in names {
        let (x, y) = (size(a, name), size(b, name));
        if x != y {
            change.cohorts.push(CohortChange {
                name: name.to_string(),
                before: x,
                after: y,
            });
        }
    }
    Ok(change)
}

/// Compares the bundles `before` and `after` from their own files (`results.json`,
/// `manifest.json`); nothing else needs to exist.
pub fn diff(before: &Path, after: &Path) -> Result<RunDiff, EvidenceError> {
    let (a, b) = (
        crate::bundle::read_results(before)?,
        crate::bundle::read_results(after)?,
    );
    let data = data_change((before, &a), (after, &b))?;
    let (images_a, images_b) = (images(before)?, images(after)?);
    let same_image = |id: &str| match (images_a.get(id), images_b.get(id)) {
        (Some(x), Some(y)) => x.is_some() && x == y,
        // Scores-only runs record no images: the case id is the case.
        (None, None) => images_a.is_empty() && images_b.is_empty(),
        _ => false,
    };
    let decomposition = crate::decompose::decompose((before, &a), (after, &b), &same_image);
    let mut ids: Vec<&str> = b.tests.iter().map(|t| t.id.as_str()).collect();
    ids.extend(
        a.tests
            .iter()
            .map(|t| t.id.as_str())
            .filter(|id| b.tests.iter().all(|t| t.id != *id)),
    );
    let tests = ids
        .into_iter()
        .map(|id| {
            let old = a.tests.iter().find(|t| t.id == id);
            let new = b.tests.iter().find(|t| t.id == id);
            let change = match (old, new) {
                (None, _) => VerdictChange::Added,
                (_, None) => VerdictChange::Removed,
                (Some(o), Some(n)) => match rank(n.verdict).cmp(&rank(o.verdict)) {
                    std::cmp::Ordering::Less => VerdictChange::Regressed,
                    std::cmp::Ordering::Greater => VerdictChange::Improved,
                    std::cmp::Ordering::Equal => VerdictChange::Same,
                },
            };
            TestChange {
                id: id.to_string(),
                title: new.or(old).and_then(|t| t.title.clone()),
                before: old.map(|t| t.verdict),
                after: new.map(|t| t.verdict),
                change,
                estimates: estimate_changes(old, new),
            }
        })
        .collect();
    Ok(RunDiff {
        before: side(before, &a),
        after: side(after, &b),
        data,
        tests,
        decomposition,
    })
}

/// The default output folder: beside the second bundle, `AFTER.diff`.
pub fn default_out(after: &Path) -> PathBuf {
    let mut name = after
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "bundle".into());
    name.push(".diff");
    after.with_file_name(name)
}

fn verdict_cell(v: Option<Verdict>) -> String {
    v.map_or_else(|| "—".to_string(), |v| verdict_badge(v.as_str()))
}

fn model_text(m: Option<&ModelIdentity>) -> String {
    m.map_or_else(
        || "—".into(),
        |m| {
            format!(
                "{} {} ({}{})",
                m.id,
                m.version.as_deref().unwrap_or(""),
                m.backend,
                m.weights_sha256
                    .as_deref()
                    .map(|s| format!(", weights SHA-256 {s}"))
                    .unwrap_or_default()
            )
        },
    )
}

fn signed(v: f64) -> String {
    format!("{v:+.4}")
}

fn ids(list: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut text = list
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > SHOWN {
        let _ = write!(text, " … and {} more", list.len() - SHOWN);
    }
    text
}

/// The regression report page: identification of both runs, the verdict changes, every
/// estimate's change with its interval, and how the data changed.
pub fn render_diff_html(d: &RunDiff) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — run comparison</title><style>{STYLE}</style></head><body>\n<h1>Run comparison: {}</h1>\n",
        esc(&d.after.spec_name),
        esc(&d.after.spec_name)
    );
    let regressions = d.regressions().count();
    let _ = writeln!(
        h,
        "<p class=\"overall\">{} &nbsp; <span class=\"muted\">{} of {} tests changed verdict</span></p>",
        if regressions == 0 {
            verdict_badge("PASS").replace(">PASS<", ">NO REGRESSION<")
        } else {
            verdict_badge("FAIL").replace(">FAIL<", &format!(">{regressions} REGRESSED<"))
        },
        d.tests
            .iter()
            .filter(|t| t.change != VerdictChange::Same)
            .count(),
        d.tests.len()
    );
    h.push_str("<h2 id=\"runs\">1. The two runs</h2>\n");
    // One table per run: hashes are long and unbreakable, two of them side by side do not
    // fit a page.
    for (name, run) in [("Before", &d.before), ("After", &d.after)] {
        let _ = writeln!(h, "<h3>{name}: run {}</h3>\n<table>", esc(&run.run_id));
        for (field, value) in [
            ("bundle", format!("<code>{}</code>", esc(&run.dir))),
            ("date (UTC)", esc(&run.date)),
            ("spec SHA-256", esc(&run.spec_sha256)),
            ("model", esc(&model_text(run.model.as_ref()))),
            ("overall verdict", verdict_badge(run.verdict.as_str())),
        ] {
            let _ = writeln!(h, "<tr><th>{field}</th><td>{value}</td></tr>");
        }
        h.push_str("</table>\n");
    }

    h.push_str("<h2 id=\"verdicts\">2. Verdicts</h2>\n<table>\n");
    header(&mut h, &["test", "title", "before", "after", "change"]);
    for t in &d.tests {
        let change = match t.change {
            VerdictChange::Same => "same",
            VerdictChange::Improved => "improved",
            VerdictChange::Regressed => "<b>REGRESSED</b>",
            VerdictChange::Added => "added",
            VerdictChange::Removed => "removed",
        };
        row(
            &mut h,
            &[
                esc(&t.id),
                esc(t.title.as_deref().unwrap_or("")),
                verdict_cell(t.before),
                verdict_cell(t.after),
                change.to_string(),
            ],
        );
    }
    h.push_str("</table>\n");

    h.push_str("<h2 id=\"estimates\">3. Estimates and their change</h2>\n");
    h.push_str("<p>Change = after − before. The interval of a change is MOVER (Zou &amp; Donner 2008): it combines the two runs' own intervals as independent samples, so on the same cases it is conservative — an interval that excludes 0 is a clear change. A paired interval on the same cases is what a comparison test (<code>reference:</code>) in the spec gives.</p>\n");
    for t in &d.tests {
        let _ = writeln!(h, "<h3>{}</h3>\n<table>", esc(&t.id));
        header(
            &mut h,
            &[
                "quantity",
                "cohort",
                "images",
                "before (n)",
                "after (n)",
                "change",
                "interval of the change",
            ],
        );
        for e in &t.estimates {
            let value = |v: Option<(f64, u64)>| {
                v.map_or_else(|| "—".into(), |(x, n)| format!("{x:.4} ({n})"))
            };
            let interval = match (&e.interval, &e.note) {
                (Some(i), _) => {
                    let clear = if i.lower > 0.0 || i.upper < 0.0 {
                        " <b>clear change</b>"
                    } else {
                        ""
                    };
                    format!(
                        "[{:.4}, {:.4}] at {}{clear}",
                        i.lower,
                        i.upper,
                        crate::junit::percent(i.level)
                    )
                }
                (None, Some(note)) => format!("<span class=\"muted\">{}</span>", esc(note)),
                (None, None) => "—".into(),
            };
            row(
                &mut h,
                &[
                    esc(&e.metric),
                    esc(&e.cohort),
                    esc(&e.variant),
                    value(e.before),
                    value(e.after),
                    e.change.map_or_else(|| "—".into(), signed),
                    interval,
                ],
            );
        }
        h.push_str("</table>\n");
    }

    decomposition_section(&mut h, &d.decomposition);
    h.push_str("<h2 id=\"data\">5. Data</h2>\n<table>\n");
    let table = |s: &Option<String>| {
        s.as_deref()
            .map_or_else(|| "—".into(), |s| format!("<code>{}</code>", esc(s)))
    };
    header(&mut h, &["", "value"]);
    row(
        &mut h,
        &[
            "case table SHA-256 before".into(),
            table(&d.data.table_sha256.0),
        ],
    );
    row(
        &mut h,
        &[
            "case table SHA-256 after".into(),
            table(&d.data.table_sha256.1),
        ],
    );
    row(
        &mut h,
        &[
            "images identical in both runs".into(),
            d.data.images_same.to_string(),
        ],
    );
    for (what, list) in [
        ("images added (case ids)", &d.data.images_added),
        ("images removed (case ids)", &d.data.images_removed),
        (
            "images changed (same case id, other bytes)",
            &d.data.images_changed,
        ),
        (
            "labels changed (same case id, other label)",
            &d.data.labels_changed,
        ),
    ] {
        row(
            &mut h,
            &[
                esc(what),
                format!(
                    "{}{}",
                    list.len(),
                    if list.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", esc(&ids(list)))
                    }
                ),
            ],
        );
    }
    h.push_str("</table>\n");
    if d.data.cohorts.is_empty() {
        h.push_str("<p>Every cohort has the same number of cases in both runs.</p>\n");
    } else {
        h.push_str("<table>\n");
        header(&mut h, &["cohort", "cases before", "cases after"]);
        for c in &d.data.cohorts {
            let n = |v: Option<u64>| v.map_or_else(|| "—".into(), |n| n.to_string());
            row(&mut h, &[esc(&c.name), n(c.before), n(c.after)]);
        }
        h.push_str("</table>\n");
    }
    if !d.data.unchanged() {
        h.push_str("<p><b>The data changed between the runs:</b> part of any change above may come from the cases rather than the model.</p>\n");
    }
    let _ = write!(
        h,
        "<footer>Comparison of run {} with run {}</footer>\n</body></html>\n",
        esc(&d.before.run_id),
        esc(&d.after.run_id)
    );
    h
}

/// Each AUC change split into the model's and the data's part.
fn decomposition_section(h: &mut String, splits: &[crate::decompose::Decomposition]) {
    h.push_str("<h2 id=\"split\">4. Model or data? Each AUC change split</h2>\n");
    if splits.is_empty() {
        h.push_str(
            "<p>No unperturbed AUC is estimated for the same test and cohort in both runs.</p>\n",
        );
        return;
    }
    h.push_str("<p>change = after − before = <b>model</b> + <b>data</b>. The model's part is the second model's AUC minus the first model's on the same cases of the second run's cohort (the first model's scores of byte-identical images, from the first bundle), with DeLong's paired interval; the data's part is the rest — cases added, removed or relabelled, with the first model.</p>\n<table>\n");
    header(
        h,
        &[
            "test",
            "cohort",
            "before",
            "after",
            "change",
            "model (paired 95% CI)",
            "data",
            "cases both models scored",
        ],
    );
    let opt = |v: Option<f64>| v.map_or_else(|| "—".into(), signed);
    for d in splits {
        let model = match (&d.model_effect, &d.model_interval) {
            (Some(m), Some(i)) => format!("{} [{:+.4}, {:+.4}]", signed(*m), i.lower, i.upper),
            (m, _) => opt(*m),
        };
        let covered = format!(
            "{} of {}{}",
            d.covered,
            d.n,
            d.note
                .as_ref()
                .map(|n| format!(" <span class=\"muted\">({})</span>", esc(n)))
                .unwrap_or_default()
        );
        row(
            h,
            &[
                esc(&d.test),
                esc(&d.cohort),
                format!("{:.4}", d.before),
                format!("{:.4}", d.after),
                signed(d.after - d.before),
                model,
                opt(d.data_effect),
                covered,
            ],
        );
    }
    h.push_str("</table>\n");
}

/// What every page of the diff's PDF names: both runs.
pub fn diff_identity(d: &RunDiff) -> crate::report::typst::PageIdentity {
    crate::report::typst::PageIdentity {
        title: format!("{} — run comparison", d.after.spec_name),
        footer: format!(
            "{} · run {} → run {}",
            d.after.spec_name, d.before.run_id, d.after.run_id
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attest_spec::results::Interval;
    use attest_spec::types::CiMethod;

    fn estimate(value: f64, lower: f64, upper: f64) -> Estimate {
        Estimate {
            metric: "auc".into(),
            cohort: "all".into(),
            variant: None,
            value: Some(value),
            n: 100,
            positives: None,
            negatives: None,
            clusters: None,
            at: None,
            ci: Some(Interval {
                lower,
                upper,
                method: CiMethod::Delong,
                level: 0.95,
                resamples: None,
                seed: None,
            }),
            adjusted_p: None,
            undefined: None,
        }
    }

    #[test]
    fn mover_equals_the_wald_difference_for_symmetric_intervals() {
        // Symmetric intervals with half-widths 1.96·se: MOVER gives d ± 1.96·√(se_a² + se_b²).
        let (se_a, se_b) = (0.02, 0.03);
        let z = 1.959_963_984_540_054;
        let a = estimate(0.80, 0.80 - z * se_a, 0.80 + z * se_a);
        let b = estimate(0.85, 0.85 - z * se_b, 0.85 + z * se_b);
        let i = mover(&a, &b).unwrap_or_else(|e| panic!("{e}"));
        let half = z * (se_a * se_a + se_b * se_b).sqrt();
        assert!((i.lower - (0.05 - half)).abs() < 1e-12);
        assert!((i.upper - (0.05 + half)).abs() < 1e-12);
    }

    #[test]
    fn mover_uses_the_matching_sides_of_asymmetric_intervals() {
        let a = estimate(0.9, 0.8, 0.95);
        let b = estimate(0.7, 0.6, 0.85);
        let i = mover(&a, &b).unwrap_or_else(|e| panic!("{e}"));
        // d = -0.2; lower uses B's lower side (0.1) and A's upper side (0.05).
        assert!((i.lower - (-0.2 - (0.01f64 + 0.0025).sqrt())).abs() < 1e-12);
        assert!((i.upper - (-0.2 + (0.0225f64 + 0.01).sqrt())).abs() < 1e-12);
    }

    #[test]
    fn mover_refuses_intervals_it_cannot_combine() {
        let a = estimate(0.9, 0.8, 0.95);
        let mut b = estimate(0.7, 0.6, 0.85);
        if let Some(ci) = b.ci.as_mut() {
            ci.level = 0.9;
        }
        assert!(mover(&a, &b).is_err_and(|e| e.contains("different levels")));
        b.ci = None;
        assert!(mover(&a, &b).is_err());
        let outside = estimate(0.99, 0.8, 0.95);
        assert!(mover(&a, &outside).is_err());
    }

    #[test]
    fn verdicts_rank_pass_over_inconclusive_over_fail_over_error() {
        assert!(rank(Verdict::Pass) > rank(Verdict::Inconclusive));
        assert!(rank(Verdict::Inconclusive) > rank(Verdict::Fail));
        assert!(rank(Verdict::Fail) > rank(Verdict::Error));
    }
}
