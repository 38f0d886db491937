"""Synchronous and asyncio clients for mobiserve's ClassifyService, and helpers to build messages."""

import collections
import dataclasses
import pathlib
import threading
import time
from typing import Iterable, Iterator, List, Optional, Sequence, Union

import grpc

from ._stubs import pb, pb_grpc
from .connection import Security, open_channel

# Raw 640x480 frames are ~0.9 MB; allow results and frames well past gRPC's 4 MiB default.
DEFAULT_OPTIONS = (
    ("grpc.max_receive_message_length", 64 << 20),
    ("grpc.max_send_message_length", 64 << 20),
)

POLICIES = {
    "block": pb.STREAM_POLICY_BLOCK,
    "latest": pb.STREAM_POLICY_LATEST,
}


@dataclasses.dataclass(frozen=True)
class ClassScore:
    """One class of an image's result: its index in the model's output, its name ("" without labels) and
    its softmax probability."""
    index: int
    label: str
    probability: float


@dataclasses.dataclass(frozen=True)
class Timings:
    """Where the server spent its time on an image, in microseconds, and the engine batch it rode in."""
    preprocess_us: int
    queue_us: int
    inference_us: int
    batch_size: int


@dataclasses.dataclass(frozen=True)
class Classification:
    """One image's result: the id it was sent with, its top classes (most probable first), the timings."""
    id: str
    classes: List[ClassScore]
    timings: Timings

    @classmethod
    def from_proto(cls, result) -> "Classification":
        t = result.timings
        return cls(result.id, [ClassScore(c.index, c.label, c.probability) for c in result.classes],
                   Timings(t.preprocess_us, t.queue_us, t.inference_us, t.batch_size))


# What classify() and stream() take as an image: a pb.Image; the bytes of a JPEG or PNG file; the path of
# one; or a numpy uint8 array of shape (height, width, 3) in BGR order (OpenCV's frames).
ImageLike = Union["pb.Image", bytes, str, pathlib.Path, "numpy.ndarray"]


def to_image(image: ImageLike, image_id: str = "") -> "pb.Image":
    """A pb.Image from any ImageLike (a path's id is its file name unless image_id is given)."""
    if isinstance(image, pb.Image):
        return image
    if isinstance(image, (bytes, bytearray, memoryview)):
        return encoded_image(image, image_id)
    if isinstance(image, (str, pathlib.Path)):
        path = pathlib.Path(image)
        return encoded_image(path.read_bytes(), image_id or path.name)
    if hasattr(image, "shape") and hasattr(image, "dtype"):
        return raw_image(image, "bgr", image_id)
    raise TypeError(f"not an image: {type(image).__name__} (give a pb.Image, bytes, a path or a numpy array)")


def encoded_image(data, image_id=""):
    """An Image holding a JPEG or PNG file's bytes."""
    return pb.Image(id=image_id, encoded=pb.EncodedImage(data=bytes(data)))


def file_image(path):
    """An Image holding the file's bytes, its id the file's name."""
    path = pathlib.Path(path)
    return encoded_image(path.read_bytes(), path.name)


def raw_image(pixels, order="bgr", image_id=""):
    """An Image of decoded uint8 pixels: a height x width x 3 numpy array (OpenCV's frames are BGR)."""
    height, width, channels = pixels.shape
    if channels != 3 or pixels.dtype.name != "uint8":
        raise ValueError(f"expected uint8 pixels of shape (h, w, 3), got {pixels.dtype} {pixels.shape}")
    channel_order = pb.CHANNEL_ORDER_BGR if order.lower() == "bgr" else pb.CHANNEL_ORDER_RGB
    return pb.Image(id=image_id, raw=pb.RawImage(
        pixels=pixels.tobytes(), width=width, height=height, channel_order=channel_order))


def now_us():
    return time.time_ns() // 1000


def frame_request(image, frame_id, capture_time_us=None, top_k=0, policy=None, max_pending_frames=0):
    """A ClassifyStream message carrying one frame. Give `policy` ("block"/"latest") on the first one."""
    request = pb.ClassifyStreamRequest(
        images=[image], top_k=top_k, frame_id=frame_id,
        capture_time_us=now_us() if capture_time_us is None else capture_time_us)
    if policy is not None:
        request.stream_options.CopyFrom(pb.StreamOptions(
            policy=POLICIES[policy.lower()], max_pending_frames=max_pending_frames))
    return request


