//! `attest metrics`: every binary metric with its interval for a table of labels and scores.

use std::collections::BTreeMap;

use attest_data::table::{Table, TableError};
use attest_stats::binary::{predictive_values_at, prevalence, ThresholdMetric};
use attest_stats::calibration::{brier, calibration_fit, calibration_in_the_large, ece, log_loss};
use attest_stats::ci::bootstrap::{bootstrap, BootstrapConfig, BootstrapKind, Statistic};
use attest_stats::ci::delong::delong;
use attest_stats::ci::proportion::proportion_interval;
use attest_stats::ci::{Interval, IntervalMethod, Level};
use attest_stats::rank::Ranked;
use attest_stats::roc::{average_precision, weighted_auc, weighted_average_precision};
use attest_stats::{Counts, Sample, StatsError, Undefined, Value, WeightedCounts};
use std::fmt::Write as _;

use serde_json::{json, Map, Value as Json};

use crate::cli::MetricsArgs;
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render::emit;

/// One line of the metric table.
struct Row {
    name: &'static str,
    value: Value,
    /// `None`: no interval method applies; `Some(Err)`: the method gave none on this data.
    interval: Option<Result<Interval, Undefined>>,
    /// e.g. "68/100" for proportions.
    detail: String,
}

/// Everything the command prints, in either format.
struct Report<'a> {
    args: &'a MetricsArgs,
    sample: &'a Sample<'a>,
    counts: &'a Counts,
    intervals: &'a Intervals,
    level: Level,
    rows: &'a [Row],
}

/// How intervals are computed for this invocation.
enum Intervals {
    Proportion(IntervalMethod),
    Bootstrap(BootstrapConfig),
}

fn data_error(e: TableError) -> CommandError {
    match e {
        TableError::Io { path, source } => CommandError::Io {
            action: "read",
            path,
            source,
        },
        other => CommandError::Data(other.to_string()),
    }
}

fn stats_error(e: StatsError) -> CommandError {
    CommandError::Usage(e.to_string())
}

fn choose_intervals(args: &MetricsArgs, level: Level) -> Result<Intervals, CommandError> {
    let name = match (&args.ci, args.bootstrap) {
        (Some(name), _) => name.as_str(),
        (None, Some(_)) => "bootstrap_bca",
        (None, None) => "wilson",
    };
    let method = IntervalMethod::from_name(name).ok_or_else(|| {
        CommandError::Usage(format!(
            "unknown --ci method `{name}`; use wilson, clopper_pearson, jeffreys, agresti_coull, bootstrap_bca or bootstrap_percentile"
        ))
    })?;
    let kind = match method {
        IntervalMethod::BootstrapBca => BootstrapKind::Bca,
        IntervalMethod::BootstrapPercentile => BootstrapKind::Percentile,
        IntervalMethod::Wilson
        | IntervalMethod::ClopperPearson
        | IntervalMethod::Jeffreys
        | IntervalMethod::AgrestiCoull => return Ok(Intervals::Proportion(method)),
        IntervalMethod::Delong | IntervalMethod::Newcombe => {
            return Err(CommandError::Usage(format!(
                "--ci {name} does not apply to every metric here; AUC uses DeLong already. Use a proportion method or a bootstrap"
            )))
        }
    };
    Ok(Intervals::Bootstrap(BootstrapConfig {
        resamples: args.bootstrap.unwrap_or(2000),
        level,
        seed: args.seed,
        kind,
        stratified: true,
    }))
}

/// Runs the command.
pub fn run(args: &MetricsArgs) -> Result<ExitStatus, CommandError> {
    let level = Level::new(args.level).map_err(stats_error)?;
    if !args.threshold.is_finite() {
        return Err(CommandError::Usage(
            "--threshold must be a finite number".into(),
        ));
    }
    let intervals = choose_intervals(args, level)?;
    let table = Table::read(&args.file).map_err(data_error)?;
    let labels = table
        .binary_labels(&args.label, &args.positive)
        .map_err(data_error)?;
    let scores = table.f64_column(&args.score).map_err(data_error)?;
    let clusters = match &args.cluster {
        None => None,
        Some(column) => {
            let ids = table.string_column(column).map_err(data_error)?;
            let mut index: BTreeMap<String, u64> = BTreeMap::new();
            let next = |index: &mut BTreeMap<String, u64>, id: String| {
                let n = index.len() as u64;
                *index.entry(id).or_insert(n)
            };
            Some(
                ids.into_iter()
                    .map(|id| next(&mut index, id))
                    .collect::<Vec<u64>>(),
            )
        }
    };
    let sample = Sample::new(&labels, &scores)
        .map_err(|e| CommandError::Data(format!("`{}`: {e}", args.file.display())))?;
    if sample.positives() == 0 {
        eprintln!(
            "warning: no row of `{}` has {} = {}; every metric that needs positive cases is undefined",
            args.file.display(),
            args.label,
            args.positive
        );
    }
    let ranked = sample.ranked();
    let counts = Counts::at_threshold(&sample, args.threshold);
    let rows = compute_rows(
        &sample,
        &ranked,
        &counts,
        args,
        &intervals,
        clusters.as_deref(),
    )?;

    let report = Report {
        args,
        sample: &sample,
        counts: &counts,
        intervals: &intervals,
        level,
        rows: &rows,
    };
    if args.json {
        let report = to_json(&report);
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ));
    } else {
        emit(&render_human(&report));
    }
    Ok(ExitStatus::Success)
}

