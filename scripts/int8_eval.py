#!/usr/bin/env python3
"""Is ONNX Runtime INT8 worth serving MobileNetV3 on this CPU? Speed and agreement against fp32.

Quantizes two models with ONNX Runtime's static quantization, per channel, in both formats:
  QDQ        QuantizeLinear/DequantizeLinear pairs around fp32 operators, fused by ONNX Runtime at load
  QOperator  QLinearConv, QLinearAdd, ... operators
and reports, in one run:
  - speed: MobileNetV3-Large (mobiserve's export) and the digits MobileNetV3-Small, fp32 vs each INT8 model,
    batch 1 and 16, interleaved rounds, the threads mobiserve uses (one per core, spinning off);
  - agreement: the top-1 class of each INT8 digits model against the fp32 one on the 200 held-out digits
    (calibrated on the first 100, so the last 100 were never seen by the calibration), and accuracy against
    the labels in the file names.

  python scripts/int8_eval.py --large MODEL.onnx --digits src/test/resources/digits [--out DIR]

Needs onnxruntime, onnx, numpy and opencv-python (cv2) in that Python.
"""
import argparse
import json
import os
import statistics
import sys
import time

import cv2
import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def digits_tensor(path):
    """The digits fixture's preprocessing (see its reference/README.md): 72x72 INTER_AREA, centre 64, ImageNet."""
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    small = cv2.resize(rgb, (72, 72), interpolation=cv2.INTER_AREA)
    crop = small[4:68, 4:68].astype(np.float32) / 255.0
    return ((crop - MEAN) / STD).transpose(2, 0, 1)


def load_digits(folder):
    names = sorted(os.listdir(os.path.join(folder, "heldout")))
    x = np.stack([digits_tensor(os.path.join(folder, "heldout", n)) for n in names])
    labels = np.array([int(n.rsplit("_", 1)[1].split(".")[0]) for n in names])
    reference = np.fromfile(os.path.join(folder, "reference", "inputs.f32"), dtype="<f4").reshape(4, 3, 64, 64)
    drift = float(np.abs(x[:4] - reference).max())
    if drift > 0.05:
        sys.exit(f"the digits preprocessing here differs from the fixture's reference by {drift}")
    return x, labels


class Batches(CalibrationDataReader):
    def __init__(self, name, tensors):
        self.items = iter([{name: t[None]} for t in tensors])

    def get_next(self):
        return next(self.items, None)


def session(path, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def quantize(fp32, calibration, out_dir, stem):
    """{format: path} of the per-channel static INT8 models of fp32, calibrated on calibration."""
    prepared = os.path.join(out_dir, f"{stem}-prepared.onnx")
    quant_pre_process(fp32, prepared, skip_symbolic_shape=True)  # ONNX shape inference is enough here
    name = session(fp32, 1).get_inputs()[0].name
    models = {}
    for label, fmt, activations in (("int8-qdq", QuantFormat.QDQ, QuantType.QUInt8),
                                    ("int8-qdq-s8s8", QuantFormat.QDQ, QuantType.QInt8),
                                    ("int8-qoperator", QuantFormat.QOperator, QuantType.QUInt8)):
        path = os.path.join(out_dir, f"{stem}-{label}.onnx")
        quantize_static(prepared, path, Batches(name, calibration), quant_format=fmt, per_channel=True,
                        activation_type=activations, weight_type=QuantType.QInt8)
        models[label] = path
    return models


def speed(path, shape, batch, threads, seconds):
    s = session(path, threads)
    name = s.get_inputs()[0].name
    x = np.random.default_rng(1).standard_normal((batch, *shape), dtype=np.float32)
    end = time.perf_counter() + 2
    while time.perf_counter() < end:
        s.run(None, {name: x})
    times, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        s.run(None, {name: x})
        times.append(time.perf_counter() - start)
    return batch * len(times) / sum(times)


def top1(path, x):
    s = session(path, os.cpu_count())
    name = s.get_inputs()[0].name
    return np.concatenate([s.run(None, {name: x[i:i + 16]})[0].argmax(1) for i in range(0, len(x), 16)])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", required=True, help="mobiserve's MobileNetV3-Large (java -jar target/mobiserve.jar "
                        "export-model --arch large --out FILE)")
    parser.add_argument("--digits", required=True, help="the digits fixture folder")
    parser.add_argument("--out", default="target/int8")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    threads = os.cpu_count()
    print(f"onnxruntime {ort.__version__}, {threads} cores, {threads} intra-op threads, spinning off")

    x, labels = load_digits(args.digits)
    digits_fp32 = os.path.join(args.digits, "digits-mobilenetv3-small.onnx")
    digits = {"fp32": digits_fp32, **quantize(digits_fp32, x[:100], args.out, "digits")}
    reference = top1(digits_fp32, x)
    report = {"agreement": {}, "speed": {}}
    print("\ndigits MobileNetV3-Small, 200 held-out images (calibrated on the first 100)")
    for label, path in digits.items():
        got = top1(path, x)
        row = {"agreeAll": float((got == reference).mean()), "agreeUnseen": float((got[100:] == reference[100:]).mean()),
               "accuracy": float((got == labels).mean())}
        report["agreement"][label] = row
        print(f"  {label:<15} top-1 agreement with fp32 {row['agreeAll'] * 100:5.1f}% "
              f"(unseen half {row['agreeUnseen'] * 100:5.1f}%), accuracy {row['accuracy'] * 100:5.1f}%")

    rng = np.random.default_rng(2)
    large_calibration = rng.standard_normal((32, 3, 224, 224), dtype=np.float32)
    large = {"fp32": args.large, **quantize(args.large, large_calibration, args.out, "large")}
    models = {("large", k): (v, (3, 224, 224)) for k, v in large.items()}
    models.update({("digits", k): (v, (3, 64, 64)) for k, v in digits.items()})
    figures = {}
    for _ in range(args.rounds):
        for key, (path, shape) in models.items():
            for batch in (1, 16):
                figures.setdefault((*key, batch), []).append(speed(path, shape, batch, threads, args.seconds))
    print(f"\nimages/s, median of {args.rounds} interleaved rounds (ratio to fp32)")
    for (model, label, batch), values in sorted(figures.items()):
        rate = statistics.median(values)
        base = statistics.median(figures[(model, "fp32", batch)])
        report["speed"][f"{model}/{label}/b{batch}"] = {"imagesPerSecond": rate, "ratioToFp32": rate / base,
                                                        "rounds": values}
        print(f"  {model:<7} {label:<15} batch {batch:>2}: {rate:8.1f}  ({rate / base:4.2f}x)   rounds: "
              + ", ".join(f"{v:.1f}" for v in values))
    with open(os.path.join(args.out, "int8.json"), "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
