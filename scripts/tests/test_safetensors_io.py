"""Round trips of safetensors_io.write and read (needs numpy, which the fixture scripts use; skipped without it,
except under scripts/test, which sets RECUR4J_TEST_REQUIRE_NUMPY).

    python3 -m unittest discover -s scripts/tests
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
try:
    import numpy as np
    import safetensors_io
except ImportError:  # numpy missing: nothing here can run
    if os.environ.get("RECUR4J_TEST_REQUIRE_NUMPY"):  # scripts/test installs numpy: there a skip would hide a failure
        raise
    np = None


@unittest.skipIf(np is None, "numpy is not installed")
class RoundTripTest(unittest.TestCase):
    def round_trip(self, tensors, metadata=None):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "t.safetensors")
            safetensors_io.write(path, tensors, metadata)
            return safetensors_io.read(path)

    def test_shapes_values_and_metadata_survive(self):
        base = np.arange(12, dtype=np.float32).reshape(3, 4)
        tensors = {
            "scalar": np.array(2.5, dtype=np.float32),  # rank 0 stays rank 0 (was written as [1])
            "transposed": base.T,  # not C-contiguous in memory: written in its logical C order
            "f64": np.linspace(0, 1, 5),
            "lengths": np.array([3, 1], dtype=np.int64),
            "empty": np.zeros((0, 4), dtype=np.float32),
        }
        back, metadata = self.round_trip(tensors, {"producer": "test", "n": 3})
        self.assertEqual(list(tensors), list(back))
        for name, want in tensors.items():
            self.assertEqual(want.shape, back[name].shape, name)
            self.assertEqual(want.dtype, back[name].dtype, name)
            np.testing.assert_array_equal(want, back[name], err_msg=name)
        self.assertEqual({"producer": "test", "n": "3"}, metadata)

    def test_an_unsupported_dtype_is_refused_by_name(self):
        with self.assertRaisesRegex(ValueError, "half: unsupported dtype"):
            self.round_trip({"half": np.zeros(2, dtype=np.float16)})


if __name__ == "__main__":
    unittest.main()
