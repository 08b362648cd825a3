package dev.recur4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RnnSpecTest {

    @Test
    void derivedSizes() {
        RnnSpec s = RnnSpec.builder(CellKind.LSTM, 5, 8).projSize(3).numLayers(2).bidirectional(true).build();
        assertEquals(4, s.gates());
        assertEquals(3, s.outputSize());
        assertEquals(5, s.layerInputSize(0));
        assertEquals(6, s.layerInputSize(1));
        assertEquals(4, s.slots());
        assertEquals(3, s.slot(1, 1));
    }

    @Test
    void rejectsProjectionOutsideLstm() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RnnSpec.builder(CellKind.GRU, 5, 8).projSize(3).build());
        assertTrue(e.getMessage().contains("projSize"), e.getMessage());
    }

    @Test
    void rejectsResetBeforeLinearOutsideGru() {
        for (CellKind cell : new CellKind[] {CellKind.LSTM, CellKind.RNN_TANH, CellKind.RNN_RELU}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RnnSpec.builder(cell, 5, 8).linearBeforeReset(false).build());
            assertTrue(e.getMessage().contains("linearBeforeReset") && e.getMessage().contains(cell.toString()),
                    e.getMessage());
        }
        assertEquals(false, RnnSpec.builder(CellKind.GRU, 5, 8).linearBeforeReset(false).build().linearBeforeReset());
    }

    @Test
    void weightsCheckNamesTheTensor() {
        RnnSpec s = RnnSpec.builder(CellKind.GRU, 5, 8).build();
        LayerParams p = LayerParams.zeros(s, 0);
        LayerParams bad = new LayerParams(p.wIh(), new float[7], p.bIh(), p.bHh(), null, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RnnWeights(s, new LayerParams[] {bad}));
        assertTrue(e.getMessage().startsWith("weight_hh_l0"), e.getMessage());
    }
}
