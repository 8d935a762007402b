//! The named blocks a test refers to: data, cohorts, operating points and perturbations.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The test data: a case table with one row per image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Data {
    /// Path to the case table (CSV, CSV.GZ or Parquet), relative to the spec file.
    #[schemars(length(min = 1))]
    pub table: String,
    /// Column with a unique case id.
    #[schemars(length(min = 1))]
    pub id: String,
    /// Column with each case's image path, relative to the table's folder (or to `images`).
    /// PNG, JPEG, TIFF and DICOM are read. Not needed when the model is a scores table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Folder that image paths are relative to, relative to the spec file (default: the
    /// table's folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<String>,
    /// Whether image paths may lead outside the image folder (the table's folder, or
    /// `images`): absolute paths, `..` above it, symbolic links pointing out. Off by default,
    /// so that a spec or table from elsewhere cannot make Attest read — and hash into its
    /// evidence — files it was not meant to; turn it on only for a spec you trust.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_images_outside: bool,
    /// The reference-standard label column and how to read it.
    pub label: LabelSpec,
    /// Column identifying the unit of independence (usually the patient). When set, every
    /// bootstrap resamples clusters, not images, so repeated images of one patient do not
    /// narrow the confidence intervals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Bounds on what is read, against broken or hostile files (decompression bombs,
    /// enormous tables). The defaults fit the largest public imaging cohorts and images
    /// many times over; raise one for data known to be larger (e.g. a tomosynthesis
    /// volume), or lower it for a service that takes specs from elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<DataLimits>,
}

/// The `data.limits` block: every key optional, each replacing its default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataLimits {
    /// Largest case table in bytes — the file, and for CSV.GZ and Parquet also its
    /// decompressed size and for Parquet each page's (default 2 GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_table_bytes: Option<u64>,
    /// Most rows in the case table, and for Parquet the most values any row group, column
    /// chunk or page may declare (default 10 million).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_rows: Option<u64>,
    /// Largest image file in bytes (default 1 GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_image_bytes: Option<u64>,
    /// Most pixels decoded from one image: width × height × frames × samples (default
    /// 100 million).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_image_pixels: Option<u64>,
}

/// How the label column is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelSpec {
    /// Column holding the reference standard.
    #[schemars(length(min = 1))]
    pub column: String,
    /// Binary task: the value of the label column that means positive (every other
    /// non-empty value is negative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive: Option<LabelValue>,
    /// Binary task, instead of `positive`: the value that means negative (every other
    /// non-empty value is positive), for tables like NIH ChestX-ray14 whose label column holds
    /// `No Finding` or a list of findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative: Option<LabelValue>,
    /// Multilabel task: the separator between findings in one cell (e.g. `|`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
}

/// A label value as written in the table: text or an integer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LabelValue {
    /// An integer code such as `1`.
    Int(i64),
    /// A text value such as `pneumothorax`.
    Text(String),
}

impl std::fmt::Display for LabelValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabelValue::Int(i) => write!(f, "{i}"),
            LabelValue::Text(t) => f.write_str(t),
        }
    }
}

/// A named subset of cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    /// SQL WHERE predicate over the table's columns, e.g. `site = 'A' AND age >= 65`.
    #[serde(rename = "where")]
    #[schemars(length(min = 1))]
    pub predicate: String,
    /// What the cohort represents, quoted in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A named decision threshold: exactly one of `threshold`, `target` or `youden`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatingPoint {
    /// A fixed threshold: a case is positive when its score >= threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Choose the threshold on `choose_on` so that exactly one rate reaches its target
    /// (e.g. `{ specificity: 0.95 }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetSpec>,
    /// Choose the threshold on `choose_on` that maximises Youden's J (sensitivity +
    /// specificity - 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub youden: Option<bool>,
    /// The cohort the threshold is chosen on. It should not overlap the cohorts it is tested
    /// on (threshold leakage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choose_on: Option<String>,
    /// A column: choose one threshold per value of it (e.g. one per site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
    /// Why this operating point, quoted in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The rate an operating point must reach on its choosing cohort; exactly one key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// The highest threshold whose sensitivity is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub sensitivity: Option<f64>,
    /// The lowest threshold whose specificity is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub specificity: Option<f64>,
    /// The lowest threshold whose false-positive rate is at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub fpr: Option<f64>,
    /// The lowest threshold whose positive predictive value is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub ppv: Option<f64>,
}

impl TargetSpec {
    /// The targets that are set, as (rate name, value).
    pub fn set(&self) -> Vec<(&'static str, f64)> {
        [
            ("sensitivity", self.sensitivity),
            ("specificity", self.specificity),
            ("fpr", self.fpr),
            ("ppv", self.ppv),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }
}

/// A named perturbation: a kind from the catalog and its ladder of severities, or explicit
/// parameter sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Perturbation {
    /// Perturbation kind (see `attest explain perturbations`), e.g. `gaussian_noise`.
    #[schemars(length(min = 1))]
    pub kind: String,
    /// Severities from the kind's published table, 1 (mild) to 5 (severe). Default: every
    /// severity the kind has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), inner(range(min = 1, max = 5)))]
    pub severities: Option<Vec<u8>>,
    /// Explicit parameter sets instead of severities, one ladder step each
    /// (e.g. `[{ sigma: 0.02 }, { sigma: 0.05 }]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub levels: Option<Vec<PerturbationLevel>>,
    /// Why this perturbation (which foreseeable change in input it stands for), quoted in
    /// the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One explicit parameter set of a perturbation: parameter name to value.
pub type PerturbationLevel = IndexMap<String, serde_json::Value>;
