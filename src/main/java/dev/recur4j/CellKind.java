package dev.recur4j;

/**
 * The recurrent cell computed by a layer.
 *
 * <p>Gate order inside every weight matrix and bias is PyTorch's, which is also our internal
 * order: LSTM {@code i, f, g, o}; GRU {@code r, z, n}; RNN has one block. Variant flags that
 * change the equations (GRU linear-before-reset, LSTM peepholes and projection) live on
 * {@link RnnSpec}.
 */
public enum CellKind {
    /** h' = tanh(W_ih x + b_ih + W_hh h + b_hh). */
    RNN_TANH(1, "rnn_tanh"),
    /** h' = relu(W_ih x + b_ih + W_hh h + b_hh). */
    RNN_RELU(1, "rnn_relu"),
    /** LSTM with gates i, f, g, o; optional peepholes and projection (see {@link RnnSpec}). */
    LSTM(4, "lstm"),
    /** GRU with gates r, z, n; linear-before-reset or reset-before-linear (see {@link RnnSpec}). */
    GRU(3, "gru");

    private final int gates;
    private final String cliName;

    CellKind(int gates, String cliName) {
        this.gates = gates;
        this.cliName = cliName;
    }

    /** Number of gate blocks G: the weight matrices have G*H rows. */
    public int gates() {
        return gates;
    }

    /** The name used on the command line ({@code lstm}, {@code gru}, {@code rnn_tanh}, {@code rnn_relu}). */
    public String cliName() {
        return cliName;
    }

    public boolean isRnn() {
        return this == RNN_TANH || this == RNN_RELU;
    }

    /** Parses a command-line name; the message lists the accepted names. */
    public static CellKind fromCliName(String name) {
        for (CellKind k : values()) {
            if (k.cliName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown cell '" + name + "': expected one of lstm, gru, rnn_tanh, rnn_relu");
    }
}
