//! Weak-segment discovery (see the crate documentation).
//!
//! Slice finders in Deepchecks ("weak segments performance") and Giskard (the performance-bias
//! detector) rank slices by their raw metric, with no interval and no account of how many
//! slices were tried, so with enough columns some slice always looks bad. Here each segment is
//! compared with its complement by the difference of two independent AUCs, `z = (AUC_s −
//! AUC_rest) / √(V_s + V_rest)` with DeLong's variances, one-sided (the segment is worse), and
//! the p-values of all segments tried are adjusted together.

use std::collections::BTreeMap;

use attest_stats::ci::delong::delong;
use attest_stats::ci::distributions::{normal_cdf, two_sided_z};
use attest_stats::ci::Level;
use attest_stats::multiplicity::{adjust, Correction};
use attest_stats::Sample;
use serde::Serialize;

/// One metadata column's values, one per case (`None` = missing; such cases are in no
/// segment of that column).
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    /// Text values: each distinct value is a segment (when there are at most
    /// [`Options::max_levels`] of them).
    Text(&'a [Option<String>]),
    /// Numbers: binned by quantiles into [`Options::bins`] segments, or, with at most
    /// [`Options::max_numeric_levels`] distinct values, one segment per value.
    Number(&'a [Option<f64>]),
}

/// How to search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Smallest segment tried, in cases.
    pub min_cases: usize,
    /// Fewest positives and fewest negatives a segment needs (and its complement).
    pub min_per_class: usize,
    /// Quantile bins for a numeric column.
    pub bins: usize,
    /// A numeric column with at most this many distinct values is treated as categorical.
    pub max_numeric_levels: usize,
    /// A text column with more distinct values than this (ids, free text) is skipped.
    pub max_levels: usize,
    /// Whether to try intersections of two columns' conditions.
    pub pairs: bool,
    /// Confidence level of the intervals.
    pub level: f64,
    /// The false-discovery rate at which a segment is flagged.
    pub fdr: f64,
}

impl Default for Options {
    /// 30 cases with 5 of each class, quartiles, pairs, 95% intervals, FDR 5%.
    fn default() -> Self {
        Options {
            min_cases: 30,
            min_per_class: 5,
            bins: 4,
            max_numeric_levels: 6,
            max_levels: 20,
            pairs: true,
            level: 0.95,
            fdr: 0.05,
        }
    }
}

/// One condition on one column.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// The column equals a value.
    Equals {
        /// The column.
        column: String,
        /// The value, as text.
        value: String,
    },
    /// A numeric column lies in `[lower, upper)` (`[lower, upper]` for the last bin).
    Range {
        /// The column.
        column: String,
        /// Inclusive lower edge.
        lower: f64,
        /// Upper edge.
        upper: f64,
        /// Whether the upper edge is included (the last bin).
        closed: bool,
    },
}

impl Condition {
    /// The condition as a reader would write it, e.g. `site = 'B'` or `age in [1, 4)`.
    pub fn describe(&self) -> String {
        match self {
            Condition::Equals { column, value } => format!("{column} = '{value}'"),
            Condition::Range {
                column,
                lower,
                upper,
                closed,
            } => format!(
                "{column} in [{}, {}{}",
                trim(*lower),
                trim(*upper),
                if *closed { "]" } else { ")" }
            ),
        }
    }
}

/// A number without trailing zeros.
fn trim(v: f64) -> String {
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

/// A segment tried, with its statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    /// The conditions that define it (one, or two for an intersection).
    pub conditions: Vec<Condition>,
    /// The conditions joined with `AND`.
    pub description: String,
    /// Cases in the segment.
    pub n: usize,
    /// Positives in it.
    pub positives: usize,
    /// Negatives in it.
    pub negatives: usize,
    /// The segment's AUC.
    pub auc: f64,
    /// Its DeLong interval at [`Options::level`].
    pub interval: (f64, f64),
    /// The AUC of every other case.
    pub rest_auc: f64,
    /// `auc − rest_auc` (negative: the segment is worse).
    pub difference: f64,
    /// One-sided p-value that the segment is worse than the rest.
    pub p_value: f64,
    /// `p_value` adjusted over every segment tried (Benjamini–Hochberg).
    pub adjusted_p: f64,
    /// Whether `adjusted_p` ≤ [`Options::fdr`].
    pub flagged: bool,
    /// For an intersection, the flagged single-condition segment it lies in, if any: then it
    /// is a part of that finding rather than a finding of its own (a slice of a weak site is
    /// weak too, and by chance some slice looks weaker than the whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exploration {
    /// The AUC of all cases.
    pub overall_auc: f64,
    /// Cases searched.
    pub n: usize,
    /// Segments tested (the multiplicity correction's denominator).
    pub tried: usize,
    /// Candidate segments not tested because they (or their complement) were too small.
    pub too_small: usize,
    /// Columns left out, with the reason.
    pub skipped_columns: Vec<(String, String)>,
    /// The tested segments: flagged findings of their own first, by the upper end of their
    /// interval (the clearly worst first), then flagged segments within one of those, then
    /// the rest by adjusted p-value.
    pub segments: Vec<Segment>,
    /// The options used.
    #[serde(skip)]
    pub options: Options,
}

