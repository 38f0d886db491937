"""The package as `pip install clients/python` installs it: clients/run-client-tests.sh installs it into a
fresh virtual environment and names the console script in MOBISERVE_CLIENT_COMMAND. Eight copies of the
command started together all succeed (the stubs are committed, never written at import time)."""

import os
import pathlib
import subprocess
import unittest

from . import live_server

HELDOUT = live_server.DIGITS / "heldout"
COMMAND = os.environ.get("MOBISERVE_CLIENT_COMMAND")


@unittest.skipUnless(COMMAND, "set MOBISERVE_CLIENT_COMMAND to an installed mobiserve-client "
                              "(clients/run-client-tests.sh does)")
class InstalledCommandTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.target = live_server.target()

    def run_command(self, *args):
        return subprocess.Popen([COMMAND, *args], cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_installed_package_lives_in_the_environment_not_the_clone(self):
        python = pathlib.Path(COMMAND).parent / "python"
        where = subprocess.run([str(python), "-c", "import mobiserve_client; print(mobiserve_client.__file__)"],
                               cwd="/", capture_output=True, text=True, timeout=60)
        self.assertEqual(where.returncode, 0, where.stderr)
        self.assertNotIn(str(live_server.REPO / "clients"), where.stdout)

    def test_eight_commands_started_together_all_classify(self):
        processes = [self.run_command("classify", "--target", self.target, "--top-k", "1",
                                      str(HELDOUT / "0000_2.png")) for _ in range(4)]
        processes += [self.run_command("classify", "--protocol", "kserve", "--target", self.target, "--top-k", "1",
                                       str(HELDOUT / "0001_5.png")) for _ in range(4)]
        results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in processes]
        for p in processes:
            p.stdout.close()
            p.stderr.close()
        for i, (code, out, err) in enumerate(results):
            self.assertEqual(code, 0, err)
            self.assertEqual(out.splitlines()[0], "0000_2.png" if i < 4 else "0001_5.png")
            self.assertEqual(out.splitlines()[1].split()[0], "2" if i < 4 else "5")


if __name__ == "__main__":
    unittest.main()
