//! libjpeg(-turbo) compression and decompression without entropy coding, ported from IJG
//! libjpeg-turbo `jcparam.c` (quality scaling), `jccolor.c`/`jdcolor.c` (fixed-point colour
//! conversion), `jcsample.c` (`h2v2_downsample`), `jfdctint.c`/`jidctint.c` (integer DCT),
//! `jcdctmgr.c` (quantisation), `jdsample.c` (`h2v2_fancy_upsample`) — REFERENCE §1.6.

mod dct;

use rayon::prelude::*;

use dct::Row;

/// Annex K luminance quantisation table, natural order.
pub(super) const LUMA: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/// Annex K chrominance quantisation table, natural order.
pub(super) const CHROMA: [u16; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/// Below this many samples a plane is coded on one thread.
const PARALLEL_MIN_SAMPLES: usize = 1 << 16;

/// `jpeg_set_quality(q, force_baseline = TRUE)`: IJG scaling of a base table.
pub(super) fn quant_table(base: &[u16; 64], quality: u8) -> [i32; 64] {
    let q = i32::from(quality.clamp(1, 100));
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    base.map(|b| ((i32::from(b) * scale + 50) / 100).clamp(1, 255))
}

/// One quantisation step: `Q` and the rounding division by `D = Q << 3` (the forward DCT
/// is scaled by 8) done as a multiplication by `ceil(2^32 / D)`, exact for every
/// magnitude below `2^32 / D` (> 2^21; DCT outputs stay below 2^15).
#[derive(Clone, Copy)]
pub(super) struct Step {
    /// The table entry `Q`, which dequantisation multiplies by.
    pub(super) step: i64,
    /// `D / 2`, added before dividing to round half up.
    half: u64,
    /// `ceil(2^32 / D)`.
    magic: u64,
}

impl Step {
    /// `(a + D/2) / D` (libjpeg-turbo's `quantize`, which uses an exact reciprocal too).
    #[inline]
    pub(super) fn quantize(&self, a: u64) -> i64 {
        (((a + self.half) * self.magic) >> 32) as i64
    }
}

/// A quantisation table ready for [`round_trip_plane`].
pub(super) struct Quantizer {
    /// One step per coefficient, natural order.
    pub(super) steps: [Step; 64],
    /// `D / 2` per coefficient, by row of the block (the vector lanes' layout).
    half: [[i32; 8]; 8],
    /// `ceil(2^32 / D)` per coefficient, by row.
    magic: [[u32; 8]; 8],
    /// `Q` per coefficient, by row.
    step: [[i32; 8]; 8],
}

impl Quantizer {
    /// The quantiser of a table of `Q` values (1..=255).
    pub(super) fn new(table: &[i32; 64]) -> Quantizer {
        let steps = table.map(|q| {
            let d = u64::from(q.clamp(1, 255).unsigned_abs()) << 3;
            Step {
                step: i64::from(q.clamp(1, 255)),
                half: d >> 1,
                magic: (1u64 << 32).div_ceil(d),
            }
        });
        Quantizer {
            half: std::array::from_fn(|r| std::array::from_fn(|i| steps[r * 8 + i].half as i32)),
            magic: std::array::from_fn(|r| std::array::from_fn(|i| steps[r * 8 + i].magic as u32)),
            step: std::array::from_fn(|r| std::array::from_fn(|i| steps[r * 8 + i].step as i32)),
            steps,
        }
    }

    /// The quantiser of `base` scaled to `quality`.
    pub(super) fn for_quality(base: &[u16; 64], quality: u8) -> Quantizer {
        Quantizer::new(&quant_table(base, quality))
    }
}

/// Loads the block at block column `bx` of the 8-row band starting at `rows[0]`, repeating
/// the last column (and, through `rows`, the last row) past the edge.
#[inline]
fn load_block(rows: &[&[u8]; 8], bx: usize, block: &mut [Row; 8]) {
    for (dst, src) in block.iter_mut().zip(rows) {
        let x0 = bx * 8;
        match src
            .get(x0..x0 + 8)
            .and_then(|s| <&[u8; 8]>::try_from(s).ok())
        {
            Some(s) => {
                for (d, &v) in dst.iter_mut().zip(s) {
                    *d = i32::from(v);
                }
            }
            None => {
                let last = src.len().saturating_sub(1);
                for (x, d) in dst.iter_mut().enumerate() {
                    *d = i32::from(src.get((x0 + x).min(last)).copied().unwrap_or(0));
                }
            }
        }
    }
}

/// One 8-row band of a plane to code with the lane operations `O`.
struct Band<'a, O> {
    /// The lane operations.
    lanes: O,
    /// The plane's samples.
    samples: &'a [u8],
    /// The plane's width.
    width: usize,
    /// The plane's height.
    height: usize,
    /// The quantiser.
    table: &'a Quantizer,
    /// Which band: rows `8 · band` to `8 · band + 7`.
    band: usize,
    /// The band's rows of the output.
    out_rows: &'a mut [u8],
}

