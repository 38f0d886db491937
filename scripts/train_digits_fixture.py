#!/usr/bin/env python3
"""Train a small MobileNetV3 on scikit-learn's digits and export the test fixture.

One-off tooling; CI never runs this. It (re)creates src/test/resources/digits/:

  digits-mobilenetv3-small.onnx   MobileNetV3-Small (width 1.0, 10 classes, 64x64
                                  input "input" [N,3,64,64] -> "logits" [N,10],
                                  opset 17) with mobiserve.* metadata_props
  labels.txt                      "0".."9", one per line
  heldout/NNNN_L.png              the 200 held-out digits as a client sends them:
                                  80x80 RGB 8-bit PNG (8x8 scan scaled to 0..255,
                                  nearest-neighbour x10, gray replicated to RGB);
                                  NNNN = 0000..0199, L = true label
  reference/inputs.f32            preprocessed tensors of heldout/0000..0003,
                                  4x3x64x64 float32 little-endian, no header
  reference/logits.f32            PyTorch logits for those tensors, 4x10 float32 LE
  reference/README.md             what the two .f32 files are

Preprocessing (what the server applies; torchvision-style eval transform):
  resize so the short side is 72 px with OpenCV INTER_AREA on the uint8 image
  (output rounded to uint8, as cv2 does), center-crop 64x64
  (top/left = round((72 - 64) / 2) = 4), divide by 255, normalize with the
  ImageNet mean (0.485, 0.456, 0.406) / std (0.229, 0.224, 0.225), RGB order,
  CHW float32. Training uses exactly this pipeline too.

Needs: torch, torchvision (a matching pair), onnx, onnxruntime, scikit-learn,
numpy, opencv-python (or opencv-python-headless) and pillow; pip install them.
Runs on CPU with 2 threads; training takes a few minutes.

Usage (from the repository root):
  python scripts/train_digits_fixture.py [--out src/test/resources/digits]
"""

import argparse
import os
import random
import shutil
import sys
import time

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import torch
import torchvision
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 1797
N_HELDOUT = 200
SCALE = 10          # 8x8 -> 80x80 nearest neighbour
RESIZE = 72         # short side after resize
CROP = 64           # center crop
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
LABELS = [str(d) for d in range(10)]
N_REFERENCE = 4

EPOCHS = 30
BATCH = 64
LR = 2e-3
MAX_SHIFT = 6       # augmentation: random shift of the 80x80 image, in pixels

ONNX_NAME = "digits-mobilenetv3-small.onnx"
METADATA = {
    "mobiserve.architecture":
        "MobileNetV3-Small (width 1.0, 64x64, 10 classes, trained on scikit-learn digits)",
    "mobiserve.preprocess.resize": str(RESIZE),
    "mobiserve.preprocess.mean": ",".join(str(m) for m in MEAN),
    "mobiserve.preprocess.std": ",".join(str(s) for s in STD),
    "mobiserve.preprocess.channel_order": "RGB",
    "mobiserve.labels": "\n".join(LABELS),
    "mobiserve.trained": "true",
}


# ---------------------------------------------------------------- image forms

def to_client_image(scan8x8):
    """8x8 digits scan (0..16) -> 80x80x3 uint8 RGB, as a client sends it."""
    gray = np.clip(np.rint(scan8x8.astype(np.float64) * 255.0 / 16.0), 0, 255).astype(np.uint8)
    big = np.repeat(np.repeat(gray, SCALE, axis=0), SCALE, axis=1)  # nearest neighbour
    return np.ascontiguousarray(np.stack([big, big, big], axis=-1))


_MEAN = np.asarray(MEAN, dtype=np.float32).reshape(3, 1, 1)
_STD = np.asarray(STD, dtype=np.float32).reshape(3, 1, 1)


def preprocess(rgb):
    """HxWx3 uint8 RGB -> 3x64x64 float32 (the server's pipeline)."""
    h, w = rgb.shape[:2]
    # torchvision Resize(int): short side -> RESIZE, long side int(RESIZE * long / short).
    if h <= w:
        nh, nw = RESIZE, int(RESIZE * w / h)
    else:
        nh, nw = int(RESIZE * h / w), RESIZE
    resized = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)  # uint8 in, uint8 out
    top = int(round((nh - CROP) / 2.0))
    left = int(round((nw - CROP) / 2.0))
    crop = resized[top:top + CROP, left:left + CROP, :]
    chw = crop.astype(np.float32).transpose(2, 0, 1) / np.float32(255.0)
    return ((chw - _MEAN) / _STD).astype(np.float32)


