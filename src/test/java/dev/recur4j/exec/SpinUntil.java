package dev.recur4j.exec;

import java.util.function.BooleanSupplier;

/**
 * A bounded spin-wait for the thread tests. A bare spin loop ignores the interrupt of JUnit's timeout and spins on the
 * abandoned thread for the rest of the run, holding one of CI's two cores; this one gives up and fails instead.
 */
final class SpinUntil {
    private static final long GIVE_UP_NANOS = 30_000_000_000L;

    private SpinUntil() {
    }

    /** Spins until {@code done} holds; an {@link AssertionError} naming {@code what} after 30 s or if interrupted. */
    static void holds(BooleanSupplier done, String what) {
        long giveUp = System.nanoTime() + GIVE_UP_NANOS;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - giveUp > 0 || Thread.currentThread().isInterrupted()) {
                throw new AssertionError("gave up waiting until " + what);
            }
            Thread.onSpinWait();
        }
    }
}
