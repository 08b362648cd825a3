package dev.recur4j;

/**
 * One call's inputs, batch-major like PyTorch with {@code batch_first=True}.
 *
 * <pre>
 * input   [B, T, I]
 * lengths [B]             each in 1..T; null means every sequence has length T
 * h0      [L*D, B, Hout]  null means zeros
 * c0      [L*D, B, H]     LSTM only; null means zeros
 * </pre>
 * Steps at or past a sequence's length are padding: their outputs are zero, the forward
 * direction's final state is the state at the last valid step, and the reverse direction starts
 * at the last valid step (PyTorch packed-sequence semantics).
 */
public record RnnBatch(int batch, int seqLen, float[] input, int[] lengths, float[] h0, float[] c0) {

    public static RnnBatch of(int batch, int seqLen, float[] input) {
        return new RnnBatch(batch, seqLen, input, null, null, null);
    }

    /** The length of sequence {@code b}. */
    public int length(int b) {
        return lengths == null ? seqLen : lengths[b];
    }

    /** Throws naming the tensor and dimension, expected and found, if this batch does not fit {@code spec}. */
    public void check(RnnSpec spec) {
        if (batch <= 0) {
            throw new IllegalArgumentException("input: batch dimension (0) must be > 0, found " + batch);
        }
        if (seqLen <= 0) {
            throw new IllegalArgumentException("input: sequence dimension (1) must be > 0, found " + seqLen);
        }
        Shapes.expect("input", input, batch, seqLen, spec.inputSize());
        if (lengths != null) {
            if (lengths.length != batch) {
                throw new IllegalArgumentException("lengths: dimension 0 expected " + batch + ", found " + lengths.length);
            }
            for (int b = 0; b < batch; b++) {
                if (lengths[b] < 1 || lengths[b] > seqLen) {
                    throw new IllegalArgumentException("lengths[" + b + "]: expected 1.." + seqLen + ", found " + lengths[b]);
                }
            }
        }
        if (h0 != null) {
            Shapes.expect("h0", h0, spec.slots(), batch, spec.outputSize());
        }
        if (c0 != null) {
            if (!spec.hasCellState()) {
                throw new IllegalArgumentException("c0: only LSTM has a cell state, cell is " + spec.cell());
            }
            Shapes.expect("c0", c0, spec.slots(), batch, spec.hiddenSize());
        }
    }
}