/// `pulp` runs this with the CPU's features enabled; unlike a closure, whose body the compiler
/// may keep out of line (and the intrinsics with it: measured 5× slower), `call` is always
/// inlined into the feature-enabled function.
impl<O: dct::LaneOps> pulp::NullaryFnOnce for Band<'_, O> {
    type Output = ();
    #[inline(always)]
    fn call(self) {
        self.code();
    }
}

impl<O: dct::LaneOps> Band<'_, O> {
    /// Codes the band block by block.
    #[inline(always)]
    fn code(self) {
        let Band {
            lanes: o,
            samples,
            width,
            height,
            table,
            band,
            out_rows,
        } = self;
        let row = |y: usize| {
            let y = (band * 8 + y).min(height - 1);
            &samples[y * width..(y + 1) * width]
        };
        let rows: [&[u8]; 8] = std::array::from_fn(row);
        let mut block = [[0i32; 8]; 8];
        for bx in 0..width.div_ceil(8) {
            load_block(&rows, bx, &mut block);
            dct::round_trip_block(o, &mut block, table);
            // Whole blocks as fixed 8-byte copies; the compiler turns a variable-length copy
            // into per-byte masked stores (measured: a third of the band's time).
            let x0 = bx * 8;
            let full = x0 + 8 <= width;
            for (r, src) in block.iter().enumerate() {
                let mut bytes = [0u8; 8];
                for (b, &v) in bytes.iter_mut().zip(src) {
                    *b = v as u8;
                }
                let start = r * width + x0;
                if full {
                    if let Some(d) = out_rows.get_mut(start..start + 8) {
                        d.copy_from_slice(&bytes);
                    }
                } else if let Some(d) = out_rows.get_mut(start..(r + 1) * width) {
                    d.copy_from_slice(&bytes[..width - x0]);
                }
            }
        }
    }
}

/// JPEG round trip of one component of `width × height` samples with quantiser `table`.
/// The plane is padded to whole blocks by repeating the last column and the last row
/// (libjpeg's edge expansion); the padding is cropped away again.
pub(super) fn round_trip_plane(
    samples: &[u8],
    width: usize,
    height: usize,
    table: &Quantizer,
) -> Vec<u8> {
    let mut out = vec![0u8; width * height];
    if width == 0 || height == 0 || samples.len() != width * height {
        return out;
    }
    let code_band = |band: usize, out_rows: &mut [u8]| {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = dct::avx2::Avx2::detect() {
            let job = Band {
                lanes: avx2,
                samples,
                width,
                height,
                table,
                band,
                out_rows,
            };
            return avx2.0.vectorize(job);
        }
        Band {
            lanes: dct::Portable,
            samples,
            width,
            height,
            table,
            band,
            out_rows,
        }
        .code();
    };
    if out.len() >= PARALLEL_MIN_SAMPLES {
        out.par_chunks_mut(width * 8)
            .enumerate()
            .for_each(|(band, rows)| code_band(band, rows));
    } else {
        out.chunks_mut(width * 8)
            .enumerate()
            .for_each(|(band, rows)| code_band(band, rows));
    }
    out
}

