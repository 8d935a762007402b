"""Writes models/baseline.onnx: a fixed-weight placeholder network for the chest-xray example.

It is NOT a pneumonia detector. Its score is a logistic function of the image's mean
intensity (GlobalAveragePool -> x * -8 + 4 -> Sigmoid), so that the example spec has a real,
runnable ONNX file with the right input and output shapes before the trained example model
lands (models issue). Regenerate with:  python3 examples/chest-xray/models/make_baseline.py
Requires the `onnx` package (tested with onnx 1.23).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
scale = numpy_helper.from_array(np.array([-8.0], dtype=np.float32), "scale")
shift = numpy_helper.from_array(np.array([4.0], dtype=np.float32), "shift")
nodes = [
    helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
    helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
    helper.make_node("Mul", ["flat", "scale"], ["scaled"]),
    helper.make_node("Add", ["scaled", "shift"], ["logit"]),
    helper.make_node("Sigmoid", ["logit"], ["score"]),
]
graph = helper.make_graph(
    nodes,
    "attest-example-baseline",
    [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 224, 224])],
    [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 1])],
    initializer=[scale, shift],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="attest")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(here, "baseline.onnx"))
