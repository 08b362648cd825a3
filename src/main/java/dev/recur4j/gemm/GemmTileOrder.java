package dev.recur4j.gemm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How {@link JavaGemm} walks the tiles of one packed A block against one packed B block with its 8-row kernel (512-bit
 * vectors). Both orders compute every tile with the same kernel over the same depth, so their results are bit for bit
 * the same; only the memory traffic differs.
 *
 * <ul>
 *   <li>{@link #B_PANEL_OUTER} (BLIS's order): each B micro-panel [kc x NR] is fetched once and meets every A panel
 *       of the block from L2. A B block larger than L2 (the step products' packed weights, 3 MB) comes from L3 in
 *       short runs of one micro-panel, each followed by re-reads from L2.</li>
 *   <li>{@link #A_PANEL_OUTER}: each A panel [8 x kc] (24 KB at kc = 768) stays in L1 while the whole B block streams
 *       past it, from L3 when it does not fit L2, once per A panel: more bytes from L3, in one long sequential run
 *       a core's prefetchers follow.</li>
 * </ul>
 * On a Zen 4 (family 25, AVX-512 run as two 256-bit halves, so half a Zen 5's FLOPs a cycle and half the bytes
 * they need), the streaming order was faster in paired calls in one JVM (2026-12-03, docs/performance-log.md): with
 * 1 thread W2 by 4.6 %, W3 2.1 %, W6 3.4 %, W7 2.9 %; with 2 threads W2 by 7 %, W6 3 %, W7 1.4 %; W4, W5 and W3
 * with 2 threads the same. The Zen 5 sessions measured their figures with BLIS's order, which is kept everywhere
 * else (the streaming order was not measured on a Zen 5): a Zen 5 core's kernel wants twice the bytes a cycle, and
 * W2's step product streamed that way would ask about half of what its L3 gives a core (0.25 B a FLOP at
 * 200 GFLOP/s, against about 100 GB/s).
 */
public enum GemmTileOrder {
    B_PANEL_OUTER("b-panel-outer"),
    A_PANEL_OUTER("a-panel-outer");

    /** System property that overrides the choice: {@code b-panel-outer} or {@code a-panel-outer}. */
    public static final String PROPERTY = "recur4j.gemmTileOrder";
    /** AMD's family of Zen 3 and Zen 4 (Zen 3 has no AVX-512, so only Zen 4 runs the 8-row kernel). */
    static final int ZEN4_FAMILY = 25;

    private final String cliName;

    GemmTileOrder(String cliName) {
        this.cliName = cliName;
    }

    /** The name the property and the bench report use. */
    public String cliName() {
        return cliName;
    }

    /** The order for this machine: the property if set, else by CPU ({@link #forCpu}). */
    static GemmTileOrder chosen() {
        GemmTileOrder named = fromProperty();
        if (named != null) {
            return named;
        }
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return B_PANEL_OUTER;
        }
        try (BufferedReader r = Files.newBufferedReader(cpuinfo)) {
            return forCpu(r);
        } catch (IOException | RuntimeException e) {
            return B_PANEL_OUTER; // an unreadable or odd cpuinfo: the order every other machine runs
        }
    }

    /**
     * The order the property names, or null when it is unset; a malformed value throws {@link
     * IllegalArgumentException}, which {@link Gemms} lets through so that it is not taken for a GEMM that cannot load.
     */
    static GemmTileOrder fromProperty() {
        String named = System.getProperty(PROPERTY);
        return named == null || named.isBlank() ? null : fromCliName(named.trim());
    }

    /** The order of that name, in any case. */
    static GemmTileOrder fromCliName(String name) {
        for (GemmTileOrder o : values()) {
            if (o.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return o;
            }
        }
        throw new IllegalArgumentException(PROPERTY + "=" + name + ": expected b-panel-outer or a-panel-outer");
    }

    /**
     * {@link #A_PANEL_OUTER} for an AMD CPU of family 25 by the first processor's entry of {@code /proc/cpuinfo}'s
     * text, else {@link #B_PANEL_OUTER}.
     */
    static GemmTileOrder forCpu(Reader cpuinfo) throws IOException {
        BufferedReader r = cpuinfo instanceof BufferedReader b ? b : new BufferedReader(cpuinfo);
        String vendor = null;
        int family = -1;
        for (String line = r.readLine(); line != null && !line.isBlank(); line = r.readLine()) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (key.equals("vendor_id")) {
                vendor = value;
            } else if (key.equals("cpu family")) {
                family = Integer.parseInt(value);
            }
        }
        return "AuthenticAMD".equals(vendor) && family == ZEN4_FAMILY ? A_PANEL_OUTER : B_PANEL_OUTER;
    }
}