/// RGB → YCbCr, libjpeg `rgb_ycc_convert` (16-bit fixed point, `FIX(0.29900)` = 19595
/// etc.; Cb/Cr rounded with 0.5 − ε so they never exceed 255). No clamping is needed: the
/// weights of Y sum to 2^16 and those of Cb and Cr to 0, so every result lies in 0–255.
#[inline(always)]
fn rgb_to_ycc(r: i32, g: i32, b: i32) -> [u8; 3] {
    const HALF: i32 = 1 << 15;
    const OFFSET: i32 = 128 << 16;
    let y = (19595 * r + 38470 * g + 7471 * b + HALF) >> 16;
    let cb = (-11059 * r - 21709 * g + 32768 * b + OFFSET + HALF - 1) >> 16;
    let cr = (32768 * r - 27439 * g - 5329 * b + OFFSET + HALF - 1) >> 16;
    [y as u8, cb as u8, cr as u8]
}

/// YCbCr → RGB, libjpeg `ycc_rgb_convert` with its lookup-table arithmetic
/// (`FIX(1.40200)` = 91881, `FIX(1.77200)` = 116130, `FIX(0.71414)` = 46802,
/// `FIX(0.34414)` = 22554), clamped to 0–255 (libjpeg's range limit).
#[inline(always)]
fn ycc_to_rgb(y: i32, cb: i32, cr: i32) -> [u8; 3] {
    const HALF: i32 = 1 << 15;
    let (cb, cr) = (cb - 128, cr - 128);
    let r = y + ((91881 * cr + HALF) >> 16);
    let g = y + ((-22554 * cb + HALF - 46802 * cr) >> 16);
    let b = y + ((116130 * cb + HALF) >> 16);
    [
        r.clamp(0, 255) as u8,
        g.clamp(0, 255) as u8,
        b.clamp(0, 255) as u8,
    ]
}

/// Pixels per step of the colour conversions: eight `i32` lanes, one AVX2 register.
const STEP: usize = 8;

/// [`rgb_to_ycc`] over interleaved RGB into three planes, [`STEP`] pixels at a time: the
/// samples are spread into per-channel arrays first, so the arithmetic runs on whole vectors
/// (the compiler does not vectorise the stride-3 form).
#[inline(always)]
fn rgb_to_ycc_planes(rgb: &[u8], y: &mut [u8], cb: &mut [u8], cr: &mut [u8]) {
    let mut pixels = rgb.chunks_exact(3 * STEP);
    let mut at = 0;
    for chunk in pixels.by_ref() {
        let (mut r, mut g, mut b) = ([0i32; STEP], [0i32; STEP], [0i32; STEP]);
        for (i, px) in chunk.chunks_exact(3).enumerate() {
            (r[i], g[i], b[i]) = (i32::from(px[0]), i32::from(px[1]), i32::from(px[2]));
        }
        let (mut oy, mut ocb, mut ocr) = ([0u8; STEP], [0u8; STEP], [0u8; STEP]);
        for i in 0..STEP {
            [oy[i], ocb[i], ocr[i]] = rgb_to_ycc(r[i], g[i], b[i]);
        }
        y[at..at + STEP].copy_from_slice(&oy);
        cb[at..at + STEP].copy_from_slice(&ocb);
        cr[at..at + STEP].copy_from_slice(&ocr);
        at += STEP;
    }
    for (i, px) in pixels.remainder().chunks_exact(3).enumerate() {
        let (r, g, b) = (i32::from(px[0]), i32::from(px[1]), i32::from(px[2]));
        [y[at + i], cb[at + i], cr[at + i]] = rgb_to_ycc(r, g, b);
    }
}

