package dev.recur4j.ref;

import dev.recur4j.RnnSpec;

/**
 * One cell of one (layer, direction), for one sequence and one time step, in double precision.
 * An implementation holds that (layer, direction)'s parameters; the time loop is in
 * {@link DirectionNaive}.
 *
 * <p>The backward step gets the same inputs as the forward step and recomputes the gates from
 * them, so nothing but the states entering each step has to be kept between the passes.
 */
interface CellNaive {

    /** The recurrent state: h [Hout] and c [H] (c is null for cells without a cell state). */
    record State(double[] h, double[] c) {
    }

    /** Gradients of the loss with respect to one step's inputs: dx [In], dh [Hout], dc [H] or null. */
    record StepGrads(double[] dx, double[] dh, double[] dc) {
    }

    /** The state after one step from input {@code x} [In] and state {@code prev}. */
    State forwardStep(double[] x, State prev);

    /**
     * Backward of {@link #forwardStep}: given dL/dh' and dL/dc' of the state it produced
     * ({@code dNext.h()}, {@code dNext.c()}), adds the gradients of this step's parameters into
     * {@code grads} and returns the gradients of its inputs.
     */
    StepGrads backwardStep(double[] x, State prev, State dNext, DoubleLayerParams grads);

    /** The cell {@code spec} describes, over parameters {@code p}. */
    static CellNaive of(RnnSpec spec, DoubleLayerParams p) {
        return switch (spec.cell()) {
            case RNN_TANH, RNN_RELU -> new RnnCellNaive(spec, p);
            case LSTM -> new LstmCellNaive(spec, p);
            case GRU -> new GruCellNaive(spec, p);
        };
    }
}
