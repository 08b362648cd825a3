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
        long gh = (long) spec.gates() * spec.hiddenSize();
        long in = spec.layerInputSize(layer);
        int hout = spec.outputSize();
        String sfx = "_l" + layer;
        return new LayerParams(
                new float[Shapes.arrayLength("weight_ih" + sfx, gh, in)],
                new float[Shapes.arrayLength("weight_hh" + sfx, gh, hout)],
                spec.bias() ? new float[Shapes.arrayLength("bias_ih" + sfx, gh)] : null,
                spec.bias() ? new float[Shapes.arrayLength("bias_hh" + sfx, gh)] : null,
                spec.projSize() > 0 ? new float[Shapes.arrayLength("weight_hr" + sfx, spec.projSize(),
                        spec.hiddenSize())] : null,
                spec.peepholes() ? new float[Shapes.arrayLength("weight_peephole" + sfx, 3L * spec.hiddenSize())]
                        : null);
    }

    /** Throws naming the tensor, expected and found element counts, if a shape does not match {@code spec}. */
    public void check(RnnSpec spec, int layer, String suffix) {
        long gh = (long) spec.gates() * spec.hiddenSize();
        long in = spec.layerInputSize(layer);
        long hout = spec.outputSize();
        expect("weight_ih" + suffix, wIh, true, gh, in);
        expect("weight_hh" + suffix, wHh, true, gh, hout);
        expect("bias_ih" + suffix, bIh, spec.bias(), gh, 1);
        expect("bias_hh" + suffix, bHh, spec.bias(), gh, 1);
        expect("weight_hr" + suffix, wHr, spec.projSize() > 0, spec.projSize(), spec.hiddenSize());
        expect("weight_peephole" + suffix, wPeep, spec.peepholes(), 3L * spec.hiddenSize(), 1);
    }

    private static void expect(String name, float[] a, boolean present, long rows, long cols) {
        if (!present) {
            if (a != null) {
                throw new IllegalArgumentException(name + ": not expected by the spec but present");
            }
            return;
        }
        if (a == null) {
            throw new IllegalArgumentException(name + ": missing, expected [" + rows + ", " + cols + "]");
        }
        if (a.length != rows * cols) { // rows and cols are int-sized, so their long product is exact
            throw new IllegalArgumentException(name + ": expected " + rows + "x" + cols + " = " + rows * cols
                    + " elements, found " + a.length);
        }
    }
}