/// A bootstrap interval of `statistic`, or `None` when intervals are proportion intervals.
fn bootstrap_interval<S: Statistic>(
    ranked: &Ranked,
    clusters: Option<&[u64]>,
    intervals: &Intervals,
    statistic: &S,
) -> Result<Option<Result<Interval, Undefined>>, CommandError> {
    match intervals {
        Intervals::Proportion(_) => Ok(None),
        Intervals::Bootstrap(config) => Ok(Some(
            bootstrap(ranked, clusters, config, statistic)
                .map_err(stats_error)?
                .map(|b| b.interval),
        )),
    }
}

fn compute_rows(
    sample: &Sample<'_>,
    ranked: &Ranked,
    counts: &Counts,
    args: &MetricsArgs,
    intervals: &Intervals,
    clusters: Option<&[u64]>,
) -> Result<Vec<Row>, CommandError> {
    let level = match intervals {
        Intervals::Proportion(_) => Level::new(args.level).map_err(stats_error)?,
        Intervals::Bootstrap(c) => c.level,
    };
    let mut rows = Vec::new();

    // AUC: DeLong unless a bootstrap was asked for.
    let auc_statistic = |r: &Ranked, w: &[u32]| weighted_auc(r, Some(w));
    let auc_value = weighted_auc(ranked, None);
    let auc_interval = match intervals {
        Intervals::Proportion(_) => Some(delong(ranked, level).map(|d| d.interval)),
        Intervals::Bootstrap(_) => bootstrap_interval(ranked, clusters, intervals, &auc_statistic)?,
    };
    rows.push(Row {
        name: "auc",
        value: auc_value,
        interval: auc_interval,
        detail: format!("{} pos × {} neg", sample.positives(), sample.negatives()),
    });
    let ap_statistic = |r: &Ranked, w: &[u32]| weighted_average_precision(r, Some(w));
    rows.push(Row {
        name: "average_precision",
        value: average_precision(ranked),
        interval: bootstrap_interval(ranked, clusters, intervals, &ap_statistic)?,
        detail: String::new(),
    });
    let prevalence_interval = {
        let method = match intervals {
            Intervals::Proportion(m) => *m,
            // A label-stratified bootstrap holds prevalence fixed; use Wilson.
            Intervals::Bootstrap(_) => IntervalMethod::Wilson,
        };
        proportion_interval(method, counts.positives(), counts.total(), level)
            .map_err(stats_error)?
    };
    rows.push(Row {
        name: "prevalence",
        value: prevalence(counts),
        interval: Some(prevalence_interval),
        detail: format!("{}/{}", counts.positives(), counts.total()),
    });
    rows.push(Row {
        name: "brier",
        value: brier(sample),
        interval: None,
        detail: String::new(),
    });
    rows.push(Row {
        name: "log_loss",
        value: log_loss(sample),
        interval: None,
        detail: String::new(),
    });
    rows.push(Row {
        name: "ece",
        value: ece(sample, 10).map_err(stats_error)?.map(|e| e.value),
        interval: None,
        detail: "10 equal-width bins".into(),
    });
    let fit = calibration_fit(sample);
    rows.push(Row {
        name: "calibration_slope",
        value: fit.map(|f| f.slope),
        interval: None,
        detail: "logistic recalibration".into(),
    });
    rows.push(Row {
        name: "calibration_intercept",
        value: calibration_in_the_large(sample),
        interval: None,
        detail: "slope fixed at 1 (in-the-large)".into(),
    });

    // Threshold metrics.
    for metric in ThresholdMetric::ALL {
        let value = metric.compute(&counts.weighted());
        let proportion = metric.as_proportion(counts);
        let interval = match (intervals, proportion) {
            (Intervals::Proportion(method), Some((x, n))) => {
                Some(proportion_interval(*method, x, n, level).map_err(stats_error)?)
            }
            (Intervals::Proportion(_), None) => None,
            (Intervals::Bootstrap(_), _) => {
                let threshold = args.threshold;
                let statistic = move |r: &Ranked, w: &[u32]| {
                    metric.compute(&WeightedCounts::at_threshold(r, w, threshold))
                };
                bootstrap_interval(ranked, clusters, intervals, &statistic)?
            }
        };
        rows.push(Row {
            name: metric.name(),
            value,
            interval,
            detail: proportion
                .map(|(x, n)| format!("{x}/{n}"))
                .unwrap_or_default(),
        });
    }
    if let Some(p) = args.prevalence {
        let pv = predictive_values_at(counts, p).map_err(stats_error)?;
        rows.push(Row {
            name: "ppv_at_prevalence",
            value: pv.ppv,
            interval: None,
            detail: format!("prevalence {p}"),
        });
        rows.push(Row {
            name: "npv_at_prevalence",
            value: pv.npv,
            interval: None,
            detail: format!("prevalence {p}"),
        });
    }
    Ok(rows)
}

