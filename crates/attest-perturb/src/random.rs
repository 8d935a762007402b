//! Seeded random draws for perturbations: identical on every machine and thread count.
//!
//! A kind never shares one generator across pixels processed in parallel; it asks [`Seeds`]
//! for a stream per (plane, row) — or per named global draw (an angle, a patch position) — so
//! the same seed gives the same image whether rows run on 1 thread or 16.
//!
//! The generator is xoshiro256++ (Blackman & Vigna 2019), written here in a few lines: it is
//! the fastest well-tested generator for the hundreds of millions of draws a robustness suite
//! makes, and its output is fixed by its published definition, whatever a crate's next
//! version does. Normal deviates use the Marsaglia–Tsang ziggurat (tables built once with
//! `libm`), Poisson deviates Knuth's method below λ = 10 and Hörmann's PTRS above.

use std::sync::OnceLock;

use attest_stats::rng::derive_seed;

/// The seed of one perturbation of one image (the engine derives it from the run seed, the
/// case id and the variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeds {
    seed: u64,
}

/// Stream id for draws that are not tied to a row (angles, positions, shapes).
pub const GLOBAL: u64 = u64::MAX;

impl Seeds {
    /// Seeds for `seed`.
    pub fn new(seed: u64) -> Seeds {
        Seeds { seed }
    }

    /// The seed itself.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The generator of row `row` of plane `plane`.
    pub fn row(&self, plane: usize, row: usize) -> Rng {
        Rng::new(derive_seed(self.seed, &[plane as u64, row as u64]))
    }

    /// The generator of global draw number `index` (use [`GLOBAL`]-style ids that no row
    /// uses).
    pub fn global(&self, index: u64) -> Rng {
        Rng::new(derive_seed(self.seed, &[GLOBAL, index]))
    }
}

/// xoshiro256++.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is expanded from `seed` by SplitMix64.
    pub fn new(seed: u64) -> Rng {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let result = (self.s[0].wrapping_add(self.s[3]))
            .rotate_left(23)
            .wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Fills `out` with [`Rng::uniform`] deviates: the values (and stream position) of
    /// calling it `out.len()` times, with the state held in registers.
    pub fn fill_uniform(&mut self, out: &mut [f64]) {
        let mut local = self.clone();
        for o in out {
            *o = local.uniform();
        }
        self.s = local.s;
    }

    /// Uniform in [a, b).
    #[inline]
    pub fn uniform_in(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.uniform()
    }

    /// Uniform integer in [0, bound) without bias (Lemire); `bound` must be > 0.
    #[inline]
    pub fn below(&mut self, bound: u64) -> u64 {
        let mut m = u128::from(self.next_u64()) * u128::from(bound);
        if (m as u64) < bound {
            let threshold = bound.wrapping_neg() % bound;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(bound);
            }
        }
        (m >> 64) as u64
    }

    /// A standard normal deviate (ziggurat, 128 layers).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let t = tables();
        let hz = self.next_u64() as u32 as i32;
        let iz = (hz & 127) as usize;
        if (hz.unsigned_abs()) < t.kn[iz] {
            return f64::from(hz) * t.wn[iz];
        }
        self.normal_tail(hz, iz)
    }

    /// Fills `out` with standard normal deviates: exactly the values (and the stream
    /// position) of calling [`Rng::normal`] `out.len()` times, with the ziggurat tables looked
    /// up once for the whole buffer.
    pub fn fill_normal(&mut self, out: &mut [f64]) {
        let t = tables();
        // The state lives in a local copy (registers) on the fast path and goes back to
        // `self` only around the rare tail call.
        let mut local = self.clone();
        for o in out {
            let hz = local.next_u64() as u32 as i32;
            let iz = (hz & 127) as usize;
            *o = if hz.unsigned_abs() < t.kn[iz] {
                f64::from(hz) * t.wn[iz]
            } else {
                // Through `self`, so that `local`'s address never escapes.
                self.s = local.s;
                let z = self.normal_tail(hz, iz);
                local.s = self.s;
                z
            };
        }
        self.s = local.s;
    }

    #[cold]
    #[inline(never)]
    fn normal_tail(&mut self, mut hz: i32, mut iz: usize) -> f64 {
        let t = tables();
        loop {
            let x = f64::from(hz) * t.wn[iz];
            if iz == 0 {
                loop {
                    let x = -libm::log(1.0 - self.uniform()) / R;
                    let y = -libm::log(1.0 - self.uniform());
                    if y + y >= x * x {
                        return if hz > 0 { R + x } else { -R - x };
                    }
                }
            }
            if t.f[iz] + self.uniform() * (t.f[iz - 1] - t.f[iz]) < libm::exp(-0.5 * x * x) {
                return x;
            }
            hz = self.next_u64() as u32 as i32;
            iz = (hz & 127) as usize;
            if hz.unsigned_abs() < t.kn[iz] {
                return f64::from(hz) * t.wn[iz];
            }
        }
    }

    /// A Poisson deviate with mean `lambda` (≥ 0).
    pub fn poisson(&mut self, lambda: f64) -> f64 {
        if lambda <= 0.0 {
            return 0.0;
        }
        if lambda < 10.0 {
            // Knuth: count uniforms until their product drops below e^-λ.
            let limit = libm::exp(-lambda);
            let mut product = self.uniform();
            let mut k = 0.0;
            while product > limit {
                product *= self.uniform();
                k += 1.0;
            }
            return k;
        }
        // PTRS, Hörmann 1993 (as numpy's legacy `poisson` for λ ≥ 10).
        let slam = lambda.sqrt();
        let loglam = libm::log(lambda);
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.uniform() - 0.5;
            let v = self.uniform();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            if libm::log(v) + libm::log(invalpha) - libm::log(a / (us * us) + b)
                <= -lambda + k * loglam - libm::lgamma(k + 1.0)
            {
                return k;
            }
        }
    }
}

