package dev.recur4j.ref;

import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * {@link RnnWeights} in double precision: one {@link DoubleLayerParams} per (layer, direction),
 * indexed by {@link RnnSpec#slot(int, int)}. Also the shape of the parameter gradients.
 */
public final class DoubleWeights {
    private final RnnSpec spec;
    private final DoubleLayerParams[] layers;

    public DoubleWeights(RnnSpec spec, DoubleLayerParams[] layers) {
        if (layers.length != spec.slots()) {
            throw new IllegalArgumentException("expected " + spec.slots() + " (layer, direction) parameter sets, found "
                    + layers.length);
        }
        this.spec = spec;
        this.layers = layers.clone();
        named(); // checks every shape against the spec
    }

    public static DoubleWeights of(RnnWeights w) {
        RnnSpec spec = w.spec();
        DoubleLayerParams[] ps = new DoubleLayerParams[spec.slots()];
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                ps[spec.slot(l, d)] = DoubleLayerParams.of(w.layer(l, d));
            }
        }
        return new DoubleWeights(spec, ps);
    }

    public static DoubleWeights zeros(RnnSpec spec) {
        return of(RnnWeights.zeros(spec));
    }

    /** Every parameter drawn from U(-scale, scale), from a seed. */
    public static DoubleWeights random(RnnSpec spec, double scale, long seed) {
        Random rnd = new Random(seed);
        DoubleWeights w = zeros(spec);
        for (double[] a : w.named().values()) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (rnd.nextDouble() * 2 - 1) * scale;
            }
        }
        return w;
    }

    public RnnSpec spec() {
        return spec;
    }

    public DoubleLayerParams layer(int layer, int direction) {
        return layers[spec.slot(layer, direction)];
    }

    /** Overwrites {@code dst} (same spec) with these values rounded to float. */
    public void copyTo(RnnWeights dst) {
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                layer(l, d).copyTo(dst.layer(l, d));
            }
        }
    }

    /**
     * Every present tensor under its PyTorch name ({@code weight_ih_l0}, {@code bias_hh_l1_reverse},
     * ...), in layer, direction, then ih/hh/bias/hr/peephole order. The arrays are the live ones.
     *
     * @throws IllegalArgumentException if a tensor's size does not match the spec
     */
    public Map<String, double[]> named() {
        Map<String, double[]> m = new LinkedHashMap<>();
        int gh = spec.gates() * spec.hiddenSize();
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                String sfx = RnnWeights.suffix(l, d);
                DoubleLayerParams p = layer(l, d);
                put(m, "weight_ih" + sfx, p.wIh(), true, gh * spec.layerInputSize(l));
                put(m, "weight_hh" + sfx, p.wHh(), true, gh * spec.outputSize());
                put(m, "bias_ih" + sfx, p.bIh(), spec.bias(), gh);
                put(m, "bias_hh" + sfx, p.bHh(), spec.bias(), gh);
                put(m, "weight_hr" + sfx, p.wHr(), spec.projSize() > 0, spec.projSize() * spec.hiddenSize());
                put(m, "weight_peephole" + sfx, p.wPeep(), spec.peepholes(), 3 * spec.hiddenSize());
            }
        }
        return m;
    }

    private static void put(Map<String, double[]> m, String name, double[] a, boolean present, int size) {
        if (!present) {
            if (a != null) {
                throw new IllegalArgumentException(name + ": not expected by the spec but present");
            }
            return;
        }
        if (a == null || a.length != size) {
            throw new IllegalArgumentException(name + ": expected " + size + " elements, found "
                    + (a == null ? "none" : a.length));
        }
        m.put(name, a);
    }
}
