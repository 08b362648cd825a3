// oneDNN peer of scripts/compare_torch.py: times one fp32 LSTM or GRU layer stack with oneDNN's RNN
// primitives (PyTorch's semantics: GRU is oneDNN's lbr_gru, linear-before-reset) and prints one JSON line
// with the median, min and max milliseconds per call.
//
//   onednn_rnn --cell lstm|gru --batch B --seq T --input-size I --hidden H [--layers L] [--bidirectional]
//              [--mode inference|training] [--threads N] [--seconds S] [--warmup-seconds W]
//
// inference: forward_inference of the stack. training: forward_training of the stack, then backward of
// the whole stack from a random diff_dst_layer (like PyTorch's out.backward(grad)): data and weight
// gradients. Initial states are zero (not passed), final states are not requested, as in
// compare_torch.py's PyTorch side. Build: scripts/onednn-build (make -C native build/onednn_rnn).
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#if DNNL_CPU_THREADING_RUNTIME != DNNL_RUNTIME_OMP && DNNL_CPU_THREADING_RUNTIME != DNNL_RUNTIME_SEQ
#error "onednn_rnn sets its thread count with OpenMP; this oneDNN uses another CPU runtime (see dnnl_config.h)"
#endif

using namespace dnnl;
using tag = memory::format_tag;
using dims = memory::dims;

namespace {

struct Options {
    std::string cell;  // "lstm" or "gru"
    long batch = 0, seq = 0, inputSize = 0, hidden = 0, layers = 1;
    bool bidirectional = false, training = false;
    int threads = 1;
    double seconds = 3, warmupSeconds = 2;
};

[[noreturn]] void badArguments(const std::string &what) {
    std::fprintf(stderr, "onednn_rnn: %s (usage: --cell lstm|gru --batch B --seq T --input-size I --hidden H"
                         " [--layers L] [--bidirectional] [--mode inference|training] [--threads N]"
                         " [--seconds S] [--warmup-seconds W])\n", what.c_str());
    std::exit(2);
}

long positiveInteger(const std::string &option, const char *text) {
    char *end = nullptr;
    long v = std::strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < 1)
        badArguments(option + ": expected a positive integer, found '" + text + "'");
    return v;
}

double nonNegativeSeconds(const std::string &option, const char *text) {
    char *end = nullptr;
    double v = std::strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !(v >= 0))
        badArguments(option + ": expected seconds >= 0, found '" + text + "'");
    return v;
}

Options parse(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--bidirectional") {
            o.bidirectional = true;
            continue;
        }
        if (i + 1 >= argc) badArguments(a.rfind("--", 0) == 0 ? a + ": missing value" : "unknown argument '" + a + "'");
        const char *v = argv[++i];
        if (a == "--cell") {
            o.cell = v;
            if (o.cell != "lstm" && o.cell != "gru")
                badArguments("--cell: expected lstm or gru, found '" + o.cell + "'");
        } else if (a == "--mode") {
            std::string m = v;
            if (m != "inference" && m != "training")
                badArguments("--mode: expected inference or training, found '" + m + "'");
            o.training = m == "training";
        } else if (a == "--batch") o.batch = positiveInteger(a, v);
        else if (a == "--seq") o.seq = positiveInteger(a, v);
        else if (a == "--input-size") o.inputSize = positiveInteger(a, v);
        else if (a == "--hidden") o.hidden = positiveInteger(a, v);
        else if (a == "--layers") o.layers = positiveInteger(a, v);
        else if (a == "--threads") o.threads = (int) positiveInteger(a, v);
        else if (a == "--seconds") o.seconds = nonNegativeSeconds(a, v);
        else if (a == "--warmup-seconds") o.warmupSeconds = nonNegativeSeconds(a, v);
        else badArguments("unknown argument '" + a + "'");
    }
    if (o.cell.empty()) badArguments("missing --cell");
    if (!o.batch) badArguments("missing --batch");
    if (!o.seq) badArguments("missing --seq");
    if (!o.inputSize) badArguments("missing --input-size");
    if (!o.hidden) badArguments("missing --hidden");
    return o;
}

