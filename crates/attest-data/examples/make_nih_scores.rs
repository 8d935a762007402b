//! Simulated scores for `examples/nih-cohorts`: a scores-only "model" over the real NIH
//! ChestX-ray14 index (112,120 images), so cohort analysis can be shown at scale without
//! images or a network.
//!
//! ```sh
//! cargo run --release -p attest-data --example make_nih_scores -- \
//!     examples/nih-cohorts/data/Data_Entry_2017_v2020.csv.gz examples/nih-cohorts/data/scores.csv.gz
//! ```
//!
//! The label is real (any finding vs `No Finding`); the score is not. For image i with label
//! y ∈ {0, 1}, age a (years, capped to 1–100) and view v:
//!
//! `score = sigmoid(−1.1 + 1.5·y + 0.018·(a − 47) + 0.5·[v = AP] + s·z)`, z ~ N(0, 1),
//! s = 1.0 for PA and 1.35 for AP,
//!
//! so the simulated reader is weaker on portable AP films (sicker, supine patients) and calls
//! older patients abnormal more readily — the situation where one threshold cannot hold the
//! same false-positive rate in every group, and per-view or per-age thresholds are needed. z
//! is drawn from a ChaCha8 stream seeded by (seed, image id): identical on every machine.

use std::io::Write;

use attest_data::table::Table;
use attest_stats::rng::{derive_seed, generator, id_part, unit};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = <[String; 2]>::try_from(args)
        .map_err(|_| "usage: make_nih_scores DATA_ENTRY.csv.gz SCORES.csv.gz")?;
    let seed = 20_261_126u64;
    let table = Table::read(std::path::Path::new(&input)).map_err(|e| e.to_string())?;
    let ids = table
        .string_column("Image Index")
        .map_err(|e| e.to_string())?;
    let findings = table
        .string_column("Finding Labels")
        .map_err(|e| e.to_string())?;
    let ages = table.f64_column("Patient Age").map_err(|e| e.to_string())?;
    let views = table
        .string_column("View Position")
        .map_err(|e| e.to_string())?;

    let mut csv = String::with_capacity(ids.len() * 28);
    csv.push_str("Image Index,score\n");
    for i in 0..ids.len() {
        let y = if findings[i] == "No Finding" {
            0.0
        } else {
            1.0
        };
        let age = ages[i].clamp(1.0, 100.0);
        let ap = views[i] == "AP";
        let mut rng = generator(derive_seed(seed, &[id_part(&ids[i])]));
        // Box–Muller from two uniforms in (0, 1].
        let (u1, u2) = (1.0 - unit(&mut rng), unit(&mut rng));
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let spread = if ap { 1.35 } else { 1.0 };
        let logit = -1.1 + 1.5 * y + 0.018 * (age - 47.0) + if ap { 0.5 } else { 0.0 } + spread * z;
        let score = 1.0 / (1.0 + (-logit).exp());
        csv.push_str(&format!("{},{score:.6}\n", ids[i]));
    }
    let tmp = format!("{output}.tmp");
    let file = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    gz.write_all(csv.as_bytes()).map_err(|e| e.to_string())?;
    gz.finish().map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, &output).map_err(|e| e.to_string())?;
    eprintln!("wrote {} scores to {output}", ids.len());
    Ok(())
}
