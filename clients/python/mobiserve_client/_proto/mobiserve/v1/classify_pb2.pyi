from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

CHANNEL_ORDER_BGR: ChannelOrder
CHANNEL_ORDER_RGB: ChannelOrder
CHANNEL_ORDER_UNSPECIFIED: ChannelOrder
DESCRIPTOR: _descriptor.FileDescriptor
FRAME_STATUS_DROPPED: FrameStatus
FRAME_STATUS_ERROR: FrameStatus
FRAME_STATUS_OK: FrameStatus
FRAME_STATUS_UNSPECIFIED: FrameStatus
STREAM_POLICY_BLOCK: StreamPolicy
STREAM_POLICY_LATEST: StreamPolicy
STREAM_POLICY_UNSPECIFIED: StreamPolicy

class ClassScore(_message.Message):
    __slots__ = ["index", "label", "probability"]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    index: int
    label: str
    probability: float
    def __init__(self, index: _Optional[int] = ..., label: _Optional[str] = ..., probability: _Optional[float] = ...) -> None: ...

class Classification(_message.Message):
    __slots__ = ["classes", "id", "timings"]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    classes: _containers.RepeatedCompositeFieldContainer[ClassScore]
    id: str
    timings: Timings
    def __init__(self, id: _Optional[str] = ..., classes: _Optional[_Iterable[_Union[ClassScore, _Mapping]]] = ..., timings: _Optional[_Union[Timings, _Mapping]] = ...) -> None: ...

class ClassifyRequest(_message.Message):
    __slots__ = ["images", "top_k"]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[Image]
    top_k: int
    def __init__(self, images: _Optional[_Iterable[_Union[Image, _Mapping]]] = ..., top_k: _Optional[int] = ...) -> None: ...

class ClassifyResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[Classification]
    def __init__(self, results: _Optional[_Iterable[_Union[Classification, _Mapping]]] = ...) -> None: ...

class ClassifyStreamRequest(_message.Message):
    __slots__ = ["capture_time_us", "frame_id", "images", "stream_options", "top_k"]
    CAPTURE_TIME_US_FIELD_NUMBER: _ClassVar[int]
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    STREAM_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    capture_time_us: int
    frame_id: int
    images: _containers.RepeatedCompositeFieldContainer[Image]
    stream_options: StreamOptions
    top_k: int
    def __init__(self, images: _Optional[_Iterable[_Union[Image, _Mapping]]] = ..., top_k: _Optional[int] = ..., frame_id: _Optional[int] = ..., capture_time_us: _Optional[int] = ..., stream_options: _Optional[_Union[StreamOptions, _Mapping]] = ...) -> None: ...

class ClassifyStreamResponse(_message.Message):
    __slots__ = ["capture_time_us", "error", "frame_id", "results", "status", "summary"]
    CAPTURE_TIME_US_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FRAME_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    capture_time_us: int
    error: str
    frame_id: int
    results: _containers.RepeatedCompositeFieldContainer[Classification]
    status: FrameStatus
    summary: StreamSummary
    def __init__(self, frame_id: _Optional[int] = ..., capture_time_us: _Optional[int] = ..., status: _Optional[_Union[FrameStatus, str]] = ..., results: _Optional[_Iterable[_Union[Classification, _Mapping]]] = ..., error: _Optional[str] = ..., summary: _Optional[_Union[StreamSummary, _Mapping]] = ...) -> None: ...

