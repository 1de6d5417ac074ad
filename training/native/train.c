/*
 * gpt-train: the native GPT-2 trainer driven by training/train.ts.
 *
 *   gpt-train --out DIR --train FILE --val FILE --vocab-size V --n-layer L ... [--resume 1]
 *   gpt-train --bench 1 --vocab-size V --n-layer L ... --batch-size B --seq-len T
 *
 * Data: uint16 little-endian token ids, memory-mapped. A training row is T+1 consecutive tokens
 * at a uniformly random offset (drawn from the checkpointed RNG); validation uses eval_tokens of
 * val.bin in fixed windows of seq_len spread evenly over the file, so every eval sees the same text.
 *
 * Output: one JSON object per line on stdout (events start, bench, step, eval, checkpoint, done);
 * human-readable errors on stderr and a non-zero exit status.
 *
 * Checkpoint DIR/checkpoint.bin (written to a temp file and renamed, so it is never half written):
 *   int64 header[32]: [0] magic CKPT_MAGIC, [1] version 1, [2] vocab_size, [3] n_positions,
 *     [4] n_layer, [5] n_head, [6] n_embd, [7] step (optimizer steps done), [8] tokens trained,
 *     [9] data RNG state, [10] num_params, [11] seq_len, [12] batch_size, [13] grad_accum,
 *     [14] bits of double layer_norm_epsilon, [15] bits of double elapsed training seconds
 *   float32 params[num_params]  (layout in gpt_config.h = model.safetensors tensor order)
 *   float32 m[num_params], float32 v[num_params]  (AdamW moments)
 *
 * FLOPs per trained token (reported as GFLOP/s; model FLOPs, the ones the math needs):
 *   6 * (L * 12 * C^2 + V * C)          matmuls: 2 per multiply-add, x3 for forward + backward
 *   + 6 * L * C * (T + 1)               causal attention: QK^T and PV cost 2*C*(t+1) each at
 *                                       position t, mean over t gives 2*C*(T+1), x3 for backward
 * Not counted: layernorm, GELU, softmax, AdamW, and the masked key blocks the attention kernel
 * computes anyway (at most gpt_attn_block-1 keys per row).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "gpt.h"
#include "matmul.h"

#define CKPT_MAGIC 0x3154504b43545047LL /* "GPTCKPT1" little-endian */
#define CKPT_HEADER_WORDS 32

/* ---- options ---- */
typedef struct {
    const char *out, *train, *val;
    int vocab_size, n_positions, n_layer, n_head, n_embd;
    double ln_eps;
    int seq_len, batch_size, grad_accum;
    long steps;
    double lr, min_lr, weight_decay, grad_clip, beta1, beta2, adam_eps;
    long warmup_steps, eval_interval, eval_tokens, log_interval, stop_after;
    double checkpoint_minutes, max_seconds;
    /* 0: cosine decay over the whole run; in (0, 1]: warmup-stable-decay, the last decay_fraction of the run decays */
    double decay_fraction;
    /* > 0: the warmup-stable-decay schedule is fixed in steps: peak lr until this step, then the decay down to
     * min_lr at `steps`. Given to replay a run; chosen by a time-budgeted run when its stable phase ends. */
    long decay_start_step;
    /* 0: AdamW for all tensors; 1: Muon for the hidden matrices (AdamW for the rest), momentum muon_momentum */
    int optimizer;
    double muon_momentum;
    long seed;
    int resume, bench, bench_reps, print_schedule;
    /* --precision fp32 | bf16: the linear layers' and LM head's matrix products (matmul.h) */
    const char *precision;
} Options;

static void usage_error(const char *msg, const char *arg) {
    fprintf(stderr, "gpt-train: %s%s\n", msg, arg ? arg : "");
    exit(2);
}