def shift(img, dy, dx):
    """Shift an HxWx3 image by (dy, dx) pixels, filling with black (0)."""
    out = np.zeros_like(img)
    h, w = img.shape[:2]
    ys, yd = (0, dy) if dy >= 0 else (-dy, 0)
    xs, xd = (0, dx) if dx >= 0 else (-dx, 0)
    out[yd:h - ys, xd:w - xs] = img[ys:h - yd, xs:w - xd]
    return out


def save_png(path, rgb):
    Image.fromarray(rgb).save(path, format="PNG")


def load_png(path):
    with Image.open(path) as im:
        if im.mode != "RGB" or im.size != (SCALE * 8, SCALE * 8):
            raise ValueError(f"{path}: expected 80x80 RGB, got {im.size} {im.mode}")
        return np.asarray(im, dtype=np.uint8).copy()


# ---------------------------------------------------------------- training

def build_model():
    return torchvision.models.mobilenet_v3_small(weights=None, num_classes=10)


@torch.no_grad()
def torch_logits(model, x, batch=256):
    model.eval()
    return torch.cat([model(torch.from_numpy(x[i:i + batch])) for i in range(0, len(x), batch)]).numpy()


def train(model, train_imgs, train_labels, rng):
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    steps_per_epoch = (len(train_imgs) + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=LR, epochs=EPOCHS, steps_per_epoch=steps_per_epoch, pct_start=0.15)
    loss_fn = torch.nn.CrossEntropyLoss()
    y_all = torch.from_numpy(train_labels.astype(np.int64))
    for epoch in range(EPOCHS):
        model.train()
        order = rng.permutation(len(train_imgs))
        total, correct, loss_sum = 0, 0, 0.0
        t0 = time.time()
        for b in range(steps_per_epoch):
            idx = order[b * BATCH:(b + 1) * BATCH]
            xb = np.stack([
                preprocess(shift(train_imgs[i], *rng.integers(-MAX_SHIFT, MAX_SHIFT + 1, size=2)))
                for i in idx])
            yb = y_all[idx]
            out = model(torch.from_numpy(xb))
            loss = loss_fn(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
            total += len(idx)
        print(f"epoch {epoch + 1:2d}/{EPOCHS}  loss {loss_sum / total:.4f}  "
              f"train acc {correct / total:.4f}  ({time.time() - t0:.1f} s)", flush=True)


# ---------------------------------------------------------------- export

def export_onnx(model, path):
    model.eval()
    torch.onnx.export(
        model, torch.zeros(1, 3, CROP, CROP), path,
        opset_version=17,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        do_constant_folding=True,
        dynamo=False)
    m = onnx.load(path)
    del m.metadata_props[:]
    onnx.helper.set_model_props(m, METADATA)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def check_onnx(path):
    m = onnx.load(path)
    props = {p.key: p.value for p in m.metadata_props}
    assert props == METADATA, props
    (inp,), (out,) = m.graph.input, m.graph.output
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
    assert inp.name == "input" and dims(inp) == ["N", 3, CROP, CROP], dims(inp)
    assert out.name == "logits" and dims(out) == ["N", 10], dims(out)
    assert m.opset_import[0].version == 17, m.opset_import
    size = os.path.getsize(path)
    assert size < 8 * 1024 * 1024, size
    return size


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "digits"))
    args = ap.parse_args()
    out_dir = os.path.normpath(args.out)

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    cv2.setNumThreads(1)
    rng = np.random.default_rng(SEED)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnx {onnx.__version__}, "
          f"onnxruntime {ort.__version__}, opencv {cv2.__version__}, numpy {np.__version__}")

    digits = load_digits()
    idx_train, idx_test = train_test_split(
        np.arange(len(digits.target)), test_size=N_HELDOUT, stratify=digits.target, random_state=SEED)
    idx_test = np.sort(idx_test)
    imgs = np.stack([to_client_image(s) for s in digits.images])
    y = digits.target.astype(np.int64)
    print(f"{len(idx_train)} training images, {len(idx_test)} held out; "
          f"held-out per class {np.bincount(y[idx_test]).tolist()}")

    # Held-out PNGs (written first, so everything downstream reads them back).
    heldout_dir = os.path.join(out_dir, "heldout")
    shutil.rmtree(heldout_dir, ignore_errors=True)
    os.makedirs(heldout_dir)
    png_paths = []
    for n, i in enumerate(idx_test):
        p = os.path.join(heldout_dir, f"{n:04d}_{y[i]}.png")
        save_png(p, imgs[i])
        png_paths.append(p)

    with open(os.path.join(out_dir, "labels.txt"), "w", newline="\n") as f:
        f.write("\n".join(LABELS) + "\n")

    model = build_model()
    t0 = time.time()
    train(model, imgs[idx_train], y[idx_train], rng)
    train_s = time.time() - t0
    print(f"training took {train_s:.1f} s")

    # Everything from here on uses the PNGs read back from disk.
    x_test = np.stack([preprocess(load_png(p)) for p in png_paths])
    y_test = np.array([int(os.path.basename(p)[5]) for p in png_paths])
    assert np.array_equal(y_test, y[idx_test])
    pt_logits = torch_logits(model, x_test)
    pt_acc = float((pt_logits.argmax(1) == y_test).mean())
    print(f"PyTorch held-out top-1: {pt_acc:.4f} ({int(round(pt_acc * N_HELDOUT))}/{N_HELDOUT})")

    onnx_path = os.path.join(out_dir, ONNX_NAME)
    export_onnx(model, onnx_path)
    size = check_onnx(onnx_path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    ort_logits = sess.run(["logits"], {"input": x_test})[0]
    ort_acc = float((ort_logits.argmax(1) == y_test).mean())
    ort_single = np.concatenate([sess.run(["logits"], {"input": x_test[i:i + 1]})[0] for i in range(N_REFERENCE)])
    print(f"ONNX Runtime held-out top-1 (from PNG files): {ort_acc:.4f} "
          f"({int(round(ort_acc * N_HELDOUT))}/{N_HELDOUT})")
    print(f"max |ORT - PyTorch| logit difference: {np.abs(ort_logits - pt_logits).max():.2e} "
          f"(batch 1: {np.abs(ort_single - pt_logits[:N_REFERENCE]).max():.2e}); "
          f"argmax agreement {float((ort_logits.argmax(1) == pt_logits.argmax(1)).mean()):.4f}")
    print(f"ONNX file: {onnx_path} ({size} bytes)")

    # Reference tensors for the Java tests.
    ref_dir = os.path.join(out_dir, "reference")
    os.makedirs(ref_dir, exist_ok=True)
    ref_in = np.ascontiguousarray(x_test[:N_REFERENCE], dtype="<f4")
    ref_out = np.ascontiguousarray(torch_logits(model, ref_in), dtype="<f4")
    assert ref_in.shape == (N_REFERENCE, 3, CROP, CROP) and ref_out.shape == (N_REFERENCE, 10)
    ref_in.tofile(os.path.join(ref_dir, "inputs.f32"))
    ref_out.tofile(os.path.join(ref_dir, "logits.f32"))
    names = ", ".join(os.path.basename(p) for p in png_paths[:N_REFERENCE])
    with open(os.path.join(ref_dir, "README.md"), "w", newline="\n") as f:
        f.write(f"`inputs.f32`: {N_REFERENCE}x3x{CROP}x{CROP} float32 little-endian, no header — the preprocessed "
                f"tensors of `heldout/` {names} (read back from the PNGs; resize to {RESIZE}x{RESIZE} by OpenCV "
                f"{cv2.__version__} `cv2.resize(..., interpolation=cv2.INTER_AREA)` on uint8, center-crop {CROP}, "
                f"/255, ImageNet mean/std, RGB, CHW).\n")
        f.write(f"`logits.f32`: {N_REFERENCE}x10 float32 little-endian, no header — the logits PyTorch "
                f"{torch.__version__.split('+')[0]} (not ONNX Runtime) computes for those {N_REFERENCE} tensors with "
                f"the exported model's weights, in the same order; argmax = "
                f"{ref_out.argmax(1).tolist()}.\n")
    for i in range(N_REFERENCE):
        print(f"reference {os.path.basename(png_paths[i])}: torch argmax {ref_out[i].argmax()}, "
              f"logits {np.array2string(ref_out[i], precision=3)}")

    if min(pt_acc, ort_acc) < 0.97:
        print("WARNING: held-out accuracy below 97%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