bool isGru(const Options &o) { return o.cell == "gru"; }
memory::dim gates(const Options &o) { return isGru(o) ? 3 : 4; }
memory::dim directions(const Options &o) { return o.bidirectional ? 2 : 1; }

// 2·B·T·G·H·(In+H) per layer and direction (the GEMMs), training = forward + 2× for backward; the same
// count as recur4j's RnnFlops, so GFLOP/s compare directly.
double flopsPerCall(const Options &o) {
    double flops = 0;
    for (long l = 0; l < o.layers; l++) {
        long in = l == 0 ? o.inputSize : directions(o) * o.hidden;
        flops += directions(o) * 2.0 * o.batch * o.seq * gates(o) * o.hidden * (in + o.hidden);
    }
    return o.training ? 3 * flops : flops;
}

// ---------------------------------------------------------------------------------------------
// How the stack maps onto primitives. A multi-layer oneDNN primitive has one weights_layer tensor
// [L, D, SLC, G, H], so all its layers take SLC input channels, and oneDNN requires SLC == H when L > 1.
// Its bidirectional modes run each direction's stack of layers on its own and join the two only after
// the last layer, while PyTorch feeds both directions' outputs (2H channels) into the next layer. So:
//   unidirectional, I == H: one primitive with L layers;
//   unidirectional, I != H: one primitive for layer 0 (I -> H), one for layers 1..L-1 (H -> H);
//   bidirectional: one bidirectional_concat primitive per layer (I -> 2H, then 2H -> 2H).
struct Span {
    memory::dim layers, inputWidth;
};

std::vector<Span> primitiveSpans(const Options &o) {
    const memory::dim H = o.hidden;
    if (o.bidirectional) {
        std::vector<Span> spans{{1, o.inputSize}};
        for (long l = 1; l < o.layers; l++) spans.push_back({1, 2 * H});
        return spans;
    }
    if (o.inputSize == H || o.layers == 1) return {{o.layers, o.inputSize}};
    return {{1, o.inputSize}, {o.layers - 1, H}};
}

struct PrimitiveDescs {
    rnn_primitive_desc_base fwd, bwd;  // bwd only when training
};

// Data (src/dst layer and their gradients) is plain tnc, so one primitive's dst is the next one's src;
// weights, bias and weight gradients are format_tag::any, so each primitive picks its own layout.
PrimitiveDescs makeDescs(const Options &o, const Span &span, const engine &eng, const primitive_attr &attr) {
    const memory::dim T = o.seq, N = o.batch, H = o.hidden, G = gates(o), D = directions(o);
    const memory::dim biasGates = isGru(o) ? G + 1 : G;  // lbr_gru keeps the recurrent n-gate bias apart
    auto any = [](const dims &d) { return memory::desc(d, memory::data_type::f32, tag::any); };
    const memory::desc src({T, N, span.inputWidth}, memory::data_type::f32, tag::tnc);
    const memory::desc dst({T, N, D * H}, memory::data_type::f32, tag::tnc);
    const memory::desc wl = any({span.layers, D, span.inputWidth, G, H}), wi = any({span.layers, D, H, G, H});
    const memory::desc b = any({span.layers, D, biasGates, H}), none;
    const auto dir = o.bidirectional ? rnn_direction::bidirectional_concat : rnn_direction::unidirectional_left2right;
    const auto prop = o.training ? prop_kind::forward_training : prop_kind::forward_inference;
    if (!isGru(o)) {
        lstm_forward::primitive_desc fwd(
                lstm_forward::desc(prop, dir, src, none, none, wl, wi, b, dst, none, none), attr, eng);
        if (!o.training) return {fwd, {}};
        lstm_backward::desc bwd(prop_kind::backward, dir, src, none, none, wl, wi, b, dst, none, none,
                src, none, none, wl, wi, b, dst, none, none);
        return {fwd, lstm_backward::primitive_desc(bwd, attr, eng, fwd)};
    }
    lbr_gru_forward::primitive_desc fwd(lbr_gru_forward::desc(prop, dir, src, none, wl, wi, b, dst, none), attr, eng);
    if (!o.training) return {fwd, {}};
    lbr_gru_backward::desc bwd(prop_kind::backward, dir, src, none, wl, wi, b, dst, none,
            src, none, wl, wi, b, dst, none);
    return {fwd, lbr_gru_backward::primitive_desc(bwd, attr, eng, fwd)};
}

