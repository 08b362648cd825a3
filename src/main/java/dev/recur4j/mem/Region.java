package dev.recur4j.mem;

/**
 * One named slice of a {@link Workspace}: a matrix of {@code elements / ld} rows whose rows start
 * {@code ld} floats apart. Offsets and sizes are in floats; every region starts on a 64-byte boundary.
 *
 * @param name     what the region holds, e.g. {@code gates.l0d1}
 * @param elements floats reserved (rows * ld)
 * @param offset   first float, from the start of the workspace
 * @param ld       leading dimension (row stride) in floats
 */
public record Region(String name, long elements, long offset, int ld) {
}
