#!/usr/bin/env python3
"""Reference outputs of the published Python corruption packages for attest-perturb.

Produces, from the committed radiographs in `inputs/`:

* `outputs/<package>/<kind>_s<severity>_<input>.png` -- the output of every DETERMINISTIC kind
  that `imagecorruptions` 1.1.2 and `medmnistc` 0.1.0 (chest table) define, at severities
  1, 3 and 5;
* `reference.json` -- an index of those files, and for every RANDOM kind summary statistics
  of (output - input) over several seeds (mean and standard deviation across seeds), plus the
  package versions that produced them.

`crates/attest-perturb/tests/reference.rs` compares attest-perturb against these files. See
README.md beside this file for the environment and the compatibility patch applied below.

Usage (from anywhere):
    python generate.py                   # regenerate outputs/ and reference.json
    python generate.py --prepare-inputs  # re-derive inputs/ from shared/data/cxr16 first

The script is deterministic: running it twice gives byte-identical files.
"""

import argparse
import hashlib
import importlib.metadata
import io
import json
import os
import platform
import sys
import types
import warnings
from pathlib import Path

# One thread everywhere: the numbers do not depend on it, but it keeps runs comparable.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUTS = HERE / "inputs"
OUTPUTS = HERE / "outputs"
SEVERITIES = (1, 3, 5)

# Inputs: (name, file). The RGB one is a tinted version of the first radiograph.
GRAY_INPUTS = ("cxr_normal", "cxr_pneumonia")
RGB_INPUTS = ("cxr_tinted_rgb",)

# Source images for --prepare-inputs (shared/data/cxr16, see inputs/ATTRIBUTION.md).
SOURCE_FILES = {
    "cxr_normal": "NORMAL2-IM-1427-0001.jpeg",
    "cxr_pneumonia": "person1950_bacteria_4881.jpeg",
}

IC_DETERMINISTIC = (
    "gaussian_blur",
    "defocus_blur",
    "zoom_blur",
    "contrast",
    "brightness",
    "jpeg_compression",
    "pixelate",
)
IC_RANDOM = (
    "gaussian_noise",
    "shot_noise",
    "impulse_noise",
    "speckle_noise",
    "glass_blur",
    "motion_blur",
    "fog",
    "snow",
    "spatter",
    "elastic_transform",
)
# Kinds whose output is coloured even for grey input (REFERENCE.md §1.1): on a grey input the
# reference is the luma of the RGB output (Pillow convert('L')), the grey reduction that
# REFERENCE.md §5.4 gives for spatter.
IC_COLOURED = ("spatter",)

# medmnistc chest kinds: medmnistc name -> (attest kind, attest table).
# "default" = the kind's first table (the MedMNIST-C-only kinds); "medmnistc" = the
# alternative table of an ImageNet-C kind with the same name.
MED_DETERMINISTIC = {
    "brightness_up": ("brightness_up", "default"),
    "brightness_down": ("brightness_down", "default"),
    "contrast_up": ("contrast_up", "default"),
    "contrast_down": ("contrast_down", "default"),
    "gamma_corr_up": ("gamma_up", "default"),
    "gamma_corr_down": ("gamma_down", "default"),
    "pixelate": ("pixelate", "medmnistc"),
    "jpeg_compression": ("jpeg_compression", "medmnistc"),
    "gaussian_blur": ("gaussian_blur", "medmnistc"),
}
MED_RANDOM = {
    "gaussian_noise": ("gaussian_noise", "medmnistc"),
    "speckle_noise": ("speckle_noise", "medmnistc"),
    "impulse_noise": ("impulse_noise", "medmnistc"),
    "shot_noise": ("shot_noise", "medmnistc"),
}

# Seeds per random kind: pixel-wise noise averages over ~50k pixels per image, so a few
# seeds pin its statistics; image-level randomness (an angle, a fractal, a displacement
# field, splashes) varies from seed to seed, so those kinds get more -- most for fog, whose
# min/max-normalised fractal moves the mean by ~8 grey levels (sd) from seed to seed.
PIXEL_NOISE_SEEDS = 3
IMAGE_LEVEL_SEEDS = {"glass_blur": 4, "fog": 32, "motion_blur": 16, "spatter": 16}
DEFAULT_IMAGE_LEVEL_SEEDS = 8  # snow, elastic_transform
PIXEL_NOISE_KINDS = ("gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise")

