//! The vocabulary of the spec language: metrics, confidence-interval methods, perturbation
//! kinds and test kinds, with the definitions `attest explain` prints.
//!
//! Validation checks names against these tables; the statistics and perturbation crates
//! implement exactly these names (a test there fails when an entry here has no
//! implementation, once those crates land).

use crate::types::{CiMethod, Task, TestKind};

/// How a metric's confidence interval can be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricFamily {
    /// A binomial proportion k / n: every proportion interval applies.
    Proportion,
    /// The area under the ROC curve: DeLong or bootstrap.
    Auc,
    /// Anything else: bootstrap only.
    Other,
    /// A count (no interval).
    Count,
}

/// One metric the spec may name.
#[derive(Debug, Clone, Copy)]
pub struct MetricInfo {
    /// The canonical name.
    pub name: &'static str,
    /// Other accepted spellings.
    pub aliases: &'static [&'static str],
    /// Definition with formula, for `attest explain`.
    pub definition: &'static str,
    /// Smallest and largest possible value (`None`: unbounded on that side).
    pub range: (Option<f64>, Option<f64>),
    /// Whether a higher value is better.
    pub higher_is_better: bool,
    /// Whether it needs an operating point (`at:`).
    pub needs_threshold: bool,
    /// Which interval methods apply.
    pub family: MetricFamily,
    /// The tasks it is defined for.
    pub tasks: &'static [Task],
    /// Whether it is a calibration measure (infers `kind: calibration`).
    pub calibration: bool,
}

const ALL_TASKS: &[Task] = &[Task::Binary, Task::Multiclass, Task::Multilabel];
const BINARY_LIKE: &[Task] = &[Task::Binary, Task::Multilabel];
const MULTICLASS: &[Task] = &[Task::Multiclass];
const UNIT: (Option<f64>, Option<f64>) = (Some(0.0), Some(1.0));

const fn metric(
    name: &'static str,
    aliases: &'static [&'static str],
    definition: &'static str,
    family: MetricFamily,
    needs_threshold: bool,
) -> MetricInfo {
    MetricInfo {
        name,
        aliases,
        definition,
        range: UNIT,
        higher_is_better: true,
        needs_threshold,
        family,
        tasks: ALL_TASKS,
        calibration: false,
    }
}

