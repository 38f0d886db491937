"""The asyncio client (grpc.aio) against the live server."""

import asyncio
import unittest

import grpc
import numpy as np

from mobiserve_client import AsyncClient, file_image, frame_request, pb, raw_image

from . import live_server

HELDOUT = live_server.DIGITS / "heldout"
FRAMES = 5


async def stream_frames(target):
    """Writes FRAMES raw frames with call.write() while a task reads; returns (sent, responses)."""
    async with AsyncClient(target) as c:
        call = c.stream(timeout=30)
        responses = []

        async def read():
            async for response in call:
                responses.append(response)

        reader = asyncio.create_task(read())
        sent = []
        for i in range(FRAMES):
            frame = np.full((120, 160, 3), i * 40, np.uint8)
            request = frame_request(raw_image(frame), i, policy="block" if i == 0 else None)
            sent.append(request)
            await call.write(request)
        await call.done_writing()
        await reader
        return sent, responses


class AsyncClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.target = live_server.target()
        cls.sent, cls.responses = asyncio.run(stream_frames(cls.target))

    def test_classify_and_model_info(self):
        async def go():
            async with AsyncClient(self.target) as c:
                return await asyncio.gather(c.classify([file_image(HELDOUT / "0000_2.png")], top_k=2),
                                            c.model_info())
        response, info = asyncio.run(go())
        self.assertEqual(len(response[0].classes), 2)
        self.assertEqual(response[0].classes[0].label, "2")
        self.assertEqual(info.num_classes, 10)

    def test_invalid_argument(self):
        async def go():
            async with AsyncClient(self.target) as c:
                await c.classify([pb.Image(encoded=pb.EncodedImage(data=b"\xff\xd8\xff\xe0 not a jpeg"))])
        with self.assertRaises(grpc.aio.AioRpcError) as caught:
            asyncio.run(go())
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_stream_answers_every_frame(self):
        frames = [r for r in self.responses if not r.HasField("summary")]
        self.assertEqual(len(frames), FRAMES)
        for response in frames:
            self.assertEqual(len(response.results), 1)
            self.assertEqual(response.status, pb.FRAME_STATUS_OK)

    def test_stream_echoes_frames_in_order_then_summary(self):
        self.assertEqual([(r.frame_id, r.capture_time_us) for r in self.responses[:-1]],
                         [(s.frame_id, s.capture_time_us) for s in self.sent])
        self.assertTrue(self.responses[-1].HasField("summary"))
        self.assertEqual(self.responses[-1].summary.frames_received, FRAMES)
        self.assertEqual(self.responses[-1].summary.frames_classified, FRAMES)


if __name__ == "__main__":
    unittest.main()
