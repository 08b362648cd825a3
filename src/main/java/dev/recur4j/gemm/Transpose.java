package dev.recur4j.gemm;

/** Whether a GEMM operand is used as stored or transposed (CBLAS NoTrans / Trans). */
public enum Transpose {
    NO,
    YES
}