static void parse_args(Options *o, int argc, char **argv) {
    memset(o, 0, sizeof(*o));
    o->ln_eps = 1e-5; o->seq_len = 256; o->batch_size = 8; o->grad_accum = 1; o->steps = 1000;
    o->lr = 6e-4; o->min_lr = 6e-5; o->weight_decay = 0.1; o->grad_clip = 1.0; o->beta1 = 0.9; o->beta2 = 0.95;
    o->adam_eps = 1e-8; o->warmup_steps = 100; o->eval_interval = 200; o->eval_tokens = 65536; o->log_interval = 1;
    o->checkpoint_minutes = 10; o->muon_momentum = 0.95; o->seed = 1337; o->bench_reps = 3; o->n_head = 4;
    o->precision = "fp32";
    for (int i = 1; i < argc; i += 2) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strncmp(k, "--", 2) != 0 || !v) usage_error("expected --option value pairs, got ", k);
        k += 2;
#define OPT_S(name, field) else if (!strcmp(k, name)) o->field = v
#define OPT_I(name, field) else if (!strcmp(k, name)) o->field = atol(v)
#define OPT_D(name, field) else if (!strcmp(k, name)) o->field = atof(v)
        if (0) {}
        OPT_S("out", out); OPT_S("train", train); OPT_S("val", val);
        OPT_I("vocab-size", vocab_size); OPT_I("n-positions", n_positions); OPT_I("n-layer", n_layer); OPT_I("n-head", n_head);
        OPT_I("n-embd", n_embd); OPT_D("layer-norm-epsilon", ln_eps); OPT_I("seq-len", seq_len); OPT_I("batch-size", batch_size);
        OPT_I("grad-accum", grad_accum); OPT_I("steps", steps); OPT_D("lr", lr); OPT_D("min-lr", min_lr);
        OPT_D("weight-decay", weight_decay); OPT_D("grad-clip", grad_clip); OPT_D("beta1", beta1); OPT_D("beta2", beta2);
        OPT_D("adam-eps", adam_eps); OPT_I("warmup-steps", warmup_steps); OPT_I("eval-interval", eval_interval);
        OPT_I("eval-tokens", eval_tokens); OPT_I("log-interval", log_interval); OPT_I("stop-after", stop_after);
        OPT_D("checkpoint-minutes", checkpoint_minutes); OPT_D("max-seconds", max_seconds); OPT_I("seed", seed); OPT_I("resume", resume); OPT_I("bench", bench);
        OPT_I("bench-reps", bench_reps); OPT_D("decay-fraction", decay_fraction); OPT_I("print-schedule", print_schedule);
        OPT_I("decay-start-step", decay_start_step);
        OPT_I("optimizer", optimizer); OPT_D("muon-momentum", muon_momentum); OPT_S("precision", precision);
        else if (!strcmp(k, "attn-block")) gpt_attn_block_f = atoi(v);
        else usage_error("unknown option --", k);
#undef OPT_S
#undef OPT_I
#undef OPT_D
    }
    if (o->optimizer != 0 && o->optimizer != 1) usage_error("--optimizer must be 0 (adamw) or 1 (muon)", NULL);
    if (strcmp(o->precision, "fp32") && strcmp(o->precision, "bf16")) usage_error("--precision must be fp32 or bf16, got ", o->precision);
    if (o->decay_fraction < 0 || o->decay_fraction > 1) usage_error("--decay-fraction must be in [0, 1]", NULL);
    if (o->decay_start_step != 0) {
        if (o->decay_fraction <= 0) usage_error("--decay-start-step needs the warmup-stable-decay schedule (--decay-fraction > 0)", NULL);
        if (o->max_seconds > 0) usage_error("--decay-start-step replays a schedule in steps; it cannot be combined with --max-seconds", NULL);
        if (o->decay_start_step < o->warmup_steps || o->decay_start_step >= o->steps)
            usage_error("--decay-start-step must be in [--warmup-steps, --steps)", NULL);
    }
    if (o->vocab_size <= 0 || o->n_positions <= 0 || o->n_layer <= 0 || o->n_embd <= 0 || o->n_head <= 0)
        usage_error("--vocab-size, --n-positions, --n-layer, --n-head, --n-embd must be positive", NULL);
    if (o->n_embd % o->n_head) usage_error("--n-embd must be divisible by --n-head", NULL);
    if (o->seq_len <= 0 || o->seq_len > o->n_positions) usage_error("--seq-len must be in [1, n_positions]", NULL);
    if (o->batch_size <= 0 || o->grad_accum <= 0) usage_error("--batch-size and --grad-accum must be positive", NULL);
    if (!o->bench && !o->print_schedule && (!o->out || !o->train || !o->val)) usage_error("--out, --train and --val are required", NULL);
}

