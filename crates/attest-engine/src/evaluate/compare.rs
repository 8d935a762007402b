//! The paired difference of a metric between the model and a reference model on the same
//! cases: DeLong's paired test for AUC, a paired bootstrap (the same resampled cases for
//! both models) for every other metric.

use attest_spec::catalog::MetricInfo;
use attest_spec::results::{Estimate, Interval};
use attest_spec::types::{CiMethod, Test};
use attest_stats::binary::ThresholdMetric;
use attest_stats::ci::bootstrap::{bootstrap, BootstrapConfig, BootstrapKind};
use attest_stats::ci::Level;
use attest_stats::compare::paired_delong;
use attest_stats::metric::{evaluate_binary, MetricOptions};
use attest_stats::{Counts, Ranked, Sample, Undefined, Value};

use super::thresholds::Resolved;
use super::BinaryData;

/// The metric on explicit cases (thresholds per case for threshold metrics).
fn value_of(
    metric: &MetricInfo,
    labels: &[bool],
    scores: &[f64],
    thresholds: Option<&[f64]>,
    bins: usize,
) -> Value {
    if let Some(m) = ThresholdMetric::from_name(metric.name) {
        let t = thresholds.ok_or_else(|| Undefined::new("no operating point"))?;
        let predicted: Vec<bool> = scores.iter().zip(t).map(|(s, t)| s >= t).collect();
        return m.compute(&Counts::from_predictions(labels, &predicted).weighted());
    }
    let sample = Sample::new(labels, scores).map_err(|e| Undefined::new(e.to_string()))?;
    let options = MetricOptions {
        threshold: None,
        bins,
        ..MetricOptions::default()
    };
    evaluate_binary(metric.name, &sample, &options)
        .unwrap_or_else(|e| Err(Undefined::new(e.to_string())))
}

fn thresholds_for(point: Option<&Resolved>, data: &BinaryData) -> Result<Option<Vec<f64>>, String> {
    point
        .map(|p| {
            data.rows
                .iter()
                .map(|&r| p.threshold_for(r))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
}

/// The model's and the reference's cases (the same rows in the same order), each with its
/// operating point.
#[derive(Debug, Clone, Copy)]
pub struct Pair<'a> {
    /// The model under test.
    pub ours: (&'a BinaryData, Option<&'a Resolved>),
    /// The reference model.
    pub theirs: (&'a BinaryData, Option<&'a Resolved>),
}

/// model − reference on the same cases, with its interval.
pub fn difference(
    test: &Test,
    metric: &'static MetricInfo,
    pair: Pair<'_>,
    cohort: &str,
    level: f64,
    seed: u64,
) -> Estimate {
    let Pair {
        ours: (ours, point),
        theirs: (theirs, reference_point),
    } = pair;
    let mut out = super::metric::empty_estimate(
        &format!("difference:{}", metric.name),
        cohort,
        "original",
        ours,
    );
    out.at = point.map(|p| {
        format!(
            "{} (reference: {})",
            p.describe(),
            reference_point.map_or("-".into(), Resolved::describe)
        )
    });
    let bins = test.bins.unwrap_or(10) as usize;
    let result: Result<(f64, Interval), String> = (|| {
        let lvl = Level::new(level).map_err(|e| e.to_string())?;
        let method = test.ci.as_ref().and_then(|c| c.method);
        if metric.name == "auc" && matches!(method, None | Some(CiMethod::Delong)) {
            let c = paired_delong(&ours.labels, &ours.scores, &theirs.scores, lvl)
                .map_err(|e| e.to_string())?
                .map_err(|u| u.reason)?;
            return Ok((
                c.difference,
                Interval {
                    lower: c.interval.lower,
                    upper: c.interval.upper,
                    method: CiMethod::Delong,
                    level,
                    resamples: None,
                    seed: None,
                },
            ));
        }
        let t_ours = thresholds_for(point, ours)?;
        let t_theirs = thresholds_for(reference_point, theirs)?;
        let estimate = value_of(metric, &ours.labels, &ours.scores, t_ours.as_deref(), bins)
            .map_err(|u| u.reason)?
            - value_of(
                metric,
                &theirs.labels,
                &theirs.scores,
                t_theirs.as_deref(),
                bins,
            )
            .map_err(|u| u.reason)?;
        let percentile = matches!(method, Some(CiMethod::BootstrapPercentile));
        let config = BootstrapConfig {
            resamples: test.ci.as_ref().and_then(|c| c.resamples).unwrap_or(2000),
            level: lvl,
            seed,
            kind: if percentile {
                BootstrapKind::Percentile
            } else {
                BootstrapKind::Bca
            },
            stratified: true,
        };
        let sample = Sample::new(&ours.labels, &ours.scores).map_err(|e| e.to_string())?;
        let statistic = |r: &Ranked, w: &[u32]| -> Value {
            let total: usize = w.iter().map(|&x| x as usize).sum();
            let (mut labels, mut a, mut b) = (
                Vec::with_capacity(total),
                Vec::with_capacity(total),
                Vec::with_capacity(total),
            );
            let (mut ta, mut tb) = (Vec::new(), Vec::new());
            for (position, &weight) in w.iter().enumerate() {
                let i = r.order()[position];
                for _ in 0..weight {
                    labels.push(ours.labels[i]);
                    a.push(ours.scores[i]);
                    b.push(theirs.scores[i]);
                    if let Some(t) = &t_ours {
                        ta.push(t[i]);
                    }
                    if let Some(t) = &t_theirs {
                        tb.push(t[i]);
                    }
                }
            }
            let ta = t_ours.as_ref().map(|_| ta.as_slice());
            let tb = t_theirs.as_ref().map(|_| tb.as_slice());
            Ok(value_of(metric, &labels, &a, ta, bins)? - value_of(metric, &labels, &b, tb, bins)?)
        };
        let bi = bootstrap(
            &sample.ranked(),
            ours.clusters.as_deref(),
            &config,
            &statistic,
        )
        .map_err(|e| e.to_string())?
        .map_err(|u| u.reason)?;
        Ok((
            estimate,
            super::metric::bootstrap_record(&bi, percentile, level),
        ))
    })();
    match result {
        Ok((value, ci)) => {
            out.value = Some(value);
            out.ci = Some(ci);
        }
        Err(why) => out.undefined = Some(why),
    }
    out
}
