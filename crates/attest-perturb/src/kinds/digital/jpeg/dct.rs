//! The per-block core of the JPEG round trip: libjpeg-turbo's `jpeg_fdct_islow`, quantisation
//! and dequantisation, and `jpeg_idct_islow` on one 8×8 block.
//!
//! The 1-D transforms are written once, generic over [`LaneOps`] — eight `i32` lanes, one per
//! row or column of the block — and run either on plain arrays ([`Portable`]) or on one AVX2
//! register per row ([`Avx2`], chosen at run time where the CPU has it). The compiler does not
//! vectorise the array form on its own (measured: 416 scalar multiplies per block), and the
//! workspace forbids `unsafe`, so the AVX2 form goes through `pulp`'s safe intrinsics. Both
//! give identical integers: the arithmetic is the same 32-bit integer arithmetic.

use super::Quantizer;

// Fixed-point constants, `FIX(x) = (x · 2^13 + 0.5)` (jfdctint.c / jidctint.c).
const C0298: i32 = 2446;
const C0390: i32 = 3196;
const C0541: i32 = 4433;
const C0765: i32 = 6270;
const C0899: i32 = 7373;
const C1175: i32 = 9633;
const C1501: i32 = 12299;
const C1847: i32 = 15137;
const C1961: i32 = 16069;
const C2053: i32 = 16819;
const C2562: i32 = 20995;
const C3072: i32 = 25172;
const CONST_BITS: u32 = 13;
const PASS1_BITS: u32 = 2;

/// Eight samples of one block row, or eight coefficients.
pub(super) type Row = [i32; 8];

/// The lane-wise integer operations the transforms need, on a vector `V` of eight `i32`.
pub(super) trait LaneOps: Copy {
    /// Eight lanes.
    type V: Copy;
    /// The lanes holding `row`.
    fn load(self, row: Row) -> Self::V;
    /// The lanes as an array.
    fn store(self, v: Self::V) -> Row;
    /// `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a − b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a · c`.
    fn mul(self, a: Self::V, c: i32) -> Self::V;
    /// `a << n`.
    fn shl(self, a: Self::V, n: u32) -> Self::V;
    /// libjpeg's `DESCALE`: `(a + 2^(n−1)) >> n`, arithmetic shift.
    fn descale(self, a: Self::V, n: u32) -> Self::V;
    /// The 8×8 transpose.
    fn transpose(self, m: [Self::V; 8]) -> [Self::V; 8];
    /// Quantises and dequantises one row of coefficients with row `r` of `table`.
    fn requantize(self, c: Self::V, table: &Quantizer, r: usize) -> Self::V;
    /// `clamp(a + 128, 0, 255)`.
    fn to_sample(self, a: Self::V) -> Self::V;
}

/// Plain arrays: any CPU.
#[derive(Clone, Copy)]
pub(super) struct Portable;

impl LaneOps for Portable {
    type V = Row;
    #[inline(always)]
    fn load(self, row: Row) -> Row {
        row
    }
    #[inline(always)]
    fn store(self, v: Row) -> Row {
        v
    }
    #[inline(always)]
    fn add(self, a: Row, b: Row) -> Row {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    fn sub(self, a: Row, b: Row) -> Row {
        std::array::from_fn(|i| a[i] - b[i])
    }
    #[inline(always)]
    fn mul(self, a: Row, c: i32) -> Row {
        a.map(|v| v * c)
    }
    #[inline(always)]
    fn shl(self, a: Row, n: u32) -> Row {
        a.map(|v| v << n)
    }
    #[inline(always)]
    fn descale(self, a: Row, n: u32) -> Row {
        a.map(|v| (v + (1 << (n - 1))) >> n)
    }
    #[inline(always)]
    fn transpose(self, m: [Row; 8]) -> [Row; 8] {
        std::array::from_fn(|i| std::array::from_fn(|j| m[j][i]))
    }
    #[inline(always)]
    fn requantize(self, c: Row, table: &Quantizer, r: usize) -> Row {
        let steps = &table.steps[r * 8..r * 8 + 8];
        std::array::from_fn(|i| {
            let q = &steps[i];
            let n = q.quantize(u64::from(c[i].unsigned_abs())) * q.step;
            (if c[i] < 0 { -n } else { n }) as i32
        })
    }
    #[inline(always)]
    fn to_sample(self, a: Row) -> Row {
        a.map(|v| (v + 128).clamp(0, 255))
    }
}

/// One AVX2 register per row (x86-64 CPUs since 2013), through `pulp`'s safe intrinsics.
#[cfg(target_arch = "x86_64")]
pub(super) mod avx2 {
    use super::{LaneOps, Quantizer, Row};
    use pulp::x86::V3;
    use std::arch::x86_64::__m256i;