/// Every metric, in documentation order. For multiclass and multilabel tasks, binary metrics
/// are computed one-vs-rest for `class:` or averaged by `average:`.
pub const METRICS: &[MetricInfo] = &[
    metric("sensitivity", &["recall", "tpr", "true_positive_rate"],
        "TP / (TP + FN): the fraction of positive cases called positive. A case is called positive when its score >= the threshold.",
        MetricFamily::Proportion, true),
    metric("specificity", &["tnr", "true_negative_rate"],
        "TN / (TN + FP): the fraction of negative cases called negative.",
        MetricFamily::Proportion, true),
    MetricInfo { higher_is_better: false, ..metric("fpr", &["false_positive_rate"],
        "FP / (FP + TN) = 1 - specificity.", MetricFamily::Proportion, true) },
    MetricInfo { higher_is_better: false, ..metric("fnr", &["false_negative_rate", "miss_rate"],
        "FN / (FN + TP) = 1 - sensitivity.", MetricFamily::Proportion, true) },
    metric("ppv", &["precision", "positive_predictive_value"],
        "TP / (TP + FP) at the test set's prevalence.", MetricFamily::Proportion, true),
    metric("npv", &["negative_predictive_value"],
        "TN / (TN + FN) at the test set's prevalence.", MetricFamily::Proportion, true),
    metric("accuracy", &[],
        "(TP + TN) / n; for multiclass, the fraction of cases whose highest-scoring class is the label (no threshold).",
        MetricFamily::Proportion, true),
    metric("balanced_accuracy", &[],
        "(sensitivity + specificity) / 2.", MetricFamily::Other, true),
    metric("f1", &["f1_score"],
        "2 TP / (2 TP + FP + FN), the harmonic mean of PPV and sensitivity.", MetricFamily::Other, true),
    MetricInfo { range: (Some(-1.0), Some(1.0)), ..metric("mcc", &["matthews"],
        "Matthews correlation coefficient: (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)).",
        MetricFamily::Other, true) },
    MetricInfo { range: (Some(-1.0), Some(1.0)), ..metric("youden_j", &["youden"],
        "Youden's J = sensitivity + specificity - 1 (Youden 1950).", MetricFamily::Other, true) },
    MetricInfo { range: (Some(0.0), None), ..metric("lr_positive", &["plr"],
        "Positive likelihood ratio: sensitivity / (1 - specificity).", MetricFamily::Other, true) },
    MetricInfo { range: (Some(0.0), None), higher_is_better: false, ..metric("lr_negative", &["nlr"],
        "Negative likelihood ratio: (1 - sensitivity) / specificity.", MetricFamily::Other, true) },
    metric("auc", &["roc_auc", "auroc"],
        "Area under the ROC curve: the probability that a random positive case scores higher than a random negative one, ties counting one half (Hanley and McNeil 1982).",
        MetricFamily::Auc, false),
    metric("partial_auc", &["pauc"],
        "Area under the ROC curve over a specificity range, standardised (McClish 1989).",
        MetricFamily::Other, false),
    metric("average_precision", &["pr_auc", "ap"],
        "Area under the precision-recall curve as the step-wise sum of precision over recall increments (scikit-learn's average_precision_score).",
        MetricFamily::Other, false),
    MetricInfo { higher_is_better: false, ..metric("prevalence", &[],
        "(TP + FN) / n: the fraction of positive cases in the cohort (reported, rarely gated).",
        MetricFamily::Proportion, false) },
    MetricInfo { higher_is_better: false, calibration: true, ..metric("brier", &["brier_score"],
        "Mean of (score - label)^2 (Brier 1950).", MetricFamily::Other, false) },
    MetricInfo { range: (Some(0.0), None), higher_is_better: false, ..metric("log_loss", &["cross_entropy"],
        "Mean of -[y ln p + (1 - y) ln(1 - p)], scores clipped to [eps, 1 - eps] with eps = 2.2e-16 (as scikit-learn).",
        MetricFamily::Other, false) },
    MetricInfo { higher_is_better: false, calibration: true, tasks: BINARY_LIKE, ..metric("ece", &["expected_calibration_error"],
        "Expected calibration error: sum over equal-width score bins of (bin size / n) |mean label - mean score| (Naeini et al. 2015); the number of bins is stated.",
        MetricFamily::Other, false) },
    MetricInfo { range: (None, None), calibration: true, tasks: BINARY_LIKE, ..metric("calibration_slope", &[],
        "Slope b of the logistic recalibration logit(P(y=1)) = a + b logit(score); 1 is ideal (Cox 1958).",
        MetricFamily::Other, false) },
    MetricInfo { range: (None, None), calibration: true, tasks: BINARY_LIKE, ..metric("calibration_intercept", &["calibration_in_the_large"],
        "Intercept a of the logistic recalibration with the slope fixed at 1; 0 is ideal.",
        MetricFamily::Other, false) },
    MetricInfo { range: (Some(-1.0), Some(1.0)), tasks: MULTICLASS, ..metric("cohen_kappa", &["kappa"],
        "Cohen's kappa between predicted (highest score) and true class, unweighted (Cohen 1960).",
        MetricFamily::Other, false) },
    MetricInfo { range: (Some(-1.0), Some(1.0)), tasks: MULTICLASS, ..metric("cohen_kappa_linear", &[],
        "Cohen's kappa with linear weights |i - j| for ordered classes.", MetricFamily::Other, false) },
    MetricInfo { range: (Some(-1.0), Some(1.0)), tasks: MULTICLASS, ..metric("cohen_kappa_quadratic", &["qwk"],
        "Cohen's kappa with quadratic weights (i - j)^2 for ordered classes.", MetricFamily::Other, false) },
];

/// The metric with this name or alias.
pub fn metric_info(name: &str) -> Option<&'static MetricInfo> {
    METRICS
        .iter()
        .find(|m| m.name == name || m.aliases.contains(&name))
}

/// Every name and alias a metric may be written as.
pub fn metric_names() -> impl Iterator<Item = &'static str> {
    METRICS
        .iter()
        .flat_map(|m| std::iter::once(m.name).chain(m.aliases.iter().copied()))
}

/// One confidence-interval method with its definition and where it applies.
#[derive(Debug, Clone, Copy)]
pub struct CiMethodInfo {
    /// The method.
    pub method: CiMethod,
    /// Its spec name.
    pub name: &'static str,
    /// Definition and reference.
    pub definition: &'static str,
    /// Metric families it applies to.
    pub families: &'static [MetricFamily],
}

const PROPORTION: &[MetricFamily] = &[MetricFamily::Proportion];
const ANY: &[MetricFamily] = &[
    MetricFamily::Proportion,
    MetricFamily::Auc,
    MetricFamily::Other,
];

