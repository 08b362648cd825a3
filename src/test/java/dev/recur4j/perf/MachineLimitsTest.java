package dev.recur4j.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineLimitsTest {

    @Test
    void withoutALimitsFileAZeroProbeTimeStillMeasuresAPeak(@TempDir Path dir) {
        // bench --probe-seconds 0 without native/build/limits.json: a zero-length probe once read 0 GFLOP/s, so
        // every fraction of the peak came out infinite
        String before = System.getProperty("recur4j.limits");
        System.setProperty("recur4j.limits", dir.resolve("absent.json").toString());
        try {
            MachineLimits limits = MachineLimits.load(1, 0);
            assertTrue(limits.source().startsWith("measured in Java"), limits.source());
            assertTrue(limits.fmaPeak(1) > 1 && Double.isFinite(limits.fmaPeak(1)), "peak " + limits.fmaPeak(1));
        } finally {
            if (before == null) {
                System.clearProperty("recur4j.limits");
            } else {
                System.setProperty("recur4j.limits", before);
            }
        }
    }

    /**
     * The format scripts/native-build --run writes: the fma_peak and bandwidth probes' objects in an array, the
     * latter with the cache sizes it read and the buffer sizes it chose from them (here the 2-vCPU Zen 5's).
     */
    @Test
    void readsTheNativeProbesFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("limits.json");
        Files.writeString(file, """
                [
                {"probe":"fma_peak","threads_all":2,"avx512_gflops_1t":223.0,"avx512_gflops_all":443.0,\
                "avx2_gflops_1t":111.0,"avx2_gflops_all":220.0}
                ,
                {"probe":"bandwidth","threads_all":2,"cache_sizes_from":"sysconf","l1d_cache_bytes":49152,\
                "l2_cache_bytes":1048576,"l3_cache_bytes":532676608,"l4_cache_bytes":null,"l1_buffer_bytes":24576,\
                "l2_buffer_bytes":524288,"l3_buffer_bytes":8388608,"dram_buffer_bytes":1073741824,\
                "note":"dram buffer 2.02x the last-level cache, held to 1 GiB a thread","l1_gbs_1t":300.0,"l1_gbs_all":600.0,"l2_gbs_1t":110.0,\
                "l2_gbs_all":215.0,"l3_gbs_1t":90.0,"l3_gbs_all":150.0,"dram_gbs_1t":12.5,"dram_gbs_all":20.0}
                ]
                """);
        MachineLimits m = MachineLimits.read(file);
        assertEquals(223.0, m.fmaPeak(1));
        assertEquals(443.0, m.fmaPeak(2));
        assertEquals(443.0, m.fmaPeak(8));
        assertEquals(110.0, m.readGbs(ReadBandwidth.Level.L2, 1));
        assertEquals(215.0, m.readGbs(ReadBandwidth.Level.L2, 2));
        assertEquals(90.0, m.readGbs(ReadBandwidth.Level.L3, 1));
        assertEquals(150.0, m.readGbs(ReadBandwidth.Level.L3, 2));
        assertEquals(12.5, m.readGbs(ReadBandwidth.Level.DRAM, 1));
        assertEquals(20.0, m.readGbs(ReadBandwidth.Level.DRAM, 4));
        assertEquals(8 << 20, m.bandwidth().probeBytes(ReadBandwidth.Level.L3));
        assertEquals("512 KiB", m.bandwidth().probeBuffer(ReadBandwidth.Level.L2));
        assertEquals("8 MiB", m.bandwidth().probeBuffer(ReadBandwidth.Level.L3));
        assertEquals("1 GiB", m.bandwidth().probeBuffer(ReadBandwidth.Level.DRAM)); // 8x the 508 MiB L3, capped
        assertTrue(m.source().contains("avx512"), m.source());
    }

    @Test
    void buffersPrintInTheLargestUnitAfterRounding() {
        double nan = Double.NaN;
        ReadBandwidth b = new ReadBandwidth(nan, nan, nan, nan, nan, nan, 1280 << 10, (1L << 30) - (4 << 10), 4000);
        assertEquals("1.25 MiB", b.probeBuffer(ReadBandwidth.Level.L2));
        assertEquals("1 GiB", b.probeBuffer(ReadBandwidth.Level.L3)); // 1023.996 MiB rounds to 1024.00
        assertEquals("3.91 KiB", b.probeBuffer(ReadBandwidth.Level.DRAM));
        assertEquals("unknown size", ReadBandwidth.UNKNOWN.probeBuffer(ReadBandwidth.Level.L2));
    }

    @Test
    void fallsBackToAvx2WhenAvx512IsMissing(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("limits.json");
        Files.writeString(file, "[{\"probe\":\"fma_peak\",\"threads_all\":4,\"avx512_gflops_1t\":0.0,"
                + "\"avx512_gflops_all\":0.0,\"avx2_gflops_1t\":100.0,\"avx2_gflops_all\":380.0}]");
        MachineLimits m = MachineLimits.read(file);
        assertEquals(100.0, m.fmaPeak(1));
        assertEquals(200.0, m.fmaPeak(2)); // between 1 and all threads: linear, capped by the all-threads figure
        assertEquals(380.0, m.fmaPeak(4));
        assertTrue(Double.isNaN(m.readGbs(ReadBandwidth.Level.DRAM, 1))); // no bandwidth object in the file
    }

    /**
     * A bandwidth object from before the probe measured every level and recorded its buffer sizes: what it lacks is
     * unknown, not an error.
     */
    @Test
    void aLevelTheBandwidthProbeLacksReadsNaN(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("limits.json");
        Files.writeString(file, "[{\"probe\":\"fma_peak\",\"threads_all\":4,\"avx512_gflops_1t\":100.0,"
                + "\"avx512_gflops_all\":380.0,\"avx2_gflops_1t\":50.0,\"avx2_gflops_all\":190.0},"
                + "{\"probe\":\"bandwidth\",\"threads_all\":4,\"l2_gbs_1t\":100.0,\"l2_gbs_all\":300.0}]");
        MachineLimits m = MachineLimits.read(file);
        assertEquals(200.0, m.readGbs(ReadBandwidth.Level.L2, 2)); // linear between 1 and all threads, capped
        assertEquals(300.0, m.readGbs(ReadBandwidth.Level.L2, 4));
        assertTrue(Double.isNaN(m.readGbs(ReadBandwidth.Level.L3, 1)));
        // nor are its buffer sizes: that probe read every machine with the same fixed ones
        assertEquals("512 KiB", m.bandwidth().probeBuffer(ReadBandwidth.Level.L2));
        assertEquals("256 MiB", m.bandwidth().probeBuffer(ReadBandwidth.Level.DRAM));
    }

    /** A bad figure or buffer size makes that one unknown; the file's other figures still count. */
    @Test
    void badBandwidthValuesAreUnknownAndTheRestIsKept(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("limits.json");
        Files.writeString(file, """
                [{"probe":"fma_peak","threads_all":2,"avx512_gflops_1t":200.0,"avx512_gflops_all":400.0},
                {"probe":"bandwidth","l2_buffer_bytes":true,"l3_buffer_bytes":1.5,"dram_buffer_bytes":99999999999999999999,                "l2_gbs_1t":0,"l2_gbs_all":"fast","l3_gbs_1t":-1,"l3_gbs_all":1e400,"dram_gbs_1t":20.0,"dram_gbs_all":null}]
                """);
        MachineLimits m = MachineLimits.read(file);
        assertEquals(200.0, m.fmaPeak(1));
        assertEquals(20.0, m.readGbs(ReadBandwidth.Level.DRAM, 1));
        for (ReadBandwidth.Level level : ReadBandwidth.Level.values()) {
            assertEquals(0, m.bandwidth().probeBytes(level), level.name());
            assertEquals("unknown size", m.bandwidth().probeBuffer(level));
        }
        for (int threads : new int[] {1, 2}) {
            assertTrue(Double.isNaN(m.readGbs(ReadBandwidth.Level.L2, threads)));
            assertTrue(Double.isNaN(m.readGbs(ReadBandwidth.Level.L3, threads)));
        }
        assertTrue(Double.isNaN(m.readGbs(ReadBandwidth.Level.DRAM, 2)));
    }

    @Test
    void aPeakNotAboveZeroIsAnError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("limits.json");
        Files.writeString(file, "[{\"probe\":\"fma_peak\",\"threads_all\":2,\"avx512_gflops_1t\":200.0,"
                + "\"avx512_gflops_all\":0}]");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MachineLimits.read(file));
        assertTrue(e.getMessage().contains("\"avx512_gflops_all\" is 0"), e.getMessage());
    }

    @Test
    void fileWithoutTheFmaProbeIsAnError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("limits.json");
        Files.writeString(file, "[{\"probe\":\"bandwidth\",\"threads_all\":2}]");
        assertThrows(IllegalArgumentException.class, () -> MachineLimits.read(file));
    }

    @Test
    void loadHonoursTheLimitsProperty(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("my-limits.json");
        Files.writeString(file, "[{\"probe\":\"fma_peak\",\"threads_all\":2,\"avx512_gflops_1t\":50.0,"
                + "\"avx512_gflops_all\":90.0,\"avx2_gflops_1t\":25.0,\"avx2_gflops_all\":45.0}]");
        String before = System.getProperty("recur4j.limits");
        System.setProperty("recur4j.limits", file.toString());
        try {
            MachineLimits m = MachineLimits.load(2, 0.1);
            assertEquals(90.0, m.fmaPeak(2));
            assertTrue(m.source().startsWith(file.toString()), m.source());
        } finally {
            if (before == null) {
                System.clearProperty("recur4j.limits");
            } else {
                System.setProperty("recur4j.limits", before);
            }
        }
    }

    @Test
    void javaMeasurementIsLabelledAndPlausible() {
        MachineLimits m = MachineLimits.measureInJava(1, 0.1);
        assertTrue(m.source().startsWith("measured in Java"), m.source());
        // Any CPU with a vector unit does well over 1 GFLOP/s; a boxed (uncompiled) loop would not.
        assertTrue(m.fmaPeak(1) > 1.0, "peak " + m.fmaPeak(1));
    }

    @Test
    void thePeakOfNowReusesAJavaMeasurementOfTheSameThreads() {
        MachineLimits m = MachineLimits.measureInJava(2, 0.1);
        assertEquals(m.fmaPeak(2), m.hostFmaNow(2, 0.1)); // exactly: no second measurement
        assertEquals(m.fmaPeak(1), m.hostFmaNow(1, 0.1)); // one thread was measured too
        MachineLimits fromFile = new MachineLimits(1e6, 2e6, 2, ReadBandwidth.UNKNOWN, "a limits file");
        double now = fromFile.hostFmaNow(1, 0.1);
        assertTrue(now > 1.0 && now < 1e6, "measured, not the file's figure: " + now);
    }
}
