package dev.recur4j;

/**
 * The parameters of one (layer, direction), in PyTorch's layouts and gate order. The same
 * record carries parameter gradients ({@link RnnGradients}).
 *
 * <pre>
 * wIh   [G*H, In]   weight_ih_l{k}      In = I for layer 0, D*Hout above
 * wHh   [G*H, Hout] weight_hh_l{k}
 * bIh   [G*H]       bias_ih_l{k}        null without bias
 * bHh   [G*H]       bias_hh_l{k}        null without bias
 * wHr   [P, H]      weight_hr_l{k}      null without projection
 * wPeep [3H]        weight_peephole_l{k} (i, f, o), null without peepholes
 * </pre>
 * All row-major. Arrays are not copied: once handed to an engine, treat them as read-only.
 */
public record LayerParams(float[] wIh, float[] wHh, float[] bIh, float[] bHh, float[] wHr, float[] wPeep) {

    /** Zero-filled parameters (or gradients) with the shapes {@code spec} gives for {@code layer}. */
    public static LayerParams zeros(RnnSpec spec, int layer) {
        int gh = spec.gates() * spec.hiddenSize();
        int in = spec.layerInputSize(layer);
        int hout = spec.outputSize();
        return new LayerParams(
                new float[gh * in],
                new float[gh * hout],
                spec.bias() ? new float[gh] : null,
                spec.bias() ? new float[gh] : null,
                spec.projSize() > 0 ? new float[spec.projSize() * spec.hiddenSize()] : null,
                spec.peepholes() ? new float[3 * spec.hiddenSize()] : null);
    }

    /** Throws naming the tensor, expected and found element counts, if a shape does not match {@code spec}. */
    public void check(RnnSpec spec, int layer, String suffix) {
        int gh = spec.gates() * spec.hiddenSize();
        int in = spec.layerInputSize(layer);
        int hout = spec.outputSize();
        expect("weight_ih" + suffix, wIh, true, gh, in);
        expect("weight_hh" + suffix, wHh, true, gh, hout);
        expect("bias_ih" + suffix, bIh, spec.bias(), gh, 1);
        expect("bias_hh" + suffix, bHh, spec.bias(), gh, 1);
        expect("weight_hr" + suffix, wHr, spec.projSize() > 0, spec.projSize(), spec.hiddenSize());
        expect("weight_peephole" + suffix, wPeep, spec.peepholes(), 3 * spec.hiddenSize(), 1);
    }

    private static void expect(String name, float[] a, boolean present, int rows, int cols) {
        if (!present) {
            if (a != null) {
                throw new IllegalArgumentException(name + ": not expected by the spec but present");
            }
            return;
        }
        if (a == null) {
            throw new IllegalArgumentException(name + ": missing, expected [" + rows + ", " + cols + "]");
        }
        if (a.length != rows * cols) {
            throw new IllegalArgumentException(name + ": expected " + rows + "x" + cols + " = " + rows * cols
                    + " elements, found " + a.length);
        }
    }
}
