package dev.recur4j.cli;

import dev.recur4j.Backends;
import dev.recur4j.Impl;
import dev.recur4j.gemm.GemmKind;
import dev.recur4j.gemm.Gemms;

/**
 * The implementation and GEMM back end that {@code --impl} and {@code --gemm} ask for (null: automatic),
 * resolved through {@link Backends}. A forced back end that cannot load is a usage error.
 *
 * @param gemm null for the reference implementation, which runs no GEMM
 */
record BackendChoice(Impl impl, GemmKind gemm) {

    static BackendChoice resolve(String implName, String gemmName) {
        try {
            // Parse both names first, so a bad --gemm is reported even with --impl reference.
            Impl requestedImpl = implName == null ? null : Impl.fromCliName(implName);
            GemmKind requestedGemm = gemmName == null ? null : GemmKind.fromCliName(gemmName);
            Gemms.checkSettings(); // and a malformed GEMM property, before any timing that would not use it
            Impl impl = Backends.impl(requestedImpl);
            return new BackendChoice(impl, impl == Impl.REFERENCE ? null : Backends.gemm(requestedGemm));
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
