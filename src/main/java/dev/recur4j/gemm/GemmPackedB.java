package dev.recur4j.gemm;

/**
 * op(B) [k x n] packed once into {@link JavaGemm}'s panel layout, for products that reuse the same
 * B many times: the recurrent weights of an RNN are multiplied once per time step, and packing
 * them on every call would cost about as much as the multiply when m (the batch) is small
 * (the idea of ONNX Runtime's {@code DeepCpuLstmOp::TryPackWeights}).
 *
 * <p>Layout: for each column block jc (width nc = min(NC, n - jc)) and each depth block pc
 * (depth kc = min(kb, k - pc), kb = {@link JavaGemm#depthBlock}(k)), the block op(B)[pc : pc+kc, jc : jc+nc] is stored as in
 * {@link GemmPacking#packB}, at float offset {@code jc * k + pc * roundUp(nc, NR)}; total
 * {@code k * roundUp(n, NR)} floats. Made by {@link JavaGemm#packB}; refilled in place (no
 * allocation) by {@link JavaGemm#repackB} after the weights change.
 */
public final class GemmPackedB {
    final int k;
    final int n;
    final float[] data;

    GemmPackedB(int k, int n) {
        this.k = k;
        this.n = n;
        this.data = new float[Math.multiplyExact(k, roundUp(n, JavaGemm.NR))];
    }

    /** Depth: rows of op(B). */
    public int k() {
        return k;
    }

    /** Columns of op(B). */
    public int n() {
        return n;
    }

    /** Float offset of block (jc, pc). */
    int blockOffset(int jc, int pc, int nc) {
        return jc * k + pc * roundUp(nc, JavaGemm.NR);
    }

    static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }
}