/// Every interval method, in documentation order.
pub const CI_METHODS: &[CiMethodInfo] = &[
    CiMethodInfo { method: CiMethod::Wilson, name: "wilson", families: PROPORTION,
        definition: "Wilson score interval for a binomial proportion (Wilson 1927); the default for proportions. Good coverage at small n and near 0 or 1." },
    CiMethodInfo { method: CiMethod::ClopperPearson, name: "clopper_pearson", families: PROPORTION,
        definition: "Exact binomial interval from Beta quantiles (Clopper and Pearson 1934); conservative, coverage at least the level." },
    CiMethodInfo { method: CiMethod::Jeffreys, name: "jeffreys", families: PROPORTION,
        definition: "Equal-tailed Bayesian interval with the Jeffreys prior Beta(1/2, 1/2) (Brown, Cai and DasGupta 2001)." },
    CiMethodInfo { method: CiMethod::AgrestiCoull, name: "agresti_coull", families: PROPORTION,
        definition: "Wald interval after adding z^2/2 successes and failures (Agresti and Coull 1998)." },
    CiMethodInfo { method: CiMethod::Delong, name: "delong", families: &[MetricFamily::Auc],
        definition: "Normal interval for the AUC with DeLong's structural-components variance (DeLong, DeLong and Clarke-Pearson 1988); the default for AUC. Paired form for comparisons." },
    CiMethodInfo { method: CiMethod::BootstrapPercentile, name: "bootstrap_percentile", families: ANY,
        definition: "Percentile bootstrap: quantiles of the metric over resamples, stratified by label and resampling clusters when data.cluster is set; seeded from the run seed and the test id." },
    CiMethodInfo { method: CiMethod::BootstrapBca, name: "bootstrap_bca", families: ANY,
        definition: "Bias-corrected and accelerated bootstrap (Efron 1987), jackknife acceleration; the default for metrics without a closed form." },
    CiMethodInfo { method: CiMethod::Newcombe, name: "newcombe", families: PROPORTION,
        definition: "Newcombe's hybrid score interval for a difference of two independent proportions (Newcombe 1998, method 10); used for subgroup gaps and drops of proportions." },
];

/// The interval method's entry.
pub fn ci_method_info(method: CiMethod) -> &'static CiMethodInfo {
    CI_METHODS
        .iter()
        .find(|m| m.method == method)
        .unwrap_or(&CI_METHODS[0])
}

/// One perturbation kind the spec may name.
#[derive(Debug, Clone, Copy)]
pub struct PerturbationKindInfo {
    /// The spec name.
    pub name: &'static str,
    /// Which family of published corruptions it belongs to.
    pub family: &'static str,
    /// What it does to the image.
    pub definition: &'static str,
    /// Highest severity in its table (severities run from 1).
    pub max_severity: u8,
}

const fn kind(
    name: &'static str,
    family: &'static str,
    definition: &'static str,
) -> PerturbationKindInfo {
    PerturbationKindInfo {
        name,
        family,
        definition,
        max_severity: 5,
    }
}

const IMAGENET_C: &str = "ImageNet-C (imagecorruptions severity tables)";
const MEDMNIST_C: &str = "MedMNIST-C (medmnistc chest X-ray tables)";
const RADIOGRAPHY: &str = "radiography";

