//! `report.html`: the human report of a run, one self-contained page (inline CSS and SVG, no
//! JavaScript, no network) that an auditor can read offline years later — identification,
//! intended use, model and data identity, the acceptance criteria as pre-specified, every
//! test's estimates with n, interval method and level, verdicts with reasons, operating
//! points, warnings and exclusions, ROC, robustness, forest and calibration plots, the
//! traceability matrix, signature blocks, and the frozen spec.
//!
//! The markup is assembled from strings with every piece of text escaped by [`esc`]: one
//! static page of a few hundred lines does not warrant a template engine's build time.

pub mod curves;
pub mod gallery;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod svg;
pub mod typst;

use std::fmt::Write as _;

use attest_spec::results::{Estimate, Results, TestResult, Verdict};
use attest_spec::types::{Spec, TestKind};

use crate::junit::percent;
use crate::traceability::Row;
pub use curves::{Curves, RocSeries};
use svg::{Chart, FAIL, PASS, SERIES};

/// The report's file name.
pub const REPORT_FILE: &str = "report.html";

/// Escapes `text` for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Everything the report shows.
#[derive(Debug)]
pub struct ReportInput<'a> {
    /// The results record.
    pub results: &'a Results,
    /// The spec as run.
    pub spec: &'a Spec,
    /// Its text (quoted in the appendix).
    pub spec_text: &'a str,
    /// ROC and calibration curves computed from the predictions.
    pub curves: &'a Curves,
    /// The traceability matrix.
    pub traceability: &'a [Row],
}

/// Whether this build typesets PDFs (the `pdf` cargo feature, on by default).
pub const PDF_ENABLED: bool = cfg!(feature = "pdf");

/// The report's PDF file name.
pub const REPORT_PDF_FILE: &str = "report.pdf";

/// What every page of the report's PDF names: the run and the spec's hash.
pub fn report_identity(r: &Results) -> typst::PageIdentity {
    typst::PageIdentity {
        title: format!("{} — verification report {}", r.spec_name, r.run_id),
        footer: format!(
            "{} · run {} · spec SHA-256 {}",
            r.spec_name, r.run_id, r.spec_sha256
        ),
    }
}

/// Typesets an HTML page of this crate (report or plan) as a PDF with `identity` in every
/// footer; `what` names the file in an error.
#[cfg(feature = "pdf")]
pub fn typeset_pdf(
    html: &str,
    identity: &typst::PageIdentity,
    what: &'static str,
) -> Result<Vec<u8>, crate::EvidenceError> {
    pdf::html_to_pdf(html, identity).map_err(|reason| crate::EvidenceError::Format { what, reason })
}

/// A report rendered again from a bundle's files.
#[derive(Debug, Clone)]
pub struct Rerendered {
    /// The page (`report.html`).
    pub html: String,
    /// Run and spec hash for the PDF's footers.
    pub identity: typst::PageIdentity,
}

/// Re-renders the report of the bundle in `dir` from its files alone (`results.json`,
/// `spec.yaml`, `curves.json`), without touching the bundle: returns the page (and what
/// its PDF's footers name).
pub fn rerender(dir: &std::path::Path) -> Result<Rerendered, crate::EvidenceError> {
    use crate::EvidenceError;
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| EvidenceError::NotABundle {
            path: dir.to_path_buf(),
            reason: format!("cannot read {name}: {e}"),
        })
    };
    let results = crate::bundle::read_results(dir)?;
    let spec_text = read(attest_engine::output::SPEC_FILE)?;
    let source = attest_spec::SpecSource::new("spec.yaml", spec_text.clone());
    let validation =
        attest_spec::validate_source(&source, &attest_spec::ValidateOptions::default());
    let spec = validation.spec.ok_or_else(|| EvidenceError::NotABundle {
        path: dir.to_path_buf(),
        reason: "spec.yaml is not a spec".into(),
    })?;
    // Bundles without curves (or from before they were kept) render without ROC and
    // reliability plots.
    let curves: Curves = read(curves::CURVES_FILE)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let rows = crate::traceability::matrix(&spec, &results);
    let html = render_html(&ReportInput {
        results: &results,
        spec: &spec,
        spec_text: &spec_text,
        curves: &curves,
        traceability: &rows,
    });
    Ok(Rerendered {
        html,
        identity: report_identity(&results),
    })
}

