package dev.recur4j.ref;

import dev.recur4j.LayerParams;
import dev.recur4j.RnnSpec;

/**
 * {@link LayerParams} in double precision: the parameters (or parameter gradients) of one
 * (layer, direction), same shapes, layouts and gate order.
 *
 * <pre>
 * wIh   [G*H, In]   bIh [G*H] or null
 * wHh   [G*H, Hout] bHh [G*H] or null
 * wHr   [P, H] or null
 * wPeep [3H] (i, f, o) or null
 * </pre>
 */
public record DoubleLayerParams(double[] wIh, double[] wHh, double[] bIh, double[] bHh, double[] wHr,
                                double[] wPeep) {

    public static DoubleLayerParams of(LayerParams p) {
        return new DoubleLayerParams(Precision.widen(p.wIh()), Precision.widen(p.wHh()), Precision.widen(p.bIh()),
                Precision.widen(p.bHh()), Precision.widen(p.wHr()), Precision.widen(p.wPeep()));
    }

    public static DoubleLayerParams zeros(RnnSpec spec, int layer) {
        return of(LayerParams.zeros(spec, layer));
    }

    /** Overwrites every array of {@code dst} (same shapes) with these values rounded to float. */
    public void copyTo(LayerParams dst) {
        narrow(wIh, dst.wIh());
        narrow(wHh, dst.wHh());
        narrow(bIh, dst.bIh());
        narrow(bHh, dst.bHh());
        narrow(wHr, dst.wHr());
        narrow(wPeep, dst.wPeep());
    }

    private static void narrow(double[] src, float[] dst) {
        if (src != null) {
            Precision.narrowInto(src, dst);
        }
    }
}
