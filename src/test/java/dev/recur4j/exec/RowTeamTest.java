package dev.recur4j.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link RowTeam}: once closed, a call is refused at once instead of waiting for workers that have ended; a failed call
 * throws its first failure, not a consequence of it thrown later by a chunk that waited on the failed one.
 */
class RowTeamTest {
    @Test
    void aClosedTeamRefusesCalls() {
        for (int threads : new int[] {1, 2}) {
            AtomicInteger rows = new AtomicInteger();
            RowTeam team = new RowTeam(threads);
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                team.run(8, (chunk, from, to) -> rows.addAndGet(to - from));
                assertEquals(8, rows.get());
                team.close();
                team.close();
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> team.run(8, (chunk, from, to) -> rows.addAndGet(to - from)));
                assertTrue(e.getMessage().contains("closed"), e.getMessage());
                assertEquals(8, rows.get(), "a chunk ran after close");
            });
        }
    }

    @Test
    void aFailedCallThrowsTheFirstFailureNotAChunkThatWaitedOnIt() {
        for (int failing : new int[] {0, 1, 2}) {
            RuntimeException cause = new IllegalArgumentException("chunk " + failing + " failed");
            try (RowTeam team = new RowTeam(3)) {
                assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                    RowTeam.Task task = (chunk, from, to) -> {
                        if (chunk == failing) {
                            throw cause;
                        }
                        SpinUntil.holds(team::failed, "a chunk has failed"); // as BackwardPass waits on another's loop
                        throw new IllegalStateException("chunk " + chunk + " gave up: another chunk failed");
                    };
                    RuntimeException thrown = assertThrows(RuntimeException.class, () -> team.run(3, task));
                    assertSame(cause, thrown, "failing chunk " + failing);
                });
            }
        }
    }
}