    /// The AVX2 lanes; holds the token that proves the CPU has AVX2.
    #[derive(Clone, Copy)]
    pub(in super::super) struct Avx2(pub(in super::super) V3);

    impl Avx2 {
        /// The AVX2 lanes, where the CPU has them.
        pub(in super::super) fn detect() -> Option<Avx2> {
            V3::try_new().map(Avx2)
        }
    }

    impl LaneOps for Avx2 {
        type V = __m256i;
        #[inline(always)]
        fn load(self, row: Row) -> __m256i {
            pulp::cast(row)
        }
        #[inline(always)]
        fn store(self, v: __m256i) -> Row {
            pulp::cast(v)
        }
        #[inline(always)]
        fn add(self, a: __m256i, b: __m256i) -> __m256i {
            self.0.avx2._mm256_add_epi32(a, b)
        }
        #[inline(always)]
        fn sub(self, a: __m256i, b: __m256i) -> __m256i {
            self.0.avx2._mm256_sub_epi32(a, b)
        }
        #[inline(always)]
        fn mul(self, a: __m256i, c: i32) -> __m256i {
            self.0
                .avx2
                ._mm256_mullo_epi32(a, self.0.avx._mm256_set1_epi32(c))
        }
        #[inline(always)]
        fn shl(self, a: __m256i, n: u32) -> __m256i {
            self.0
                .avx2
                ._mm256_sll_epi32(a, self.0.sse2._mm_cvtsi32_si128(n as i32))
        }
        #[inline(always)]
        fn descale(self, a: __m256i, n: u32) -> __m256i {
            let s = self.0;
            let rounded = s
                .avx2
                ._mm256_add_epi32(a, s.avx._mm256_set1_epi32(1 << (n - 1)));
            s.avx2
                ._mm256_sra_epi32(rounded, s.sse2._mm_cvtsi32_si128(n as i32))
        }
        #[inline(always)]
        fn transpose(self, m: [__m256i; 8]) -> [__m256i; 8] {
            let a = self.0.avx2;
            // Pairs of rows interleaved by 32 bits, then by 64 bits, then the 128-bit halves.
            let t0 = a._mm256_unpacklo_epi32(m[0], m[1]);
            let t1 = a._mm256_unpackhi_epi32(m[0], m[1]);
            let t2 = a._mm256_unpacklo_epi32(m[2], m[3]);
            let t3 = a._mm256_unpackhi_epi32(m[2], m[3]);
            let t4 = a._mm256_unpacklo_epi32(m[4], m[5]);
            let t5 = a._mm256_unpackhi_epi32(m[4], m[5]);
            let t6 = a._mm256_unpacklo_epi32(m[6], m[7]);
            let t7 = a._mm256_unpackhi_epi32(m[6], m[7]);
            let u0 = a._mm256_unpacklo_epi64(t0, t2);
            let u1 = a._mm256_unpackhi_epi64(t0, t2);
            let u2 = a._mm256_unpacklo_epi64(t1, t3);
            let u3 = a._mm256_unpackhi_epi64(t1, t3);
            let u4 = a._mm256_unpacklo_epi64(t4, t6);
            let u5 = a._mm256_unpackhi_epi64(t4, t6);
            let u6 = a._mm256_unpacklo_epi64(t5, t7);
            let u7 = a._mm256_unpackhi_epi64(t5, t7);
            [
                a._mm256_permute2x128_si256::<0x20>(u0, u4),
                a._mm256_permute2x128_si256::<0x20>(u1, u5),
                a._mm256_permute2x128_si256::<0x20>(u2, u6),
                a._mm256_permute2x128_si256::<0x20>(u3, u7),
                a._mm256_permute2x128_si256::<0x31>(u0, u4),
                a._mm256_permute2x128_si256::<0x31>(u1, u5),
                a._mm256_permute2x128_si256::<0x31>(u2, u6),
                a._mm256_permute2x128_si256::<0x31>(u3, u7),
            ]
        }
        #[inline(always)]
        fn requantize(self, c: __m256i, table: &Quantizer, r: usize) -> __m256i {
            let a = self.0.avx2;
            let half: __m256i = pulp::cast(table.half[r]);
            let magic: __m256i = pulp::cast(table.magic[r]);
            let step: __m256i = pulp::cast(table.step[r]);
            // `((|c| + D/2) · ceil(2^32 / D)) >> 32` in 64-bit products: even lanes, then odd.
            let x = a._mm256_add_epi32(a._mm256_abs_epi32(c), half);
            let even = a._mm256_srli_epi64::<32>(a._mm256_mul_epu32(x, magic));
            let odd = a._mm256_mul_epu32(
                a._mm256_srli_epi64::<32>(x),
                a._mm256_srli_epi64::<32>(magic),
            );
            let quotient = a._mm256_blend_epi32::<0b1010_1010>(even, odd);
            // Dequantised, with the sign of `c` (0 stays 0).
            a._mm256_sign_epi32(a._mm256_mullo_epi32(quotient, step), c)
        }
        #[inline(always)]
        fn to_sample(self, v: __m256i) -> __m256i {
            let s = self.0;
            let shifted = s.avx2._mm256_add_epi32(v, s.avx._mm256_set1_epi32(128));
            s.avx2._mm256_min_epi32(
                s.avx2
                    ._mm256_max_epi32(shifted, s.avx._mm256_setzero_si256()),
                s.avx._mm256_set1_epi32(255),
            )
        }
    }
}

/// The shared odd part of `jpeg_fdct_islow` / `jpeg_idct_islow`: from `(t4, t5, t6, t7)`
/// (forward: differences `d3−d4, d2−d5, d1−d6, d0−d7`; inverse: inputs 7, 5, 3, 1) the four
/// rotated outputs `(o7, o5, o3, o1)` before descaling.
#[inline(always)]
fn odd_part<O: LaneOps>(o: O, t4: O::V, t5: O::V, t6: O::V, t7: O::V) -> [O::V; 4] {
    let (z1, z2, z3, z4) = (o.add(t4, t7), o.add(t5, t6), o.add(t4, t6), o.add(t5, t7));
    let z5 = o.mul(o.add(z3, z4), C1175);
    let (t4, t5, t6, t7) = (
        o.mul(t4, C0298),
        o.mul(t5, C2053),
        o.mul(t6, C3072),
        o.mul(t7, C1501),
    );
    let (z1, z2) = (o.mul(z1, -C0899), o.mul(z2, -C2562));
    let (z3, z4) = (o.add(o.mul(z3, -C1961), z5), o.add(o.mul(z4, -C0390), z5));
    [
        o.add(o.add(t4, z1), z3),
        o.add(o.add(t5, z2), z4),
        o.add(o.add(t6, z2), z3),
        o.add(o.add(t7, z1), z4),
    ]
}

/// `jpeg_fdct_islow`'s 1-D pass on eight lanes (`d[k]` = input k of every lane): the row pass
/// (`pass1`, scaled up by `PASS1_BITS`) or the column pass (scaled back down). 32-bit
/// arithmetic, as libjpeg-turbo's SIMD code, cannot overflow for 8-bit samples.
#[inline(always)]
fn fdct8<O: LaneOps>(o: O, d: [O::V; 8], pass1: bool) -> [O::V; 8] {
    let (t0, t7) = (o.add(d[0], d[7]), o.sub(d[0], d[7]));
    let (t1, t6) = (o.add(d[1], d[6]), o.sub(d[1], d[6]));
    let (t2, t5) = (o.add(d[2], d[5]), o.sub(d[2], d[5]));
    let (t3, t4) = (o.add(d[3], d[4]), o.sub(d[3], d[4]));
    let (t10, t13, t11, t12) = (o.add(t0, t3), o.sub(t0, t3), o.add(t1, t2), o.sub(t1, t2));
    let s = if pass1 {
        CONST_BITS - PASS1_BITS
    } else {
        CONST_BITS + PASS1_BITS
    };
    let (o0, o4) = if pass1 {
        (
            o.shl(o.add(t10, t11), PASS1_BITS),
            o.shl(o.sub(t10, t11), PASS1_BITS),
        )
    } else {
        (
            o.descale(o.add(t10, t11), PASS1_BITS),
            o.descale(o.sub(t10, t11), PASS1_BITS),
        )
    };
    let z1 = o.mul(o.add(t12, t13), C0541);
    let o2 = o.descale(o.add(z1, o.mul(t13, C0765)), s);
    let o6 = o.descale(o.sub(z1, o.mul(t12, C1847)), s);
    let [o7, o5, o3, o1] = odd_part(o, t4, t5, t6, t7);
    let (o1, o3, o5, o7) = (
        o.descale(o1, s),
        o.descale(o3, s),
        o.descale(o5, s),
        o.descale(o7, s),
    );
    [o0, o1, o2, o3, o4, o5, o6, o7]
}

/// `jpeg_idct_islow`'s 1-D pass on eight lanes of dequantised values, descaled by `s` (11 in
/// the column pass, 18 in the row pass). libjpeg's all-zero-AC shortcut gives the same values
/// as this full computation, so it is not needed.
#[inline(always)]
fn idct8<O: LaneOps>(o: O, d: [O::V; 8], s: u32) -> [O::V; 8] {
    let z1 = o.mul(o.add(d[2], d[6]), C0541);
    let t2 = o.sub(z1, o.mul(d[6], C1847));
    let t3 = o.add(z1, o.mul(d[2], C0765));
    let t0 = o.shl(o.add(d[0], d[4]), CONST_BITS);
    let t1 = o.shl(o.sub(d[0], d[4]), CONST_BITS);
    let (t10, t13, t11, t12) = (o.add(t0, t3), o.sub(t0, t3), o.add(t1, t2), o.sub(t1, t2));
    let [o0, o1, o2, o3] = odd_part(o, d[7], d[5], d[3], d[1]);
    let mut out = [
        o.add(t10, o3),
        o.add(t11, o2),
        o.add(t12, o1),
        o.add(t13, o0),
        o.sub(t13, o0),
        o.sub(t12, o1),
        o.sub(t11, o2),
        o.sub(t10, o3),
    ];
    for v in &mut out {
        *v = o.descale(*v, s);
    }
    out
}

/// Compresses and decompresses one 8×8 block of samples (`block[y][x]`, 0–255) in place: level
/// shift, forward DCT (rows, then columns), quantisation `(|C| + D/2) / D` with `D = Q << 3`,
/// dequantisation, inverse DCT (columns, then rows), `clamp(out + 128, 0, 255)`.
#[inline(always)]
pub(super) fn round_trip_block<O: LaneOps>(o: O, block: &mut [Row; 8], table: &Quantizer) {
    // No closures here: a closure's body may stay out of line, and the intrinsics with it.
    let minus128 = o.load([-128; 8]);
    let mut rows = [minus128; 8];
    for (v, row) in rows.iter_mut().zip(block.iter()) {
        *v = o.add(o.load(*row), minus128);
    }
    // Row pass: lane r = row r, input k = column k.
    let rows = fdct8(o, o.transpose(rows), true);
    // Column pass: lane c = column c, input k = row k → coefficients[u][v].
    let mut coef = fdct8(o, o.transpose(rows), false);
    for (r, row) in coef.iter_mut().enumerate() {
        *row = o.requantize(*row, table, r);
    }
    // Column pass: lane c = column frequency, input k = row frequency → workspace[y][c].
    let work = idct8(o, coef, CONST_BITS - PASS1_BITS);
    // Row pass: lane y = row, input k = column frequency → samples[x][y].
    let samples = idct8(o, o.transpose(work), CONST_BITS + PASS1_BITS + 3);
    for (row, v) in block.iter_mut().zip(o.transpose(samples)) {
        *row = o.store(o.to_sample(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks with the extreme and the ordinary: flat, checkerboards, ramps, noise.
    fn blocks() -> Vec<[Row; 8]> {
        let mut out = vec![[[0; 8]; 8], [[255; 8]; 8]];
        out.push(std::array::from_fn(|y| {
            std::array::from_fn(|x| if (x + y) % 2 == 0 { 0 } else { 255 })
        }));
        out.push(std::array::from_fn(|y| {
            std::array::from_fn(|x| (x * 31 + y * 5) as i32 % 256)
        }));
        let mut state = 0x9e37_79b9_u32;
        for _ in 0..200 {
            out.push(std::array::from_fn(|_| {
                std::array::from_fn(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    (state % 256) as i32
                })
            }));
        }
        out
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_lanes_give_the_portable_integers() {
        let Some(avx2) = avx2::Avx2::detect() else {
            eprintln!("no AVX2 on this CPU: nothing to compare");
            return;
        };
        for quality in [1, 7, 25, 50, 90, 100] {
            for base in [&super::super::LUMA, &super::super::CHROMA] {
                let table = Quantizer::for_quality(base, quality);
                for block in blocks() {
                    let (mut a, mut b) = (block, block);
                    round_trip_block(Portable, &mut a, &table);
                    avx2.0.vectorize(|| round_trip_block(avx2, &mut b, &table));
                    assert_eq!(a, b, "quality {quality}, block {block:?}");
                }
            }
        }
    }
}