STAT_NAMES = (
    "mean_diff",
    "std_diff",
    "mad",
    "frac_changed",
    "frac_zero",
    "frac_255",
    "psnr",
    "grad_ratio",
)


# --------------------------------------------------------------------------------------
# Compatibility patch for imagecorruptions 1.1.2 (README.md; REFERENCE.md §4), at runtime
# --------------------------------------------------------------------------------------

# Seeded generator handed to skimage.util.random_noise when a caller passes none (see
# `patch_imagecorruptions`); reset per call by `seed_everything`.
_IMPULSE_RNG = [np.random.default_rng(0)]


def patch_imagecorruptions(seeded_impulse_noise=True):
    """Imports imagecorruptions 1.1.2 and makes it run on numpy 2 / scikit-image >= 0.22.

    The package is not edited; the same four changes as REFERENCE.md §4 are made in memory:
    * `np.float_` (removed in numpy 2.0, used by `plasma_fractal` for fog) -> `np.float64`;
    * `gaussian(..., multichannel=True)` (removed from skimage) -> `channel_axis=-1`, by
      wrapping the module's `gaussian` name (gaussian_blur, glass_blur);
    * `scipy.ndimage.interpolation` (deprecated) and `pkg_resources` (gone from recent
      setuptools; used only for the frost file paths) are provided if missing.
    One more change (skipped with `seeded_impulse_noise=False`, as the benchmark does) makes
    the script reproducible without touching the algorithm:
    * skimage >= 0.19 `random_noise(rng=None)` draws from a fresh, unseeded
      `default_rng()` (REFERENCE.md §1.8, impulse_noise); we pass a seeded PCG64 generator
      instead -- same distribution, reproducible numbers.
    """
    if "float_" not in np.__dict__:
        np.float_ = np.float64
    try:
        import scipy.ndimage.interpolation  # noqa: F401
    except ImportError:
        import scipy.ndimage

        sys.modules["scipy.ndimage.interpolation"] = scipy.ndimage
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        stub = types.ModuleType("pkg_resources")

        def resource_filename(package, name):
            import importlib.util

            spec = importlib.util.find_spec(package)
            return str(Path(spec.origin).parent / name)

        stub.resource_filename = resource_filename
        sys.modules["pkg_resources"] = stub

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import imagecorruptions
        import imagecorruptions.corruptions as icc

    original_gaussian = icc.gaussian

    def gaussian(image, *args, multichannel=None, **kwargs):
        if multichannel is not None:
            kwargs.setdefault("channel_axis", -1 if multichannel else None)
        return original_gaussian(image, *args, **kwargs)

    icc.gaussian = gaussian
    if not seeded_impulse_noise:
        return imagecorruptions

    import skimage.util

    original_random_noise = skimage.util.random_noise

    def random_noise(image, *args, rng=None, **kwargs):
        if rng is None:
            rng = _IMPULSE_RNG[0]
        return original_random_noise(image, *args, rng=rng, **kwargs)

    skimage.util.random_noise = random_noise
    return imagecorruptions


def import_medmnistc():
    """Imports medmnistc's corruption registry (chest tables).

    medmnistc.corruptions.filter imports Wand (ImageMagick) at module level for MotionBlur,
    which no chest kind uses; if Wand or its C library is missing, an inert stand-in module
    is registered so the import succeeds (calling MotionBlur would then fail loudly).
    """
    try:
        import wand.api  # noqa: F401
        import wand.image  # noqa: F401
    except ImportError:
        wand = types.ModuleType("wand")
        wand_image = types.ModuleType("wand.image")
        wand_api = types.ModuleType("wand.api")

        class _NoWand:
            def __init__(self, *args, **kwargs):
                raise RuntimeError("Wand/ImageMagick is not installed (not needed for chest kinds)")

        wand_image.Image = _NoWand
        wand_api.library = types.SimpleNamespace()
        wand.image, wand.api = wand_image, wand_api
        sys.modules.update({"wand": wand, "wand.image": wand_image, "wand.api": wand_api})
    from medmnistc.corruptions.registry import CORRUPTIONS_DS

    return CORRUPTIONS_DS["chestmnist"]


