//! Throughput of every perturbation kind (images/s), the Attest side of
//! `bench/perturb/run.sh`: 224×224 and 512×512, 8-bit gray and RGB (the same real radiograph
//! as the Python peer), severity 3 (or the kind's maximum), one thread and all threads. Prints
//! one JSON object.
//!
//! `cargo bench -p attest-perturb --bench throughput [-- KIND...]`
//!
//! A plain timing loop rather than criterion: 38 kinds × 8 configurations would take criterion
//! an hour; here each cell runs ≥ 0.2 s, three times, and the median is reported.

use std::time::Instant;

use attest_perturb::{kinds, perturb, Image};

/// The peer's inputs: a real 224×224 radiograph (gray) and its tinted RGB version from the
/// reference fixtures, resized to 512×512 with Lanczos for the larger size (as `peer.py`).
fn test_image(side: usize, rgb: bool) -> Image {
    let name = if rgb {
        "cxr_tinted_rgb.png"
    } else {
        "cxr_normal.png"
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/inputs")
        .join(name);
    let image = attest_perturb::io::read_image(&path).unwrap_or_else(|e| panic!("{e}"));
    if image.width() == side {
        return image;
    }
    let dynamic = attest_perturb::io::to_dynamic(&image).unwrap_or_else(|e| panic!("{e}"));
    let resized = dynamic.resize_exact(
        side as u32,
        side as u32,
        image::imageops::FilterType::Lanczos3,
    );
    attest_perturb::io::from_dynamic(resized).unwrap_or_else(|e| panic!("{e}"))
}

fn images_per_second(image: &Image, params: &attest_perturb::Params) -> f64 {
    let mut rates = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed().as_secs_f64() < 0.2 {
            let out = perturb(image, params, n).unwrap_or_else(|e| panic!("{e}"));
            std::hint::black_box(out);
            n += 1;
        }
        rates.push(n as f64 / start.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    rates[1]
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all_threads = rayon::current_num_threads();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut rows = Vec::new();
    for kind in kinds() {
        if !filter.is_empty() && !filter.iter().any(|f| f == kind.name) {
            continue;
        }
        let severity = kind.max_severity().min(3);
        let params = kind
            .severity(severity, None)
            .unwrap_or_else(|e| panic!("{e}"));
        for side in [224usize, 512] {
            for rgb in [false, true] {
                let image = test_image(side, rgb);
                let single = one.install(|| images_per_second(&image, &params));
                let multi = images_per_second(&image, &params);
                eprintln!(
                    "{:<22} {side}x{side} {:<4} {single:>9.1} img/s (1 thread)  {multi:>9.1} img/s ({all_threads} threads)",
                    kind.name,
                    if rgb { "rgb" } else { "gray" }
                );
                rows.push(format!(
                    "{{\"kind\":\"{}\",\"severity\":{severity},\"side\":{side},\"channels\":{},\"one_thread\":{single:.3},\"all_threads\":{multi:.3},\"threads\":{all_threads}}}",
                    kind.name,
                    if rgb { 3 } else { 1 }
                ));
            }
        }
    }
    println!("{{\"results\":[{}]}}", rows.join(","));
}
