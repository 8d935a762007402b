//! A fixed amount of work for instruction counts and profilers (`perf stat`, `perf record`,
//! callgrind): applies one kind at severity 3 to the 224×224 reference radiograph (gray or
//! its tinted RGB version) `N` times on the current thread, seeds 0..N.
//!
//! `cargo bench -p attest-perturb --bench profile -- KIND gray|rgb N`
//! (`KIND` = `roundtrip` measures the plane conversion alone.)
//!
//! `cargo bench -p attest-perturb --bench profile -- digest > FILE` prints a digest of the
//! output of every kind, table, severity and two seeds on five inputs (gray, RGB, 16-bit, odd
//! sizes): diff two such files to check that an optimisation changed no output.

use attest_perturb::{kind, perturb, Image, Planes};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let name = args.first().map_or("gaussian_noise", String::as_str);
    if name == "digest" {
        digest();
        return;
    }
    let rgb = args.get(1).is_some_and(|a| a == "rgb");
    let n: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let file = if rgb {
        "cxr_tinted_rgb.png"
    } else {
        "cxr_normal.png"
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/inputs")
        .join(file);
    let image: Image = attest_perturb::io::read_image(&path).unwrap_or_else(|e| panic!("{e}"));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let start = std::time::Instant::now();
    pool.install(|| {
        if name == "roundtrip" {
            for _ in 0..n {
                let planes = Planes::from_image(std::hint::black_box(&image));
                std::hint::black_box(planes.to_image().unwrap_or_else(|e| panic!("{e}")));
                planes.recycle();
            }
            return;
        }
        let def = kind(name).unwrap_or_else(|e| panic!("{e}"));
        let params = def
            .severity(def.max_severity().min(3), None)
            .unwrap_or_else(|e| panic!("{e}"));
        for seed in 0..n {
            std::hint::black_box(perturb(&image, &params, seed).unwrap_or_else(|e| panic!("{e}")));
        }
    });
    let s = start.elapsed().as_secs_f64();
    eprintln!(
        "{name} {}: {:.1} µs/image, {:.0} img/s",
        if rgb { "rgb" } else { "gray" },
        s / n as f64 * 1e6,
        n as f64 / s
    );
}

fn load(name: &str) -> Image {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/inputs")
        .join(name);
    attest_perturb::io::read_image(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// FNV-1a of the samples.
fn hash(image: &Image) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    if let Some(s) = image.as_u8() {
        s.iter().for_each(|&b| eat(b));
    }
    if let Some(s) = image.as_u16() {
        s.iter()
            .for_each(|&v| v.to_le_bytes().into_iter().for_each(&mut eat));
    }
    h
}

fn digest() {
    let gray = load("cxr_normal.png");
    let rgb = load("cxr_tinted_rgb.png");
    let gray_levels = gray.as_u8().unwrap_or_default();
    let wide: Vec<u16> = gray_levels
        .iter()
        .map(|&v| u16::from(v) * 257 + u16::from(v) % 7)
        .collect();
    let gray16 = Image::gray16(gray.width(), gray.height(), wide).unwrap_or_else(|e| panic!("{e}"));
    let (w, h) = (61usize, 47usize);
    let odd_rgb = Image::rgb8(
        w,
        h,
        (0..w * h * 3)
            .map(|i| ((i * 37 + i / 7) % 256) as u8)
            .collect(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let odd_gray = Image::gray8(
        w,
        h,
        (0..w * h).map(|i| ((i * 53 + i / 5) % 256) as u8).collect(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let inputs = [
        ("gray", &gray),
        ("rgb", &rgb),
        ("gray16", &gray16),
        ("odd_rgb", &odd_rgb),
        ("odd_gray", &odd_gray),
    ];
    for def in attest_perturb::kinds() {
        for severity in 1..=def.max_severity() {
            for (input, image) in inputs {
                for table in def.tables {
                    let params = def
                        .severity(severity, Some(table.source))
                        .unwrap_or_else(|e| panic!("{e}"));
                    for seed in [0u64, 7] {
                        let out = perturb(image, &params, seed).unwrap_or_else(|e| panic!("{e}"));
                        println!(
                            "{} {} {severity} {input} {seed} {:016x}",
                            def.name,
                            table.source,
                            hash(&out)
                        );
                    }
                }
            }
        }
    }
}