def seed_everything(seed):
    """Seeds every generator the packages draw from: the legacy global `np.random`
    (imagecorruptions, medmnistc noise) and the PCG64 generator used for s&p noise."""
    np.random.seed(seed)
    _IMPULSE_RNG[0] = np.random.default_rng(seed)
    return _IMPULSE_RNG[0]


# --------------------------------------------------------------------------------------
# Running the packages
# --------------------------------------------------------------------------------------


def run_imagecorruptions(ic, image, kind, severity, seed=0):
    """`corrupt()` as a user calls it. Grey input is stacked to RGB by the package; the
    grey result is channel 0 (all channels are equal for grey-preserving kinds and the
    noise kinds' channel 0 has the single-channel distribution, REFERENCE.md §1.1), or the
    luma for the coloured kinds."""
    seed_everything(seed)
    out = ic.corrupt(image, severity=severity, corruption_name=kind)
    if image.ndim == 2:
        if kind in IC_COLOURED:
            return np.array(Image.fromarray(out).convert("L"))
        return out[:, :, 0].copy()
    return out


def run_medmnistc(corruptors, image, kind, severity, seed=0):
    """The chestmnist pipeline of `DatasetManager.create_single_dataset` (REFERENCE.md
    §6.1): grey -> RGB PIL image, `apply(img, severity - 1)`, result -> `convert('L')`."""
    rng = seed_everything(seed)
    corruptor = corruptors[kind]
    if kind == "impulse_noise":
        corruptor.rng = rng
    rgb = Image.fromarray(image).convert("RGB")
    out = corruptor.apply(rgb, severity - 1)
    return np.array(Image.fromarray(out).convert("L"))


# --------------------------------------------------------------------------------------
# Statistics (the Rust test computes the same ones, in the same way)
# --------------------------------------------------------------------------------------


def gradient_energy(a):
    """Mean squared difference of vertical plus horizontal neighbours (all channels)."""
    a = a.astype(np.float64)
    return float(np.mean(np.diff(a, axis=0) ** 2) + np.mean(np.diff(a, axis=1) ** 2))


def image_stats(inp, out):
    """Summary statistics of one (input, output) pair of u8 arrays of equal shape.

    mean_diff, std_diff (population), mad: of out - in in grey levels; frac_changed,
    frac_zero, frac_255: fractions of samples; psnr: of out against in (dB, 100 if equal);
    grad_ratio: gradient energy of out / of in (< 1 smoother, > 1 noisier)."""
    d = out.astype(np.float64) - inp.astype(np.float64)
    mse = float(np.mean(d * d))
    return {
        "mean_diff": float(np.mean(d)),
        "std_diff": float(np.std(d)),
        "mad": float(np.mean(np.abs(d))),
        "frac_changed": float(np.mean(d != 0)),
        "frac_zero": float(np.mean(out == 0)),
        "frac_255": float(np.mean(out == 255)),
        "psnr": 100.0 if mse == 0 else float(10 * np.log10(255.0**2 / mse)),
        "grad_ratio": gradient_energy(out) / gradient_energy(inp),
    }


def rounded(x):
    """Six significant digits: stable across platforms' last-bit differences, compact."""
    return float(f"{x:.6g}")


def aggregate(per_seed):
    """Mean and (sample) standard deviation across seeds of each statistic."""
    result = {"mean": {}, "sd": {}}
    for name in STAT_NAMES:
        values = np.array([s[name] for s in per_seed])
        result["mean"][name] = rounded(values.mean())
        result["sd"][name] = rounded(values.std(ddof=1)) if len(values) > 1 else 0.0
    return result


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------


def load(name):
    return np.array(Image.open(INPUTS / f"{name}.png"))


