//! `attest plan`: the spec rendered as a verification test plan — the document a regulatory
//! team reviews and signs *before* the run. Intended use, model and data under test, cohorts,
//! operating-point rules, perturbations, every test with its rationale, traces, acceptance
//! criteria and statistical method, and signature blocks, with the spec's SHA-256 (the plan's
//! identity: `attest run --plan-hash` refuses any other spec) on every page.

use std::fmt::Write as _;

use attest_engine::evaluate::metric::default_method;
use attest_engine::evaluate::thresholds::describe_rule;
use attest_spec::catalog::metric_info;
use attest_spec::infer_kind;
use attest_spec::types::{Model, ModelSource, Spec, Test};

use crate::report::{esc, header, row, signatures, STYLE};

/// The plan's file name.
pub const PLAN_FILE: &str = "plan.html";

/// The plan's PDF file name.
pub const PLAN_PDF_FILE: &str = "plan.pdf";

/// What every page of the plan's PDF names: the spec and its SHA-256 (the plan's identity).
pub fn plan_identity(spec_name: &str, spec_sha256: &str) -> crate::report::typst::PageIdentity {
    crate::report::typst::PageIdentity {
        title: format!("{spec_name} — verification test plan"),
        footer: format!("{spec_name} · test plan · spec SHA-256 {spec_sha256}"),
    }
}

