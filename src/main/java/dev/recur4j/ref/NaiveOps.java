package dev.recur4j.ref;

/**
 * The few vector operations the naive cells are written in. Matrices are row-major
 * {@code [rows, cols]}; a "block" is the rows {@code row0 .. row0+n-1} of a weight matrix, i.e.
 * one gate's slice of {@code W_ih} or {@code W_hh}. Every method allocates or adds plainly, with
 * no blocking or reordering, so each line reads as the formula in its comment.
 */
final class NaiveOps {
    private NaiveOps() {
    }

    /** σ(a) = 1 / (1 + e^-a). */
    static double sigmoid(double a) {
        return 1.0 / (1.0 + Math.exp(-a));
    }

    /**
     * y = W[row0 .. row0+n, :] x + b[row0 .. row0+n]; the bias term is skipped when {@code b} is null.
     * W is [*, x.length], y is [n].
     */
    static double[] affine(double[] w, double[] b, int row0, int n, double[] x) {
        int cols = x.length;
        double[] y = new double[n];
        for (int r = 0; r < n; r++) {
            double s = b == null ? 0.0 : b[row0 + r];
            for (int c = 0; c < cols; c++) {
                s += w[(row0 + r) * cols + c] * x[c];
            }
            y[r] = s;
        }
        return y;
    }

    /**
     * Backward of {@link #affine} for one block, accumulating:
     * dW[row0+r, c] += dy[r] x[c];  db[row0+r] += dy[r] (skipped when db is null);  dx[c] += Σ_r W[row0+r, c] dy[r].
     */
    static void affineBackward(double[] w, double[] dw, double[] db, int row0, double[] dy, double[] x, double[] dx) {
        int cols = x.length;
        for (int r = 0; r < dy.length; r++) {
            for (int c = 0; c < cols; c++) {
                dw[(row0 + r) * cols + c] += dy[r] * x[c];
                dx[c] += w[(row0 + r) * cols + c] * dy[r];
            }
            if (db != null) {
                db[row0 + r] += dy[r];
            }
        }
    }

    /** a + b, elementwise. */
    static double[] plus(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int j = 0; j < a.length; j++) {
            y[j] = a[j] + b[j];
        }
        return y;
    }

    /** a ⊙ b, elementwise. */
    static double[] times(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int j = 0; j < a.length; j++) {
            y[j] = a[j] * b[j];
        }
        return y;
    }

    /** acc += a, elementwise. */
    static void addInto(double[] acc, double[] a) {
        for (int j = 0; j < a.length; j++) {
            acc[j] += a[j];
        }
    }

    /** a[off .. off+n] as a new array. */
    static double[] slice(double[] a, int off, int n) {
        double[] y = new double[n];
        System.arraycopy(a, off, y, 0, n);
        return y;
    }
}