class EncodedImage(_message.Message):
    __slots__ = ["data"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class GetModelInfoRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class Image(_message.Message):
    __slots__ = ["encoded", "id", "raw", "tensor"]
    ENCODED_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    encoded: EncodedImage
    id: str
    raw: RawImage
    tensor: Tensor
    def __init__(self, id: _Optional[str] = ..., encoded: _Optional[_Union[EncodedImage, _Mapping]] = ..., raw: _Optional[_Union[RawImage, _Mapping]] = ..., tensor: _Optional[_Union[Tensor, _Mapping]] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ["max_encoded_bytes", "max_images_per_request", "max_message_bytes", "max_pixels"]
    MAX_ENCODED_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_IMAGES_PER_REQUEST_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_PIXELS_FIELD_NUMBER: _ClassVar[int]
    max_encoded_bytes: int
    max_images_per_request: int
    max_message_bytes: int
    max_pixels: int
    def __init__(self, max_images_per_request: _Optional[int] = ..., max_encoded_bytes: _Optional[int] = ..., max_pixels: _Optional[int] = ..., max_message_bytes: _Optional[int] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ["architecture", "backend", "backend_reason", "degraded", "degraded_reason", "fallback", "has_labels", "input_shape", "limits", "max_batch", "name", "notes", "num_classes", "precision", "preprocessing", "trained"]
    ARCHITECTURE_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    BACKEND_REASON_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_REASON_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    HAS_LABELS_FIELD_NUMBER: _ClassVar[int]
    INPUT_SHAPE_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    NUM_CLASSES_FIELD_NUMBER: _ClassVar[int]
    PRECISION_FIELD_NUMBER: _ClassVar[int]
    PREPROCESSING_FIELD_NUMBER: _ClassVar[int]
    TRAINED_FIELD_NUMBER: _ClassVar[int]
    architecture: str
    backend: str
    backend_reason: str
    degraded: bool
    degraded_reason: str
    fallback: str
    has_labels: bool
    input_shape: _containers.RepeatedScalarFieldContainer[int]
    limits: Limits
    max_batch: int
    name: str
    notes: str
    num_classes: int
    precision: str
    preprocessing: Preprocessing
    trained: bool
    def __init__(self, name: _Optional[str] = ..., architecture: _Optional[str] = ..., input_shape: _Optional[_Iterable[int]] = ..., num_classes: _Optional[int] = ..., has_labels: bool = ..., backend: _Optional[str] = ..., precision: _Optional[str] = ..., max_batch: _Optional[int] = ..., trained: bool = ..., notes: _Optional[str] = ..., preprocessing: _Optional[_Union[Preprocessing, _Mapping]] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., backend_reason: _Optional[str] = ..., degraded: bool = ..., degraded_reason: _Optional[str] = ..., fallback: _Optional[str] = ...) -> None: ...

class Preprocessing(_message.Message):
    __slots__ = ["channel_order", "crop_height", "crop_width", "mean", "resize_short_side", "std"]
    CHANNEL_ORDER_FIELD_NUMBER: _ClassVar[int]
    CROP_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CROP_WIDTH_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    RESIZE_SHORT_SIDE_FIELD_NUMBER: _ClassVar[int]
    STD_FIELD_NUMBER: _ClassVar[int]
    channel_order: ChannelOrder
    crop_height: int
    crop_width: int
    mean: _containers.RepeatedScalarFieldContainer[float]
    resize_short_side: int
    std: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, resize_short_side: _Optional[int] = ..., crop_height: _Optional[int] = ..., crop_width: _Optional[int] = ..., mean: _Optional[_Iterable[float]] = ..., std: _Optional[_Iterable[float]] = ..., channel_order: _Optional[_Union[ChannelOrder, str]] = ...) -> None: ...

class RawImage(_message.Message):
    __slots__ = ["channel_order", "height", "pixels", "width"]
    CHANNEL_ORDER_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PIXELS_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    channel_order: ChannelOrder
    height: int
    pixels: bytes
    width: int
    def __init__(self, pixels: _Optional[bytes] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., channel_order: _Optional[_Union[ChannelOrder, str]] = ...) -> None: ...

class StreamOptions(_message.Message):
    __slots__ = ["max_pending_frames", "policy"]
    MAX_PENDING_FRAMES_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    max_pending_frames: int
    policy: StreamPolicy
    def __init__(self, policy: _Optional[_Union[StreamPolicy, str]] = ..., max_pending_frames: _Optional[int] = ...) -> None: ...

class StreamSummary(_message.Message):
    __slots__ = ["frames_classified", "frames_dropped", "frames_failed", "frames_received", "latency_max_us", "latency_p50_us", "latency_p90_us", "latency_p99_us"]
    FRAMES_CLASSIFIED_FIELD_NUMBER: _ClassVar[int]
    FRAMES_DROPPED_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FAILED_FIELD_NUMBER: _ClassVar[int]
    FRAMES_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MAX_US_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_US_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P90_US_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P99_US_FIELD_NUMBER: _ClassVar[int]
    frames_classified: int
    frames_dropped: int
    frames_failed: int
    frames_received: int
    latency_max_us: int
    latency_p50_us: int
    latency_p90_us: int
    latency_p99_us: int
    def __init__(self, frames_received: _Optional[int] = ..., frames_classified: _Optional[int] = ..., frames_dropped: _Optional[int] = ..., frames_failed: _Optional[int] = ..., latency_p50_us: _Optional[int] = ..., latency_p90_us: _Optional[int] = ..., latency_p99_us: _Optional[int] = ..., latency_max_us: _Optional[int] = ...) -> None: ...

class Tensor(_message.Message):
    __slots__ = ["float32_data"]
    FLOAT32_DATA_FIELD_NUMBER: _ClassVar[int]
    float32_data: bytes
    def __init__(self, float32_data: _Optional[bytes] = ...) -> None: ...

class Timings(_message.Message):
    __slots__ = ["batch_size", "inference_us", "preprocess_us", "queue_us"]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_US_FIELD_NUMBER: _ClassVar[int]
    PREPROCESS_US_FIELD_NUMBER: _ClassVar[int]
    QUEUE_US_FIELD_NUMBER: _ClassVar[int]
    batch_size: int
    inference_us: int
    preprocess_us: int
    queue_us: int
    def __init__(self, preprocess_us: _Optional[int] = ..., queue_us: _Optional[int] = ..., inference_us: _Optional[int] = ..., batch_size: _Optional[int] = ...) -> None: ...

class ChannelOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StreamPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class FrameStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