/* ---- time, signals ---- */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile sig_atomic_t stop_signal = 0;
static void on_signal(int sig) { stop_signal = sig; }

/* ---- token files ---- */
typedef struct { const uint16_t *tok; size_t n; const char *path; } Tokens;

static int open_tokens(Tokens *t, const char *path, int vocab_size, size_t need) {
    t->path = path;
    int fd = open(path, O_RDONLY);
    if (fd < 0) { fprintf(stderr, "gpt-train: %s: cannot open token file (%s)\n", path, strerror(errno)); return -1; }
    struct stat st;
    fstat(fd, &st);
    if (st.st_size % 2) { fprintf(stderr, "gpt-train: %s: size %lld is odd, not uint16 tokens\n", path, (long long)st.st_size); return -1; }
    t->n = st.st_size / 2;
    if (t->n < need) {
        fprintf(stderr, "gpt-train: %s: has %zu tokens, needs at least %zu (seq_len + 1)\n", path, t->n, need);
        return -1;
    }
    void *p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) { fprintf(stderr, "gpt-train: %s: mmap failed (%s)\n", path, strerror(errno)); return -1; }
    t->tok = p;
    for (size_t i = 0; i < t->n; i++) {
        if (t->tok[i] >= vocab_size) {
            fprintf(stderr, "gpt-train: %s: token %u at index %zu is >= vocab_size %d (wrong meta.json?)\n",
                    path, t->tok[i], i, vocab_size);
            return -1;
        }
    }
    return 0;
}

static void sample_batch(const Tokens *t, uint64_t *rng, int B, int T, int *inputs, int *targets) {
    size_t range = t->n - T; /* start in [0, n - T - 1] so start + T is a valid target index */
    for (int b = 0; b < B; b++) {
        size_t start = rng_next(rng) % range;
        for (int i = 0; i < T; i++) {
            inputs[b * T + i] = t->tok[start + i];
            targets[b * T + i] = t->tok[start + i + 1];
        }
    }
}

/* ---- checkpoints ---- */
static int64_t dbits(double d) { int64_t i; memcpy(&i, &d, 8); return i; }
static double bitsd(int64_t i) { double d; memcpy(&d, &i, 8); return d; }

static int write_all(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n ? 0 : -1; }

