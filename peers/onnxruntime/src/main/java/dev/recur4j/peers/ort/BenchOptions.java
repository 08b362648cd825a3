package dev.recur4j.peers.ort;

import java.util.Set;

/**
 * The ONNX Runtime peer's command line, the same options as native/onednn_rnn.cpp's (and `recur4j bench`'s):
 * <pre>
 *   --cell lstm|gru --batch B --seq T --input-size I --hidden H [--layers L] [--bidirectional]
 *   [--mode inference] [--threads N] [--seconds S] [--warmup-seconds W]
 * </pre>
 * ONNX Runtime does not train, so --mode training is refused.
 */
record BenchOptions(RnnShape shape, int threads, double seconds, double warmupSeconds) {
    /** The options that take a value (--bidirectional is the one flag). */
    private static final Set<String> VALUED = Set.of("--cell", "--mode", "--batch", "--seq", "--input-size",
            "--hidden", "--layers", "--threads", "--seconds", "--warmup-seconds");

    static final String USAGE = "usage: --cell lstm|gru --batch B --seq T --input-size I --hidden H [--layers L]"
            + " [--bidirectional] [--mode inference] [--threads N] [--seconds S] [--warmup-seconds W]";

    /** A bad command line; the message names what is wrong. */
    static final class BadArguments extends Exception {
        BadArguments(String message) {
            super(message);
        }
    }

    static BenchOptions parse(String[] args) throws BadArguments {
        String cell = null;
        int batch = 0, seq = 0, inputSize = 0, hidden = 0, layers = 1, threads = 1;
        boolean bidirectional = false;
        double seconds = 3, warmupSeconds = 2;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--bidirectional")) {
                bidirectional = true;
                continue;
            }
            if (!VALUED.contains(a))
                throw new BadArguments("unknown argument '" + a + "'");
            if (i + 1 >= args.length)
                throw new BadArguments(a + ": missing value");
            String v = args[++i];
            switch (a) {
                case "--cell" -> {
                    if (!v.equals("lstm") && !v.equals("gru"))
                        throw new BadArguments("--cell: expected lstm or gru, found '" + v + "'");
                    cell = v;
                }
                case "--mode" -> {
                    if (v.equals("training"))
                        throw new BadArguments("--mode training: ONNX Runtime's LSTM and GRU run inference only");
                    if (!v.equals("inference"))
                        throw new BadArguments("--mode: expected inference, found '" + v + "'");
                }
                case "--batch" -> batch = positiveInteger(a, v);
                case "--seq" -> seq = positiveInteger(a, v);
                case "--input-size" -> inputSize = positiveInteger(a, v);
                case "--hidden" -> hidden = positiveInteger(a, v);
                case "--layers" -> layers = positiveInteger(a, v);
                case "--threads" -> threads = positiveInteger(a, v);
                case "--seconds" -> seconds = nonNegativeSeconds(a, v);
                case "--warmup-seconds" -> warmupSeconds = nonNegativeSeconds(a, v);
                default -> throw new BadArguments("unknown argument '" + a + "'");
            }
        }
        if (cell == null) throw new BadArguments("missing --cell");
        if (batch == 0) throw new BadArguments("missing --batch");
        if (seq == 0) throw new BadArguments("missing --seq");
        if (inputSize == 0) throw new BadArguments("missing --input-size");
        if (hidden == 0) throw new BadArguments("missing --hidden");
        RnnShape shape = new RnnShape(cell, batch, seq, inputSize, hidden, layers, bidirectional);
        return new BenchOptions(shape, threads, seconds, warmupSeconds);
    }

    private static int positiveInteger(String option, String text) throws BadArguments {
        try {
            int v = Integer.parseInt(text);
            if (v >= 1) return v;
        } catch (NumberFormatException e) {
            // reported below, like a value < 1
        }
        throw new BadArguments(option + ": expected a positive integer, found '" + text + "'");
    }

    private static double nonNegativeSeconds(String option, String text) throws BadArguments {
        try {
            double v = Double.parseDouble(text);
            if (v >= 0 && Double.isFinite(v)) return v;
        } catch (NumberFormatException e) {
            // reported below, like a negative value
        }
        throw new BadArguments(option + ": expected seconds >= 0, found '" + text + "'");
    }
}