/// The conditions one column offers, each with its member cases.
fn conditions_of(
    name: &str,
    column: Column<'_>,
    options: &Options,
) -> Result<Vec<(Condition, Vec<bool>)>, String> {
    match column {
        Column::Text(values) => {
            let mut levels: BTreeMap<&str, ()> = BTreeMap::new();
            for v in values.iter().flatten() {
                levels.insert(v.as_str(), ());
            }
            if levels.len() > options.max_levels {
                return Err(format!(
                    "{} distinct values (more than {}): an identifier or free text",
                    levels.len(),
                    options.max_levels
                ));
            }
            if levels.len() < 2 {
                return Err("fewer than two distinct values".into());
            }
            Ok(levels
                .keys()
                .map(|level| {
                    let members = values
                        .iter()
                        .map(|v| v.as_deref() == Some(*level))
                        .collect();
                    (
                        Condition::Equals {
                            column: name.to_string(),
                            value: (*level).to_string(),
                        },
                        members,
                    )
                })
                .collect())
        }
        Column::Number(values) => {
            let mut present: Vec<f64> = values
                .iter()
                .flatten()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            present.sort_by(f64::total_cmp);
            let mut distinct = present.clone();
            distinct.dedup();
            if distinct.len() < 2 {
                return Err("fewer than two distinct values".into());
            }
            if distinct.len() <= options.max_numeric_levels {
                return Ok(distinct
                    .iter()
                    .map(|&level| {
                        let members = values.iter().map(|v| *v == Some(level)).collect();
                        (
                            Condition::Equals {
                                column: name.to_string(),
                                value: trim(level),
                            },
                            members,
                        )
                    })
                    .collect());
            }
            // Quantile edges over the present values; repeated edges merge bins.
            let mut edges: Vec<f64> = (0..=options.bins.max(1))
                .map(|i| {
                    let at = (i * (present.len() - 1)) as f64 / options.bins.max(1) as f64;
                    present[at.round() as usize]
                })
                .collect();
            edges.dedup();
            let last = edges.len().saturating_sub(2);
            Ok(edges
                .windows(2)
                .enumerate()
                .map(|(i, w)| {
                    let (lower, upper, closed) = (w[0], w[1], i == last);
                    let members = values
                        .iter()
                        .map(|v| {
                            v.is_some_and(|v| v >= lower && (v < upper || (closed && v <= upper)))
                        })
                        .collect();
                    (
                        Condition::Range {
                            column: name.to_string(),
                            lower,
                            upper,
                            closed,
                        },
                        members,
                    )
                })
                .collect())
        }
    }
}

/// AUC and DeLong variance of the cases where `keep` is true; `None` when either class has
/// fewer than `min` cases.
fn auc_of(
    labels: &[bool],
    scores: &[f64],
    keep: &[bool],
    min: usize,
) -> Option<(f64, f64, usize, usize)> {
    let (l, s): (Vec<bool>, Vec<f64>) = labels
        .iter()
        .zip(scores)
        .zip(keep)
        .filter(|(_, &k)| k)
        .map(|((&l, &s), _)| (l, s))
        .unzip();
    let positives = l.iter().filter(|&&x| x).count();
    let negatives = l.len() - positives;
    if positives < min.max(2) || negatives < min.max(2) {
        return None;
    }
    let sample = Sample::new(&l, &s).ok()?;
    let level = Level::new(0.95).ok()?;
    let d = delong(&sample.ranked(), level).ok()?;
    Some((d.auc, d.variance, positives, negatives))
}