static int save_checkpoint(const char *dir, GPT_f *model, const Options *o, long step, long long tokens,
                           uint64_t rng, double elapsed) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int64_t h[CKPT_HEADER_WORDS] = {0};
    const GPTConfig *c = &model->config;
    h[0] = CKPT_MAGIC; h[1] = 1; h[2] = c->vocab_size; h[3] = c->max_seq_len; h[4] = c->n_layer; h[5] = c->n_head;
    h[6] = c->n_embd; h[7] = step; h[8] = tokens; h[9] = (int64_t)rng; h[10] = (int64_t)model->num_params;
    h[11] = o->seq_len; h[12] = o->batch_size; h[13] = o->grad_accum; h[14] = dbits(c->ln_eps); h[15] = dbits(elapsed);
    h[16] = o->decay_start_step; h[17] = o->decay_start_step > 0 ? o->steps : 0;
    FILE *f = fopen(tmp, "wb");
    if (!f) { fprintf(stderr, "gpt-train: %s: cannot write checkpoint (%s)\n", tmp, strerror(errno)); return -1; }
    size_t n = model->num_params * sizeof(float);
    int err = write_all(f, h, sizeof h) | write_all(f, model->params, n) | write_all(f, model->m, n) | write_all(f, model->v, n);
    err |= fflush(f) != 0;
    err |= fsync(fileno(f)) != 0;
    err |= fclose(f) != 0;
    if (err || rename(tmp, path) != 0) {
        fprintf(stderr, "gpt-train: %s: writing checkpoint failed (%s)\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int load_checkpoint(const char *dir, GPT_f *model, Options *o, long *step, long long *tokens, uint64_t *rng, double *elapsed) {
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "gpt-train: %s: cannot open checkpoint to resume (%s)\n", path, strerror(errno)); return -1; }
    int64_t h[CKPT_HEADER_WORDS];
    const GPTConfig *c = &model->config;
    if (fread(h, sizeof h, 1, f) != 1 || h[0] != CKPT_MAGIC || h[1] != 1) {
        fprintf(stderr, "gpt-train: %s: not a version 1 checkpoint\n", path);
        fclose(f);
        return -1;
    }
    if (h[2] != c->vocab_size || h[3] != c->max_seq_len || h[4] != c->n_layer || h[5] != c->n_head || h[6] != c->n_embd) {
        fprintf(stderr, "gpt-train: %s: checkpoint model (V=%lld n_positions=%lld L=%lld NH=%lld C=%lld) does not match the config\n",
                path, (long long)h[2], (long long)h[3], (long long)h[4], (long long)h[5], (long long)h[6]);
        fclose(f);
        return -1;
    }
    size_t n = model->num_params;
    if (fread(model->params, sizeof(float), n, f) != n || fread(model->m, sizeof(float), n, f) != n ||
        fread(model->v, sizeof(float), n, f) != n) {
        fprintf(stderr, "gpt-train: %s: checkpoint is truncated\n", path);
        fclose(f);
        return -1;
    }
    fclose(f);
    *step = h[7]; *tokens = h[8]; *rng = (uint64_t)h[9]; *elapsed = bitsd(h[15]);
    if (h[16] > 0) { /* a schedule fixed in steps (by --decay-start-step or a time budget) continues as fixed */
        o->decay_start_step = h[16];
        o->steps = h[17];
        o->max_seconds = 0;
    }
    return 0;
}

/* ---- schedule ----
 * Linear warmup over warmup_steps, then either cosine decay to min_lr (decay_fraction 0) or
 * warmup-stable-decay (Hägele et al. 2024): lr stays at its peak until the last decay_fraction of the
 * run, then falls to min_lr as 1 - sqrt(progress through the decay). Progress is measured in steps,
 * or, with --max-seconds (a wall-time budget on a shared machine), in training time when that is
 * further along: the run then ends on time with the learning rate decayed, whatever throughput it
 * got. A warmup-stable-decay run with a time budget uses the time only to end its stable phase: it then fixes
 * the decay in steps (fix_decay_in_steps), so `--steps N --decay-start-step S` replays it bit for bit. A cosine
 * schedule with a time budget follows the time to the end and is not bit-reproducible. */
static double lr_at(const Options *o, long step, double elapsed) {
    if (step < o->warmup_steps) return o->lr * (step + 1) / o->warmup_steps;
    if (o->decay_start_step > 0) {
        if (step <= o->decay_start_step) return o->lr;
        double d = (double)(step - o->decay_start_step) / (double)(o->steps - o->decay_start_step);
        if (d > 1) d = 1;
        return o->min_lr + (o->lr - o->min_lr) * (1 - sqrt(d));
    }
    double progress = o->steps > o->warmup_steps ? (double)(step - o->warmup_steps) / (double)(o->steps - o->warmup_steps) : 1;
    if (o->max_seconds > 0) {
        double tp = elapsed / o->max_seconds;
        if (tp > progress) progress = tp;
    }
    if (progress > 1) progress = 1;
    if (o->decay_fraction > 0) {
        double stable = 1 - o->decay_fraction;
        if (progress <= stable) return o->lr;
        return o->min_lr + (o->lr - o->min_lr) * (1 - sqrt((progress - stable) / o->decay_fraction));
    }
    return o->min_lr + 0.5 * (o->lr - o->min_lr) * (1 + cos(M_PI * progress));
}

