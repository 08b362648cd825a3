package dev.recur4j;

import java.util.Random;

/**
 * All parameters of an {@link RnnSpec}, one {@link LayerParams} per (layer, direction), indexed
 * by {@link RnnSpec#slot(int, int)}. Immutable by contract once built: engines only read it, so
 * one instance can be shared by many engines and threads.
 */
public final class RnnWeights {
    private final RnnSpec spec;
    private final LayerParams[] layers;

    public RnnWeights(RnnSpec spec, LayerParams[] layers) {
        this.spec = spec;
        if (layers.length != spec.slots()) {
            throw new IllegalArgumentException("expected " + spec.slots() + " (layer, direction) parameter sets, found "
                    + layers.length);
        }
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                LayerParams p = layers[spec.slot(l, d)];
                if (p == null) {
                    throw new IllegalArgumentException("the parameters of layer " + l + " direction " + d + " (names"
                            + " ending " + suffix(l, d) + ") are missing: the set at index " + spec.slot(l, d)
                            + " is null");
                }
                p.check(spec, l, suffix(l, d));
            }
        }
        this.layers = layers.clone();
    }

    public RnnSpec spec() {
        return spec;
    }

    public LayerParams layer(int layer, int direction) {
        return layers[spec.slot(layer, direction)];
    }

    /** PyTorch's name suffix for (layer, direction): {@code _l0}, {@code _l1_reverse}. */
    public static String suffix(int layer, int direction) {
        return "_l" + layer + (direction == 1 ? "_reverse" : "");
    }

    /** Zero parameters, the shape of gradient accumulators. */
    public static RnnWeights zeros(RnnSpec spec) {
        LayerParams[] ps = new LayerParams[spec.slots()];
        for (int l = 0; l < spec.numLayers(); l++) {
            for (int d = 0; d < spec.directions(); d++) {
                ps[spec.slot(l, d)] = LayerParams.zeros(spec, l);
            }
        }
        return new RnnWeights(spec, ps);
    }

    /** PyTorch's default initialisation, U(-1/sqrt(H), 1/sqrt(H)) for every tensor, from a seed. */
    public static RnnWeights random(RnnSpec spec, long seed) {
        Random rnd = new Random(seed);
        float k = (float) (1.0 / Math.sqrt(spec.hiddenSize()));
        RnnWeights w = zeros(spec);
        for (LayerParams p : w.layers) {
            for (float[] a : new float[][] {p.wIh(), p.wHh(), p.bIh(), p.bHh(), p.wHr(), p.wPeep()}) {
                if (a != null) {
                    for (int i = 0; i < a.length; i++) {
                        a[i] = (rnd.nextFloat() * 2 - 1) * k;
                    }
                }
            }
        }
        return w;
    }
}
