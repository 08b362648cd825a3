"""The bandwidth probe's buffer sizing under memory limits (native/bandwidth.c, run with --sizes: it prints its sizes
and stops before measuring, so nothing here loads the machine). The probe reads a fake /proc and cgroup tree through
its test hook RECUR4J_PROBE_FS_ROOT. Needs a C compiler with OpenMP (cc); skipped without one, except where
RECUR4J_TEST_REQUIRE_CC=1 asks for a failure instead.

    python3 -m unittest discover -s scripts/tests
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SOURCE = os.path.join(ROOT, "native", "bandwidth.c")
# v1 writes "no limit" as the largest page count times a 4 KiB page
V1_NO_LIMIT = 9223372036854771712
# the fake MemAvailable where it is not under test: larger than any machine, so only the real physical memory and
# the fake cgroups bound the buffers
HUGE_MEM_AVAILABLE_KB = 1 << 40


def makefile_cflags():
    """The probes' flags as native/Makefile builds them, so the probe tested is the probe built."""
    with open(os.path.join(ROOT, "native", "Makefile")) as f:
        match = re.search(r"^CFLAGS \?= (.+)$", f.read(), re.MULTILINE)
    if not match:
        raise AssertionError("native/Makefile sets no CFLAGS ?= line")
    return match.group(1).split()


def round4k(n):
    return n // 4096 * 4096


