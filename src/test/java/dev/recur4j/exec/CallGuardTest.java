package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The guard's states: one call at a time, and a close during a call releasing at that call's exit, once. */
class CallGuardTest {
    private final AtomicInteger releases = new AtomicInteger();
    private final CallGuard guard = new CallGuard("the engine", releases::incrementAndGet);

    @Test
    void closeWhileIdleReleasesAtOnceAndOnlyOnce() {
        guard.enter();
        guard.exit();
        guard.close();
        assertEquals(1, releases.get());
        guard.close();
        assertEquals(1, releases.get(), "closing twice releases once");
        IllegalStateException e = assertThrows(IllegalStateException.class, guard::enter);
        assertEquals("the engine is closed", e.getMessage());
    }

    @Test
    void closeDuringACallReleasesAtItsExit() {
        guard.enter();
        guard.close();
        assertEquals(0, releases.get(), "nothing freed under the running call");
        assertTrue(guard.isClosed());
        guard.close();
        guard.exit();
        assertEquals(1, releases.get(), "the call's exit releases");
        assertThrows(IllegalStateException.class, guard::enter);
        assertEquals(1, releases.get());
    }

    @Test
    void aSecondCallWhileOneRunsThrowsAndLeavesTheFirstRunning() {
        guard.enter();
        IllegalStateException e = assertThrows(IllegalStateException.class, guard::enter);
        assertTrue(e.getMessage().startsWith("the engine is already in a call"), e.getMessage());
        assertFalse(guard.isClosed());
        guard.exit();
        guard.enter(); // free again once the first call left
        guard.exit();
        assertEquals(0, releases.get());
    }
}
