package dev.recur4j.exec;

import dev.recur4j.Impl;
import dev.recur4j.RnnBatch;
import dev.recur4j.RnnEngine;
import dev.recur4j.RnnGradOutput;
import dev.recur4j.RnnGradients;
import dev.recur4j.RnnResult;
import dev.recur4j.RnnSpec;
import dev.recur4j.RnnWeights;
import dev.recur4j.Shapes;
import dev.recur4j.gemm.Gemm;
import dev.recur4j.kernel.Kernels;
import dev.recur4j.mem.Workspace;
import dev.recur4j.mem.WorkspacePlan;
import java.util.logging.Logger;

/**
 * The fast fp32 pipeline: GEMMs through a {@link Gemm}, elementwise work through {@link Kernels}
 * (scalar or Vector API), all on native memory. Weights are copied once at construction
 * ({@link PreparedWeights}); the {@link Workspace} is planned per (batch, seqLen, training), grown
 * only when a call needs more, and reused, so repeated calls of one shape allocate nothing new
 * in native memory. The grid itself is in {@link ForwardPass} and {@link BackwardPass}.
 *
 * <p>Threads: with {@code threads} > 1 a fixed {@link RowTeam} (created here, stopped by
 * {@link #close()}) splits the batch rows of every (layer, direction) time loop, including that
 * loop's GEMMs, except that with 2 threads the forward pass runs the two directions of a
 * bidirectional layer at once, one per thread ({@link ForwardPass#splitsDirections}). In an inference
 * loop split over rows, a thread that finishes first takes over part of a slower one's rows at a step
 * boundary ({@link RowShare}). A training call
 * instead runs each row chunk through the forward pass of every layer and on into its BPTT as one
 * task, with no join in between; the weight gradients, summed over all rows, are added up split by
 * gate rows (see {@link BackwardPass}). One thread creates no threads.
 *
 * <p>Inference with at most {@link SmallBatchForward#MAX_BATCH} rows takes the matrix-vector path
 * {@link SmallBatchForward} (built on the first such call, with its own weight copy and threads).
 */
public final class FastRnn implements RnnEngine {
    private static final Logger LOG = Logger.getLogger(FastRnn.class.getName());
    /** The most threads an engine starts (each a platform thread): far past any core count, short of exhausting memory. */
    public static final int MAX_THREADS = 1024;

    private final RnnWeights weights;
    private final RnnSpec spec;
    private final Impl impl;
    private final PreparedWeights prepared;
    private final Workspace workspace = new Workspace();
    private final ForwardPass forwardPass;
    private final BackwardPass backwardPass;
    private final RowTeam team;
    /** Whether layers project each step's input in the step, in inference and training ({@link InputFusion}). */
    private final boolean fusedInput;
    private Buffers buffers;
    private SmallBatchForward smallBatch;
    private final CallGuard guard = new CallGuard("this FastRnn engine", this::release);

    public FastRnn(RnnWeights weights, Impl impl, Gemm gemm, int threads) {
        this(weights, impl, gemm, threads, InputFusion.MAX_WEIGHT_BYTES);
    }

    /** With its own {@link InputFusion} limit (bytes of [W_ih | W_hh] per layer; 0 turns it off), for tests. */
    FastRnn(RnnWeights weights, Impl impl, Gemm gemm, int threads, long fusedInputMaxBytes) {
        this(weights, impl, gemm, threads, fusedInputMaxBytes, new RowShare(threads));
    }

    /** With the {@link RowShare} its threads hand rows over through, for tests (one that slows a chunk down). */
    FastRnn(RnnWeights weights, Impl impl, Gemm gemm, int threads, long fusedInputMaxBytes, RowShare share) {
        if (impl != Impl.SCALAR && impl != Impl.SIMD) {
            throw new IllegalArgumentException("FastRnn runs impl scalar or simd, found " + impl);
        }
        checkThreads(threads);
        this.weights = weights;
        this.spec = weights.spec();
        this.impl = impl;
        Kernels kernels = Kernels.of(impl);
        this.fusedInput = InputFusion.applies(spec, fusedInputMaxBytes);
        this.prepared = new PreparedWeights(weights, gemm, fusedInput);
        try {
            this.forwardPass = new ForwardPass(spec, kernels, gemm, prepared);
            this.backwardPass = new BackwardPass(spec, kernels, gemm, prepared, forwardPass);
            this.team = new RowTeam(threads, share);
        } catch (RuntimeException | Error e) { // the weights' native copy is ours to free when no engine results
            prepared.close();
            throw e;
        }
        LOG.fine(() -> "recur4j: FastRnn " + spec + " kernels " + kernels.name() + " gemm " + gemm.name());
    }