fn method_label(intervals: &Intervals) -> String {
    match intervals {
        Intervals::Proportion(m) => format!("{} for proportions, delong for auc", m.name()),
        Intervals::Bootstrap(c) => format!(
            "{} ({} resamples, stratified by label, seed {})",
            match c.kind {
                BootstrapKind::Bca => "bootstrap_bca",
                BootstrapKind::Percentile => "bootstrap_percentile",
            },
            c.resamples,
            c.seed
        ),
    }
}

fn to_json(report: &Report<'_>) -> Json {
    let Report {
        args,
        sample,
        counts,
        intervals,
        level,
        rows,
    } = report;
    let mut metrics = Map::new();
    for row in *rows {
        let mut m = Map::new();
        match &row.value {
            Ok(v) => m.insert("value".into(), json!(v)),
            Err(u) => {
                m.insert("value".into(), Json::Null);
                m.insert("undefined".into(), json!(u.reason))
            }
        };
        match &row.interval {
            None => m.insert("ci".into(), Json::Null),
            Some(Ok(i)) => m.insert("ci".into(), json!(i)),
            Some(Err(u)) => {
                m.insert("ci".into(), Json::Null);
                m.insert("ci_undefined".into(), json!(u.reason))
            }
        };
        if !row.detail.is_empty() {
            m.insert("detail".into(), json!(row.detail));
        }
        metrics.insert(row.name.into(), Json::Object(m));
    }
    json!({
        "file": args.file.display().to_string(),
        "n": sample.len(),
        "positives": sample.positives(),
        "negatives": sample.negatives(),
        "label": { "column": args.label, "positive": args.positive },
        "score": args.score,
        "threshold": args.threshold,
        "rule": "a case is positive iff score >= threshold",
        "level": level.get(),
        "intervals": method_label(intervals),
        "cluster": args.cluster,
        "counts": counts,
        "metrics": metrics,
    })
}

fn format_number(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.4}")
    }
}

fn render_human(report: &Report<'_>) -> String {
    let Report {
        args,
        sample,
        counts,
        intervals,
        level,
        rows,
    } = report;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} cases, {} positive ({} = {}), {} negative",
        args.file.display(),
        sample.len(),
        sample.positives(),
        args.label,
        args.positive,
        sample.negatives()
    );
    let _ = writeln!(
        out,
        "score `{}`; at threshold {}: positive iff score >= {}",
        args.score, args.threshold, args.threshold
    );
    let _ = writeln!(
        out,
        "TP {}  FP {}  TN {}  FN {}",
        counts.tp, counts.fp, counts.tn, counts.fn_
    );
    let _ = writeln!(
        out,
        "{}% intervals: {}",
        level.get() * 100.0,
        method_label(intervals)
    );
    if let Some(c) = &args.cluster {
        let _ = writeln!(out, "bootstrap resamples clusters of `{c}`");
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{:<24} {:>10}  {:<22} {:<22} detail",
        "metric", "estimate", "interval", "method"
    );
    for row in *rows {
        let value = match &row.value {
            Ok(v) => format_number(*v),
            Err(_) => "undefined".to_string(),
        };
        let (interval, method) = match &row.interval {
            None => ("—".to_string(), String::new()),
            Some(Ok(i)) => (
                format!("[{}, {}]", format_number(i.lower), format_number(i.upper)),
                i.method.name().to_string(),
            ),
            Some(Err(_)) => ("undefined".to_string(), String::new()),
        };
        let _ = writeln!(
            out,
            "{:<24} {:>10}  {:<22} {:<22} {}",
            row.name, value, interval, method, row.detail
        );
        if let Err(u) = &row.value {
            let _ = writeln!(out, "{:<24} ↳ {}", "", u.reason);
        } else if let Some(Err(u)) = &row.interval {
            let _ = writeln!(out, "{:<24} ↳ interval: {}", "", u.reason);
        }
    }
    out
}
