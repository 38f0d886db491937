#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz tests (src/test/resources/io/mobiserve/**/*FuzzTestInputs/).

Jazzer runs every @FuzzTest on these files in each `./mvnw verify` (regression mode), and starts from
them when it fuzzes (scripts/fuzz.sh). They are small, real files of every kind the server accepts,
and the broken and hostile kinds it must refuse:

- JPEG: baseline 4:2:0 and 4:4:4, progressive, optimized Huffman tables, restart markers, grayscale,
  CMYK, an EXIF orientation, 1x1, 4000x1 (too elongated to resize), fill bytes before a marker, trailing
  padding, cut in half, cut inside the header, a 60000x60000 frame header with no data (a bomb refused
  from its header).
- PNG: RGB, RGBA, grayscale, grayscale+alpha, 16-bit RGB and grayscale, palette, 1-bit, Adam7-interlaced,
  text and zTXt chunks, 1x1, 4000x1, cut in half, a 30000x30000 IHDR alone (a bomb), a chunk whose
  length runs past the end of the file.
- ClassifyRequest messages as they arrive on the wire: encoded, raw and tensor images, several images
  with ids, top_k.

Needs Debian's python3-opencv, python3-numpy, python3-pil and python3-grpc-tools (no PyPI). Run from the
repository root:

    python3 scripts/make_fuzz_seeds.py

The outputs are committed (about 100 KB); rerun this only when the cases change. Encoders differ
between library versions, so a rerun elsewhere may change bytes but not what each file is. CI never
runs it. Inputs that the fuzzers found are committed beside these by hand (crash-*, named by Jazzer).
"""

import io
import pathlib
import struct
import sys
import tempfile
import zlib

import cv2
import numpy as np
from PIL import Image

ROOT = pathlib.Path("src/test/resources/io/mobiserve")
JPEG_DIRS = [ROOT / "preprocess/JpegStructureFuzzTestInputs/anyBytes",
             ROOT / "preprocess/OpenCvImagePreprocessorFuzzTestInputs/anyEncodedBytes"]
PNG_DIRS = [ROOT / "preprocess/PngStructureFuzzTestInputs/anyBytes",
            ROOT / "preprocess/OpenCvImagePreprocessorFuzzTestInputs/anyEncodedBytes"]
WIRE_DIR = ROOT / "server/RequestParserFuzzTestInputs/anyWireBytes"
ALIASING_DIR = ROOT / "server/AliasingRequestParserFuzzTestInputs/anyWireBytes"


def picture(width, height, seed=1):
    """A small BGR test picture: gradients plus a little noise, so that every encoder has work to do."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    b = (255 * x / max(width - 1, 1)).astype(np.uint8)
    g = (255 * y / max(height - 1, 1)).astype(np.uint8)
    r = ((x // 8 + y // 8) % 2 * 200 + 20).astype(np.uint8)
    image = np.dstack([b, g, r])
    noise = rng.integers(0, 24, size=image.shape, dtype=np.uint8)
    return cv2.add(image, noise)


def cv_jpeg(image, *params):
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85, *params])
    assert ok
    return data.tobytes()


def cv_png(image):
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    assert ok
    return data.tobytes()


def pil_bytes(image, fmt, **options):
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def rgb_pil(width, height, seed=1):
    return Image.fromarray(cv2.cvtColor(picture(width, height, seed), cv2.COLOR_BGR2RGB))


def exif_orientation(value):
    exif = Image.Exif()
    exif[0x0112] = value
    return exif


def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def ihdr(width, height, depth=8, color=2, interlace=0):
    return png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace))


