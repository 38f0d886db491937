"""`python3 -m mobiserve_client stream` over a video generated with ffmpeg, and the stream contract of
the proto (frame_id/capture_time_us echo, LATEST, per-frame ERROR, the final StreamSummary)."""

import os
import pathlib
import re
import subprocess
import sys
import tempfile
import unittest

import numpy as np

from mobiserve_client import Client, StreamTracker, frame_request, pb, raw_image

from . import live_server

PYTHON_DIR = pathlib.Path(__file__).resolve().parents[1]
FRAMES = 60  # 2 s at 30 fps
FRAME_LINE = re.compile(r"^(\d+) +(?:(DROPPED) +([\d.]+) ms|(ERROR) (.*)|(\S.*?) +(\d\.\d{4}) +([\d.]+) ms)$")
SERVER_SUMMARY = re.compile(
    r"^server summary: received (\d+), classified (\d+), dropped (\d+), failed (\d+); "
    r"latency ms p50 ([\d.]+), p90 ([\d.]+), p99 ([\d.]+), max ([\d.]+)$", re.M)
CLIENT_SUMMARY = re.compile(
    r"^client: sent (\d+), answered (\d+) \(ok (\d+), dropped (\d+), error (\d+)\) in ([\d.]+) s "
    r"\(([\d.]+) fps\); capture-to-result latency ms p50 ([\d.]+), p90 ([\d.]+), p99 ([\d.]+), "
    r"max ([\d.]+)$", re.M)


def make_video(path, seconds=2, size="640x480", rate=30):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size={size}:rate={rate}", "-t", str(seconds), "-pix_fmt", "yuv420p", str(path)],
                   check=True, timeout=120)


def run_stream(target, video, *options):
    command = [sys.executable, "-m", "mobiserve_client", "stream", "--target", target, *options, str(video)]
    return subprocess.run(command, cwd=PYTHON_DIR, capture_output=True, text=True, timeout=120)


def frame_lines(stdout):
    """The per-frame lines (everything before the summaries), parsed; fails on a line of another shape."""
    parsed = []
    for line in stdout.splitlines():
        if line.startswith(("server summary:", "client:")):
            break
        match = FRAME_LINE.match(line)
        if not match:
            raise AssertionError(f"not a frame line: {line!r}")
        parsed.append(match)
    return parsed


class StreamCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.target = live_server.target()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.video = pathlib.Path(cls.tmp.name, "testsrc-640x480-30fps-2s.mp4")
        make_video(cls.video)
        cls.block = run_stream(cls.target, cls.video, "--fps", "30")
        cls.latest = run_stream(cls.target, cls.video, "--policy", "latest", "--max-pending", "1", "--fps", "0")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_block_classifies_every_frame_and_prints_client_latency(self):
        lines = frame_lines(self.block.stdout)
        self.assertEqual(len(lines), FRAMES, self.block.stdout[-2000:])
        for match in lines:
            self.assertIsNotNone(match.group(6), match.group(0))  # label, score, latency
            self.assertGreaterEqual(float(match.group(8)), 0.0)
        client = CLIENT_SUMMARY.search(self.block.stdout)
        self.assertIsNotNone(client, self.block.stdout[-1000:])
        self.assertEqual([int(client.group(i)) for i in range(1, 6)], [FRAMES, FRAMES, FRAMES, 0, 0])
        p50, p90, p99, pmax = (float(client.group(i)) for i in range(8, 12))
        self.assertTrue(0 <= p50 <= p90 <= p99 <= pmax, client.group(0))

    def test_block_is_paced_by_wall_clock(self):
        client = CLIENT_SUMMARY.search(self.block.stdout)
        self.assertIsNotNone(client, self.block.stdout[-1000:])
        # 60 frames at 30 fps: the last one leaves ~1.97 s after the first.
        self.assertGreaterEqual(float(client.group(6)), (FRAMES - 1) / 30 - 0.05)

    def test_block_one_line_per_frame_in_order_then_summary(self):
        self.assertEqual(self.block.returncode, 0, self.block.stderr)
        self.assertEqual(self.block.stderr, "")
        numbers = [int(m.group(1)) for m in frame_lines(self.block.stdout)]
        self.assertEqual(numbers, list(range(FRAMES)))
        summary = SERVER_SUMMARY.search(self.block.stdout)
        self.assertIsNotNone(summary, self.block.stdout[-1000:])
        self.assertEqual([int(summary.group(i)) for i in range(1, 5)], [FRAMES, FRAMES, 0, 0])
        p50, p90, p99, pmax = (float(summary.group(i)) for i in range(5, 9))
        self.assertTrue(0 < p50 <= p90 <= p99 <= pmax, summary.group(0))

    def test_latest_answers_every_frame_in_order_classified_or_dropped(self):
        self.assertEqual(self.latest.returncode, 0, self.latest.stderr)
        lines = frame_lines(self.latest.stdout)
        self.assertEqual([int(m.group(1)) for m in lines], list(range(FRAMES)))
        self.assertFalse([m.group(0) for m in lines if m.group(4)], "no frame may fail")
        dropped = sum(1 for m in lines if m.group(2))
        summary = SERVER_SUMMARY.search(self.latest.stdout)
        self.assertIsNotNone(summary, self.latest.stdout[-1000:])
        received, classified, dropped_server, failed = (int(summary.group(i)) for i in range(1, 5))
        self.assertEqual((received, classified, dropped_server, failed), (FRAMES, FRAMES - dropped, dropped, 0))

    def test_unopenable_video_is_an_error(self):
        result = run_stream(self.target, pathlib.Path(self.tmp.name, "missing.mp4"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("error: cannot open video", result.stderr)


class StreamApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.target = live_server.target()

    def test_bad_frame_gets_an_error_result_and_the_stream_goes_on(self):
        frame = np.zeros((48, 64, 3), np.uint8)
        bad = raw_image(frame)
        bad.raw.pixels = bad.raw.pixels[:-1]  # one byte short of width * height * 3
        requests = [frame_request(raw_image(frame), 0, policy="block"), frame_request(bad, 1),
                    frame_request(raw_image(frame), 2)]
        tracker = StreamTracker()
        for request in requests:
            tracker.sent(request)
        with Client(self.target) as c:
            for response in c.stream(requests, timeout=30):
                tracker.received(response)
        tracker.finished()
        self.assertEqual([(r.frame_id, r.status) for r in tracker.results], [(0, "OK"), (1, "ERROR"), (2, "OK")])
        self.assertIn("image 0", tracker.results[1].error)
        self.assertEqual(tracker.violations, [])
        self.assertEqual((tracker.summary.frames_received, tracker.summary.frames_classified,
                          tracker.summary.frames_failed), (3, 2, 1))


class StreamTrackerTest(unittest.TestCase):
    """The client's own checks of the stream contract, without a server."""

    def sent(self, tracker, frame_id, capture_us):
        request = pb.ClassifyStreamRequest(frame_id=frame_id, capture_time_us=capture_us)
        tracker.sent(request)

    def test_conforming_stream_has_no_violations(self):
        t = StreamTracker()
        self.sent(t, 0, 1000)
        self.sent(t, 1, 2000)
        t.received(pb.ClassifyStreamResponse(frame_id=0, capture_time_us=1000, status=pb.FRAME_STATUS_OK),
                   received_us=6000)
        t.received(pb.ClassifyStreamResponse(frame_id=1, capture_time_us=2000, status=pb.FRAME_STATUS_DROPPED),
                   received_us=7000)
        self.assertIsNone(t.received(pb.ClassifyStreamResponse(summary=pb.StreamSummary(frames_received=2))))
        t.finished()
        self.assertEqual(t.violations, [])
        self.assertEqual(t.latencies_ms, [5.0])
        self.assertEqual(dict(t.counts), {"OK": 1, "DROPPED": 1})

    def test_wrong_echo_missing_answer_and_missing_summary_are_reported(self):
        t = StreamTracker()
        self.sent(t, 0, 1000)
        self.sent(t, 1, 2000)
        t.received(pb.ClassifyStreamResponse(frame_id=1, capture_time_us=2000, status=pb.FRAME_STATUS_OK))
        t.finished()
        self.assertEqual(len(t.violations), 3, t.violations)

    def test_a_frame_answered_without_a_status_is_reported(self):
        t = StreamTracker()
        self.sent(t, 0, 1000)
        t.received(pb.ClassifyStreamResponse(frame_id=0, capture_time_us=1000))
        self.assertEqual(len(t.violations), 1, t.violations)
        self.assertIn("no status", t.violations[0])


if __name__ == "__main__":
    unittest.main()
