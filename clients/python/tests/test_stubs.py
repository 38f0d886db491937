"""The committed stubs in mobiserve_client/_proto are exactly what generate_stubs.py makes from proto/."""

import filecmp
import pathlib
import sys
import tempfile
import unittest

PYTHON_DIR = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PYTHON_DIR))
import generate_stubs  # noqa: E402


class StubsTest(unittest.TestCase):
    def test_committed_stubs_match_the_protos(self):
        committed = PYTHON_DIR / "mobiserve_client" / "_proto"
        with tempfile.TemporaryDirectory() as tmp:
            fresh = pathlib.Path(tmp)
            files = generate_stubs.generate(out=fresh)
            self.assertGreaterEqual(len(files), 8)
            stale = [str(f) for f in files if not (committed / f).exists()
                     or not filecmp.cmp(committed / f, fresh / f, shallow=False)]
            extra = sorted(str(p.relative_to(committed)) for p in committed.rglob("*.py")
                           if p.relative_to(committed) not in files)
        self.assertEqual(stale + extra, [], "the committed stubs differ from proto/: run "
                         "`python3 generate_stubs.py` in clients/python and commit the result")


if __name__ == "__main__":
    unittest.main()