def save_png(array, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", optimize=True)
    path.write_bytes(buf.getvalue())
    return hashlib.sha256(array.tobytes()).hexdigest()[:16]


def prepare_inputs(cxr16):
    """Centre-crops each source radiograph to a square, resizes it to 224x224 (Lanczos),
    writes 8-bit grey PNGs and a tinted RGB version of the first one."""
    INPUTS.mkdir(parents=True, exist_ok=True)
    grays = {}
    for name, file in SOURCE_FILES.items():
        im = Image.open(Path(cxr16) / file).convert("L")
        w, h = im.size
        side = min(w, h)
        left, top = (w - side) // 2, (h - side) // 2
        im = im.crop((left, top, left + side, top + side)).resize((224, 224), Image.LANCZOS)
        im.save(INPUTS / f"{name}.png", optimize=True)
        grays[name] = np.array(im).astype(np.float64)
    g = grays["cxr_normal"]
    yy, xx = np.mgrid[0:224, 0:224] / 223.0
    # A warm tint whose hue and saturation vary across the image, so that per-channel and
    # HSV code paths see genuinely different channels.
    r = g
    gch = 0.9 * g + 20.0 * xx
    b = 0.75 * g + 40.0 * (1.0 - yy)
    rgb = np.clip(np.rint(np.stack([r, gch, b], axis=-1)), 0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(INPUTS / "cxr_tinted_rgb.png", optimize=True)


def versions():
    names = (
        "numpy",
        "scipy",
        "scikit-image",
        "pillow",
        "opencv-python-headless",
        "imagecorruptions",
        "medmnistc",
        "torch",
        "torchvision",
    )
    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = importlib.metadata.version(n)
        except importlib.metadata.PackageNotFoundError:
            out[n] = None
    return out


# --------------------------------------------------------------------------------------
# Self-check against REFERENCE.md §8 (proves the patched environment is the one described)
# --------------------------------------------------------------------------------------


def self_check(ic, med):
    y, x = np.mgrid[0:48, 0:40]
    g = ((3 * x + 5 * y + ((x * x + 2 * y * y) % 23)) % 256).astype(np.uint8)
    assert int(g.sum()) == 252752
    # (package, kind, severity, sum, [0,0], [10,7], [24,20], [47,39]) from REFERENCE.md §8.
    rows = [
        ("ic", "gaussian_blur", 3, 250891, 14, 82, 190, 95),
        ("ic", "defocus_blur", 5, 255634, 46, 84, 192, 74),
        ("ic", "zoom_blur", 1, 257911, 7, 87, 190, 97),
        ("ic", "contrast", 3, 251745, 105, 123, 143, 125),
        ("ic", "brightness", 5, 431788, 127, 217, 255, 228),
        ("ic", "jpeg_compression", 5, 253672, 14, 91, 201, 114),
        ("ic", "pixelate", 2, 253760, 6, 83, 196, 104),
        ("med", "brightness_up", 4, 323401, 0, 126, 255, 141),
        ("med", "contrast_down", 5, 252420, 79, 115, 155, 119),
        ("med", "gamma_corr_up", 5, 196532, 0, 48, 161, 58),
        ("med", "gamma_corr_down", 3, 295184, 0, 123, 209, 133),
        ("med", "pixelate", 5, 252960, 52, 52, 192, 67),
        ("med", "jpeg_compression", 1, 253116, 0, 83, 191, 108),
    ]
    for pkg, kind, sev, total, *pixels in rows:
        out = run_imagecorruptions(ic, g, kind, sev) if pkg == "ic" else run_medmnistc(med, g, kind, sev)
        got = [int(out.sum())] + [int(out[r, c]) for r, c in ((0, 0), (10, 7), (24, 20), (47, 39))]
        assert got == [total, *pixels], f"{pkg} {kind} {sev}: {got} != {[total, *pixels]}"
    # torchvision gaussian_blur: REFERENCE.md §8 emulated it (torch was not installed there);
    # the real function must agree to within one grey level per pixel.
    emulated = {1: (252661, 5, 83, 191, 103), 3: (253028, 14, 81, 190, 100), 5: (253154, 20, 82, 190, 96)}
    for sev, (total, *pixels) in emulated.items():
        out = run_medmnistc(med, g, "gaussian_blur", sev)
        got = [int(out[r, c]) for r, c in ((0, 0), (10, 7), (24, 20), (47, 39))]
        assert all(abs(a - b) <= 1 for a, b in zip(got, pixels)), (sev, got, pixels)
        assert abs(int(out.sum()) - total) <= 48 * 40 // 100, (sev, int(out.sum()), total)


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def seeds_for(kind):
    if kind in PIXEL_NOISE_KINDS:
        return list(range(PIXEL_NOISE_SEEDS))
    return list(range(IMAGE_LEVEL_SEEDS.get(kind, DEFAULT_IMAGE_LEVEL_SEEDS)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepare-inputs", action="store_true", help="re-derive inputs/ from the cxr16 radiographs")
    parser.add_argument(
        "--cxr16",
        default=str(HERE.parents[3] / ".." / "shared" / "data" / "cxr16"),
        help="folder of the cxr16 radiographs (default: ../shared/data/cxr16 next to the repository)",
    )
    args = parser.parse_args()
    if args.prepare_inputs:
        prepare_inputs(args.cxr16)

    ic = patch_imagecorruptions()
    med = import_medmnistc()
    self_check(ic, med)

    images = {name: load(name) for name in GRAY_INPUTS + RGB_INPUTS}
    deterministic, random_entries = [], []

    def add_deterministic(package, kind, attest_kind, table, sev, name, out):
        rel = Path("outputs") / package / f"{kind}_s{sev}_{name}.png"
        digest = save_png(out, HERE / rel)
        deterministic.append(
            {
                "package": package,
                "kind": kind,
                "attest_kind": attest_kind,
                "table": table,
                "severity": sev,
                "input": f"inputs/{name}.png",
                "output": rel.as_posix(),
                "sha256_16": digest,
                "psnr_vs_input": image_stats(images[name], out)["psnr"],
            }
        )

    for kind in IC_DETERMINISTIC:
        for sev in SEVERITIES:
            for name in GRAY_INPUTS + RGB_INPUTS:
                out = run_imagecorruptions(ic, images[name], kind, sev)
                add_deterministic("imagecorruptions", kind, kind, "default", sev, name, out)
    for kind, (attest_kind, table) in MED_DETERMINISTIC.items():
        for sev in SEVERITIES:
            for name in GRAY_INPUTS:
                out = run_medmnistc(med, images[name], kind, sev)
                add_deterministic("medmnistc", kind, attest_kind, table, sev, name, out)

    def add_random(package, kind, attest_kind, table, sev, name, runner):
        seeds = seeds_for(kind)
        per_seed = [image_stats(images[name], runner(seed)) for seed in seeds]
        entry = {
            "package": package,
            "kind": kind,
            "attest_kind": attest_kind,
            "table": table,
            "severity": sev,
            "input": f"inputs/{name}.png",
            "seeds": len(seeds),
        }
        entry.update(aggregate(per_seed))
        random_entries.append(entry)
        print(f"{package:16} {kind:18} s{sev} {name:15} " + " ".join(f"{k}={v:.4g}" for k, v in entry["mean"].items()))

    for kind in IC_RANDOM:
        for sev in SEVERITIES:
            for name in GRAY_INPUTS + RGB_INPUTS:
                add_random(
                    "imagecorruptions", kind, kind, "default", sev, name,
                    lambda seed: run_imagecorruptions(ic, images[name], kind, sev, seed),
                )
    for kind, (attest_kind, table) in MED_RANDOM.items():
        for sev in SEVERITIES:
            for name in GRAY_INPUTS:
                add_random(
                    "medmnistc", kind, attest_kind, table, sev, name,
                    lambda seed: run_medmnistc(med, images[name], kind, sev, seed),
                )

    index = {
        "generator": {
            "script": "crates/attest-perturb/tests/reference/generate.py",
            "versions": versions(),
            "imagecorruptions_patch": "REFERENCE.md §4 applied in memory (README.md); seeded rng for s&p noise",
            "medmnistc_pipeline": "chestmnist: grey -> RGB, apply(img, severity - 1), convert('L')",
            "grey_reduction": "imagecorruptions on grey input: channel 0 of the RGB output; coloured kinds "
            + ", ".join(IC_COLOURED)
            + ": Pillow convert('L') luma",
        },
        "severities": list(SEVERITIES),
        "inputs": {name: f"inputs/{name}.png" for name in GRAY_INPUTS + RGB_INPUTS},
        "statistics": {
            "names": list(STAT_NAMES),
            "definition": " ".join(line.strip() for line in image_stats.__doc__.splitlines()[2:]),
            "aggregation": "mean and sample sd (ddof 1) across seeds 0..seeds-1 of the per-image statistics",
        },
        "deterministic": deterministic,
        "random": random_entries,
    }
    (HERE / "reference.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(deterministic)} deterministic outputs, {len(random_entries)} random entries")


if __name__ == "__main__":
    main()