/// [`ycc_to_rgb`] from three planes into interleaved RGB, [`STEP`] pixels at a time.
#[inline(always)]
fn ycc_planes_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], rgb: &mut [u8]) {
    let mut pixels = rgb.chunks_exact_mut(3 * STEP);
    let mut at = 0;
    for chunk in pixels.by_ref() {
        // Fixed-size views: no per-sample bounds checks in the way of vectorising.
        let view = |plane: &[u8]| -> [u8; STEP] {
            let mut v = [0u8; STEP];
            v.copy_from_slice(&plane[at..at + STEP]);
            v
        };
        let (vy, vb, vr) = (view(y), view(cb), view(cr));
        let (mut r, mut g, mut b) = ([0u8; STEP], [0u8; STEP], [0u8; STEP]);
        for i in 0..STEP {
            [r[i], g[i], b[i]] = ycc_to_rgb(i32::from(vy[i]), i32::from(vb[i]), i32::from(vr[i]));
        }
        for (i, dst) in chunk.chunks_exact_mut(3).enumerate() {
            dst.copy_from_slice(&[r[i], g[i], b[i]]);
        }
        at += STEP;
    }
    for (i, dst) in pixels.into_remainder().chunks_exact_mut(3).enumerate() {
        let (vy, vb, vr) = (y[at + i], cb[at + i], cr[at + i]);
        dst.copy_from_slice(&ycc_to_rgb(i32::from(vy), i32::from(vb), i32::from(vr)));
    }
}

/// `h2v2_downsample` of a full-resolution chroma plane: rows are padded to an even count
/// by repeating the last row, columns to `2 · out_width` by repeating the last column, and
/// each 2×2 block is averaged with the alternating bias 1, 2, 1, 2, … of libjpeg.
/// Returns `ceil(height / 2)` rows of `out_width` samples.
#[inline(always)]
fn downsample_h2v2(plane: &[u8], width: usize, height: usize, out_width: usize) -> Vec<u8> {
    let mut out = vec![0u8; out_width * height.div_ceil(2)];
    let mut padded = [vec![0u8; 2 * out_width], vec![0u8; 2 * out_width]];
    for (oy, row) in out.chunks_mut(out_width).enumerate() {
        for (k, line) in padded.iter_mut().enumerate() {
            let y = (2 * oy + k).min(height - 1);
            let src = &plane[y * width..(y + 1) * width];
            let last = src[width - 1];
            line[..width].copy_from_slice(src);
            line[width..].fill(last);
        }
        let [top, bottom] = &padded;
        for (ox, ((v, t), b)) in row
            .iter_mut()
            .zip(top.chunks_exact(2))
            .zip(bottom.chunks_exact(2))
            .enumerate()
        {
            let bias = 1 + (ox as u32 & 1);
            let sum = u32::from(t[0]) + u32::from(t[1]) + u32::from(b[0]) + u32::from(b[1]) + bias;
            *v = (sum >> 2) as u8;
        }
    }
    out
}

