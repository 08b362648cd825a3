package dev.recur4j.perf;

import dev.recur4j.CellKind;
import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;

/** An engine whose cost is known: it runs a given action per call and counts the calls. */
final class FakeEngine implements RnnEngine {
    static final RnnSpec SPEC = RnnSpec.builder(CellKind.LSTM, 3, 4).build();

    private final Runnable action;
    int forwards;
    int forwardBackwards;

    FakeEngine(Runnable action) {
        this.action = action;
    }

    static BenchCall call(FakeEngine engine, BenchMode mode) {
        return new BenchCall(engine, RnnBatch.of(2, 5, new float[2 * 5 * 3]), RnnResult.allocate(SPEC, 2, 5),
                new RnnGradOutput(new float[2 * 5 * 4], null, null), RnnGradients.allocate(SPEC, 2, 5), mode);
    }

    @Override
    public RnnSpec spec() {
        return SPEC;
    }

    @Override
    public Impl impl() {
        return Impl.REFERENCE;
    }

    @Override
    public void forward(RnnBatch in, RnnResult out) {
        forwards++;
        action.run();
    }

    @Override
    public void forwardBackward(RnnBatch in, RnnGradOutput gradOut, RnnResult out, RnnGradients grads) {
        forwardBackwards++;
        action.run();
    }

    @Override
    public void close() {
    }
}