    /** Throws unless 1 <= threads <= {@link #MAX_THREADS}. */
    public static void checkThreads(int threads) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads must be 1.." + MAX_THREADS + ", found " + threads);
        }
    }

    @Override
    public RnnSpec spec() {
        return spec;
    }

    @Override
    public Impl impl() {
        return impl;
    }

    /**
     * The weights this engine was built from. It computes with native copies made at construction (the small-batch
     * path packs its own from that copy at its first call of at most {@link SmallBatchForward#MAX_BATCH} rows), so a
     * change to the arrays after construction reaches neither path; the arrays must still not change once handed
     * over ({@link dev.recur4j.LayerParams}), as other engines may be built from them.
     */
    public RnnWeights weights() {
        return weights;
    }

    /** The plan of the last call, or null before the first; for logs and tests. */
    public WorkspacePlan lastPlan() {
        return buffers == null ? null : buffers.plan;
    }

    @Override
    public void forward(RnnBatch in, RnnResult out) {
        guard.enter();
        try {
            forwardInCall(in, out);
        } finally {
            guard.exit();
        }
    }

    /**
     * Whether {@link #forward} on a batch of {@code batch} rows of {@code seqLen} steps runs
     * {@link SmallBatchForward}, matrix-vector products that use no GEMM back end: at most
     * {@code SmallBatchForward.MAX_BATCH} rows (property {@code recur4j.smallBatchMax}) of a spec it supports, and a
     * call whose Java arrays stay within 2^31 elements ({@link SmallBatchForward#fits}). Training always takes the
     * GEMM path. Public so that a benchmark can name the path it times.
     */
    public static boolean forwardTakesSmallBatchPath(RnnSpec spec, int batch, int seqLen) {
        return batch <= SmallBatchForward.MAX_BATCH && SmallBatchForward.supports(spec)
                && SmallBatchForward.fits(spec, batch, seqLen);
    }

    private void forwardInCall(RnnBatch in, RnnResult out) {
        in.check(spec);
        out.check(spec, in.batch(), in.seqLen());
        Shapes.checkDistinct(spec, in, out);
        if (forwardTakesSmallBatchPath(spec, in.batch(), in.seqLen())) {
            if (smallBatch == null) {
                // from the engine's own copy: the caller's arrays may have changed since (LayerParams)
                smallBatch = new SmallBatchForward(prepared.snapshot(), impl, team.threads());
            }
            smallBatch.forward(in, out);
            return;
        }
        Buffers bf = prepare(in.batch(), in.seqLen(), false);
        forwardPass.run(workspace.segment(), bf, in, out, team);
    }

    @Override
    public void forwardBackward(RnnBatch in, RnnGradOutput gradOut, RnnResult out, RnnGradients grads) {
        guard.enter();
        try {
            forwardBackwardInCall(in, gradOut, out, grads);
        } finally {
            guard.exit();
        }
    }

    private void forwardBackwardInCall(RnnBatch in, RnnGradOutput gradOut, RnnResult out, RnnGradients grads) {
        in.check(spec);
        out.check(spec, in.batch(), in.seqLen());
        gradOut.check(spec, in.batch(), in.seqLen());
        grads.check(spec, in.batch(), in.seqLen());
        Shapes.checkDistinct(spec, in, gradOut, out, grads, weights);
        Buffers bf = prepare(in.batch(), in.seqLen(), true);
        backwardPass.run(workspace.segment(), bf, in, out, gradOut, grads, team); // forward pass included
    }

    /** The buffers of this call's shape: the previous plan when the shape repeats, else a new plan. */
    private Buffers prepare(int batch, int seqLen, boolean training) {
        Buffers bf = buffers;
        if (bf == null || bf.plan.batch() != batch || bf.plan.seqLen() != seqLen || bf.plan.training() != training) {
            // training runs the forward by row chunks (BackwardPass), so only inference splits directions
            int scratchSets = !training && ForwardPass.splitsDirections(spec, team.threads()) ? spec.directions() : 1;
            WorkspacePlan plan = WorkspacePlan.of(spec, batch, seqLen, training, team.threads(), scratchSets,
                    fusedInput);
            LOG.finer(plan::toString);
            bf = new Buffers(spec, plan);
            buffers = bf;
        }
        workspace.ensure(bf.plan);
        return bf;
    }

    /** dX blocks of BPTT that a thread took from another's row chunk, over this engine's life; for tests. */
    long dxBlocksTakenOver() {
        return backwardPass.dxBlocksTakenOver();
    }

    /** The call buffers, for tests that fill them with garbage between calls. */
    Workspace workspace() {
        return workspace;
    }

    /**
     * Closes the engine: a later call throws. A call running on another thread meanwhile finishes (or fails) first;
     * the threads and native memory are released when it leaves ({@link CallGuard}).
     */
    @Override
    public void close() {
        guard.close();
    }

    private void release() {
        team.close();
        if (smallBatch != null) {
            smallBatch.close();
        }
        workspace.close();
        prepared.close();
    }
}
