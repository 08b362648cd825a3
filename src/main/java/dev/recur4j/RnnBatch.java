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
        Shapes.checkBatch(spec, batch, seqLen, input == null ? Shapes.ABSENT : input.length, lengths,
                h0 == null ? Shapes.ABSENT : h0.length, c0 == null ? Shapes.ABSENT : c0.length);
    }
}
