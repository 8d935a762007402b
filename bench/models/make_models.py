"""Writes the forward-pass benchmark models (not committed: regenerated in a second).

- `cnn`: the 3-layer CNN of the brief's reference figures — conv3x3 1->32->64->128, each
  ReLU + 2x2 max pool, global average pool, linear 128->2; 0.95 GFLOP per 1x224x224 image.
- `resnet18`: torchvision's ResNet-18 layout at full width (3x224x224, 1000 classes,
  3.6 GFLOP), batch norm unfused in the ONNX graph as torchvision exports it.
- `example`: the bundled example's trained model (examples/chest-xray/models), as shipped.

Each model is written as ONNX and safetensors (the same weights, seeded), and
models.json lists them with their FLOPs per image.
Usage: python make_models.py OUT_DIR
"""
import json
import pathlib
import shutil
import sys

import numpy as np
import onnx
from safetensors.numpy import save_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples/chest-xray/models"))
sys.path.insert(0, str(ROOT / "crates/attest-model/tests/fixtures"))
from export_onnx import small_cnn_onnx  # noqa: E402
from resnet_onnx import resnet18_onnx  # noqa: E402

RNG = np.random.default_rng(20261127)


def kaiming(shape):
    fan_in = int(np.prod(shape[1:]))
    return (RNG.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def conv_flops(cout, cin, k, oh, ow):
    return 2 * cout * cin * k * k * oh * ow


def cnn():
    widths, tensors, cin, side, flops = [32, 64, 128], {}, 1, 224, 0
    for i, c in enumerate(widths, 1):
        tensors[f"conv{i}.weight"] = kaiming((c, cin, 3, 3))
        tensors[f"conv{i}.bias"] = np.zeros(c, np.float32)
        flops += conv_flops(c, cin, 3, side, side)
        cin, side = c, side // 2
    tensors["fc.weight"] = kaiming((2, cin))
    tensors["fc.bias"] = np.zeros(2, np.float32)
    flops += 2 * 2 * cin
    return tensors, small_cnn_onnx(tensors, "avg", 1, (224, 224), "bench-cnn"), flops


def resnet18():
    t, flops = {}, 0

    def bn(p, c):
        t[p + ".weight"] = RNG.uniform(0.5, 1.5, c).astype(np.float32)
        t[p + ".bias"] = RNG.normal(0, 0.1, c).astype(np.float32)
        t[p + ".running_mean"] = RNG.normal(0, 0.1, c).astype(np.float32)
        t[p + ".running_var"] = RNG.uniform(0.5, 1.5, c).astype(np.float32)

    t["conv1.weight"] = kaiming((64, 3, 7, 7))
    bn("bn1", 64)
    flops += conv_flops(64, 3, 7, 112, 112)
    cin, side = 64, 56
    for stage, width in enumerate([64, 128, 256, 512]):
        for i in range(2):
            p = f"layer{stage + 1}.{i}"
            stride = 2 if stage > 0 and i == 0 else 1
            side_out = side // stride
            t[p + ".conv1.weight"] = kaiming((width, cin, 3, 3))
            bn(p + ".bn1", width)
            t[p + ".conv2.weight"] = kaiming((width, width, 3, 3))
            bn(p + ".bn2", width)
            flops += conv_flops(width, cin, 3, side_out, side_out) + conv_flops(width, width, 3, side_out, side_out)
            if stride != 1 or cin != width:
                t[p + ".downsample.0.weight"] = kaiming((width, cin, 1, 1))
                bn(p + ".downsample.1", width)
                flops += conv_flops(width, cin, 1, side_out, side_out)
            cin, side = width, side_out
    t["fc.weight"] = kaiming((1000, 512))
    t["fc.bias"] = np.zeros(1000, np.float32)
    flops += 2 * 1000 * 512
    return t, resnet18_onnx(t, "bench-resnet18", 3, (224, 224)), flops


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    models = []
    for name, make, arch, channels in [("cnn", cnn, "small_cnn", 1), ("resnet18", resnet18, "resnet18", 3)]:
        tensors, graph, flops = make()
        save_file(tensors, str(out / f"{name}.safetensors"), metadata={"pool": "avg"})
        onnx.save(graph, out / f"{name}.onnx")
        models.append({"name": name, "onnx": f"{name}.onnx", "safetensors": f"{name}.safetensors",
                       "architecture": arch, "channels": channels, "size": 224, "flops": flops})
    example = ROOT / "examples/chest-xray/models"
    shutil.copy(example / "nodule_cnn.onnx", out / "example.onnx")
    shutil.copy(example / "nodule_cnn.safetensors", out / "example.safetensors")
    flops = sum(conv_flops(c, cin, 3, 224 >> i, 224 >> i)
                for i, (cin, c) in enumerate(zip([1, 8, 16, 32], [8, 16, 32, 32])))
    models.append({"name": "example", "onnx": "example.onnx", "safetensors": "example.safetensors",
                   "architecture": "small_cnn", "channels": 1, "size": 224, "flops": flops})
    (out / "models.json").write_text(json.dumps(models, indent=1) + "\n")
    for m in models:
        print(f"{m['name']}: {m['flops'] / 1e9:.3f} GFLOP per image")


if __name__ == "__main__":
    main()