pub(crate) const STYLE: &str = r#"
body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.6em; } table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.v { font-weight: bold; padding: 0.1em 0.45em; border-radius: 3px; color: #fff; white-space: nowrap; }
.PASS { background: #1E8449; } .FAIL { background: #C0392B; } .INCONCLUSIVE { background: #B9770E; } .ERROR { background: #6C3483; } .NOT { background: #7F8C8D; }
.overall { font-size: 1.3em; } .muted { color: #666; } .reason { color: #444; font-style: italic; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; } .sign td { height: 2.2em; min-width: 12em; }
footer { margin-top: 3em; border-top: 1px solid #ddd; padding-top: 0.5em; font-size: 0.85em; color: #666; }
@media print { body { max-width: none; } h2 { page-break-after: avoid; } .test { page-break-inside: avoid; } }
"#;

pub(crate) fn verdict_badge(v: &str) -> String {
    let class = if v == "NOT TESTED" { "NOT" } else { v };
    format!(r#"<span class="v {class}">{}</span>"#, esc(v))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v:.4}"))
}

pub(crate) fn row(out: &mut String, cells: &[String]) {
    out.push_str("<tr>");
    for c in cells {
        let _ = write!(out, "<td>{c}</td>");
    }
    out.push_str("</tr>\n");
}

pub(crate) fn header(out: &mut String, cells: &[&str]) {
    out.push_str("<tr>");
    for c in cells {
        let _ = write!(out, "<th>{}</th>", esc(c));
    }
    out.push_str("</tr>\n");
}

/// The report page.
pub fn render_html(input: &ReportInput<'_>) -> String {
    let r = input.results;
    let spec = input.spec;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — verification report {}</title><style>{STYLE}</style></head><body>\n",
        esc(&r.spec_name),
        esc(&r.run_id)
    );
    let _ = write!(
        h,
        "<h1>Verification report: {}</h1>\n<p class=\"overall\">Overall verdict: {} &nbsp; <span class=\"muted\">{} tests — {}</span></p>\n",
        esc(&r.spec_name),
        verdict_badge(r.verdict.as_str()),
        r.tests.len(),
        esc(&summary(r))
    );
    // A run of only some tests (`attest::Runner::only`, a `cargo test` filter) says so
    // before anything else: its overall verdict is not the spec's.
    if let Some(partial) = r.warnings.iter().find(|w| w.starts_with("partial run:")) {
        let _ = writeln!(h, "<p class=\"reason\"><b>{}</b></p>", esc(partial));
    }
    identification(&mut h, r);
    plan_section(&mut h, r);
    intended_use(&mut h, r, spec);
    verdict_table(&mut h, r);
    operating_points(&mut h, r);
    warnings(&mut h, r);
    h.push_str("<h2 id=\"tests\">4. Results per test</h2>\n");
    for t in &r.tests {
        test_section(&mut h, t, spec, input.curves);
    }
    traceability(&mut h, input.traceability);
    signatures(&mut h, 6, spec.signatories.as_ref());
    if let Some(e) = &r.exploration {
        exploration(&mut h, e);
    }
    let _ = write!(
        h,
        "<h2 id=\"spec\">Appendix: the spec as run (SHA-256 {})</h2>\n<pre>{}</pre>\n",
        esc(&r.spec_sha256),
        esc(input.spec_text)
    );
    let _ = write!(
        h,
        "<footer>Run {} · spec SHA-256 {} · {} {} · generated {}</footer>\n</body></html>\n",
        esc(&r.run_id),
        esc(&r.spec_sha256),
        esc(&r.tool.name),
        esc(&r.tool.version),
        esc(r.finished_at.as_deref().unwrap_or(&r.started_at))
    );
    h
}

fn summary(r: &Results) -> String {
    let count = |v: Verdict| r.tests.iter().filter(|t| t.verdict == v).count();
    format!(
        "{} passed, {} failed, {} inconclusive, {} errors",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Inconclusive),
        count(Verdict::Error)
    )
}

fn identification(h: &mut String, r: &Results) {
    h.push_str("<h2 id=\"identification\">1. Identification</h2>\n<table>\n");
    let env = r.environment.as_ref();
    let items: Vec<(&str, String)> = vec![
        ("Run id", r.run_id.clone()),
        ("Started (UTC)", r.started_at.clone()),
        ("Finished (UTC)", r.finished_at.clone().unwrap_or_default()),
        ("Tool", format!("{} {}", r.tool.name, r.tool.version)),
        ("Spec", r.spec_name.clone()),
        ("Spec SHA-256", r.spec_sha256.clone()),
        ("Seed", r.seed.to_string()),
        (
            "Environment",
            env.map(|e| format!("{}, {} CPUs, {} threads", e.os, e.cpus, e.threads))
                .unwrap_or_default(),
        ),
        (
            "CPU",
            env.and_then(|e| e.cpu.clone())
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "Libraries",
            env.map(|e| e.libraries.join(", "))
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "Run by",
            env.and_then(|e| e.user.clone())
                .unwrap_or_else(|| "—".into()),
        ),
    ];
    for (k, v) in items {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    if !r.shards.is_empty() {
        let shards: Vec<String> = r
            .shards
            .iter()
            .map(|s| {
                format!(
                    "{} ({} cases, {} – {})",
                    s.shard, s.cases, s.started_at, s.finished_at
                )
            })
            .collect();
        let _ = writeln!(
            h,
            "<tr><th>Computed in shards</th><td>{}</td></tr>",
            esc(&shards.join("; "))
        );
    }
    h.push_str("</table>\n");
}

/// Whether the run followed the approved test plan, and every deviation.
fn plan_section(h: &mut String, r: &Results) {
    h.push_str("<h3>Execution against the approved test plan</h3>\n");
    let Some(plan) = &r.plan_sha256 else {
        h.push_str("<p>No approved test plan was referenced (<code>attest run --plan-hash</code>). The criteria are those of the spec as run, quoted in the appendix.</p>\n");
        return;
    };
    let mut deviations = Vec::new();
    if !plan.eq_ignore_ascii_case(&r.spec_sha256) {
        deviations.push(format!(
            "the spec run (SHA-256 {}) is not the approved plan",
            r.spec_sha256
        ));
    }
    if !r.exclusions.is_empty() {
        deviations.push(format!(
            "{} (case, variant) pair(s) could not be scored and were excluded (listed below)",
            r.exclusions.len()
        ));
    }
    for t in r.tests.iter().filter(|t| t.verdict == Verdict::Error) {
        deviations.push(format!(
            "test {} could not be evaluated: {}",
            t.id,
            t.reason.as_deref().unwrap_or("no reason recorded")
        ));
    }
    if deviations.is_empty() {
        let _ = writeln!(
            h,
            "<p><b>Executed as planned.</b> The spec run is the approved plan (SHA-256 {}); every planned case and variant was scored and every test evaluated.</p>",
            esc(plan)
        );
    } else {
        let _ = writeln!(
            h,
            "<p><b>Deviations from the approved plan</b> (SHA-256 {}):</p>\n<ul>",
            esc(plan)
        );
        for d in deviations {
            let _ = writeln!(h, "<li>{}</li>", esc(&d));
        }
        h.push_str("</ul>\n");
    }
}

fn intended_use(h: &mut String, r: &Results, spec: &Spec) {
    h.push_str("<h2 id=\"scope\">2. Intended use, model and data</h2>\n<table>\n");
    let mut items: Vec<(&str, String)> = vec![
        ("Intended use", spec.intended_use.clone()),
        (
            "Population",
            spec.population.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            "Intended users",
            spec.intended_users.clone().unwrap_or_else(|| "—".into()),
        ),
    ];
    if let Some(m) = &r.model {
        items.push((
            "Model",
            format!(
                "{}{} — {}",
                m.id,
                m.version
                    .as_ref()
                    .map(|v| format!(" version {v}"))
                    .unwrap_or_default(),
                m.backend
            ),
        ));
        items.push((
            "Model SHA-256",
            m.weights_sha256.clone().unwrap_or_else(|| "—".into()),
        ));
    }
    if let Some(d) = &r.data {
        items.push((
            "Case table",
            format!("{} (SHA-256 {})", d.table, d.table_sha256),
        ));
        items.push(("Cases / images", format!("{} / {}", d.cases, d.images)));
        items.push(("Dataset fingerprint", d.fingerprint.clone()));
    }
    for (k, v) in items {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    h.push_str("</table>\n<h3>Cohorts</h3>\n<table>\n");
    header(
        h,
        &[
            "cohort",
            "definition",
            "n",
            "positives",
            "negatives",
            "prevalence",
            "unlabelled",
        ],
    );
    for c in &r.cohorts {
        let prevalence = match (c.positives, c.negatives) {
            (Some(p), Some(n)) if p + n > 0 => format!("{:.3}", p as f64 / (p + n) as f64),
            _ => "—".into(),
        };
        row(
            h,
            &[
                esc(&c.name),
                esc(c.predicate.as_deref().unwrap_or("all cases")),
                format!("{}", c.n),
                c.positives.map_or("—".into(), |p| p.to_string()),
                c.negatives.map_or("—".into(), |p| p.to_string()),
                prevalence,
                c.unlabelled.to_string(),
            ],
        );
    }
    h.push_str("</table>\n");
}

fn verdict_table(h: &mut String, r: &Results) {
    h.push_str(
        "<h2 id=\"summary\">3. Verdicts and acceptance criteria as pre-specified</h2>\n<table>\n",
    );
    header(
        h,
        &[
            "test",
            "title",
            "kind",
            "traces",
            "criteria (as written in the spec)",
            "verdict",
            "headline",
            "reason",
        ],
    );
    for t in &r.tests {
        let mut criteria: Vec<String> = t
            .criteria
            .iter()
            .map(|c| format!("{} {}", c.quantity, c.criterion))
            .collect();
        criteria.dedup();
        let allowed = if t.allow_inconclusive && t.verdict == Verdict::Inconclusive {
            " (allowed)"
        } else {
            ""
        };
        row(
            h,
            &[
                format!("<a href=\"#{0}\">{0}</a>", esc(&t.id)),
                esc(t.title.as_deref().unwrap_or("")),
                esc(t.kind.as_str()),
                esc(&t.traces.join(", ")),
                esc(&criteria.join("; ")),
                format!("{}{allowed}", verdict_badge(t.verdict.as_str())),
                esc(&crate::headline::headline(t)),
                format!(
                    "<span class=\"reason\">{}</span>",
                    esc(t.reason.as_deref().unwrap_or(""))
                ),
            ],
        );
    }
    h.push_str("</table>\n");
}

fn operating_points(h: &mut String, r: &Results) {
    if r.operating_points.is_empty() {
        return;
    }
    h.push_str("<h3>Operating points</h3>\n<table>\n");
    header(
        h,
        &[
            "operating point",
            "rule",
            "chosen on",
            "group",
            "threshold",
            "achieved",
            "n",
        ],
    );
    for p in &r.operating_points {
        for t in &p.thresholds {
            row(
                h,
                &[
                    esc(&p.name),
                    esc(&p.rule),
                    esc(p.chosen_on.as_deref().unwrap_or("fixed")),
                    esc(&t.group.clone().map_or_else(
                        || "—".into(),
                        |g| format!("{} = {g}", p.per.clone().unwrap_or_default()),
                    )),
                    t.threshold.map_or_else(
                        || esc(t.undefined.as_deref().unwrap_or("undefined")),
                        |v| format!("{v:.6}"),
                    ),
                    num(t.achieved),
                    t.n.to_string(),
                ],
            );
        }
    }
    h.push_str("</table>\n");
}

fn warnings(h: &mut String, r: &Results) {
    if !r.warnings.is_empty() {
        h.push_str("<h3>Warnings</h3>\n<ul>\n");
        for w in &r.warnings {
            let _ = writeln!(h, "<li>{}</li>", esc(w));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("<h3>Excluded cases</h3>\n");
    if r.exclusions.is_empty() {
        h.push_str("<p>None: every planned case and variant was scored.</p>\n");
    } else {
        h.push_str("<table>\n");
        header(h, &["case", "variant", "reason"]);
        for e in &r.exclusions {
            row(h, &[esc(&e.case), esc(&e.variant), esc(&e.reason)]);
        }
        h.push_str("</table>\n");
    }
}

fn estimate_row(h: &mut String, e: &Estimate) {
    let ci = e.ci.as_ref();
    row(
        h,
        &[
            esc(&e.metric),
            esc(&e.cohort),
            esc(e.variant.as_deref().unwrap_or("")),
            format!("<span class=\"num\">{}</span>", num(e.value)),
            ci.map_or_else(
                || "—".into(),
                |c| format!("[{:.4}, {:.4}]", c.lower, c.upper),
            ),
            ci.map_or_else(String::new, |c| {
                let method = serde_json::to_value(c.method)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let extra = match (c.resamples, c.seed) {
                    (Some(b), Some(s)) => format!(", {b} resamples, seed {s}"),
                    _ => String::new(),
                };
                esc(&format!("{method}, {}{extra}", percent(c.level)))
            }),
            e.n.to_string(),
            e.positives.map_or("—".into(), |p| p.to_string()),
            e.negatives.map_or("—".into(), |p| p.to_string()),
            esc(e.at.as_deref().unwrap_or("")),
            esc(e.undefined.as_deref().unwrap_or("")),
        ],
    );
}

fn test_section(h: &mut String, t: &TestResult, spec: &Spec, curves: &Curves) {
    let _ = writeln!(
        h,
        "<section class=\"test\" id=\"{0}\"><h3>{0}{1} {2}</h3>",
        esc(&t.id),
        t.title
            .as_ref()
            .map(|s| format!(": {}", esc(s)))
            .unwrap_or_default(),
        verdict_badge(t.verdict.as_str())
    );
    let definition = spec.tests.iter().find(|d| d.id == t.id);
    if let Some(rationale) = definition.and_then(|d| d.rationale.as_ref()) {
        let _ = writeln!(h, "<p><b>Rationale:</b> {}</p>", esc(rationale));
    }
    if let Some(reason) = &t.reason {
        let _ = writeln!(h, "<p class=\"reason\">{}</p>", esc(reason));
    }
    if let Some(level) = &t.breaking_level {
        let _ = writeln!(h, "<p><b>Breaking level:</b> {}</p>", esc(level));
    }
    if !t.estimates.is_empty() {
        h.push_str("<table>\n");
        header(
            h,
            &[
                "estimate",
                "cohort",
                "variant",
                "value",
                "interval",
                "method, level",
                "n",
                "pos.",
                "neg.",
                "threshold",
                "undefined because",
            ],
        );
        for e in &t.estimates {
            estimate_row(h, e);
        }
        h.push_str("</table>\n");
    }
    if !t.criteria.is_empty() {
        h.push_str("<table>\n");
        header(h, &["criterion", "on", "value", "verdict"]);
        for c in &t.criteria {
            row(
                h,
                &[
                    esc(&format!("{} {}", c.quantity, c.criterion)),
                    esc(&c.on),
                    num(c.value),
                    verdict_badge(c.verdict.as_str()),
                ],
            );
        }
        h.push_str("</table>\n");
    }
    for m in curves.confusion.iter().filter(|m| m.test == t.id) {
        confusion_table(h, m);
    }
    let plots = plots_for(t, curves);
    if !plots.is_empty() {
        let _ = writeln!(h, "<div class=\"plots\">{}</div>", plots.join(""));
    }
    for g in curves.gallery.iter().filter(|g| g.test == t.id) {
        gallery_table(h, g);
    }
    for e in curves.errors.iter().filter(|e| e.test == t.id) {
        error_table(h, e);
    }
    h.push_str("</section>\n");
}

/// A 2×2 confusion matrix at the test's operating point.
/// The most confident false positives and false negatives at the test's operating point.
fn error_table(h: &mut String, e: &gallery::ErrorGallery) {
    for (kind, cases, total, order) in [
        (
            "False positives",
            &e.false_positives,
            e.counts.0,
            "highest scores first",
        ),
        (
            "False negatives",
            &e.false_negatives,
            e.counts.1,
            "lowest scores first",
        ),
    ] {
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(
            h,
            "<table class=\"gallery\"><tr><th colspan=\"4\">{kind} at {} on {} ({} of {total}, {order}; exploratory)</th></tr>",
            esc(&e.at),
            esc(&e.cohort),
            cases.len()
        );
        header(h, &["case", "score (threshold)", "metadata", "image"]);
        for c in cases {
            row(
                h,
                &[
                    esc(&c.case),
                    format!("{:.3} ({:.3})", c.score, c.threshold),
                    esc(&c.metadata),
                    format!(
                        "<img src=\"data:image/png;base64,{}\" alt=\"{}\" width=\"96\">",
                        c.png,
                        esc(&c.case)
                    ),
                ],
            );
        }
        h.push_str("</table>\n");
    }
}

/// The cases the test's perturbation hurt most: thumbnails before and after, with scores.
fn gallery_table(h: &mut String, g: &gallery::Gallery) {
    let title = match (&g.at, g.flips) {
        (Some(at), Some((flips, of))) => format!(
            "Decisions that flip at operating point {} under {} on {}: {flips} of {of} cases{} (most hurt first)",
            esc(at),
            esc(&g.variant),
            esc(&g.cohort),
            if flips > g.cases.len() {
                format!(", the first {} shown", g.cases.len())
            } else {
                String::new()
            }
        ),
        _ => format!(
            "Cases hurt most by {} on {} (score moved furthest the wrong way)",
            esc(&g.variant),
            esc(&g.cohort)
        ),
    };
    let _ = writeln!(
        h,
        "<table class=\"gallery\"><tr><th colspan=\"5\">{title}</th></tr>"
    );
    header(
        h,
        &[
            "case",
            "label",
            "score: original → perturbed",
            "original",
            "perturbed",
        ],
    );
    let img = |png: &str, alt: &str| {
        format!(
            "<img src=\"data:image/png;base64,{png}\" alt=\"{}\" width=\"96\">",
            esc(alt)
        )
    };
    for c in &g.cases {
        row(
            h,
            &[
                esc(&c.case),
                esc(&c.label),
                format!("{:.3} → {:.3}", c.original, c.perturbed),
                img(&c.original_png, &format!("{} original", c.case)),
                img(&c.perturbed_png, &format!("{} {}", c.case, g.variant)),
            ],
        );
    }
    h.push_str("</table>\n");
}

fn confusion_table(h: &mut String, m: &curves::Confusion) {
    let _ = writeln!(
        h,
        "<table><tr><th colspan=\"3\">Confusion matrix on {} at {}{}</th></tr>\n<tr><th></th><th>predicted positive</th><th>predicted negative</th></tr>\n<tr><th>positive</th><td class=\"num\">{} (TP)</td><td class=\"num\">{} (FN)</td></tr>\n<tr><th>negative</th><td class=\"num\">{} (FP)</td><td class=\"num\">{} (TN)</td></tr></table>",
        esc(&m.cohort),
        esc(&m.at),
        if m.no_threshold > 0 {
            format!(" ({} cases without a threshold left out)", m.no_threshold)
        } else {
            String::new()
        },
        m.tp,
        m.fn_,
        m.fp,
        m.tn
    );
}

/// The plots of one test: ROC for AUC and threshold metrics, robustness curves, forest plots
/// for subgroups, reliability diagrams for calibration.
fn plots_for(t: &TestResult, curves: &Curves) -> Vec<String> {
    let mut out = Vec::new();
    match t.kind {
        TestKind::Robustness => out.extend(robustness_plot(t)),
        TestKind::Subgroups => out.extend(forest_plot(t)),
        TestKind::Calibration => {
            for e in t.estimates.iter().filter(|e| e.value.is_some()) {
                if let Some(c) = curves
                    .calibration
                    .iter()
                    .find(|c| c.cohort == e.cohort && c.test == t.id)
                {
                    out.push(curves::calibration_plot(c));
                }
            }
        }
        TestKind::Performance | TestKind::Comparison => {
            let mut seen = Vec::new();
            for e in t.estimates.iter().filter(|e| e.value.is_some()) {
                if seen.contains(&e.cohort) {
                    continue;
                }
                if let Some(roc) = curves.roc.iter().find(|c| c.cohort == e.cohort) {
                    out.push(curves::roc_plot(roc));
                    seen.push(e.cohort.clone());
                }
            }
        }
        _ => {}
    }
    out
}

fn robustness_plot(t: &TestResult) -> Option<String> {
    let drop_metric = t.estimates.iter().find(|e| e.metric.starts_with("drop:"))?;
    let metric = drop_metric.metric.trim_start_matches("drop:").to_string();
    let levels: Vec<&Estimate> = t.estimates.iter().filter(|e| e.metric == metric).collect();
    let baseline = levels.first()?.value?;
    let lows: Vec<f64> = levels
        .iter()
        .filter_map(|e| e.ci.as_ref().map(|c| c.lower).or(e.value))
        .collect();
    let highs: Vec<f64> = levels
        .iter()
        .filter_map(|e| e.ci.as_ref().map(|c| c.upper).or(e.value))
        .collect();
    let limit = robustness_limit(t, &metric, baseline);
    let limit_value = limit.as_ref().map_or(baseline, |(v, _)| *v);
    let lo = lows
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(baseline)
        .min(limit_value)
        - 0.02;
    let hi = highs
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(baseline)
        .max(limit_value)
        + 0.02;
    let mut chart = Chart::new(
        460.0,
        260.0,
        (-0.5, levels.len() as f64 - 0.5),
        (lo.max(0.0), hi.min(1.0).max(lo + 0.05)),
    );
    chart.axes_with("", &metric, 4, (false, true));
    chart.hline(baseline, &format!("unperturbed {baseline:.3}"), "#555");
    if let Some((value, text)) = &limit {
        chart.hline(*value, text, FAIL);
    }
    let labels: Vec<String> = levels
        .iter()
        .map(|e| e.variant.clone().unwrap_or_default())
        .collect();
    chart.x_categories(&labels);
    let points: Vec<(f64, f64)> = levels
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.value.map(|v| (i as f64, v)))
        .collect();
    chart.line(&points, SERIES[0], false);
    for (i, e) in levels.iter().enumerate() {
        let Some(v) = e.value else { continue };
        let variant = e.variant.as_deref().unwrap_or("");
        let failed = t
            .criteria
            .iter()
            .any(|c| c.verdict == Verdict::Fail && c.on.contains(&format!("({variant})")));
        chart.point_with_interval(
            i as f64,
            v,
            e.ci.as_ref().map(|c| c.lower),
            e.ci.as_ref().map(|c| c.upper),
            if failed {
                FAIL
            } else if i == 0 {
                "#555"
            } else {
                PASS
            },
        );
    }
    if let Some(breaking) = &t.breaking_level {
        if let Some(i) = labels.iter().position(|l| l == breaking) {
            chart.vline(i as f64 - 0.5, "breaks here", FAIL);
        }
    }
    Some(chart.finish(&format!("{}: {metric} by perturbation level", t.id)))
}

/// Where a robustness test's criterion puts the lowest acceptable value of `metric` (the
/// highest, for metrics where lower is better), and how to label that line: a `drop` limit
/// counts from the unperturbed value, an `estimate`/`lower` bound is the value itself.
fn robustness_limit(t: &TestResult, metric: &str, baseline: f64) -> Option<(f64, String)> {
    let higher_is_better =
        attest_spec::catalog::metric_info(metric).is_none_or(|m| m.higher_is_better);
    t.criteria.iter().find_map(|c| {
        let bound = criterion_bound(&c.criterion)?;
        match c.quantity.as_str() {
            "drop" => {
                let limit = if higher_is_better {
                    baseline - bound
                } else {
                    baseline + bound
                };
                Some((limit, format!("limit: drop {} ({limit:.3})", c.criterion)))
            }
            "estimate" | "lower" | "upper" => {
                Some((bound, format!("limit: {} {}", c.quantity, c.criterion)))
            }
            _ => None,
        }
    })
}

fn forest_plot(t: &TestResult) -> Option<String> {
    let groups: Vec<&Estimate> = t
        .estimates
        .iter()
        .filter(|e| !e.metric.starts_with("gap:") && e.value.is_some())
        .collect();
    if groups.is_empty() {
        return None;
    }
    let lo = groups
        .iter()
        .filter_map(|e| e.ci.as_ref().map(|c| c.lower).or(e.value))
        .fold(f64::INFINITY, f64::min);
    let hi = groups
        .iter()
        .filter_map(|e| e.ci.as_ref().map(|c| c.upper).or(e.value))
        .fold(f64::NEG_INFINITY, f64::max);
    let height = 70.0 + 26.0 * groups.len() as f64;
    let mut chart = Chart::new(
        520.0,
        height,
        ((lo - 0.05).max(0.0), (hi + 0.05).min(1.0)),
        (-0.5, groups.len() as f64 - 0.5),
    );
    chart.axes_with(&groups[0].metric, "", 4, (true, false));
    for (i, e) in groups.iter().enumerate() {
        let y = (groups.len() - 1 - i) as f64;
        let value = e.value.unwrap_or(f64::NAN);
        chart.point_with_horizontal_interval(
            value,
            y,
            e.ci.as_ref().map(|c| c.lower),
            e.ci.as_ref().map(|c| c.upper),
            SERIES[0],
        );
        chart.label(value, y, 8.0, &format!("{} (n={})", e.cohort, e.n));
    }
    for c in &t.criteria {
        if let Some(bound) = criterion_bound(&c.criterion) {
            if matches!(c.quantity.as_str(), "estimate" | "lower" | "upper") {
                chart.vline(bound, &format!("{} {}", c.quantity, c.criterion), FAIL);
                break;
            }
        }
    }
    Some(chart.finish(&format!("{}: {} by subgroup", t.id, groups[0].metric)))
}

/// The number of a criterion written like `>= 0.85`.
fn criterion_bound(text: &str) -> Option<f64> {
    text.trim_start_matches(['<', '>', '=', ' '])
        .trim()
        .parse()
        .ok()
}

fn traceability(h: &mut String, rows: &[Row]) {
    h.push_str("<h2 id=\"traceability\">5. Traceability: requirement → risk control → test → verdict</h2>\n<table>\n");
    header(h, &["requirement", "risk control", "test", "verdict"]);
    for r in rows {
        let describe = |id: &str, text: &str| {
            if id.is_empty() {
                "—".to_string()
            } else {
                format!("<b>{}</b> {}", esc(id), esc(text))
            }
        };
        row(
            h,
            &[
                describe(&r.requirement, &r.requirement_text),
                describe(&r.risk_control, &r.risk_control_text),
                if r.test.is_empty() {
                    "—".into()
                } else {
                    format!(
                        "<a href=\"#{0}\">{0}</a> {1}",
                        esc(&r.test),
                        esc(&r.test_title)
                    )
                },
                verdict_badge(&r.verdict),
            ],
        );
    }
    h.push_str("</table>\n");
}

/// The spec's `explore:` findings, after everything signed and set apart from it: what the
/// search tried, and its ranked segments with n, AUC, interval and adjusted p-value.
fn exploration(h: &mut String, e: &attest_spec::results::ExplorationResult) {
    h.push_str("<h2 id=\"exploration\">Appendix: exploratory analysis — not pre-specified</h2>\n");
    h.push_str("<p class=\"reason\"><b>Exploratory.</b> These segments were searched for after the fact, not specified before the run: no verdict above depends on them, and a flagged segment is a lead to investigate (and to pre-specify as a cohort in the next plan), not a finding of non-conformity.</p>\n");
    let class = e
        .class
        .as_ref()
        .map(|c| format!(", class <code>{}</code> against the rest", esc(c)))
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<p>Cohort <code>{}</code>{class}: {} labelled, scored cases{}. Segments: each value of a text column, quartiles of a numeric column{}, over the columns {}; at least {} cases and {} of each class in a segment and in the rest; {} segments tested, {} too small. Method: {}; false-discovery rate {}.</p>",
        esc(&e.cohort),
        e.n,
        e.overall_auc
            .map(|a| format!(", AUC {a:.3}"))
            .unwrap_or_default(),
        if e.pairs {
            ", and pairs of conditions from two columns"
        } else {
            ""
        },
        if e.columns.is_empty() {
            "—".to_string()
        } else {
            e.columns
                .iter()
                .map(|c| format!("<code>{}</code>", esc(c)))
                .collect::<Vec<_>>()
                .join(", ")
        },
        e.min_cases,
        e.min_per_class,
        e.tried,
        e.too_small,
        esc(&e.method),
        e.fdr,
    );
    for skipped in &e.skipped_columns {
        let _ = writeln!(
            h,
            "<p class=\"muted\">Column <code>{}</code> not used: {}</p>",
            esc(&skipped.column),
            esc(&skipped.reason)
        );
    }
    if let Some(error) = &e.error {
        let _ = writeln!(
            h,
            "<p class=\"reason\">The search could not run: {}</p>",
            esc(error)
        );
        return;
    }
    let _ = writeln!(
        h,
        "<p><b>{} of {} segments flagged</b>{}.</p>",
        e.flagged,
        e.tried,
        if e.segments.len() < e.tried as usize {
            format!("; the first {} of the ranking (flagged first, clearly worst first) are listed; <code>attest explore</code> on this bundle lists all", e.segments.len())
        } else {
            String::new()
        }
    );
    h.push_str("<table>\n");
    header(
        h,
        &[
            "#",
            "segment",
            "n",
            "pos / neg",
            &format!("AUC [{:.0}% CI]", e.level * 100.0),
            "AUC of the rest",
            "p (one-sided)",
            "adjusted p",
            "flag",
        ],
    );
    for (i, s) in e.segments.iter().enumerate() {
        let flag = match (&s.within, s.flagged) {
            (Some(parent), true) => format!("part of {}", esc(parent)),
            (None, true) => "<b>flagged</b>".to_string(),
            _ => "—".to_string(),
        };
        row(
            h,
            &[
                (i + 1).to_string(),
                format!("<code>{}</code>", esc(&s.segment)),
                s.n.to_string(),
                format!("{} / {}", s.positives, s.negatives),
                format!("{:.3} [{:.3}, {:.3}]", s.auc, s.ci_lower, s.ci_upper),
                format!("{:.3}", s.rest_auc),
                format!("{:.1e}", s.p_value),
                format!("{:.1e}", s.adjusted_p),
                flag,
            ],
        );
    }
    h.push_str("</table>\n");
}

/// The signature blocks: prepared, reviewed, approved, each with the meaning of the
/// signature; names and functions from the spec's `signatories:`, blank where not given. The
/// date and the signature itself are left to the signatory.
pub(crate) fn signatures(
    h: &mut String,
    number: usize,
    signatories: Option<&attest_spec::types::Signatories>,
) {
    let _ = write!(h, "<h2 id=\"signatures\">{number}. Signatures</h2>");
    h.push_str("\n<p>By signing, the signatory confirms the meaning stated for the role.</p>\n<table class=\"sign\">\n");
    header(
        h,
        &[
            "role",
            "meaning of the signature",
            "name",
            "function",
            "date",
            "signature",
        ],
    );
    let named = signatories.cloned().unwrap_or_default();
    for (role, meaning, who) in [
        (
            "Prepared",
            "The verification was executed as specified and this report is complete.",
            &named.prepared,
        ),
        (
            "Reviewed",
            "The results and verdicts were reviewed against the pre-specified criteria.",
            &named.reviewed,
        ),
        (
            "Approved",
            "The verification evidence is accepted for the technical documentation.",
            &named.approved,
        ),
    ] {
        row(
            h,
            &[
                esc(role),
                esc(meaning),
                who.as_ref().map_or_else(String::new, |s| esc(&s.name)),
                who.as_ref()
                    .and_then(|s| s.function.as_deref())
                    .map_or_else(String::new, esc),
                String::new(),
                String::new(),
            ],
        );
    }
    h.push_str("</table>\n");
}