const R: f64 = 3.442_619_855_899;

struct Ziggurat {
    kn: [u32; 128],
    wn: [f64; 128],
    f: [f64; 128],
}

fn tables() -> &'static Ziggurat {
    static TABLES: OnceLock<Ziggurat> = OnceLock::new();
    TABLES.get_or_init(|| {
        // Marsaglia & Tsang 2000, "The Ziggurat Method for Generating Random Variables".
        let m1 = 2_147_483_648.0f64;
        let v = 9.912_563_035_262_17e-3;
        let mut dn = R;
        let mut tn = dn;
        let q = v / libm::exp(-0.5 * dn * dn);
        let mut z = Ziggurat {
            kn: [0; 128],
            wn: [0.0; 128],
            f: [0.0; 128],
        };
        z.kn[0] = ((dn / q) * m1) as u32;
        z.kn[1] = 0;
        z.wn[0] = q / m1;
        z.wn[127] = dn / m1;
        z.f[0] = 1.0;
        z.f[127] = libm::exp(-0.5 * dn * dn);
        for i in (1..=126).rev() {
            dn = libm::sqrt(-2.0 * libm::log(v / dn + libm::exp(-0.5 * dn * dn)));
            z.kn[i + 1] = ((dn / tn) * m1) as u32;
            tn = dn;
            z.f[i] = libm::exp(-0.5 * dn * dn);
            z.wn[i] = dn / m1;
        }
        z
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_deviates_have_mean_0_and_variance_1() {
        let mut rng = Rng::new(1);
        let n = 400_000;
        let draws: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let tail = draws.iter().filter(|x| x.abs() > 3.0).count() as f64 / n as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.01, "{var}");
        assert!((tail - 0.0027).abs() < 0.0005, "{tail}");
    }

    #[test]
    fn fill_uniform_continues_the_stream_like_uniform() {
        let (mut a, mut b) = (Rng::new(6), Rng::new(6));
        let mut buffer = vec![0.0; 1001];
        a.fill_uniform(&mut buffer);
        for &u in &buffer {
            assert_eq!(u.to_bits(), b.uniform().to_bits());
        }
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn fill_normal_continues_the_stream_like_normal() {
        let (mut a, mut b) = (Rng::new(5), Rng::new(5));
        let mut buffer = vec![0.0; 100_003];
        a.fill_normal(&mut buffer);
        for &z in &buffer {
            assert_eq!(z.to_bits(), b.normal().to_bits());
        }
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn poisson_deviates_have_mean_and_variance_lambda() {
        for lambda in [0.5, 4.0, 30.0, 900.0] {
            let mut rng = Rng::new(lambda as u64);
            let n = 100_000;
            let draws: Vec<f64> = (0..n).map(|_| rng.poisson(lambda)).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            assert!(
                (mean - lambda).abs() < 0.02 * lambda.max(1.0),
                "{lambda}: mean {mean}"
            );
            assert!(
                (var - lambda).abs() < 0.05 * lambda.max(1.0),
                "{lambda}: var {var}"
            );
        }
    }

    #[test]
    fn streams_are_fixed_by_seed_plane_and_row() {
        let seeds = Seeds::new(9);
        assert_eq!(seeds.row(0, 3).next_u64(), seeds.row(0, 3).next_u64());
        assert_ne!(seeds.row(0, 3).next_u64(), seeds.row(1, 3).next_u64());
        assert_ne!(seeds.row(0, 3).next_u64(), seeds.global(3).next_u64());
    }
}