float *floats(const memory &m) { return static_cast<float *>(m.get_data_handle()); }
size_t floatCount(const memory &m) { return m.get_desc().get_size() / sizeof(float); }

memory randomMemory(const dims &d, tag format, float scale, const engine &eng, std::mt19937 &rng) {
    memory m({d, memory::data_type::f32, format}, eng);
    std::uniform_real_distribution<float> u(-scale, scale);
    std::generate(floats(m), floats(m) + floatCount(m), [&] { return u(rng); });
    return m;
}

// Done once, outside the timed loop.
memory inLayout(const memory &from, const memory::desc &layout, const engine &eng, stream &s) {
    if (from.get_desc() == layout) return from;
    memory to(layout, eng);
    reorder(from, to).execute(s, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
    s.wait();
    return to;
}

// One primitive of the stack with every buffer it needs, allocated once.
struct Stage {
    primitive fwd, bwd;
    std::unordered_map<int, memory> fwdArgs, bwdArgs;
    std::string fwdImpl, bwdImpl;
};

Stage makeStage(const Options &o, const Span &span, const memory &src, const engine &eng, stream &s,
        std::mt19937 &rng) {
    const memory::dim H = o.hidden, G = gates(o), D = directions(o);
    primitive_attr attr;
    attr.set_scratchpad_mode(scratchpad_mode::user);  // so the scratchpad is ours, allocated here
    PrimitiveDescs pd = makeDescs(o, span, eng, attr);
    Stage st;
    st.fwd = primitive(pd.fwd);
    st.fwdImpl = pd.fwd.impl_info_str();
    // PyTorch's initialisation range; the user layout is oneDNN's plain one, reordered into the primitive's.
    const float scale = 1.0f / std::sqrt((float) H);
    const memory wl = randomMemory({span.layers, D, span.inputWidth, G, H}, tag::ldigo, scale, eng, rng);
    const memory wi = randomMemory({span.layers, D, H, G, H}, tag::ldigo, scale, eng, rng);
    const memory b = randomMemory({span.layers, D, isGru(o) ? G + 1 : G, H}, tag::ldgo, scale, eng, rng);
    const memory dst(pd.fwd.dst_layer_desc(), eng);
    st.fwdArgs = {{DNNL_ARG_SRC_LAYER, src},
            {DNNL_ARG_WEIGHTS_LAYER, inLayout(wl, pd.fwd.weights_layer_desc(), eng, s)},
            {DNNL_ARG_WEIGHTS_ITER, inLayout(wi, pd.fwd.weights_iter_desc(), eng, s)},
            {DNNL_ARG_BIAS, inLayout(b, pd.fwd.bias_desc(), eng, s)}, {DNNL_ARG_DST_LAYER, dst},
            {DNNL_ARG_SCRATCHPAD, memory(pd.fwd.scratchpad_desc(), eng)}};
    if (!o.training) return st;
    const memory workspace(pd.fwd.workspace_desc(), eng);
    st.fwdArgs[DNNL_ARG_WORKSPACE] = workspace;
    st.bwd = primitive(pd.bwd);
    st.bwdImpl = pd.bwd.impl_info_str();
    // DIFF_DST_LAYER is linked by the caller: the next stage's DIFF_SRC_LAYER, or the stack's output gradient.
    st.bwdArgs = {{DNNL_ARG_SRC_LAYER, src},
            {DNNL_ARG_WEIGHTS_LAYER, inLayout(wl, pd.bwd.weights_layer_desc(), eng, s)},
            {DNNL_ARG_WEIGHTS_ITER, inLayout(wi, pd.bwd.weights_iter_desc(), eng, s)},
            {DNNL_ARG_BIAS, inLayout(b, pd.bwd.bias_desc(), eng, s)}, {DNNL_ARG_DST_LAYER, dst},
            {DNNL_ARG_WORKSPACE, workspace}, {DNNL_ARG_DIFF_SRC_LAYER, memory(pd.bwd.diff_src_layer_desc(), eng)},
            {DNNL_ARG_DIFF_WEIGHTS_LAYER, memory(pd.bwd.diff_weights_layer_desc(), eng)},
            {DNNL_ARG_DIFF_WEIGHTS_ITER, memory(pd.bwd.diff_weights_iter_desc(), eng)},
            {DNNL_ARG_DIFF_BIAS, memory(pd.bwd.diff_bias_desc(), eng)},
            {DNNL_ARG_SCRATCHPAD, memory(pd.bwd.scratchpad_desc(), eng)}};
    return st;
}

const int weightGradientArgs[] = {DNNL_ARG_DIFF_WEIGHTS_LAYER, DNNL_ARG_DIFF_WEIGHTS_ITER, DNNL_ARG_DIFF_BIAS};

// oneDNN's RNN backward adds to the weight gradients, like PyTorch's .grad; both sides start each timed
// call from zero (compare_torch.py sets PyTorch's to None), outside the timing.
void zeroWeightGradients(std::vector<Stage> &stages) {
    for (Stage &st : stages)
        for (int arg : weightGradientArgs)
            std::memset(floats(st.bwdArgs[arg]), 0, st.bwdArgs[arg].get_desc().get_size());
}

void runCall(std::vector<Stage> &stages, stream &s, bool training) {
    for (Stage &st : stages) st.fwd.execute(s, st.fwdArgs);
    if (training)
        for (auto it = stages.rbegin(); it != stages.rend(); ++it) it->bwd.execute(s, it->bwdArgs);
    s.wait();
}

// A wrong setup shows as NaN, all zeros, or outputs outside [-1, 1] (h = o·tanh(c) for LSTM, a convex
// mix of tanh and the previous h for GRU). Returns what is wrong, or "" when the outputs are sane.
std::string checkOutputs(std::vector<Stage> &stages, bool training) {
    auto scan = [](const memory &m, const char *name, float bound) -> std::string {
        const float *v = floats(m);
        float largest = 0;
        for (size_t i = 0; i < floatCount(m); i++) {
            if (!std::isfinite(v[i])) return std::string(name) + " has a non-finite value";
            largest = std::max(largest, std::fabs(v[i]));
        }
        if (largest == 0) return std::string(name) + " is all zeros";
        if (largest > bound)
            return std::string(name) + " has |value| " + std::to_string(largest) + " > " + std::to_string(bound);
        return "";
    };
    std::string bad = scan(stages.back().fwdArgs[DNNL_ARG_DST_LAYER], "dst_layer", 1.0f);
    if (!training || !bad.empty()) return bad;
    bad = scan(stages.front().bwdArgs[DNNL_ARG_DIFF_SRC_LAYER], "diff_src_layer", INFINITY);
    for (Stage &st : stages)
        for (int arg : weightGradientArgs)
            if (bad.empty()) bad = scan(st.bwdArgs[arg], "a weight gradient", INFINITY);
    return bad;
}

const char *runtimeName(unsigned runtime) {
    switch (runtime) {
        case DNNL_RUNTIME_OMP: return "omp";
        case DNNL_RUNTIME_SEQ: return "seq";
        case DNNL_RUNTIME_TBB: return "tbb";
        case DNNL_RUNTIME_THREADPOOL: return "threadpool";
        default: return "other";
    }
}

const char *isaName(cpu_isa isa) {
    switch (isa) {
        case cpu_isa::sse41: return "sse41";
        case cpu_isa::avx: return "avx";
        case cpu_isa::avx2: return "avx2";
        case cpu_isa::avx2_vnni: return "avx2_vnni";
        case cpu_isa::avx512_core: return "avx512_core";
        case cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
        case cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
        case cpu_isa::avx512_core_amx: return "avx512_core_amx";
        default: return "other";
    }
}

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

int main(int argc, char **argv) {
    const Options o = parse(argc, argv);
    // Before the first parallel region: oneDNN's OpenMP runtime then uses this many threads.
    omp_set_num_threads(o.threads);
    const int threads = DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP ? omp_get_max_threads() : 1;
    if (threads != o.threads) {
        std::fprintf(stderr, "onednn_rnn: asked for %d threads, oneDNN will use %d\n", o.threads, threads);
        return 2;
    }
    try {
        engine eng(engine::kind::cpu, 0);
        stream s(eng);
        std::mt19937 rng(0);
        const memory::dim T = o.seq, N = o.batch, D = directions(o);
        const memory x = randomMemory({T, N, o.inputSize}, tag::tnc, 1.0f, eng, rng);
        std::vector<Stage> stages;
        for (const Span &span : primitiveSpans(o)) {
            const memory &src = stages.empty() ? x : stages.back().fwdArgs[DNNL_ARG_DST_LAYER];
            stages.push_back(makeStage(o, span, src, eng, s, rng));
        }
        if (o.training) {
            // The stack's output gradient, as compare_torch.py's grad_out for PyTorch.
            const memory outputGradient = randomMemory({T, N, D * o.hidden}, tag::tnc, 1.0f, eng, rng);
            stages.back().bwdArgs[DNNL_ARG_DIFF_DST_LAYER] = outputGradient;
            for (size_t i = 0; i + 1 < stages.size(); i++)
                stages[i].bwdArgs[DNNL_ARG_DIFF_DST_LAYER] = stages[i + 1].bwdArgs[DNNL_ARG_DIFF_SRC_LAYER];
        }

        auto start = Clock::now();
        int warmupCalls = 0;
        while (warmupCalls < 2 || secondsSince(start) < o.warmupSeconds) {
            if (o.training) zeroWeightGradients(stages);
            runCall(stages, s, o.training);
            warmupCalls++;
        }
        const std::string bad = checkOutputs(stages, o.training);
        if (!bad.empty()) {
            std::fprintf(stderr, "onednn_rnn: output check failed: %s\n", bad.c_str());
            return 1;
        }
        std::vector<double> times;
        start = Clock::now();
        while (times.size() < 10 || secondsSince(start) < o.seconds) {
            if (o.training) zeroWeightGradients(stages);
            auto t0 = Clock::now();
            runCall(stages, s, o.training);
            times.push_back(secondsSince(t0) * 1e3);
        }

        std::vector<double> sorted = times;
        std::sort(sorted.begin(), sorted.end());
        const size_t n = sorted.size();
        const double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        const dnnl_version_t *v = dnnl_version();
        std::printf("{\"peer\":\"onednn\",\"median_ms\":%.6f,\"min_ms\":%.6f,\"max_ms\":%.6f,\"runs\":%zu,"
                    "\"warmup_calls\":%d,\"threads\":%d,\"cell\":\"%s\",\"batch\":%ld,\"seq\":%ld,\"input_size\":%ld,"
                    "\"hidden\":%ld,\"layers\":%ld,\"bidirectional\":%s,\"mode\":\"%s\",\"flops_per_call\":%.0f,"
                    "\"gflops\":%.3f,\"primitives\":%zu,\"impl_fwd\":\"%s\",\"impl_bwd\":\"%s\",\"isa\":\"%s\","
                    "\"cpu_runtime\":\"%s\",\"onednn_version\":\"%d.%d.%d\"}\n",
                median, sorted.front(), sorted.back(), n, warmupCalls, threads, o.cell.c_str(), o.batch, o.seq,
                o.inputSize, o.hidden, o.layers, o.bidirectional ? "true" : "false",
                o.training ? "training" : "inference", flopsPerCall(o), flopsPerCall(o) / (median * 1e6),
                stages.size(), stages.front().fwdImpl.c_str(), stages.front().bwdImpl.c_str(),
                isaName(get_effective_cpu_isa()), runtimeName(v->cpu_runtime), v->major, v->minor, v->patch);
    } catch (const dnnl::error &e) {
        std::fprintf(stderr, "onednn_rnn: oneDNN failed: %s (status %d)\n", e.what(), (int) e.status);
        return 1;
    }
    return 0;
}