def status_name(status):
    return {pb.FRAME_STATUS_OK: "OK", pb.FRAME_STATUS_DROPPED: "DROPPED",
            pb.FRAME_STATUS_ERROR: "ERROR"}.get(status, f"STATUS_{status}")


def percentile(values, p):
    """Nearest-rank percentile of a list of numbers (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100), at least 1
    return ordered[int(rank) - 1]


class FrameResult(collections.namedtuple(
        "FrameResult", "frame_id status label score latency_ms error expected_frame_id response")):
    """One frame's answer: the echoed frame_id, OK/DROPPED/ERROR, the top class, and the latency from
    the frame's capture time to the moment its response arrived."""


class StreamTracker:
    """Pairs a stream's responses with the frames sent, in order, as the proto promises (one response
    per request message, in the order sent, then one last message with the StreamSummary), and checks
    the echoed frame_id and capture_time_us against what was sent.

    Thread-safe between one sending and one receiving thread."""

    def __init__(self):
        self._sent = collections.deque()
        self._lock = threading.Lock()
        self.frames_sent = 0
        self.results = []
        self.latencies_ms = []
        self.counts = collections.Counter()
        self.violations = []
        self.summary = None

    def sent(self, request):
        with self._lock:
            self._sent.append((request.frame_id, request.capture_time_us))
            self.frames_sent += 1

    def received(self, response, received_us=None):
        """Records one response; returns its FrameResult, or None for the final summary message."""
        received_us = now_us() if received_us is None else received_us
        if response.HasField("summary"):
            if self.summary is not None:
                self.violations.append("a second StreamSummary message")
            self.summary = response.summary
            return None
        if self.summary is not None:
            self.violations.append(f"frame {response.frame_id} answered after the StreamSummary")
        with self._lock:
            expected = self._sent.popleft() if self._sent else None
        if expected is None:
            self.violations.append(f"a response (frame_id {response.frame_id}) for no frame sent")
        elif (response.frame_id, response.capture_time_us) != expected:
            self.violations.append(
                f"response {len(self.results)}: frame_id {response.frame_id} capture_time_us "
                f"{response.capture_time_us}, expected frame_id {expected[0]} capture_time_us {expected[1]}")
        if response.status == pb.FRAME_STATUS_UNSPECIFIED:
            self.violations.append(f"frame {response.frame_id} answered with no status (FRAME_STATUS_UNSPECIFIED)")
        # The latency runs from the capture time this client recorded for the frame the response answers
        # (found by order, which the proto guarantees; the echo was checked against it above).
        capture_us = expected[1] if expected is not None else response.capture_time_us
        latency_ms = (received_us - capture_us) / 1000.0 if capture_us else None
        status = status_name(response.status)
        label, score = None, None
        if response.status == pb.FRAME_STATUS_OK and response.results and response.results[0].classes:
            top = response.results[0].classes[0]
            label = top.label or f"class {top.index}"
            score = top.probability
        if response.status == pb.FRAME_STATUS_OK and latency_ms is not None:
            self.latencies_ms.append(latency_ms)
        self.counts[status] += 1
        result = FrameResult(response.frame_id, status, label, score, latency_ms, response.error,
                             expected[0] if expected else None, response)
        self.results.append(result)
        return result

    def finished(self):
        """Call when the server has closed the stream: checks that every frame was answered and that
        the summary came."""
        with self._lock:
            unanswered = len(self._sent)
        if unanswered:
            self.violations.append(f"{unanswered} frame(s) sent and never answered")
        if self.summary is None:
            self.violations.append("the stream ended without a StreamSummary message")

    def client_percentiles(self):
        return {p: percentile(self.latencies_ms, p) for p in (50, 90, 99, 100)}