/// Every perturbation kind, in documentation order.
pub const PERTURBATION_KINDS: &[PerturbationKindInfo] = &[
    kind("gaussian_noise", IMAGENET_C, "Additive Gaussian noise of standard deviation c on [0, 1] intensities."),
    kind("shot_noise", IMAGENET_C, "Poisson noise: intensities scaled by c, Poisson-sampled, scaled back."),
    kind("impulse_noise", IMAGENET_C, "Salt-and-pepper noise on a fraction c of pixels."),
    kind("speckle_noise", IMAGENET_C, "Multiplicative Gaussian noise x + x n, n ~ N(0, c^2)."),
    kind("defocus_blur", IMAGENET_C, "Convolution with an anti-aliased disk kernel of radius c."),
    kind("glass_blur", IMAGENET_C, "Gaussian blur, then local pixel shuffling, then blur again."),
    kind("motion_blur", IMAGENET_C, "Linear motion blur of radius and sigma c at a seeded angle."),
    kind("zoom_blur", IMAGENET_C, "Average of the image zoomed by a ladder of factors."),
    kind("gaussian_blur", IMAGENET_C, "Gaussian blur of standard deviation c pixels."),
    kind("fog", IMAGENET_C, "Plasma-fractal haze added and contrast renormalised."),
    kind("snow", IMAGENET_C, "Seeded snow layer with motion-blurred flakes blended in."),
    kind("frost", IMAGENET_C, "Frost-like texture blended in; the texture is synthesised (the published frost photographs are not bundled)."),
    kind("brightness", IMAGENET_C, "Value channel raised by c in HSV space (lightness for grayscale)."),
    kind("contrast", IMAGENET_C, "Intensities pulled toward the image mean by factor c."),
    kind("elastic_transform", IMAGENET_C, "Affine jitter plus smoothed random displacement fields."),
    kind("pixelate", IMAGENET_C, "Down-sampling by factor c with box filter, then nearest up-sampling."),
    kind("jpeg_compression", IMAGENET_C, "JPEG re-encoding at quality c."),
    kind("spatter", IMAGENET_C, "Seeded liquid or mud spatter blended in."),
    kind("brightness_up", MEDMNIST_C, "Intensities raised by a constant (chest X-ray table)."),
    kind("brightness_down", MEDMNIST_C, "Intensities lowered by a constant."),
    kind("contrast_up", MEDMNIST_C, "Contrast increased around the mean."),
    kind("contrast_down", MEDMNIST_C, "Contrast decreased around the mean."),
    kind("gamma_up", MEDMNIST_C, "Gamma correction with gamma > 1 (darker mid-tones): under-exposure."),
    kind("gamma_down", MEDMNIST_C, "Gamma correction with gamma < 1 (brighter mid-tones): over-exposure."),
    kind("rotation", RADIOGRAPHY, "Rotation about the centre by a seeded signed angle up to the severity's maximum."),
    kind("translation", RADIOGRAPHY, "Shift by a seeded offset up to a fraction of the image size."),
    kind("scale", RADIOGRAPHY, "Zoom in (crop) or out (pad) by a factor."),
    PerturbationKindInfo { max_severity: 1, ..kind("horizontal_flip", RADIOGRAPHY, "Left-right mirror: a laterality error.") },
    kind("resolution_loss", RADIOGRAPHY, "Down-sampling by a factor then up-sampling to the original size."),
    kind("bit_depth", RADIOGRAPHY, "Quantisation to fewer bits per pixel."),
    PerturbationKindInfo { max_severity: 1, ..kind("inverted_photometric", RADIOGRAPHY, "Intensities inverted: a MONOCHROME1 image shown without conversion.") },
    kind("window_level", RADIOGRAPHY, "Display window centre and width shifted from the intended values, with clipping."),
    kind("poisson_dose", RADIOGRAPHY, "Quantum noise at a fraction of the acquisition dose (Poisson resampling of photon counts)."),
    kind("burned_in_text", RADIOGRAPHY, "Burned-in annotation text drawn at seeded positions."),
    kind("laterality_marker", RADIOGRAPHY, "An L/R marker drawn at a seeded corner."),
    kind("grid_lines", RADIOGRAPHY, "Anti-scatter grid line pattern of a given frequency and amplitude."),
    kind("collimation", RADIOGRAPHY, "Black borders and corners from tight collimation."),
    kind("occlusion", RADIOGRAPHY, "Seeded rectangular patches set to a constant."),
];

/// The perturbation kind with this name.
pub fn perturbation_kind(name: &str) -> Option<&'static PerturbationKindInfo> {
    PERTURBATION_KINDS.iter().find(|k| k.name == name)
}

/// What each test kind does, for `attest explain`.
pub fn test_kind_definition(kind: TestKind) -> &'static str {
    match kind {
        TestKind::Performance => "A metric on one cohort (default all), at an operating point when the metric needs a threshold, with a confidence interval; criteria on estimate, lower or upper.",
        TestKind::Subgroups => "A metric in each subgroup, given by `across: COLUMN` (one subgroup per value) or `cohorts: [..]`; criteria on each subgroup's estimate/lower/upper and on `gap` (largest difference between subgroups). Intervals are corrected for multiplicity (`correction`, default holm).",
        TestKind::Robustness => "A metric on the perturbed images at each severity of a perturbation; `drop` bounds the loss from the unperturbed value at every severity. The report gives the breaking severity.",
        TestKind::Invariance => "The fraction of cases whose predicted class changes under a perturbation (`flip_rate`), at an operating point for binary tasks.",
        TestKind::Comparison => "The model against a reference model on the same cases: the paired difference (model - reference) of a metric with its interval; `margin` gives a non-inferiority test.",
        TestKind::Calibration => "A calibration metric (ece, brier, calibration_slope, calibration_intercept) on a cohort, with `bins` for ECE.",
        TestKind::Data => "Checks of the data itself per cohort: min_cases, min_positives, min_negatives, duplicate_images, label_missingness.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut names: Vec<_> = metric_names().collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        let mut kinds: Vec<_> = PERTURBATION_KINDS.iter().map(|k| k.name).collect();
        let n = kinds.len();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), n);
    }

    #[test]
    fn every_ci_method_is_described() {
        use schemars::JsonSchema;
        let schema = serde_json::to_value(CiMethod::json_schema(
            &mut schemars::SchemaGenerator::default(),
        ))
        .unwrap();
        let listed = schema.to_string();
        for info in CI_METHODS {
            assert!(listed.contains(info.name), "{}", info.name);
            assert_eq!(ci_method_info(info.method).name, info.name);
        }
    }
}
