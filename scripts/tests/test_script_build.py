"""scripts/recur4j's build step (scripts/lib/env.sh ensure_built) on a copy of the checkout with a fake Maven on PATH:
no real build runs. Needs the jar that `mvn package` made (scripts/test builds it first); skipped without it.

    python3 -m unittest discover -s scripts/tests
"""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
JAR = os.path.join(ROOT, "target", "recur4j-0.1.0-SNAPSHOT.jar")


@unittest.skipUnless(os.path.isfile(JAR) and os.path.isdir(os.path.join(ROOT, "target", "lib")),
                     "no target/ jar (run mvn package first)")
class ScriptBuildTest(unittest.TestCase):
    def checkout(self, parent_name):
        """A copy of scripts/, pom.xml and target/ (jar and lib) under a folder called parent_name, with a source
        file newer than the jar (so the script rebuilds), and a bin/ holding a fake mvn that logs its arguments,
        one a line, and fails."""
        base = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, base)
        root = os.path.join(base, parent_name, "repo")
        shutil.copytree(os.path.join(ROOT, "scripts"), os.path.join(root, "scripts"),
                        ignore=shutil.ignore_patterns("tests", "__pycache__"))
        shutil.copy(os.path.join(ROOT, "pom.xml"), root)
        os.makedirs(os.path.join(root, "target"))
        shutil.copy(JAR, os.path.join(root, "target"))
        os.symlink(os.path.join(ROOT, "target", "lib"), os.path.join(root, "target", "lib"))
        old = time.time() - 3600
        os.utime(os.path.join(root, "target", os.path.basename(JAR)), (old, old))
        os.utime(os.path.join(root, "pom.xml"), (old, old))
        os.makedirs(os.path.join(root, "src", "main"))
        with open(os.path.join(root, "src", "main", "Changed.java"), "w") as f:
            f.write("class Changed {}\n")
        bin_dir = os.path.join(base, "bin")
        os.makedirs(bin_dir)
        self.mvn_log = os.path.join(base, "mvn.log")
        with open(os.path.join(bin_dir, "mvn"), "w") as f:
            f.write('#!/bin/sh\nfor a in "$@"; do echo "$a"; done > "%s"\necho "[ERROR] COMPILATION ERROR"\nexit 1\n'
                    % self.mvn_log)
        os.chmod(os.path.join(bin_dir, "mvn"), 0o755)
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
        return root, env

    def run_version(self, root, env):
        return subprocess.run([os.path.join(root, "scripts", "recur4j"), "--version"], env=env,
                              capture_output=True, text=True, timeout=120)

    def test_a_failed_build_stops_the_script(self):
        """The build failed, the script said so, then ran the stale jar and exited 0."""
        root, env = self.checkout("plain")
        r = self.run_version(root, env)
        self.assertNotEqual(0, r.returncode, r.stdout + r.stderr)
        self.assertEqual("", r.stdout, "the stale jar must not run")
        self.assertIn("recur4j: build failed", r.stderr)

    def test_a_checkout_path_with_a_space_reaches_maven_whole(self):
        """MVN="mvn -B -q -f $ROOT/pom.xml" split "/tmp/x/with space/repo/pom.xml" at the space."""
        root, env = self.checkout("with space")
        self.run_version(root, env)
        with open(self.mvn_log) as f:
            args = f.read().splitlines()
        self.assertIn(os.path.join(root, "pom.xml"), args)


if __name__ == "__main__":
    unittest.main()