/// Decoder-side chroma upsampling to `width × height` from the first
/// `ceil(width/2) × ceil(height/2)` samples of a decoded plane `stride` samples wide:
/// libjpeg's `h2v2_fancy_upsample` (triangle filter, 3/4 nearer + 1/4 farther sample per
/// axis, edges replicated), or plain 2×2 replication when the downsampled width is ≤ 2
/// (libjpeg-turbo then uses `h2v2_upsample`).
#[inline(always)]
fn upsample_h2v2(plane: &[u8], stride: usize, width: usize, height: usize) -> Vec<u8> {
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let line = |y: usize| &plane[y * stride..y * stride + cw];
    let mut out = vec![0u8; width * height];
    let mut colsum = vec![0i32; cw + 2];
    for (oy, row) in out.chunks_mut(width).enumerate() {
        let near = line(oy / 2);
        if cw <= 2 {
            for (pair, &v) in row.chunks_mut(2).zip(near) {
                pair.fill(v);
            }
            continue;
        }
        let far = line(if oy % 2 == 0 {
            (oy / 2).saturating_sub(1)
        } else {
            (oy / 2 + 1).min(ch - 1)
        });
        // `colsum` holds the column sums with one replicated sample at each end, so the
        // neighbours need no bounds logic: column j is at j + 1.
        for ((s, &n), &f) in colsum[1..=cw].iter_mut().zip(near).zip(far) {
            *s = 3 * i32::from(n) + i32::from(f);
        }
        (colsum[0], colsum[cw + 1]) = (colsum[1], colsum[cw]);
        let mut pairs = row.chunks_exact_mut(2);
        for (pair, w) in pairs.by_ref().zip(colsum.windows(3)) {
            let this = 3 * w[1];
            pair[0] = ((this + w[0] + 8) >> 4) as u8;
            pair[1] = ((this + w[2] + 7) >> 4) as u8;
        }
        if let [last] = pairs.into_remainder() {
            let j = width / 2;
            *last = ((3 * colsum[j + 1] + colsum[j] + 8) >> 4) as u8;
        }
    }
    out
}

/// JPEG round trip of an interleaved 8-bit RGB image as Pillow saves it by default (YCbCr,
/// 4:2:0) and loads it back (fancy upsampling, integer IDCT); interleaved RGB out.
pub(super) fn round_trip_rgb(rgb: &[u8], width: usize, height: usize, quality: u8) -> Vec<u8> {
    let job = RgbRoundTrip {
        rgb,
        width,
        height,
        quality,
    };
    // The colour conversions and chroma resampling are plain loops that the compiler
    // vectorises well once AVX2 is allowed (measured 2× on 224² RGB).
    #[cfg(target_arch = "x86_64")]
    if let Some(avx2) = dct::avx2::Avx2::detect() {
        return avx2.0.vectorize(job);
    }
    job.run()
}

/// [`round_trip_rgb`]'s work, as a value `pulp` can run with the CPU's features enabled.
struct RgbRoundTrip<'a> {
    /// Interleaved RGB samples.
    rgb: &'a [u8],
    /// Image width.
    width: usize,
    /// Image height.
    height: usize,
    /// JPEG quality.
    quality: u8,
}

impl pulp::NullaryFnOnce for RgbRoundTrip<'_> {
    type Output = Vec<u8>;
    #[inline(always)]
    fn call(self) -> Vec<u8> {
        self.run()
    }
}

impl RgbRoundTrip<'_> {
    /// The round trip.
    #[inline(always)]
    fn run(self) -> Vec<u8> {
        let RgbRoundTrip {
            rgb,
            width,
            height,
            quality,
        } = self;
        let n = width * height;
        let mut out = vec![0u8; 3 * n];
        if rgb.len() != 3 * n || n == 0 {
            return out;
        }
        let (mut y, mut cb, mut cr) = (vec![0u8; n], vec![0u8; n], vec![0u8; n]);
        rgb_to_ycc_planes(rgb, &mut y, &mut cb, &mut cr);
        let luma = round_trip_plane(&y, width, height, &Quantizer::for_quality(&LUMA, quality));
        // Chroma width in whole blocks of the 16-pixel MCU (jdiv_round_up(W, 16) · 8).
        let chroma_width = width.div_ceil(16) * 8;
        let chroma_height = height.div_ceil(2);
        let table = Quantizer::for_quality(&CHROMA, quality);
        let small = downsample_h2v2(&cb, width, height, chroma_width);
        let decoded = round_trip_plane(&small, chroma_width, chroma_height, &table);
        let cb = upsample_h2v2(&decoded, chroma_width, width, height);
        let small = downsample_h2v2(&cr, width, height, chroma_width);
        let decoded = round_trip_plane(&small, chroma_width, chroma_height, &table);
        let cr = upsample_h2v2(&decoded, chroma_width, width, height);
        ycc_planes_to_rgb(&luma, &cb, &cr, &mut out);
        out
    }
}