class Client:
    """A blocking client. `with Client("localhost:8500") as c: print(c.model_info())`.

    Over TLS: `Client("mobiserve.example:8500", ca="ca.crt", token=token)`; `tls=True` alone trusts gRPC's
    default roots, `cert` and `key` add a client certificate (mutual TLS), `server_name` checks the server's
    certificate against that name instead of the target's host. `token` goes out as `authorization: Bearer
    TOKEN` on every call, over TLS or not. A `dns:///name:port` or `ipv4:a:p,b:q` target spreads the calls
    round-robin over every server it names (see `connection`)."""

    def __init__(self, target, timeout=30.0, options=DEFAULT_OPTIONS, channel=None, *, tls=False, ca=None,
                 cert=None, key=None, server_name=None, token=None):
        self.timeout = timeout
        self.channel = channel or open_channel(
            target, Security(tls, ca, cert, key, server_name, token), options)
        self._owns_channel = channel is None
        self.stub = pb_grpc.ClassifyServiceStub(self.channel)

    def close(self):
        if self._owns_channel:
            self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def wait_ready(self, timeout=None):
        grpc.channel_ready_future(self.channel).result(timeout=timeout or self.timeout)

    def model_info(self, timeout=None):
        return self.stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=timeout or self.timeout)

    def classify(self, images: Sequence[ImageLike], top_k: int = 5,
                 timeout: Optional[float] = None) -> List[Classification]:
        """Classifies the images in one request; returns one Classification per image, in order. Raises
        grpc.RpcError (e.code(), e.details()) when the server refuses the request."""
        response = self.classify_response(images, top_k, timeout)
        return [Classification.from_proto(r) for r in response.results]

    def classify_response(self, images: Sequence[ImageLike], top_k: int = 5,
                          timeout: Optional[float] = None) -> "pb.ClassifyResponse":
        """Like classify, returning the ClassifyResponse message itself."""
        return self.stub.Classify(pb.ClassifyRequest(images=[to_image(i) for i in images], top_k=top_k),
                                  timeout=timeout or self.timeout)

    def stream(self, frames: Iterable[Union["pb.ClassifyStreamRequest", ImageLike]], timeout: Optional[float] = None,
               policy: str = "block", top_k: int = 1,
               max_pending_frames: int = 0) -> Iterator["pb.ClassifyStreamResponse"]:
        """Opens ClassifyStream over `frames`: ClassifyStreamRequest messages sent as they are, or images
        (numpy BGR frames, encoded bytes ...) sent one per frame with frame_id = their index and, on the
        first, the policy ("block" or "latest"). gRPC sends from its own thread while the caller reads;
        returns the response iterator (one response per frame, in order, then the summary), which is also
        the call (`.cancel()`)."""
        def requests():
            for index, frame in enumerate(frames):
                if isinstance(frame, pb.ClassifyStreamRequest):
                    yield frame
                else:
                    yield frame_request(to_image(frame), index, top_k=top_k,
                                        policy=policy if index == 0 else None,
                                        max_pending_frames=max_pending_frames)
        return self.stub.ClassifyStream(requests(), timeout=timeout)


class AsyncClient:
    """An asyncio client (grpc.aio). `async with AsyncClient("localhost:8500") as c: ...`; the connection's
    keyword arguments are Client's."""

    def __init__(self, target, timeout=30.0, options=DEFAULT_OPTIONS, channel=None, *, tls=False, ca=None,
                 cert=None, key=None, server_name=None, token=None):
        self.timeout = timeout
        self.channel = channel or open_channel(
            target, Security(tls, ca, cert, key, server_name, token), options, aio=True)
        self.stub = pb_grpc.ClassifyServiceStub(self.channel)

    async def close(self):
        await self.channel.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def wait_ready(self):
        await self.channel.channel_ready()

    async def model_info(self, timeout=None):
        return await self.stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=timeout or self.timeout)

    async def classify(self, images: Sequence[ImageLike], top_k: int = 5,
                       timeout: Optional[float] = None) -> List[Classification]:
        """Classifies the images in one request; one Classification per image, in order."""
        response = await self.stub.Classify(pb.ClassifyRequest(images=[to_image(i) for i in images], top_k=top_k),
                                            timeout=timeout or self.timeout)
        return [Classification.from_proto(r) for r in response.results]

    def stream(self, requests=None, timeout=None):
        """Opens ClassifyStream. `requests` is an (async) iterable of ClassifyStreamRequest, or None to write
        with `await call.write(request)` and `await call.done_writing()`. Read with `async for` or
        `await call.read()`."""
        if requests is None:
            return self.stub.ClassifyStream(timeout=timeout)
        return self.stub.ClassifyStream(requests, timeout=timeout)
