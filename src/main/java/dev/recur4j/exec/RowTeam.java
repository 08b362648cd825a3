package dev.recur4j.exec;

import java.util.concurrent.Phaser;

/**
 * A fixed team of threads that splits batch rows [0, rows) into contiguous chunks, one per thread;
 * the caller runs chunk 0 itself. Batch rows of a recurrent layer are independent, so a chunk can
 * run a whole time loop (its own GEMMs and kernels) with no synchronisation until the join at the
 * end of {@link #run}. With one thread nothing is created and the task runs inline.
 */
final class RowTeam implements AutoCloseable {

    /** Work on rows [from, to); {@code chunk} in [0, threads) names per-thread scratch. */
    interface Task {
        void rows(int chunk, int from, int to);
    }

    private final int threads;
    private final Thread[] workers;
    private final Phaser phaser;
    private volatile Task task;
    private volatile int rows;
    private volatile boolean stopping;
    private volatile Throwable failure;

    RowTeam(int threads) {
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.phaser = threads > 1 ? new Phaser(threads) : null;
        for (int i = 0; i < workers.length; i++) {
            int chunk = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("recur4j-rows-" + chunk).unstarted(() -> work(chunk));
            workers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    /** Runs {@code t} over [0, n) split across the team; returns when every chunk is done. */
    void run(int n, Task t) {
        if (threads == 1 || n == 1) {
            t.rows(0, 0, n);
            return;
        }
        task = t;
        rows = n;
        failure = null;
        phaser.arriveAndAwaitAdvance(); // start
        Throwable mine = null;
        try {
            runChunk(0, t, n);
        } catch (Throwable e) {
            mine = e;
        }
        phaser.arriveAndAwaitAdvance(); // join
        task = null;
        Throwable f = mine != null ? mine : failure;
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error er) {
            throw er;
        }
    }

    private void runChunk(int chunk, Task t, int n) {
        int from = (int) ((long) n * chunk / threads);
        int to = (int) ((long) n * (chunk + 1) / threads);
        if (from < to) {
            t.rows(chunk, from, to);
        }
    }

    private void work(int chunk) {
        while (true) {
            phaser.arriveAndAwaitAdvance();
            if (stopping) {
                phaser.arriveAndDeregister();
                return;
            }
            try {
                runChunk(chunk, task, rows);
            } catch (Throwable e) {
                failure = e;
            }
            phaser.arriveAndAwaitAdvance();
        }
    }

    @Override
    public void close() {
        if (threads == 1 || stopping) {
            return;
        }
        stopping = true;
        phaser.arriveAndAwaitAdvance(); // workers wake, see stopping, deregister
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