def adam7_png(rgb):
    """An 8-bit RGB PNG with Adam7 interlacing (neither OpenCV nor Pillow writes one)."""
    height, width, _ = rgb.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = bytearray()
    for x0, y0, dx, dy in passes:
        sub = rgb[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        for row in sub:
            raw += b"\x00" + row.tobytes()  # filter type 0 (None)
    return (PNG_SIGNATURE + ihdr(width, height, interlace=1) + png_chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + png_chunk(b"IEND", b""))


def with_chunks_before_idat(png, *chunks):
    """Inserts ancillary chunks right after the IHDR (8-byte signature + 25-byte IHDR chunk)."""
    return png[:33] + b"".join(chunks) + png[33:]


def jpegs():
    small = picture(48, 32)
    baseline = cv_jpeg(small)
    seeds = {
        "baseline-420-48x32.jpg": baseline,
        "baseline-444-33x17.jpg": pil_bytes(rgb_pil(33, 17), "JPEG", quality=85, subsampling=0),
        "progressive-48x32.jpg": cv_jpeg(small, cv2.IMWRITE_JPEG_PROGRESSIVE, 1),
        "optimized-huffman-48x32.jpg": cv_jpeg(small, cv2.IMWRITE_JPEG_OPTIMIZE, 1),
        "restart-markers-48x32.jpg": cv_jpeg(small, cv2.IMWRITE_JPEG_RST_INTERVAL, 1),
        "grayscale-40x30.jpg": cv_jpeg(cv2.cvtColor(picture(40, 30), cv2.COLOR_BGR2GRAY)),
        "cmyk-32x24.jpg": pil_bytes(rgb_pil(32, 24).convert("CMYK"), "JPEG", quality=85),
        "exif-orientation-6-40x20.jpg": pil_bytes(rgb_pil(40, 20), "JPEG", quality=85, exif=exif_orientation(6)),
        "1x1.jpg": cv_jpeg(picture(1, 1)),
        "elongated-4000x1.jpg": cv_jpeg(picture(4000, 1)),
        # FF fill bytes may precede any marker
        "fill-bytes-before-marker.jpg": baseline[:2] + b"\xff\xff\xff" + baseline[2:],
        "trailing-padding.jpg": baseline + b"\x00\xff\x00\x00",
        "truncated-half.jpg": baseline[: len(baseline) // 2],
        "truncated-in-header.jpg": baseline[:30],
        # an APP0 to skip, then a progressive frame header declaring 60000x60000, then EOI: no data at all
        "bomb-header-60000x60000.jpg": bytes([0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0,
                                              0xFF, 0xC2, 0, 11, 8, 0xEA, 0x60, 0xEA, 0x60, 1, 1, 0x11, 0,
                                              0xFF, 0xD9]),
    }
    return seeds


def pngs():
    small = picture(33, 17)
    rgb = cv_png(small)
    seeds = {
        "rgb-33x17.png": rgb,
        "rgba-24x24.png": cv_png(cv2.cvtColor(picture(24, 24), cv2.COLOR_BGR2BGRA)),
        "gray-20x20.png": cv_png(cv2.cvtColor(picture(20, 20), cv2.COLOR_BGR2GRAY)),
        "gray-alpha-16x16.png": pil_bytes(rgb_pil(16, 16).convert("LA"), "PNG"),
        "rgb16-20x12.png": cv_png(picture(20, 12).astype(np.uint16) * 257),
        "gray16-20x12.png": cv_png(cv2.cvtColor(picture(20, 12), cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257),
        "palette-24x16.png": pil_bytes(rgb_pil(24, 16).convert("P", palette=Image.ADAPTIVE, colors=16), "PNG"),
        "1bit-24x16.png": pil_bytes(rgb_pil(24, 16).convert("1"), "PNG"),
        "interlaced-adam7-19x13.png": adam7_png(cv2.cvtColor(picture(19, 13), cv2.COLOR_BGR2RGB)),
        "text-chunks-33x17.png": with_chunks_before_idat(
            rgb, png_chunk(b"tEXt", b"Comment\x00fuzz seed"),
            png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"compressed text " * 64))),
        "1x1.png": cv_png(picture(1, 1)),
        "elongated-4000x1.png": cv_png(picture(4000, 1)),
        "truncated-half.png": rgb[: len(rgb) // 2],
        # an IHDR declaring 30000x30000 RGB and nothing else: refused from the header alone
        "bomb-header-30000x30000.png": PNG_SIGNATURE + ihdr(30000, 30000),
        # a chunk claiming 0xFFFFFFF0 bytes right after the IHDR
        "chunk-length-past-end.png": rgb[:33] + struct.pack(">I", 0xFFFFFFF0) + b"IDAT" + rgb[41:],
    }
    return seeds


def classify_pb2():
    """The ClassifyRequest message class, generated from proto/ into a temporary directory."""
    from grpc_tools import protoc
    out = tempfile.mkdtemp(prefix="mobiserve-seeds-")
    rc = protoc.main(["grpc_tools.protoc", "-Iproto", f"--python_out={out}", "proto/mobiserve/v1/classify.proto"])
    if rc != 0:
        sys.exit(f"protoc failed with exit code {rc}")
    sys.path.insert(0, out)
    from mobiserve.v1 import classify_pb2 as pb  # noqa: E402 (generated just above)
    return pb


def wire_requests(jpeg, png):
    """Serialized ClassifyRequests that the parser accepts or refuses with INVALID_ARGUMENT."""
    pb = classify_pb2()
    pixels = bytes(range(2 * 2 * 3))
    tensor = struct.pack("<4f", 0.5, -1.0, 2.0, 0.0)
    requests = {
        "one-jpeg.bin": pb.ClassifyRequest(images=[pb.Image(encoded=pb.EncodedImage(data=jpeg))]),
        "one-png-top3.bin": pb.ClassifyRequest(images=[pb.Image(id="p", encoded=pb.EncodedImage(data=png))], top_k=3),
        "raw-2x2-bgr.bin": pb.ClassifyRequest(images=[pb.Image(id="raw", raw=pb.RawImage(
            pixels=pixels, width=2, height=2, channel_order=pb.CHANNEL_ORDER_BGR))]),
        "raw-wrong-length.bin": pb.ClassifyRequest(images=[pb.Image(raw=pb.RawImage(
            pixels=pixels[:-1], width=2, height=2))]),
        "tensor.bin": pb.ClassifyRequest(images=[pb.Image(tensor=pb.Tensor(float32_data=tensor))]),
        "three-images-with-ids.bin": pb.ClassifyRequest(top_k=1, images=[
            pb.Image(id="a", encoded=pb.EncodedImage(data=jpeg)),
            pb.Image(id="b", raw=pb.RawImage(pixels=pixels, width=2, height=2)),
            pb.Image(id="c", tensor=pb.Tensor(float32_data=tensor))]),
        "image-without-data.bin": pb.ClassifyRequest(images=[pb.Image(id="empty")]),
        "no-images.bin": pb.ClassifyRequest(top_k=2),
        "top-k-max-uint32.bin": pb.ClassifyRequest(images=[pb.Image(encoded=pb.EncodedImage(data=jpeg))],
                                                   top_k=0xFFFFFFFF),
        "id-over-256-bytes.bin": pb.ClassifyRequest(images=[pb.Image(id="x" * 257, encoded=pb.EncodedImage(data=jpeg))]),
    }
    return {name: request.SerializeToString() for name, request in requests.items()}


def malformed_requests(wire):
    """Bytes that are not a ClassifyRequest: a length prefix past the end, a cut message, a bad tag."""
    return {
        "length-past-the-end.bin": bytes.fromhex("0affffffff0f01"),
        "cut-jpeg-request.bin": wire["one-jpeg.bin"][: len(wire["one-jpeg.bin"]) // 2],
        "field-number-zero.bin": bytes.fromhex("0001"),
    }


def write(dirs, seeds):
    for directory in dirs:
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (directory / name).write_bytes(data)


def main():
    if not pathlib.Path("proto/mobiserve/v1/classify.proto").exists():
        sys.exit("run this from the repository root")
    jpeg_seeds = jpegs()
    png_seeds = pngs()
    write(JPEG_DIRS, jpeg_seeds)
    write(PNG_DIRS, png_seeds)
    wire = wire_requests(jpeg_seeds["1x1.jpg"], png_seeds["1x1.png"])
    write([WIRE_DIR], wire)
    write([ALIASING_DIR], {**wire, **malformed_requests(wire)})
    total = sum(p.stat().st_size for d in JPEG_DIRS + PNG_DIRS + [WIRE_DIR, ALIASING_DIR] for p in d.iterdir())
    print(f"wrote {len(jpeg_seeds)} JPEG, {len(png_seeds)} PNG and the wire seeds ({total // 1024} KB in all)")


if __name__ == "__main__":
    main()
