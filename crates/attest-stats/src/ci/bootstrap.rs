//! The seeded, stratified, optionally clustered bootstrap (percentile and BCa intervals).
//!
//! Cases are sorted once ([`Ranked`]); a replicate is a vector of multiplicities (how often
//! each case was drawn), and the statistic is evaluated on the sorted cases with those
//! weights. An AUC replicate is then one linear pass, with no sorting and no copying — the
//! reason this is two orders of magnitude faster than a loop over scikit-learn.
//!
//! Resampling units are cases, or with `clusters` whole clusters (patients): images of one
//! patient are correlated, and resampling them separately makes intervals too narrow.
//! Stratification keeps the number of positive units fixed (units with at least one positive
//! case form one stratum, the others the second), so every replicate has both classes.
//!
//! Replicate r draws from the generator seeded by `derive_seed(seed, [r])`, and replicates are
//! collected in order, so the interval is identical for any number of threads.

use rayon::prelude::*;
use serde::Serialize;

use crate::ci::distributions::{normal_cdf, normal_quantile};
use crate::ci::interval::{Interval, IntervalMethod, Level};
use crate::error::{StatsError, Undefined, Value};
use crate::rank::Ranked;
use crate::rng::{below, derive_seed, generator};

/// A statistic evaluated on sorted cases with per-case multiplicities (sorted order).
pub trait Statistic: Sync {
    /// The statistic's value with case `p` (sorted position) counted `weights[p]` times.
    fn evaluate(&self, ranked: &Ranked, weights: &[u32]) -> Value;
}

impl<F> Statistic for F
where
    F: Fn(&Ranked, &[u32]) -> Value + Sync,
{
    fn evaluate(&self, ranked: &Ranked, weights: &[u32]) -> Value {
        self(ranked, weights)
    }
}

/// Which bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BootstrapKind {
    /// Quantiles of the replicates.
    Percentile,
    /// Bias-corrected and accelerated (Efron 1987); acceleration from the jackknife.
    Bca,
}

/// How to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BootstrapConfig {
    /// Number of replicates (the spec allows 100 to 1,000,000).
    pub resamples: u32,
    /// Confidence level.
    pub level: Level,
    /// Seed of the run (already derived for this test and cohort by the caller).
    pub seed: u64,
    /// Percentile or BCa.
    pub kind: BootstrapKind,
    /// Keep the number of positive units fixed in every replicate.
    pub stratified: bool,
}

impl BootstrapConfig {
    /// 2,000 stratified replicates at 95%, BCa.
    pub fn new(seed: u64) -> Self {
        BootstrapConfig {
            resamples: 2000,
            level: Level::NINETY_FIVE,
            seed,
            kind: BootstrapKind::Bca,
            stratified: true,
        }
    }
}

/// A bootstrap interval with the details a report should show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapInterval {
    /// The statistic on the original sample.
    pub estimate: f64,
    /// The interval; `n` is the number of cases.
    pub interval: Interval,
    /// Replicates drawn.
    pub resamples: u32,
    /// Replicates on which the statistic was undefined (left out of the quantiles).
    pub undefined_replicates: u32,
    /// Number of resampling units (cases, or clusters).
    pub units: u64,
    /// BCa's bias correction z₀ (`None` for percentile).
    pub bias_correction: Option<f64>,
    /// BCa's acceleration a (`None` for percentile).
    pub acceleration: Option<f64>,
    /// Jackknife used for the acceleration: units left out one at a time, or in this many
    /// groups when there are more than [`MAX_JACKKNIFE_GROUPS`] units.
    pub jackknife_groups: Option<u64>,
    /// The seed the replicates were drawn from.
    pub seed: u64,
}

/// Above this many units, BCa's jackknife leaves out groups of units rather than single
/// units (a delete-d jackknife), keeping its cost linear in n.
pub const MAX_JACKKNIFE_GROUPS: usize = 2000;

/// The largest share of undefined replicates tolerated before the interval is undefined.
pub const MAX_UNDEFINED_SHARE: f64 = 0.01;