/* A time-budgeted warmup-stable-decay run at `step`, `elapsed` seconds in: once the time says the stable phase
 * is over (and the step count does not already), the decay gets the same share of the run's steps that
 * decay_fraction gives it of the time, counted from this step; the run then ends at that step count. Returns
 * whether it fixed the schedule now. */
static int fix_decay_in_steps(Options *o, long step, double elapsed) {
    if (o->max_seconds <= 0 || o->decay_fraction <= 0 || o->decay_fraction >= 1 || o->decay_start_step > 0) return 0;
    if (step < o->warmup_steps || elapsed / o->max_seconds < 1 - o->decay_fraction) return 0;
    double stable_steps = (double)(step - o->warmup_steps);
    if (o->steps > o->warmup_steps && stable_steps / (double)(o->steps - o->warmup_steps) >= 1 - o->decay_fraction) return 0;
    long decay_steps = (long)ceil(stable_steps * o->decay_fraction / (1 - o->decay_fraction));
    if (decay_steps < 1) decay_steps = 1;
    o->decay_start_step = step;
    if (step + decay_steps < o->steps) o->steps = step + decay_steps;
    o->max_seconds = 0;
    return 1;
}

static double flops_per_token(const GPTConfig *c, int T) {
    double L = c->n_layer, C = c->n_embd, V = c->vocab_size;
    return 6.0 * (L * 12 * C * C + V * C) + 6.0 * L * C * (T + 1);
}

/* ---- validation ---- */
static double evaluate(GPT_f *model, const Tokens *val, const Options *o, int *inputs, int *targets, long *tokens_used) {
    int B = o->batch_size, T = o->seq_len;
    long windows = (long)((val->n - 1) / T);
    long want = o->eval_tokens / T;
    if (want < 1) want = 1;
    if (windows > want) windows = want;
    /* windows spread evenly over the whole file (val.bin is ordered by package) */
    size_t stride = (val->n - 1 - T) / (windows > 1 ? windows - 1 : 1);
    if (stride < (size_t)T) stride = T;
    double total = 0;
    long count = 0;
    for (long w0 = 0; w0 < windows; w0 += B) {
        for (int b = 0; b < B; b++) {
            long w = w0 + b < windows ? w0 + b : windows - 1; /* pad the last batch, ignored below */
            size_t start = (size_t)w * stride;
            for (int i = 0; i < T; i++) {
                inputs[b * T + i] = val->tok[start + i];
                targets[b * T + i] = val->tok[start + i + 1];
            }
        }
        if (gpt_forward_f(model, inputs, targets, B, T, 0) != 0) return NAN;
        for (int b = 0; b < B && w0 + b < windows; b++) {
            for (int i = 0; i < T; i++) total += model->acts.losses[b * T + i];
            count += T;
        }
    }
    *tokens_used = count;
    return total / count;
}

/* ---- sgemm reference on the model's shapes ---- */
typedef struct { const char *name; int transA, transB, M, N, K; } Shape;

/* Times exactly the non-attention matrix products of one training step (forward, dinp, dweight of
 * the four linears per layer and the LM head), with plain cblas_sgemm on random data; per shape
 * the best of `reps` timings, summed: the sgemm rate this step's matmuls could reach. */
