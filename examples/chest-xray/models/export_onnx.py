"""Writes models/nodule_cnn.onnx: the example's trained network as an ONNX graph.

The weights come from nodule_cnn.safetensors (trained by
crates/attest-model/examples/train_example.rs); the graph is the `small_cnn` architecture
spelled out in ONNX operators — for each block Conv (3x3, pads 1) -> Relu -> MaxPool (2x2),
then GlobalMaxPool -> Flatten -> Gemm — so every Attest backend (candle from the safetensors,
tract and onnxruntime from this file) runs the same model. Input `image` [batch, 1, 224, 224],
output `logit` [batch, 1]; the spec applies the sigmoid.

Regenerate with:  python3 examples/chest-xray/models/export_onnx.py
Requires onnx (tested 1.23.2), numpy and safetensors; checks the graph with onnxruntime
when it is installed.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file, safe_open

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = os.path.join(HERE, "nodule_cnn.safetensors")
OUT = os.path.join(HERE, "nodule_cnn.onnx")


def small_cnn_onnx(tensors, pool="avg", channels=1, size=(224, 224), name="small_cnn"):
    """The `small_cnn` graph for a dict of numpy weights (`conv{i}.weight/bias`, `fc.*`):
    input `image` [batch, channels, *size], output `logit` [batch, outputs]."""
    op = {"avg": "GlobalAveragePool", "max": "GlobalMaxPool"}[pool]
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in sorted(tensors.items())]
    nodes, x, i = [], "image", 1
    while f"conv{i}.weight" in tensors:
        nodes += [
            helper.make_node("Conv", [x, f"conv{i}.weight", f"conv{i}.bias"], [f"c{i}"],
                             name=f"conv{i}", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", [f"c{i}"], [f"r{i}"], name=f"relu{i}"),
            helper.make_node("MaxPool", [f"r{i}"], [f"p{i}"], name=f"pool{i}",
                             kernel_shape=[2, 2], strides=[2, 2]),
        ]
        x, i = f"p{i}", i + 1
    nodes += [
        helper.make_node(op, [x], ["pooled"], name="global_pool"),
        helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logit"], name="fc", transB=1),
    ]
    outputs = tensors["fc.bias"].shape[0]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", channels, *size])],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["batch", outputs])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="attest export_onnx.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    tensors = load_file(WEIGHTS)
    with safe_open(WEIGHTS, "np") as f:
        metadata = f.metadata() or {}
    model = small_cnn_onnx(tensors, metadata.get("pool", "avg"), name="attest-example-nodule-cnn")
    model.doc_string = "Attest example nodule model (small_cnn); weights from nodule_cnn.safetensors"
    onnx.save(model, OUT)
    print(f"wrote {OUT} ({len(model.graph.node)} nodes)")
    try:
        import onnxruntime
    except ImportError:
        return
    session = onnxruntime.InferenceSession(OUT)
    x = np.random.default_rng(0).normal(size=(2, 1, 224, 224)).astype(np.float32)
    print("onnxruntime smoke run, logits:", session.run(None, {"image": x})[0].ravel())


if __name__ == "__main__":
    main()