/// Searches `columns` for segments where the model's AUC is lower than on the other cases.
/// `labels` and `scores` are per case; every column has one value per case.
pub fn discover(
    labels: &[bool],
    scores: &[f64],
    columns: &[(String, Column<'_>)],
    options: &Options,
) -> Result<Exploration, String> {
    let n = labels.len();
    if scores.len() != n {
        return Err(format!("{n} labels but {} scores", scores.len()));
    }
    let everyone = vec![true; n];
    let (overall_auc, _, _, _) =
        auc_of(labels, scores, &everyone, 2).ok_or("the cases need at least two of each class")?;
    let mut skipped_columns = Vec::new();
    let mut base: Vec<(Condition, Vec<bool>)> = Vec::new();
    let mut column_of: Vec<usize> = Vec::new();
    for (index, (name, column)) in columns.iter().enumerate() {
        let len = match column {
            Column::Text(v) => v.len(),
            Column::Number(v) => v.len(),
        };
        if len != n {
            return Err(format!("column `{name}` has {len} values for {n} cases"));
        }
        match conditions_of(name, *column, options) {
            Ok(found) => {
                column_of.extend(std::iter::repeat_n(index, found.len()));
                base.extend(found);
            }
            Err(why) => skipped_columns.push((name.clone(), why)),
        }
    }
    let mut candidates: Vec<(Vec<Condition>, Vec<bool>)> = base
        .iter()
        .map(|(c, m)| (vec![c.clone()], m.clone()))
        .collect();
    if options.pairs {
        for i in 0..base.len() {
            for j in i + 1..base.len() {
                if column_of[i] == column_of[j] {
                    continue;
                }
                let members: Vec<bool> = base[i]
                    .1
                    .iter()
                    .zip(&base[j].1)
                    .map(|(a, b)| *a && *b)
                    .collect();
                candidates.push((vec![base[i].0.clone(), base[j].0.clone()], members));
            }
        }
    }
    let z = two_sided_z(options.level);
    let mut too_small = 0;
    let mut tested: Vec<Segment> = Vec::new();
    for (conditions, members) in candidates {
        let size = members.iter().filter(|&&m| m).count();
        if size < options.min_cases || n - size < options.min_cases {
            too_small += 1;
            continue;
        }
        let rest: Vec<bool> = members.iter().map(|m| !m).collect();
        let (Some((auc, var, positives, negatives)), Some((rest_auc, rest_var, _, _))) = (
            auc_of(labels, scores, &members, options.min_per_class),
            auc_of(labels, scores, &rest, options.min_per_class),
        ) else {
            too_small += 1;
            continue;
        };
        let difference = auc - rest_auc;
        let se = (var + rest_var).sqrt();
        let p_value = if se > 0.0 {
            normal_cdf(difference / se)
        } else if difference < 0.0 {
            0.0
        } else {
            1.0
        };
        let half = z * var.sqrt();
        tested.push(Segment {
            description: conditions
                .iter()
                .map(Condition::describe)
                .collect::<Vec<_>>()
                .join(" AND "),
            conditions,
            n: size,
            positives,
            negatives,
            auc,
            interval: ((auc - half).max(0.0), (auc + half).min(1.0)),
            rest_auc,
            difference,
            p_value,
            adjusted_p: p_value,
            flagged: false,
            within: None,
        });
    }
    let p: Vec<f64> = tested.iter().map(|s| s.p_value.clamp(0.0, 1.0)).collect();
    let adjusted = adjust(&p, Correction::BenjaminiHochberg).map_err(|e| e.to_string())?;
    for (segment, q) in tested.iter_mut().zip(adjusted) {
        segment.adjusted_p = q;
        segment.flagged = q <= options.fdr;
    }
    let flagged_singles: Vec<String> = tested
        .iter()
        .filter(|s| s.flagged && s.conditions.len() == 1)
        .map(|s| s.description.clone())
        .collect();
    for segment in tested.iter_mut().filter(|s| s.conditions.len() > 1) {
        segment.within = segment
            .conditions
            .iter()
            .map(Condition::describe)
            .find(|c| flagged_singles.contains(c));
    }
    // Findings of their own first (flagged, not within another finding), then flagged parts of
    // a finding, then the rest. Flagged segments by the upper end of their interval — how good the segment could still
    // be — so a large, clearly weak segment outranks a small one whose point estimate is lower
    // only by chance; the rest by the strength of the evidence.
    tested.sort_by(|a, b| {
        let rank = |s: &Segment| match (s.flagged, s.within.is_some()) {
            (true, false) => 0,
            (true, true) => 1,
            _ => 2,
        };
        rank(a)
            .cmp(&rank(b))
            .then_with(|| {
                if a.flagged {
                    a.interval.1.total_cmp(&b.interval.1)
                } else {
                    a.adjusted_p.total_cmp(&b.adjusted_p)
                }
            })
            .then_with(|| a.description.cmp(&b.description))
    });
    Ok(Exploration {
        overall_auc,
        n,
        tried: tested.len(),
        too_small,
        skipped_columns,
        segments: tested,
        options: *options,
    })
}