static double bench_sgemm(const GPTConfig *c, int B, int T, int reps, int print) {
    int N = B * T, C = c->n_embd, V = c->vocab_size, L = c->n_layer;
    Shape linear[] = {
        {"c_attn fwd", 0, 0, N, 3 * C, C},   {"c_attn dinp", 0, 1, N, C, 3 * C},   {"c_attn dW", 1, 0, C, 3 * C, N},
        {"attn.c_proj fwd", 0, 0, N, C, C},  {"attn.c_proj dinp", 0, 1, N, C, C},  {"attn.c_proj dW", 1, 0, C, C, N},
        {"c_fc fwd", 0, 0, N, 4 * C, C},     {"c_fc dinp", 0, 1, N, C, 4 * C},     {"c_fc dW", 1, 0, C, 4 * C, N},
        {"mlp.c_proj fwd", 0, 0, N, C, 4 * C}, {"mlp.c_proj dinp", 0, 1, N, 4 * C, C}, {"mlp.c_proj dW", 1, 0, 4 * C, C, N},
        {"lm_head fwd", 0, 1, N, V, C},      {"lm_head dinp", 0, 0, N, C, V},      {"lm_head dW", 1, 0, V, C, N},
    };
    int nshapes = sizeof linear / sizeof linear[0];
    size_t maxe = (size_t)N * (V > 4 * C ? V : 4 * C);
    if ((size_t)V * C > maxe) maxe = (size_t)V * C;
    float *A = malloc(maxe * sizeof(float)), *Bm = malloc(maxe * sizeof(float)), *Cm = malloc(maxe * sizeof(float));
    uint64_t rng = 42;
    for (size_t i = 0; i < maxe; i++) { A[i] = (float)(rng_uniform(&rng) - 0.5); Bm[i] = (float)(rng_uniform(&rng) - 0.5); Cm[i] = 0; }
    double total_flops = 0, total_time = 0;
    for (int s = 0; s < nshapes; s++) {
        Shape *sh = &linear[s];
        int count = s < 12 ? L : 1; /* per-layer shapes run L times per step */
        int lda = sh->transA ? sh->M : sh->K, ldb = sh->transB ? sh->K : sh->N;
        cblas_sgemm(CblasRowMajor, sh->transA ? CblasTrans : CblasNoTrans, sh->transB ? CblasTrans : CblasNoTrans,
                    sh->M, sh->N, sh->K, 1, A, lda, Bm, ldb, 0, Cm, sh->N); /* warm up */
        double dt = 1e30; /* best of `reps` (the machine is shared: the minimum is the least disturbed) */
        for (int r = 0; r < reps; r++) {
            double t0 = now_s();
            for (int k = 0; k < count; k++)
                cblas_sgemm(CblasRowMajor, sh->transA ? CblasTrans : CblasNoTrans, sh->transB ? CblasTrans : CblasNoTrans,
                            sh->M, sh->N, sh->K, 1, A, lda, Bm, ldb, 1, Cm, sh->N);
            double d = now_s() - t0;
            if (d < dt) dt = d;
        }
        double fl = 2.0 * sh->M * sh->N * (double)sh->K * count;
        total_flops += fl;
        total_time += dt;
        if (print)
            printf("{\"event\":\"bench_shape\",\"name\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"gflops\":%.2f}\n", sh->name,
                   sh->M, sh->N, sh->K, fl / dt * 1e-9);
    }
    free(A); free(Bm); free(Cm);
    return total_flops / total_time * 1e-9;
}

