package dev.recur4j.exec;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One engine, one call at a time, and no native memory freed under a running call. An engine's workspace is
 * native memory that OpenBLAS reads through raw pointers: a second thread's call that grows (reallocates) it,
 * or a {@code close()} that frees it, while a call runs would make OpenBLAS read freed memory and crash the JVM
 * (seen: SIGSEGV in sgemm_oncopy). So a call {@link #enter}s and {@link #exit}s the guard: a call that finds
 * another running throws, and a close during a call only marks the engine closed, the running call's exit
 * then releasing the memory.
 *
 * <p>Two compare-and-sets a call, no allocation.
 */
final class CallGuard {
    private static final Logger LOG = Logger.getLogger(CallGuard.class.getName());
    private static final int IDLE = 0;
    private static final int BUSY = 1;
    private static final int CLOSED = 2;
    /** Closed while a call runs: that call's {@link #exit} releases. */
    private static final int BUSY_CLOSING = 3;

    private final AtomicInteger state = new AtomicInteger(IDLE);
    private final String what;
    private final Runnable release;

    /**
     * {@code what}: the engine, as messages name it ("this FastRnn engine"); {@code release} frees its memory, run
     * once, by {@link #close} or by the exit of the call it interrupted. One Runnable for the engine's life, so a
     * call allocates none.
     */
    CallGuard(String what, Runnable release) {
        this.what = what;
        this.release = release;
    }

    /** Before a call's first use of the engine's memory; throws if the engine is closed or in a call. */
    void enter() {
        if (!state.compareAndSet(IDLE, BUSY)) {
            int s = state.get();
            if (s == CLOSED || s == BUSY_CLOSING) {
                throw new IllegalStateException(what + " is closed");
            }
            throw new IllegalStateException(what + " is already in a call (on another thread, or re-entered from"
                    + " within one): an engine serves one call at a time; create one engine per thread over the same"
                    + " weights");
        }
    }

    /**
     * After the call (also when it threw); releases if the engine was closed meanwhile. A release that fails is
     * logged, not thrown: it runs in the call's finally, where it would replace the call's own result or exception.
     */
    void exit() {
        if (!state.compareAndSet(BUSY, IDLE)) {
            state.set(CLOSED); // BUSY_CLOSING: only this call's exit can change it
            try {
                release.run();
            } catch (RuntimeException | Error e) {
                LOG.log(Level.WARNING, what + ": releasing its memory after a close during a call failed", e);
            }
        }
    }

    /**
     * Marks the engine closed; releases now unless a call runs (its exit does then). Idempotent; a second close
     * may return while the call that the first interrupted is still releasing on its own thread.
     */
    void close() {
        while (true) {
            int s = state.get();
            if (s == IDLE && state.compareAndSet(IDLE, CLOSED)) {
                release.run();
                return;
            }
            if (s == BUSY && state.compareAndSet(BUSY, BUSY_CLOSING)) {
                return;
            }
            if (s == CLOSED || s == BUSY_CLOSING) {
                return;
            }
        }
    }

    boolean isClosed() {
        int s = state.get();
        return s == CLOSED || s == BUSY_CLOSING;
    }
}
