//! Weak-segment discovery on simulated cohorts: a planted weak site is ranked first with a
//! corrected p-value, and with no weak segment the search flags nothing more often than its
//! false-discovery rate allows.
#![allow(clippy::unwrap_used)]

use attest_explore::{discover, Column, Options};
use attest_stats::rng::{below, derive_seed, generator, unit};

/// A cohort of `n` cases: site (A–D), age (1–90), sex, scanner; 40% positives; the score
/// separates the classes by `shift` standard deviations, except at `weak_site` (if any),
/// where it separates them by 0.2.
struct Cohort {
    labels: Vec<bool>,
    scores: Vec<f64>,
    site: Vec<Option<String>>,
    sex: Vec<Option<String>>,
    scanner: Vec<Option<String>>,
    age: Vec<Option<f64>>,
}

fn normal(rng: &mut rand_chacha::ChaCha8Rng) -> f64 {
    // Box–Muller from two uniforms in (0, 1].
    let (u, v) = (1.0 - unit(rng), unit(rng));
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

fn cohort(seed: u64, n: usize, weak_site: Option<&str>) -> Cohort {
    let mut rng = generator(seed);
    let mut c = Cohort {
        labels: Vec::new(),
        scores: Vec::new(),
        site: Vec::new(),
        sex: Vec::new(),
        scanner: Vec::new(),
        age: Vec::new(),
    };
    for _ in 0..n {
        let site = ["A", "B", "C", "D"][below(&mut rng, 4) as usize];
        let label = unit(&mut rng) < 0.4;
        let shift = if weak_site == Some(site) { 0.2 } else { 1.5 };
        c.labels.push(label);
        c.scores
            .push(if label { shift } else { 0.0 } + normal(&mut rng));
        c.site.push(Some(site.to_string()));
        c.sex.push(Some(
            if below(&mut rng, 2) == 0 { "F" } else { "M" }.to_string(),
        ));
        c.scanner.push(Some(
            if below(&mut rng, 2) == 0 { "S1" } else { "S2" }.to_string(),
        ));
        c.age.push(Some(1.0 + below(&mut rng, 90) as f64));
    }
    c
}

fn columns(c: &Cohort) -> Vec<(String, Column<'_>)> {
    vec![
        ("site".into(), Column::Text(&c.site)),
        ("sex".into(), Column::Text(&c.sex)),
        ("scanner".into(), Column::Text(&c.scanner)),
        ("age".into(), Column::Number(&c.age)),
    ]
}

#[test]
fn a_planted_weak_site_is_ranked_first_with_a_corrected_p_value() {
    let c = cohort(derive_seed(11, &[1]), 800, Some("C"));
    let found = discover(&c.labels, &c.scores, &columns(&c), &Options::default()).unwrap();
    let top = &found.segments[0];
    assert_eq!(top.description, "site = 'C'", "{:#?}", &found.segments[..3]);
    assert!(top.flagged);
    assert!(top.adjusted_p < 1e-6, "{}", top.adjusted_p);
    assert!(
        top.adjusted_p >= top.p_value,
        "adjusted for the segments tried"
    );
    assert!(
        top.auc < found.overall_auc - 0.15,
        "{} {}",
        top.auc,
        found.overall_auc
    );
    assert!(top.interval.0 <= top.auc && top.auc <= top.interval.1);
    // 4 + 2 + 2 + 4 single conditions and the intersections of different columns' conditions.
    assert_eq!(
        found.tried + found.too_small,
        12 + (4 * 2 + 4 * 2 + 4 * 4 + 2 * 2 + 2 * 4 + 2 * 4)
    );
    // Every flagged segment involves site C, and every flagged intersection is reported as a
    // part of that finding, not as a finding of its own: nothing else is weak.
    for s in found.segments.iter().filter(|s| s.flagged) {
        assert!(s.description.contains("site = 'C'"), "{}", s.description);
        if s.conditions.len() > 1 {
            assert_eq!(s.within.as_deref(), Some("site = 'C'"), "{}", s.description);
        }
    }
    let findings = found
        .segments
        .iter()
        .filter(|s| s.flagged && s.within.is_none())
        .count();
    assert_eq!(findings, 1);
}

#[test]
fn with_no_weak_segment_discoveries_stay_within_the_false_discovery_rate() {
    // Under the complete null every discovery is false, so the false-discovery rate is the
    // share of cohorts with any flagged segment; Benjamini–Hochberg keeps it at or below 5%.
    let runs = 300;
    let with_discovery = (0..runs)
        .filter(|&r| {
            let c = cohort(derive_seed(12, &[r]), 600, None);
            let found = discover(&c.labels, &c.scores, &columns(&c), &Options::default()).unwrap();
            found.segments.iter().any(|s| s.flagged)
        })
        .count();
    let rate = with_discovery as f64 / runs as f64;
    eprintln!("{with_discovery} of {runs} null cohorts flagged a segment");
    // 5% plus three Monte Carlo standard errors (√(0.05 · 0.95 / 300) ≈ 0.0126).
    assert!(
        rate <= 0.05 + 3.0 * 0.0126,
        "{with_discovery} of {runs} null cohorts flagged a segment"
    );
}

#[test]
fn small_segments_and_identifier_columns_are_not_tried() {
    let c = cohort(derive_seed(13, &[1]), 200, None);
    let ids: Vec<Option<String>> = (0..200).map(|i| Some(format!("case-{i}"))).collect();
    let mut cols = columns(&c);
    cols.push(("case_id".into(), Column::Text(&ids)));
    let options = Options {
        min_cases: 60,
        ..Options::default()
    };
    let found = discover(&c.labels, &c.scores, &cols, &options).unwrap();
    assert!(found
        .skipped_columns
        .iter()
        .any(|(name, why)| name == "case_id" && why.contains("identifier")));
    assert!(found
        .segments
        .iter()
        .all(|s| s.n >= 60 && c.labels.len() - s.n >= 60));
    assert!(found.too_small > 0);
}