def dram_for_room(room, threads):
    """The probe's DRAM buffer when `room` bytes are the least memory available: half of it, shared by every thread,
    rounded down to whole 4 KiB (as memory_for_buffers and main do it, in integers)."""
    return round4k(room // 2 // threads)


class FakeRoot:
    """A temporary folder laid out as / for the probe: /proc/meminfo, /proc/self/cgroup, /proc/self/mountinfo and
    cgroup files, each only if given."""

    def __init__(self, cgroup=None, mountinfo=None, files=None, mem_available_kb=HUGE_MEM_AVAILABLE_KB):
        self.path = tempfile.mkdtemp()
        self.write("/proc/meminfo", "MemTotal:       %d kB\nMemFree:        %d kB\nMemAvailable:   %d kB\n"
                   % (mem_available_kb, mem_available_kb, mem_available_kb))
        if cgroup is not None:
            self.write("/proc/self/cgroup", "".join(line + "\n" for line in cgroup))
        if mountinfo is not None:
            self.write("/proc/self/mountinfo", "".join(line + "\n" for line in mountinfo))
        for name, content in (files or {}).items():
            self.write(name, "%s\n" % content)

    def write(self, name, content):
        full = self.path + name
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(content)

    def remove(self):
        shutil.rmtree(self.path)


# mountinfo lines: plain v2 (one cgroup2 mount at /sys/fs/cgroup), and this project's hybrid VM (v1 controllers under
# /sys/fs/cgroup, v2 at /sys/fs/cgroup/unified without the memory controller)
V2_MOUNTS = ["30 22 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate"]
HYBRID_MOUNTS = [
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
]


class BandwidthSizesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cc = shutil.which("cc")
        if cc is None:
            if os.environ.get("RECUR4J_TEST_REQUIRE_CC") == "1":  # there a skip would hide that nothing was tested
                raise AssertionError("no C compiler (cc) on PATH, and RECUR4J_TEST_REQUIRE_CC=1")
            raise unittest.SkipTest("no C compiler (cc) on PATH to build native/bandwidth.c")
        cls.build = tempfile.mkdtemp()
        cls.probe = os.path.join(cls.build, "bandwidth")
        built = subprocess.run([cc] + makefile_cflags() + ["-o", cls.probe, SOURCE], capture_output=True, text=True)
        if built.returncode != 0:
            shutil.rmtree(cls.build)
            raise AssertionError("cc could not build native/bandwidth.c:\n" + built.stderr)
        # the sizes with no cgroup at all, the fake MemAvailable larger than the machine: only the cache sizes, the
        # 1 GiB a thread ceiling and the real physical memory bound them
        root = FakeRoot()
        try:
            cls.base = cls.run_probe(root)
        finally:
            root.remove()
        cls.threads = cls.base["threads_all"]
        cls.dram = cls.base["dram_buffer_bytes"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.build)

    @classmethod
    def run_probe(cls, root):
        env = dict(os.environ, RECUR4J_PROBE_FS_ROOT=root.path)
        # the timeout: a probe without --sizes would go on to measure for minutes
        done = subprocess.run([cls.probe, "--sizes"], env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise AssertionError("bandwidth --sizes exited with %d:\n%s" % (done.returncode, done.stderr))
        result = json.loads(done.stdout)
        if any("_gbs_" in key for key in result):
            raise AssertionError("bandwidth --sizes measured: " + done.stdout)
        return result

    def sizes(self, **fake):
        root = FakeRoot(**fake)
        try:
            return self.run_probe(root)
        finally:
            root.remove()

    def room(self, per_thread_fraction):
        """Bytes of room that hold the DRAM buffer to about `per_thread_fraction` of its size without limits, plus an
        odd remainder, so the rounding down to 4 KiB is tested too."""
        return int(self.dram * self.threads * 2 * per_thread_fraction) + 5 * 4096 + 123

    def assert_dram_held_to(self, room, result):
        self.assertLess(dram_for_room(room, self.threads), self.dram, "the test's limit would not hold the buffer")
        self.assertEqual(dram_for_room(room, self.threads), result["dram_buffer_bytes"], result)
        self.assertIn("dram buffer held to half the memory available", result["note"])

    def test_sizes_prints_the_sizes_and_no_figures(self):
        for key in ("probe", "threads_all", "cache_sizes_from", "l1d_cache_bytes", "l2_cache_bytes", "l3_cache_bytes",
                    "l4_cache_bytes", "l1_buffer_bytes", "l2_buffer_bytes", "l3_buffer_bytes", "dram_buffer_bytes"):
            self.assertIn(key, self.base)
        self.assertEqual("bandwidth", self.base["probe"])

    def test_a_v2_limit_on_a_nested_cgroup_holds_the_buffers(self):
        room, usage = self.room(0.5), 300 * 4096 + 17
        result = self.sizes(cgroup=["0::/user.slice/app.scope"], mountinfo=V2_MOUNTS, files={
            "/sys/fs/cgroup/user.slice/app.scope/memory.max": room + usage,
            "/sys/fs/cgroup/user.slice/app.scope/memory.current": usage,
            "/sys/fs/cgroup/user.slice/memory.max": "max",
            "/sys/fs/cgroup/user.slice/memory.current": 10 * usage,
        })  # the root cgroup has no memory.max, as on a real v2 system
        self.assert_dram_held_to(room, result)
        self.assertIn("memory available set by the cgroup v2 limit of /user.slice/app.scope less its usage",
                      result["note"])

    def test_a_v1_memory_limit_holds_the_buffers(self):
        room, usage = self.room(0.5), 1000 * 4096
        result = self.sizes(cgroup=["9:name=systemd:/", "4:memory:/process_api/abc", "2:cpu,cpuacct:/", "0::/"],
                            mountinfo=HYBRID_MOUNTS, files={
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": V1_NO_LIMIT,
            "/sys/fs/cgroup/memory/memory.usage_in_bytes": 10 ** 12,  # no limit: the whole machine's usage is moot
            "/sys/fs/cgroup/memory/process_api/memory.limit_in_bytes": V1_NO_LIMIT,
            "/sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes": room + usage,
            "/sys/fs/cgroup/memory/process_api/abc/memory.usage_in_bytes": usage,
        })
        self.assert_dram_held_to(room, result)
        self.assertIn("the cgroup v1 limit of /process_api/abc less its usage", result["note"])

    def test_inactive_file_cache_counts_as_room(self):
        # v2's memory.current and v1's usage count the file cache; its inactive part is reclaimable, so not used up
        room, cache, other = self.room(0.5), 5000 * 4096, 300 * 4096
        for version, cgroup, mounts, limit, usage, stat in (
                (2, "0::/a", V2_MOUNTS, "/sys/fs/cgroup/a/memory.max", "/sys/fs/cgroup/a/memory.current",
                 ("/sys/fs/cgroup/a/memory.stat", "anon 4096\nfile %d\ninactive_file %d\nactive_file 0\n")),
                (1, "4:memory:/a", HYBRID_MOUNTS, "/sys/fs/cgroup/memory/a/memory.limit_in_bytes",
                 "/sys/fs/cgroup/memory/a/memory.usage_in_bytes",
                 ("/sys/fs/cgroup/memory/a/memory.stat",
                  "cache %d\ninactive_file 0\ntotal_inactive_file %d\n"))):
            with self.subTest(version=version):
                result = self.sizes(cgroup=[cgroup], mountinfo=mounts, files={
                    limit: room + other, usage: other + cache, stat[0]: stat[1] % (cache, cache)})
                self.assert_dram_held_to(room, result)

    def test_a_parents_smaller_limit_wins_over_the_childs(self):
        child_room, parent_room = self.room(0.75), self.room(0.25)
        result = self.sizes(cgroup=["0::/a/b"], mountinfo=V2_MOUNTS, files={
            "/sys/fs/cgroup/a/b/memory.max": child_room + 4096,
            "/sys/fs/cgroup/a/b/memory.current": 4096,
            "/sys/fs/cgroup/a/memory.max": parent_room + 8192,
            "/sys/fs/cgroup/a/memory.current": 8192,
        })
        self.assert_dram_held_to(parent_room, result)
        self.assertIn("the cgroup v2 limit of /a less its usage", result["note"])

    def test_without_a_limit_the_sizes_are_those_without_cgroups(self):
        files = {"/sys/fs/cgroup/unified/a/memory.max": "max", "/sys/fs/cgroup/unified/a/memory.current": 4096,
                 "/sys/fs/cgroup/unified/memory.max": "max"}
        for level in ("", "/docker", "/docker/x"):
            files["/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % level] = V1_NO_LIMIT
            files["/sys/fs/cgroup/memory%s/memory.usage_in_bytes" % level] = 4096
        result = self.sizes(cgroup=["4:memory:/docker/x", "0::/a"], mountinfo=HYBRID_MOUNTS, files=files)
        self.assertEqual(self.base, result)

    def test_a_smaller_mem_available_wins_over_the_cgroup_room(self):
        room = self.room(0.5)
        mem_available_kb = room // 2 // 1024 + 3
        result = self.sizes(cgroup=["0::/a"], mountinfo=V2_MOUNTS, mem_available_kb=mem_available_kb, files={
            "/sys/fs/cgroup/a/memory.max": room, "/sys/fs/cgroup/a/memory.current": 0})
        self.assert_dram_held_to(mem_available_kb * 1024, result)
        self.assertNotIn("cgroup", result["note"])  # the note names a cgroup only when one set the size

    def test_the_mount_point_and_its_top_cgroup_come_from_mountinfo(self):
        # a container given its own v1 cgroup /docker/abc as the mount's top, at a path with a space (mountinfo
        # writes it \040): /proc/self/cgroup names the host's path, and the container's limit is on the mount's top
        room = self.room(0.5)
        result = self.sizes(cgroup=["4:memory:/docker/abc/job"],
                            mountinfo=["50 40 0:31 /docker/abc /cg\\040v1/memory ro,relatime - cgroup cgroup rw,memory"],
                            files={"/cg v1/memory/job/memory.limit_in_bytes": V1_NO_LIMIT,
                                   "/cg v1/memory/memory.limit_in_bytes": room})
        self.assert_dram_held_to(room, result)
        self.assertIn("the cgroup v1 limit of / less its usage", result["note"])

    def test_of_two_mounts_the_one_that_holds_our_cgroup_wins(self):
        # a sub-cgroup of the v1 memory hierarchy bind-mounted elsewhere is listed first; our cgroup is only under the
        # hierarchy's own mount, further down the list
        room = self.room(0.5)
        result = self.sizes(cgroup=["4:memory:/docker/abc"], mountinfo=[
            "50 40 0:31 /other /mnt/other rw,relatime - cgroup cgroup rw,memory",
            "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory"],
            files={"/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": room,
                   "/mnt/other/memory.limit_in_bytes": 4096})
        self.assert_dram_held_to(room, result)
        self.assertIn("the cgroup v1 limit of /docker/abc less its usage", result["note"])

    def test_without_mountinfo_v2_is_looked_for_at_sys_fs_cgroup(self):
        room = self.room(0.5)
        result = self.sizes(cgroup=["0::/a"], files={"/sys/fs/cgroup/a/memory.max": room})
        self.assert_dram_held_to(room, result)


if __name__ == "__main__":
    unittest.main()
