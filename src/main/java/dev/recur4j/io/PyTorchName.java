package dev.recur4j.io;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One parameter name of a PyTorch RNN module's state dict, e.g. {@code weight_hh_l1_reverse}:
 * which tensor ({@link Kind}), which layer, which direction (1 for {@code _reverse}).
 */
record PyTorchName(PyTorchName.Kind kind, int layer, int direction) {

    /** The tensors of one (layer, direction), in PyTorch's state-dict order (peepholes are ours). */
    enum Kind {
        WEIGHT_IH("weight_ih"),
        WEIGHT_HH("weight_hh"),
        BIAS_IH("bias_ih"),
        BIAS_HH("bias_hh"),
        WEIGHT_HR("weight_hr"),
        WEIGHT_PEEPHOLE("weight_peephole");

        final String stem;

        Kind(String stem) {
            this.stem = stem;
        }
    }

    private static final Pattern NAME = Pattern.compile(
            "(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr|weight_peephole)_l(0|[1-9][0-9]{0,8})(_reverse)?");

    /** The parsed name, or null if {@code name} is not an RNN parameter name. */
    static PyTorchName parse(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return null;
        }
        Kind kind = null;
        for (Kind k : Kind.values()) {
            if (k.stem.equals(m.group(1))) {
                kind = k;
            }
        }
        return new PyTorchName(kind, Integer.parseInt(m.group(2)), m.group(3) == null ? 0 : 1);
    }

    static PyTorchName of(Kind kind, int layer, int direction) {
        return new PyTorchName(kind, layer, direction);
    }

    /** The name without any module prefix, e.g. {@code bias_ih_l0_reverse}. */
    @Override
    public String toString() {
        return kind.stem + "_l" + layer + (direction == 1 ? "_reverse" : "");
    }
}
