import io
import tempfile
import pathlib
import unittest

import cv2
import grpc

from mobiserve_client import ClassScore, Client, cli, encoded_image, file_image, percentile

from . import live_server

HELDOUT = live_server.DIGITS / "heldout"


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


class ClassifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.target = live_server.target()
        cls.tmp = tempfile.TemporaryDirectory()
        png = HELDOUT / "0001_5.png"
        ok, jpeg = cv2.imencode(".jpg", cv2.imread(str(png)))
        assert ok
        cls.jpeg = pathlib.Path(cls.tmp.name, "five.jpg")
        cls.jpeg.write_bytes(jpeg.tobytes())
        cls.truncated = pathlib.Path(cls.tmp.name, "truncated.jpg")
        cls.truncated.write_bytes(jpeg.tobytes()[: len(jpeg) // 2])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_cli_prints_top_k_per_png(self):
        code, out, err = run_cli("classify", "--target", self.target, "--top-k", "3",
                                 str(HELDOUT / "0000_2.png"), str(HELDOUT / "0001_5.png"))
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 8, out)
        self.assertEqual(lines[0], "0000_2.png")
        self.assertEqual(lines[4], "0001_5.png")
        for block in (lines[1:4], lines[5:8]):
            scores = []
            for line in block:
                self.assertRegex(line, r"^  \S.* \d\.\d{4}$")
                scores.append(float(line.split()[-1]))
            self.assertEqual(scores, sorted(scores, reverse=True))
        # The digits model is trained: the held-out files' names end with their true digit.
        self.assertEqual(lines[1].split()[0], "2")
        self.assertEqual(lines[5].split()[0], "5")

    def test_client_classify_batch_in_order_with_ids_and_timings(self):
        with Client(self.target) as c:
            response = c.classify([file_image(HELDOUT / "0002_1.png"), encoded_image(self.jpeg.read_bytes(), "j")],
                                  top_k=10)
        self.assertEqual([r.id for r in response], ["0002_1.png", "j"])
        for result in response:
            self.assertEqual(len(result.classes), 10)
            self.assertAlmostEqual(sum(c.probability for c in result.classes), 1.0, places=3)
            self.assertGreaterEqual(result.timings.batch_size, 1)
        self.assertEqual(response[0].classes[0].label, "1")

    def test_typed_api_takes_paths_bytes_and_bgr_arrays(self):
        png = HELDOUT / "0002_1.png"
        with Client(self.target) as c:
            results = c.classify([png, str(png), png.read_bytes(), cv2.imread(str(png))], top_k=1)
        self.assertEqual([r.id for r in results], ["0002_1.png", "0002_1.png", "", ""])
        self.assertEqual({r.classes[0].label for r in results}, {"1"})
        self.assertIsInstance(results[0].classes[0], ClassScore)
        self.assertGreater(results[0].timings.batch_size, 0)

    def test_stream_of_frames_answers_each_in_order_then_summary(self):
        frame = cv2.imread(str(HELDOUT / "0000_2.png"))
        with Client(self.target) as c:
            responses = list(c.stream([frame, frame, frame], timeout=30, policy="block"))
        self.assertEqual([r.frame_id for r in responses[:-1]], [0, 1, 2])
        self.assertEqual(responses[0].results[0].classes[0].label, "2")
        self.assertTrue(responses[-1].HasField("summary"))

    def test_truncated_jpeg_is_invalid_argument(self):
        with Client(self.target) as c:
            with self.assertRaises(grpc.RpcError) as caught:
                c.classify([file_image(self.truncated)])
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("image 0", caught.exception.details())

    def test_cli_error_goes_to_stderr_with_exit_1(self):
        code, out, err = run_cli("classify", "--target", self.target, str(self.truncated))
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertRegex(err, r"^error: INVALID_ARGUMENT: image 0: .*JPEG")

    def test_model_info(self):
        with Client(self.target) as c:
            info = c.model_info()
        self.assertEqual(info.num_classes, 10)
        self.assertTrue(info.has_labels)
        self.assertEqual(list(info.input_shape)[1:], [3, 64, 64])
        self.assertGreater(info.limits.max_images_per_request, 0)

    def test_unreachable_server_is_unavailable(self):
        code, _, err = run_cli("classify", "--target", "127.0.0.1:1", "--timeout", "5",
                               str(HELDOUT / "0000_2.png"))
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith("error: UNAVAILABLE: "), err)


class PercentileTest(unittest.TestCase):
    def test_nearest_rank(self):
        values = list(range(1, 101))
        self.assertEqual(percentile(values, 50), 50)
        self.assertEqual(percentile(values, 99), 99)
        self.assertEqual(percentile(values, 100), 100)
        self.assertEqual(percentile([7], 90), 7)
        self.assertIsNone(percentile([], 50))


if __name__ == "__main__":
    unittest.main()
