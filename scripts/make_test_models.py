#!/usr/bin/env python3
"""Writes the tiny ONNX models that the model-loader tests open.

Each model is a few hundred bytes: a global average pool and a little arithmetic, no trained
weights. One is a valid image classifier; the others each break exactly one rule the server
enforces (one float32 NCHW input with 3 channels and a fixed height and width, one 2-D float
output [N, classes]), so every refusal has its own fixture.

Needs Python 3 with the `onnx` package (and numpy, which onnx uses). Run from the repository root:

    python3 scripts/make_test_models.py            # writes src/test/resources/models/*.onnx

The outputs are committed; rerun this only when the cases change. The models use IR version 8
and opset 17 so that any ONNX Runtime from 1.14 on opens them.
"""

import os
import sys

import onnx
from onnx import TensorProto, helper

OUT_DIR = os.path.join("src", "test", "resources", "models")
OPSET = 17
IR_VERSION = 8
FLOAT = TensorProto.FLOAT


def tensor(name, elem_type, shape):
    return helper.make_tensor_value_info(name, elem_type, shape)


def axes(name, axis):
    """The axes input of Unsqueeze (an input, not an attribute, since opset 13)."""
    return helper.make_tensor(name, TensorProto.INT64, [1], [axis])


def pooled(input_name, prefix=""):
    """GlobalAveragePool + Flatten: [N, C, H, W] -> [N, C]."""
    return [
        helper.make_node("GlobalAveragePool", [input_name], [prefix + "pooled"]),
        helper.make_node("Flatten", [prefix + "pooled"], [prefix + "flat"], axis=1),
    ]


def widen_to(classes, src, out):
    """[N, C] -> [N, classes]: logits[n, k] = mean_c(src[n, c]) + k / 1000.

    Computed with Range instead of a weight matrix so the file stays tiny, and the result is easy to
    check by hand in a test.
    """
    return [
        helper.make_node("ReduceMean", [src], ["mean"], axes=[1], keepdims=1),  # [N, 1]
        helper.make_node("Constant", [], ["start"], value=helper.make_tensor("s", FLOAT, [], [0.0])),
        helper.make_node("Constant", [], ["limit"], value=helper.make_tensor("l", FLOAT, [], [float(classes)])),
        helper.make_node("Constant", [], ["delta"], value=helper.make_tensor("d", FLOAT, [], [1.0])),
        helper.make_node("Range", ["start", "limit", "delta"], ["ramp"]),  # [classes]
        helper.make_node("Constant", [], ["scale"], value=helper.make_tensor("c", FLOAT, [], [0.001])),
        helper.make_node("Mul", ["ramp", "scale"], ["offsets"]),
        helper.make_node("Add", ["mean", "offsets"], [out]),  # [N, classes]
    ]


def save(name, nodes, inputs, outputs, metadata=None, initializers=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="mobiserve-test-models",
    )
    model.ir_version = IR_VERSION
    if metadata:
        helper.set_model_props(model, metadata)
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(OUT_DIR, name + ".onnx")
    onnx.save(model, path)
    print(f"{path}: {os.path.getsize(path)} bytes")


def classifier(classes, input_shape, metadata=None, name=None):
    nodes = pooled("input") + widen_to(classes, "flat", "logits")
    save(
        name or f"valid-{classes}",
        nodes,
        [tensor("input", FLOAT, input_shape)],
        [tensor("logits", FLOAT, ["N", classes])],
        metadata,
    )


def main():
    os.makedirs(OUT_DIR, exist_ok=True)

    # Servable: no metadata at all, 1000 classes -> ImageNet labels and torchvision defaults.
    classifier(1000, ["N", 3, 32, 32], name="valid-1000")
    # Servable, with every mobiserve metadata key set.
    classifier(
        4,
        ["N", 3, 32, 32],
        name="valid-4-metadata",
        metadata={
            "mobiserve.preprocess.resize": "40",
            "mobiserve.preprocess.mean": "0.5,0.5,0.5",
            "mobiserve.preprocess.std": "0.25,0.25,0.25",
            "mobiserve.preprocess.channel_order": "BGR",
            "mobiserve.labels": "cat\ndog\nbird\nfish",
            "mobiserve.architecture": "Tiny test classifier",
            "mobiserve.trained": "false",
        },
    )
    # Servable, but only one image per run.
    classifier(10, [1, 3, 32, 32], name="fixed-batch-1")
    # Servable, runs exactly two images at a time (the engine pads smaller batches).
    classifier(10, [2, 3, 32, 32], name="fixed-batch-2")
    # Servable only with a height/width override.
    classifier(10, ["N", 3, "H", "W"], name="dynamic-hw")
    # A malformed metadata value (the loader must name the key).
    classifier(10, ["N", 3, 32, 32], name="bad-metadata-mean",
               metadata={"mobiserve.preprocess.mean": "0.5,zero,0.5"})

    # Two inputs.
    save(
        "two-inputs",
        [helper.make_node("Add", ["a", "b"], ["sum"])] + pooled("sum") + widen_to(10, "flat", "logits"),
        [tensor("a", FLOAT, ["N", 3, 32, 32]), tensor("b", FLOAT, ["N", 3, 32, 32])],
        [tensor("logits", FLOAT, ["N", 10])],
    )
    # Integer (uint8) input.
    save(
        "int-input",
        [helper.make_node("Cast", ["input"], ["as_float"], to=FLOAT)] + pooled("as_float")
        + widen_to(10, "flat", "logits"),
        [tensor("input", TensorProto.UINT8, ["N", 3, 32, 32])],
        [tensor("logits", FLOAT, ["N", 10])],
    )
    # 3-D input (no batch dimension).
    save(
        "input-3d",
        [helper.make_node("Unsqueeze", ["input", "axis0"], ["batched"])] + pooled("batched")
        + widen_to(10, "flat", "logits"),
        [tensor("input", FLOAT, [3, 32, 32])],
        [tensor("logits", FLOAT, [1, 10])],
        initializers=[axes("axis0", 0)],
    )
    # One channel (greyscale).
    classifier(10, ["N", 1, 32, 32], name="one-channel")
    # 3-D output [N, classes, 1].
    save(
        "output-3d",
        pooled("input") + widen_to(10, "flat", "logits2d")
        + [helper.make_node("Unsqueeze", ["logits2d", "axis2"], ["logits"])],
        [tensor("input", FLOAT, ["N", 3, 32, 32])],
        [tensor("logits", FLOAT, ["N", 10, 1])],
        initializers=[axes("axis2", 2)],
    )
    # Two outputs.
    save(
        "two-outputs",
        pooled("input") + widen_to(10, "flat", "logits"),
        [tensor("input", FLOAT, ["N", 3, 32, 32])],
        [tensor("logits", FLOAT, ["N", 10]), tensor("flat", FLOAT, ["N", 3])],
    )
    # Not ONNX at all.
    with open(os.path.join(OUT_DIR, "not-onnx.onnx"), "w") as f:
        f.write("this is not an ONNX model\n")


if __name__ == "__main__":
    sys.exit(main())
