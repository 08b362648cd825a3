package dev.recur4j.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recur4j.CellKind;
import dev.recur4j.RnnSpec;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkspacePlanTest {

    @Test
    void regionsAreAlignedDisjointAndInsideTheTotal() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 17, 33).projSize(5).numLayers(2).bidirectional(true)
                .peepholes(true).build();
        for (int sets = 1; sets <= 2; sets++) {
            for (boolean training : new boolean[] {false, true}) {
                assertAlignedAndDisjoint(WorkspacePlan.of(spec, 3, 7, training, 2, sets));
            }
        }
    }

    private static void assertAlignedAndDisjoint(WorkspacePlan plan) {
        List<Region> rs = plan.regions().stream().sorted(Comparator.comparingLong(Region::offset)).toList();
        long end = 0;
        for (Region r : rs) {
            assertEquals(0, r.offset() % WorkspacePlan.ALIGN_FLOATS, r.name() + " is not 64-byte aligned");
            assertTrue(r.offset() >= end, r.name() + " overlaps the previous region");
            assertEquals(0, r.elements() % r.ld(), r.name() + " is not whole rows");
            end = r.offset() + r.elements();
        }
        assertTrue(end <= plan.totalElements());
    }

    @Test
    void sizesFollowTheShapes() {
        RnnSpec spec = RnnSpec.builder(CellKind.GRU, 5, 8).numLayers(3).build();
        WorkspacePlan inference = WorkspacePlan.of(spec, 4, 6, false);
        assertEquals(4 * 6 * WorkspacePlan.gateLd(24), inference.region("gates").elements());
        assertEquals(4 * 24, inference.region("rec").elements());
        assertTrue(inference.has("y.l1"));
        assertFalse(inference.has("y.l2"), "inference ping-pongs two output buffers");
        assertFalse(inference.has("gates.s0"));
        WorkspacePlan training = WorkspacePlan.of(spec, 4, 6, true);
        assertTrue(training.has("y.l1"), "training keeps the output of every layer below the last");
        assertFalse(training.has("y.l2"), "the last layer writes the caller's result");
        assertTrue(training.has("x"));
        assertEquals(4 * 6 * 8, training.region("hn.s2").elements());
        assertTrue(training.totalElements() > inference.totalElements());
    }

    @Test
    void aSecondScratchSetCopiesTheStepBuffersForDirectionOne() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 5, 8).projSize(3).bidirectional(true).build();
        WorkspacePlan one = WorkspacePlan.of(spec, 4, 6, false, 2, 1);
        WorkspacePlan two = WorkspacePlan.of(spec, 4, 6, false, 2, 2);
        for (String name : new String[] {"h", "c", "rec", "proj", "gates", "hf"}) {
            assertFalse(one.has(name + ".d1"), name);
            assertEquals(two.region(name).elements(), two.region(name + ".d1").elements(), name);
        }
        WorkspacePlan training = WorkspacePlan.of(spec, 4, 6, true, 2, 2);
        assertTrue(training.has("h.d1") && training.has("c.d1") && training.has("rec.d1"));
        assertFalse(training.has("gates.d1"), "training keeps gates per (layer, direction) already");
        assertThrows(IllegalArgumentException.class, () -> WorkspacePlan.of(spec, 4, 6, false, 2, 3));
        RnnSpec uni = RnnSpec.builder(CellKind.LSTM, 5, 8).build();
        assertThrows(IllegalArgumentException.class, () -> WorkspacePlan.of(uni, 4, 6, false, 2, 2));
        // one-step input buffers exist only for the cells whose inference uses them (InputFusion)
        RnnSpec peep = RnnSpec.builder(CellKind.LSTM, 3, 4).peepholes(true).build();
        assertThrows(IllegalArgumentException.class, () -> WorkspacePlan.of(peep, 4, 6, false, 1, 1, true));
        RnnSpec rnn = RnnSpec.builder(CellKind.RNN_TANH, 3, 4).build();
        assertThrows(IllegalArgumentException.class, () -> WorkspacePlan.of(rnn, 4, 6, false, 1, 1, true));
    }

    /**
     * A [B, T, ld] region's batch rows are T*ld floats apart, which the GEMMs take as an int leading dimension: an
     * LSTM (H = 1024, gates ld 4112) trained on 600,000 steps would need 2.47e9, and is refused naming the region.
     */
    @Test
    void aBatchRowPastAnIntStrideIsRefusedNamingTheRegion() {
        RnnSpec spec = RnnSpec.builder(CellKind.LSTM, 8, 1024).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkspacePlan.of(spec, 1, 600_000, true));
        assertTrue(e.getMessage().contains("seqLen 600000") && e.getMessage().contains("gates.s0")
                && e.getMessage().contains("2467200000"), e.getMessage());
        assertEquals(500_000, WorkspacePlan.of(spec, 1, 500_000, true).seqLen()); // 2.06e9: still addressable
    }

    @Test
    void toStringPrintsTheTable() {
        String s = WorkspacePlan.of(RnnSpec.builder(CellKind.RNN_TANH, 3, 4).build(), 2, 5, false).toString();
        assertTrue(s.contains("gates") && s.contains("offset") && s.contains("total"), s);
    }

    @Test
    void gateLdIsCacheLineAlignedAndNeverAMultipleOf256Floats() {
        assertEquals(32, WorkspacePlan.gateLd(24));
        assertEquals(2064, WorkspacePlan.gateLd(2048)); // LSTM H=512: 2048 would put step rows 4 KB-aliased
        assertEquals(1552, WorkspacePlan.gateLd(1536));
        assertEquals(784, WorkspacePlan.gateLd(784));
    }
}