/* ---- main ---- */
int main(int argc, char **argv) {
    Options o;
    parse_args(&o, argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (o.print_schedule) { /* the learning rate at every step, then (with --max-seconds) at 0..100% of the time budget */
        for (long s = 0; s < o.steps; s++) printf("{\"event\":\"lr\",\"step\":%ld,\"lr\":%.9e}\n", s, lr_at(&o, s, 0));
        for (int i = 0; o.max_seconds > 0 && i <= 100; i++) {
            double e = o.max_seconds * i / 100;
            printf("{\"event\":\"lr\",\"step\":%ld,\"elapsed_s\":%.3f,\"lr\":%.9e}\n", o.warmup_steps, e, lr_at(&o, o.warmup_steps, e));
        }
        return 0;
    }
    GPTConfig cfg = {o.vocab_size, o.n_positions, o.n_layer, o.n_head, o.n_embd, o.ln_eps};
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    if (!strcmp(o.precision, "bf16")) {
        char why[256];
        if (matmul_set_precision(MATMUL_BF16, why, sizeof why) != 0) {
            fprintf(stderr, "gpt-train: --precision bf16: %s; train with --precision fp32\n", why);
            return 2;
        }
    }
    int B = o.batch_size, T = o.seq_len;
    double sgemm_gflops = bench_sgemm(&cfg, B, T, o.bench_reps, o.bench);
    printf("{\"event\":\"bench\",\"sgemm_gflops\":%.2f,\"threads\":%d,\"batch_size\":%d,\"seq_len\":%d}\n",
           sgemm_gflops, threads, B, T);
    GPT_f model;
    if (gpt_create_f(&model, &cfg) != 0) return 1;
    int N = B * T;
    int *inputs = malloc(N * sizeof(int)), *targets = malloc(N * sizeof(int));
    double fpt = flops_per_token(&cfg, T);

    if (o.bench) { /* time a few full training steps on random tokens */
        uint64_t rng = 7;
        gpt_init_f(&model, &rng);
        for (int i = 0; i < N; i++) { inputs[i] = rng_next(&rng) % o.vocab_size; targets[i] = rng_next(&rng) % o.vocab_size; }
        double best = 1e30;
        for (int r = 0; r < o.bench_reps + 1; r++) {
            double t0 = now_s();
            gpt_zero_grad_f(&model);
            if (gpt_forward_f(&model, inputs, targets, B, T, 1) != 0) return 1;
            gpt_backward_f(&model);
            gpt_adamw_update_f(&model, 1e-4, 0.9, 0.95, 1e-8, 0.1, r + 1, 1.0);
            double dt = now_s() - t0;
            if (r > 0 && dt < best) best = dt; /* first step allocates activations */
        }
        printf("{\"event\":\"bench_step\",\"step_ms\":%.1f,\"tok_s\":%.1f,\"gflops\":%.2f,\"sgemm_gflops\":%.2f,\"ratio\":%.3f,\"params\":%zu,"
               "\"precision\":\"%s\",\"matmul_kernels\":\"%s\"}\n",
               best * 1e3, N / best, fpt * N / best * 1e-9, sgemm_gflops, fpt * N / best * 1e-9 / sgemm_gflops, model.num_params,
               o.precision, matmul_kernels());
        return 0;
    }

    Tokens train, val;
    if (open_tokens(&train, o.train, o.vocab_size, (size_t)T + 1) != 0) return 1;
    if (open_tokens(&val, o.val, o.vocab_size, (size_t)T + 1) != 0) return 1;

    long step = 0;
    long long tokens = 0;
    double elapsed_before = 0;
    uint64_t rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)o.seed;
    if (o.resume) {
        if (load_checkpoint(o.out, &model, &o, &step, &tokens, &rng, &elapsed_before) != 0) return 1;
    } else {
        uint64_t init_rng = 0xD1B54A32D192ED03ULL ^ (uint64_t)o.seed;
        gpt_init_f(&model, &init_rng);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("{\"event\":\"start\",\"step\":%ld,\"steps\":%ld,\"params\":%zu,\"tokens\":%lld,\"train_tokens\":%zu,"
           "\"val_tokens\":%zu,\"flops_per_token\":%.0f,\"threads\":%d,\"resumed\":%s,\"optimizer\":\"%s\",\"precision\":\"%s\","
           "\"decay_start_step\":%ld}\n",
           step, o.steps, model.num_params, tokens, train.n, val.n, fpt, threads, o.resume ? "true" : "false",
           o.optimizer == 1 ? "muon" : "adamw", o.precision, o.decay_start_step);

    double t_start = now_s(), last_ckpt = t_start;
    long steps_this_run = 0;
    int stopped = 0;
    int out_of_time = o.max_seconds > 0 && elapsed_before >= o.max_seconds;
    while (step < o.steps && !out_of_time) {
        double t0 = now_s();
        if (fix_decay_in_steps(&o, step, elapsed_before + (t0 - t_start)))
            printf("{\"event\":\"schedule\",\"decay_start_step\":%ld,\"steps\":%ld}\n", o.decay_start_step, o.steps);
        double lr = lr_at(&o, step, elapsed_before + (t0 - t_start));
        gpt_zero_grad_f(&model);
        double loss = 0;
        for (int micro = 0; micro < o.grad_accum; micro++) {
            sample_batch(&train, &rng, B, T, inputs, targets);
            if (gpt_forward_f(&model, inputs, targets, B, T, 1.0f / o.grad_accum) != 0) return 1;
            gpt_backward_f(&model);
            loss += model.mean_loss / o.grad_accum;
        }
        double norm = gpt_grad_norm_f(&model);
        double mult = (o.grad_clip > 0 && norm > o.grad_clip) ? o.grad_clip / norm : 1.0;
        if (!isfinite(loss) || !isfinite(norm)) {
            fprintf(stderr, "gpt-train: loss or gradient is not finite at step %ld (loss %g, grad norm %g); "
                            "lower lr; the last checkpoint is kept\n", step, loss, norm);
            return 3;
        }
        if (o.optimizer == 1)
            gpt_muon_update_f(&model, lr, o.muon_momentum, o.beta1, o.beta2, o.adam_eps, o.weight_decay, (int)(step + 1), mult);
        else
            gpt_adamw_update_f(&model, lr, o.beta1, o.beta2, o.adam_eps, o.weight_decay, (int)(step + 1), mult);
        step++;
        steps_this_run++;
        /* which kernels ran, once every product of a step has */
        if (steps_this_run == 1) printf("{\"event\":\"matmul\",\"precision\":\"%s\",\"kernels\":\"%s\"}\n", o.precision, matmul_kernels());
        tokens += (long long)N * o.grad_accum;
        double dt = now_s() - t0;
        out_of_time = o.max_seconds > 0 && elapsed_before + now_s() - t_start >= o.max_seconds;
        int last = step == o.steps || out_of_time;
        if (o.log_interval > 0 && (step % o.log_interval == 0 || last || step == 1)) {
            double tps = N * o.grad_accum / dt;
            printf("{\"event\":\"step\",\"step\":%ld,\"loss\":%.6f,\"lr\":%.6e,\"grad_norm\":%.4f,\"step_ms\":%.1f,"
                   "\"tok_s\":%.1f,\"gflops\":%.2f,\"tokens\":%lld,\"elapsed_s\":%.1f}\n",
                   step, loss, lr, norm, dt * 1e3, tps, tps * fpt * 1e-9, tokens, elapsed_before + now_s() - t_start);
        }
        if (o.eval_interval > 0 && (step % o.eval_interval == 0 || last)) {
            long used = 0;
            double t1 = now_s();
            double vl = evaluate(&model, &val, &o, inputs, targets, &used);
            printf("{\"event\":\"eval\",\"step\":%ld,\"val_loss\":%.6f,\"val_tokens\":%ld,\"eval_ms\":%.0f}\n", step, vl, used,
                   (now_s() - t1) * 1e3);
            /* re-measure the sgemm reference now: the CPUs are shared, so compare like with like */
            double sg = bench_sgemm(&cfg, B, T, o.bench_reps, 0);
            printf("{\"event\":\"bench\",\"sgemm_gflops\":%.2f,\"threads\":%d,\"batch_size\":%d,\"seq_len\":%d}\n", sg, threads, B, T);
        }
        int stop_now = stop_signal || (o.stop_after > 0 && steps_this_run >= o.stop_after);
        if (stop_now || last || (now_s() - last_ckpt) >= o.checkpoint_minutes * 60) {
            double elapsed = elapsed_before + now_s() - t_start;
            if (save_checkpoint(o.out, &model, &o, step, tokens, rng, elapsed) != 0) return 1;
            last_ckpt = now_s();
            printf("{\"event\":\"checkpoint\",\"step\":%ld,\"tokens\":%lld,\"path\":\"%s/checkpoint.bin\"}\n", step, tokens, o.out);
        }
        if (stop_now) { stopped = 1; break; }
    }
    int finished = step >= o.steps || (o.max_seconds > 0 && elapsed_before + now_s() - t_start >= o.max_seconds);
    printf("{\"event\":\"done\",\"step\":%ld,\"steps\":%ld,\"finished\":%s,\"signal\":%d}\n", step, o.steps,
           finished ? "true" : "false", (int)stop_signal);
    (void)stopped;
    gpt_free_f(&model);
    return 0;
}
