//! `junit.xml`: one testcase per test of the spec, so that any CI system shows the verdicts.
//! FAIL is a `<failure>`, ERROR an `<error>`, INCONCLUSIVE a `<failure type="INCONCLUSIVE">`
//! unless the spec allows it (then it passes with a note); the message is the reason, the
//! body every estimate with its interval and n and every criterion checked.

use std::fmt::Write as _;

use attest_spec::results::{Results, TestResult, Verdict};
use attest_spec::types::TestKind;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::error::EvidenceError;

/// The JUnit file name.
pub const JUNIT_FILE: &str = "junit.xml";

/// The estimates and criteria of a test as plain text lines.
pub fn details(test: &TestResult) -> String {
    let mut out = String::new();
    // A data check's values are counts and fractions of cases, shown as they are.
    let show = |v: f64| {
        if test.kind == TestKind::Data {
            format!("{v}")
        } else {
            format!("{v:.4}")
        }
    };
    for e in &test.estimates {
        let value = e.value.map_or_else(|| "undefined".to_string(), show);
        let ci =
            e.ci.as_ref()
                .map(|c| {
                    format!(
                        " [{:.4}, {:.4}] ({}, {})",
                        c.lower,
                        c.upper,
                        serde_json::to_value(c.method)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        percent(c.level)
                    )
                })
                .unwrap_or_default();
        let variant = e
            .variant
            .as_ref()
            .filter(|v| v.as_str() != "original")
            .map(|v| format!(" ({v})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} on {}{variant}: {value}{ci}, n={}{}",
            e.metric,
            e.cohort,
            e.n,
            e.undefined
                .as_ref()
                .map(|u| format!(" — {u}"))
                .unwrap_or_default()
        );
    }
    for c in &test.criteria {
        let value = c.value.map_or_else(|| "undefined".to_string(), show);
        let _ = writeln!(
            out,
            "criterion {} {} on {}: {value} → {}",
            c.quantity,
            c.criterion,
            c.on,
            c.verdict.as_str()
        );
    }
    out
}

/// A confidence level as a percentage: `95%`, or `98.33%` for a corrected level.
pub fn percent(level: f64) -> String {
    let p = level * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.2}%")
    }
}

fn counts(results: &Results) -> (usize, usize, usize) {
    let failures = results
        .tests
        .iter()
        .filter(|t| {
            t.verdict == Verdict::Fail
                || (t.verdict == Verdict::Inconclusive && !t.allow_inconclusive)
        })
        .count();
    let errors = results
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Error)
        .count();
    (results.tests.len(), failures, errors)
}

/// The JUnit XML of `results`.
pub fn junit_xml(results: &Results) -> Result<String, EvidenceError> {
    let fail = |e: std::io::Error| EvidenceError::Format {
        what: JUNIT_FILE,
        reason: e.to_string(),
    };
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let (tests, failures, errors) = counts(results);
    let (t, f, e) = (tests.to_string(), failures.to_string(), errors.to_string());
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(fail)?;
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "attest"));
    suites.push_attribute(("tests", t.as_str()));
    suites.push_attribute(("failures", f.as_str()));
    suites.push_attribute(("errors", e.as_str()));
    w.write_event(Event::Start(suites)).map_err(fail)?;
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", results.spec_name.as_str()));
    suite.push_attribute(("tests", t.as_str()));
    suite.push_attribute(("failures", f.as_str()));
    suite.push_attribute(("errors", e.as_str()));
    suite.push_attribute(("skipped", "0"));
    suite.push_attribute(("timestamp", results.started_at.as_str()));
    w.write_event(Event::Start(suite)).map_err(fail)?;
    w.write_event(Event::Start(BytesStart::new("properties")))
        .map_err(fail)?;
    let seed = results.seed.to_string();
    for (name, value) in [
        ("run_id", results.run_id.as_str()),
        ("spec_sha256", results.spec_sha256.as_str()),
        ("seed", seed.as_str()),
        ("verdict", results.verdict.as_str()),
        ("attest_version", results.tool.version.as_str()),
    ] {
        let mut p = BytesStart::new("property");
        p.push_attribute(("name", name));
        p.push_attribute(("value", value));
        w.write_event(Event::Empty(p)).map_err(fail)?;
    }
    w.write_event(Event::End(BytesEnd::new("properties")))
        .map_err(fail)?;
    for test in &results.tests {
        let name = match &test.title {
            Some(title) => format!("{}: {title}", test.id),
            None => test.id.clone(),
        };
        let mut case = BytesStart::new("testcase");
        case.push_attribute(("classname", results.spec_name.as_str()));
        case.push_attribute(("name", name.as_str()));
        w.write_event(Event::Start(case)).map_err(fail)?;
        let reason = test.reason.clone().unwrap_or_default();
        let body = details(test);
        let element = match test.verdict {
            Verdict::Fail => Some(("failure", "FAIL")),
            Verdict::Error => Some(("error", "ERROR")),
            Verdict::Inconclusive if !test.allow_inconclusive => Some(("failure", "INCONCLUSIVE")),
            _ => None,
        };
        match element {
            Some((tag, kind)) => {
                let mut el = BytesStart::new(tag);
                el.push_attribute(("message", reason.as_str()));
                el.push_attribute(("type", kind));
                w.write_event(Event::Start(el)).map_err(fail)?;
                w.write_event(Event::Text(BytesText::new(&body)))
                    .map_err(fail)?;
                w.write_event(Event::End(BytesEnd::new(tag)))
                    .map_err(fail)?;
            }
            None => {
                let note = if test.verdict == Verdict::Inconclusive {
                    format!("INCONCLUSIVE (allowed by the spec): {reason}\n{body}")
                } else {
                    format!("{}\n{body}", test.verdict.as_str())
                };
                w.write_event(Event::Start(BytesStart::new("system-out")))
                    .map_err(fail)?;
                w.write_event(Event::Text(BytesText::new(&note)))
                    .map_err(fail)?;
                w.write_event(Event::End(BytesEnd::new("system-out")))
                    .map_err(fail)?;
            }
        }
        w.write_event(Event::End(BytesEnd::new("testcase")))
            .map_err(fail)?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuite")))
        .map_err(fail)?;
    w.write_event(Event::End(BytesEnd::new("testsuites")))
        .map_err(fail)?;
    let mut text = String::from_utf8(w.into_inner()).map_err(|e| EvidenceError::Format {
        what: JUNIT_FILE,
        reason: e.to_string(),
    })?;
    text.push('\n');
    Ok(text)
}