/// Resampling units in sorted positions, split into strata. Stored flat (CSR): a replicate
/// draws millions of units at random, and one heap allocation per unit would make every draw
/// a cache miss.
struct Units {
    /// Unit u's cases are `positions[offsets[u]..offsets[u + 1]]`.
    offsets: Vec<usize>,
    /// Sorted positions, grouped by unit.
    positions: Vec<usize>,
    /// Unit indices per stratum.
    strata: Vec<Vec<usize>>,
    /// Every unit is one case (no clusters): draws index positions directly.
    singletons: bool,
}

impl Units {
    fn build(ranked: &Ranked, clusters: Option<&[u64]>, stratified: bool) -> Units {
        let (offsets, positions, singletons) = match clusters {
            None => (
                (0..=ranked.len()).collect(),
                (0..ranked.len()).collect(),
                true,
            ),
            Some(ids) => {
                let mut by_cluster: std::collections::BTreeMap<u64, Vec<usize>> =
                    std::collections::BTreeMap::new();
                for (p, &i) in ranked.order().iter().enumerate() {
                    by_cluster.entry(ids[i]).or_default().push(p);
                }
                let mut offsets = vec![0];
                let mut positions = Vec::with_capacity(ranked.len());
                for members in by_cluster.into_values() {
                    positions.extend(members);
                    offsets.push(positions.len());
                }
                (offsets, positions, false)
            }
        };
        let count = offsets.len() - 1;
        let members = |u: usize| &positions[offsets[u]..offsets[u + 1]];
        let strata = if stratified {
            let (positive, negative): (Vec<usize>, Vec<usize>) =
                (0..count).partition(|&u| members(u).iter().any(|&p| ranked.labels()[p]));
            vec![positive, negative]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect()
        } else {
            vec![(0..count).collect()]
        };
        Units {
            offsets,
            positions,
            strata,
            singletons,
        }
    }

    fn count(&self) -> usize {
        self.offsets.len() - 1
    }

    fn members(&self, unit: usize) -> &[usize] {
        &self.positions[self.offsets[unit]..self.offsets[unit + 1]]
    }

    fn draw(&self, replicate_seed: u64, weights: &mut [u32]) {
        weights.fill(0);
        let mut rng = generator(replicate_seed);
        for stratum in &self.strata {
            let k = stratum.len() as u32;
            if self.singletons {
                // Unit index = sorted position.
                for _ in 0..k {
                    weights[stratum[below(&mut rng, k) as usize]] += 1;
                }
            } else {
                for _ in 0..k {
                    for &p in self.members(stratum[below(&mut rng, k) as usize]) {
                        weights[p] += 1;
                    }
                }
            }
        }
    }
}