fn model_line(model: &Model) -> String {
    let source = model
        .sources()
        .into_iter()
        .map(|(_, s)| match s {
            ModelSource::Onnx(p) => format!("ONNX file {p}"),
            ModelSource::Safetensors(p, a) => format!(
                "safetensors weights {p}{}",
                a.map(|a| format!(
                    " ({})",
                    serde_json::to_value(a)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                ))
                .unwrap_or_default()
            ),
            ModelSource::Scores(s) => format!("precomputed scores {}", s.table()),
            ModelSource::Rust(n) => format!("Rust model {n}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{}{} — {source}; task {}",
        model.id,
        model
            .version
            .as_ref()
            .map(|v| format!(" version {v}"))
            .unwrap_or_default(),
        model.output.task.as_str()
    )
}

/// The statistical method a test will use, in words.
fn method(test: &Test) -> String {
    let Some(metric) = test.metric.as_deref().and_then(metric_info) else {
        return "counts (data checks)".into();
    };
    let ci = test.ci.as_ref();
    let chosen = ci
        .and_then(|c| c.method)
        .unwrap_or_else(|| default_method(metric));
    let name = serde_json::to_value(chosen)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let level = ci.and_then(|c| c.level).unwrap_or(0.95);
    let resamples = if name.starts_with("bootstrap") {
        format!(
            ", {} resamples, seeded",
            ci.and_then(|c| c.resamples).unwrap_or(2000)
        )
    } else {
        String::new()
    };
    format!(
        "{} with a {} {name} interval{resamples}",
        metric.name,
        crate::junit::percent(level)
    )
}

fn criteria(test: &Test) -> String {
    let mut parts: Vec<String> = test
        .require
        .as_ref()
        .map(|r| {
            r.set()
                .into_iter()
                .map(|(k, c)| format!("{k} {}", c.0))
                .collect()
        })
        .unwrap_or_default();
    if let Some(m) = test.margin {
        parts.push(format!("non-inferior by margin {m}"));
    }
    if test.allow_inconclusive == Some(true) {
        parts.push("INCONCLUSIVE allowed".into());
    }
    parts.join("; ")
}

/// The test plan of `spec` (whose file has SHA-256 `spec_sha256`).
pub fn render_plan(spec: &Spec, spec_text: &str, spec_sha256: &str) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — verification test plan</title><style>{STYLE}</style></head><body>\n",
        esc(&spec.name)
    );
    let _ = writeln!(
        h,
        "<h1>Verification test plan: {}</h1>\n<p>Plan identity (SHA-256 of the spec file): <b>{}</b>. Run it with <code>attest run SPEC --plan-hash {}</code>: any other spec is refused.</p>",
        esc(&spec.name),
        esc(spec_sha256),
        esc(spec_sha256)
    );
    let mut number = 0;
    let mut section = |h: &mut String, title: &str| {
        number += 1;
        let _ = writeln!(h, "<h2>{number}. {title}</h2>");
    };
    section(&mut h, "Scope");
    h.push_str("<table>\n");
    for (k, v) in [
        ("Intended use", spec.intended_use.clone()),
        (
            "Population",
            spec.population.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            "Intended users",
            spec.intended_users.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            "Description",
            spec.description.clone().unwrap_or_else(|| "—".into()),
        ),
        ("Model under test", model_line(&spec.model)),
        (
            "Test data",
            format!(
                "case table {}, id column {}, label column {}",
                spec.data.table, spec.data.id, spec.data.label.column
            ),
        ),
        ("Run seed", spec.seed.to_string()),
    ] {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    for (name, model) in &spec.references {
        let _ = writeln!(
            h,
            "<tr><th>Reference model {}</th><td>{}</td></tr>",
            esc(name),
            esc(&model_line(model))
        );
    }
    h.push_str("</table>\n");
    section(&mut h, "Cohorts");
    h.push_str("<table>\n");
    header(&mut h, &["cohort", "definition", "description"]);
    for (name, c) in &spec.cohorts {
        row(
            &mut h,
            &[
                esc(name),
                esc(&c.predicate),
                esc(c.description.as_deref().unwrap_or("")),
            ],
        );
    }
    h.push_str("</table>\n");
    if !spec.operating_points.is_empty() {
        section(&mut h, "Operating points");
        h.push_str("<table>\n");
        header(
            &mut h,
            &["operating point", "rule", "chosen on", "per", "description"],
        );
        for (name, p) in &spec.operating_points {
            row(
                &mut h,
                &[
                    esc(name),
                    esc(&describe_rule(p).unwrap_or_else(|e| e.to_string())),
                    esc(p.choose_on.as_deref().unwrap_or("—")),
                    esc(p.per.as_deref().unwrap_or("—")),
                    esc(p.description.as_deref().unwrap_or("")),
                ],
            );
        }
        h.push_str("</table>\n");
    }
    if !spec.perturbations.is_empty() {
        section(&mut h, "Perturbations");
        h.push_str("<table>\n");
        header(&mut h, &["perturbation", "kind", "levels", "description"]);
        for (name, p) in &spec.perturbations {
            let levels = match (&p.severities, &p.levels) {
                (Some(s), _) => format!("severities {s:?}"),
                (None, Some(l)) => format!("{} explicit levels", l.len()),
                _ => "default".into(),
            };
            row(
                &mut h,
                &[
                    esc(name),
                    esc(&p.kind),
                    esc(&levels),
                    esc(p.description.as_deref().unwrap_or("")),
                ],
            );
        }
        h.push_str("</table>\n");
    }
    section(&mut h, "Tests and acceptance criteria");
    h.push_str("<table>\n");
    header(
        &mut h,
        &[
            "test",
            "title",
            "kind",
            "traces",
            "cohort(s)",
            "operating point",
            "statistical method",
            "acceptance criteria",
            "rationale",
        ],
    );
    for t in &spec.tests {
        let cohorts = attest_engine::plan::test_cohorts(t).join(", ");
        let cohorts = match &t.across {
            Some(col) => format!("{cohorts}, by {col}"),
            None => cohorts,
        };
        row(
            &mut h,
            &[
                esc(&t.id),
                esc(t.title.as_deref().unwrap_or("")),
                esc(infer_kind(t).as_str()),
                esc(&t.traces.join(", ")),
                esc(&cohorts),
                esc(t.at.as_deref().unwrap_or("—")),
                esc(&method(t)),
                esc(&criteria(t)),
                esc(t.rationale.as_deref().unwrap_or("")),
            ],
        );
    }
    h.push_str("</table>\n");
    if !spec.requirements.is_empty() || !spec.risk_controls.is_empty() {
        section(&mut h, "Requirements and risk controls verified");
        h.push_str("<table>\n");
        header(&mut h, &["id", "text", "verified by"]);
        for (id, text) in spec.requirements.iter().chain(&spec.risk_controls) {
            let by: Vec<&str> = spec
                .tests
                .iter()
                .filter(|t| t.traces.contains(id))
                .map(|t| t.id.as_str())
                .collect();
            row(
                &mut h,
                &[
                    esc(id),
                    esc(text),
                    if by.is_empty() {
                        "<b>no test</b>".into()
                    } else {
                        esc(&by.join(", "))
                    },
                ],
            );
        }
        h.push_str("</table>\n");
    }
    if let Some(explore) = &spec.explore {
        section(
            &mut h,
            "Exploratory analysis (declared, outside the acceptance criteria)",
        );
        let options = attest_engine::explore::options(explore);
        let columns = explore.columns.as_ref().map_or_else(
            || "every metadata column of the case table".to_string(),
            |c| {
                c.iter()
                    .map(|c| format!("<code>{}</code>", esc(c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        );
        let _ = writeln!(
            h,
            "<p>After the tests, segments of cohort <code>{}</code> over {columns}{} are searched for a lower AUC than the rest of the cohort (at least {} cases, false-discovery rate {}). The findings are reported as exploratory: no verdict depends on them.</p>",
            esc(&attest_engine::explore::explored_cohort(spec, explore)),
            if options.pairs { " (single columns and pairs)" } else { " (single columns)" },
            options.min_cases,
            options.fdr,
        );
    }
    signatures(&mut h, number + 1, spec.signatories.as_ref());
    let _ = write!(
        h,
        "<h2>Appendix: the spec (SHA-256 {})</h2>\n<pre>{}</pre>\n<footer>Test plan {} · spec SHA-256 {}</footer>\n</body></html>\n",
        esc(spec_sha256),
        esc(spec_text),
        esc(&spec.name),
        esc(spec_sha256)
    );
    h
}
