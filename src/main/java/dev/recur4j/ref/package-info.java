/**
 * The naive double-precision reference: forward and full BPTT of every cell and variant, in
 * plain loops written to be checked line by line against the equations in each cell's Javadoc.
 * Shipped with the library so users can validate against it.
 *
 * <ul>
 *   <li>{@link dev.recur4j.ref.ReferenceRnn}: the float {@link dev.recur4j.RnnEngine}
 *       ({@link dev.recur4j.Impl#REFERENCE}).</li>
 *   <li>{@link dev.recur4j.ref.ReferenceModel}: the same in double, with {@code Double*} mirrors of
 *       the API records ({@link dev.recur4j.ref.DoubleWeights}, {@link dev.recur4j.ref.DoubleBatch},
 *       ...), e.g. for finite-difference checks.</li>
 *   <li>Inside: {@code RnnCellNaive}, {@code LstmCellNaive}, {@code GruCellNaive} (one step forward
 *       and backward), {@code DirectionNaive} (the time loop with variable lengths) and the
 *       layer/direction grid in {@code ReferenceModel}.</li>
 * </ul>
 */
package dev.recur4j.ref;