/// Quantile with linear interpolation between order statistics (numpy's default, type 7).
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Bootstraps `statistic` over `ranked`. `clusters`, when given, holds one cluster id per
/// case in the **original** order.
pub fn bootstrap<S: Statistic>(
    ranked: &Ranked,
    clusters: Option<&[u64]>,
    config: &BootstrapConfig,
    statistic: &S,
) -> Result<Result<BootstrapInterval, Undefined>, StatsError> {
    if !(100..=1_000_000).contains(&config.resamples) {
        return Err(StatsError::invalid(
            "resamples",
            config.resamples,
            "between 100 and 1,000,000",
        ));
    }
    if let Some(ids) = clusters {
        if ids.len() != ranked.len() {
            return Err(StatsError::LengthMismatch {
                what: "cluster ids and cases",
                left: ids.len(),
                right: ranked.len(),
            });
        }
    }
    let ones = vec![1u32; ranked.len()];
    let estimate = match statistic.evaluate(ranked, &ones) {
        Ok(v) => v,
        Err(u) => return Ok(Err(u)),
    };
    let units = Units::build(ranked, clusters, config.stratified);
    let replicates: Vec<Value> = (0..config.resamples)
        .into_par_iter()
        .map_init(
            || vec![0u32; ranked.len()],
            |weights, r| {
                units.draw(derive_seed(config.seed, &[u64::from(r)]), weights);
                statistic.evaluate(ranked, weights)
            },
        )
        .collect();
    let mut values: Vec<f64> = replicates
        .iter()
        .filter_map(|v| v.as_ref().ok().copied())
        .collect();
    let undefined = config.resamples as usize - values.len();
    if undefined as f64 > MAX_UNDEFINED_SHARE * f64::from(config.resamples) {
        return Ok(Err(Undefined::new(format!(
            "the statistic was undefined on {undefined} of {} bootstrap replicates (too few cases of a class or cluster)",
            config.resamples
        ))));
    }
    values.sort_by(f64::total_cmp);
    let alpha = config.level.alpha();
    let (lower_q, upper_q, bias_correction, acceleration, jackknife_groups) = match config.kind {
        BootstrapKind::Percentile => (alpha / 2.0, 1.0 - alpha / 2.0, None, None, None),
        BootstrapKind::Bca => {
            let below_estimate = values.iter().filter(|&&v| v < estimate).count();
            let share = below_estimate as f64 / values.len() as f64;
            if values.iter().all(|&v| v == estimate) {
                (alpha / 2.0, 1.0 - alpha / 2.0, Some(0.0), Some(0.0), None)
            } else if share <= 0.0 || share >= 1.0 {
                return Ok(Err(Undefined::new(
                    "every bootstrap replicate lies on one side of the estimate; BCa's bias correction is infinite (use bootstrap_percentile)",
                )));
            } else {
                let z0 = normal_quantile(share);
                let (a, groups) = match acceleration(ranked, &units, statistic) {
                    Ok(x) => x,
                    Err(u) => return Ok(Err(u)),
                };
                let adjust = |z: f64| normal_cdf(z0 + (z0 + z) / (1.0 - a * (z0 + z)));
                (
                    adjust(normal_quantile(alpha / 2.0)),
                    adjust(normal_quantile(1.0 - alpha / 2.0)),
                    Some(z0),
                    Some(a),
                    Some(groups),
                )
            }
        }
    };
    let method = match config.kind {
        BootstrapKind::Percentile => IntervalMethod::BootstrapPercentile,
        BootstrapKind::Bca => IntervalMethod::BootstrapBca,
    };
    Ok(Ok(BootstrapInterval {
        estimate,
        interval: Interval {
            lower: quantile_sorted(&values, lower_q),
            upper: quantile_sorted(&values, upper_q),
            level: config.level,
            method,
            n: ranked.len() as u64,
        },
        resamples: config.resamples,
        undefined_replicates: undefined as u32,
        units: units.count() as u64,
        bias_correction,
        acceleration,
        jackknife_groups,
        seed: config.seed,
    }))
}

/// BCa's acceleration from the jackknife: a = Σ(θ̄ − θᵢ)³ / (6·(Σ(θ̄ − θᵢ)²)^{3/2}).
fn acceleration<S: Statistic>(
    ranked: &Ranked,
    units: &Units,
    statistic: &S,
) -> Result<(f64, u64), Undefined> {
    let count = units.count();
    let groups = count.min(MAX_JACKKNIFE_GROUPS);
    let thetas: Vec<Value> = (0..groups)
        .into_par_iter()
        .map_init(
            || vec![1u32; ranked.len()],
            |weights, g| {
                weights.fill(1);
                for unit in (g..count).step_by(groups) {
                    for &p in units.members(unit) {
                        weights[p] = 0;
                    }
                }
                statistic.evaluate(ranked, weights)
            },
        )
        .collect();
    let thetas: Vec<f64> =
        thetas
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(|u: Undefined| {
                Undefined::new(format!(
                "the jackknife for BCa's acceleration is undefined ({}); use bootstrap_percentile",
                u.reason
            ))
            })?;
    let mean = thetas.iter().sum::<f64>() / thetas.len() as f64;
    let (mut num, mut den) = (0.0, 0.0);
    for t in &thetas {
        let d = mean - t;
        num += d * d * d;
        den += d * d;
    }
    let a = if den == 0.0 {
        0.0
    } else {
        num / (6.0 * den.powf(1.5))
    };
    Ok((a, groups as u64))
}
