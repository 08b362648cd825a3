package dev.recur4j.exec;

import dev.recur4j.Impl;
import dev.recur4j.kernel.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

/**
 * Run by {@link InterpretedZeroAllocationTest} in a fresh JVM with {@code -Xint}. Prints one line per
 * kernel set: {@code zero/<impl> <bytes allocated by 20 zero calls after 2 warm-up calls>}.
 */
public final class InterpretedZeroProbe {

    /** {@code args} are unused (the {@link ProbeJvm} protocol passes a cell family and kernel sets). */
    public static void main(String[] args) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined()) {
            // 5000 floats from offset 3: several 1024-float blocks plus a partial one, unaligned
            MemorySegment ws = arena.allocate(5003L * Float.BYTES, 64);
            for (Impl impl : new Impl[] {Impl.SCALAR, Impl.SIMD}) {
                Kernels k = Kernels.of(impl);
                k.zero(5000, ws, 3); // class initialisation and first-use linking are not per call
                k.zero(5000, ws, 3);
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 20; i++) {
                    k.zero(5000, ws, 3);
                }
                long bytes = mx.getCurrentThreadAllocatedBytes() - before;
                System.out.println("zero/" + impl + " " + bytes);
            }
        }
    }
}
