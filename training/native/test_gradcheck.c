/*
 * Gradient checks for every backward in gpt.c, in double precision against central finite
 * differences, plus whole-model checks. Each check compares one gradient tensor:
 *   pass when |analytic - numeric| <= ATOL + RTOL * |numeric| for every element.
 * For a single op the scalar checked is L = sum(out * R) with a fixed random R, so the op's
 * backward is called with dout = R.
 *
 * Also checked: the float build against the double build on the same weights (loss and every
 * gradient tensor), bit-identical repeated float steps (needed for exact --resume), global grad
 * norm, and one AdamW update against its formula.
 *
 * Last line: "gradcheck: N passed, M failed"; exit status 1 when M > 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GPT_DOUBLE
#include "gpt.h"
#undef GPT_DOUBLE
#include "gpt.h"

#define ATOL 1e-7
#define RTOL 1e-5
#define FD_H 1e-5

static int passed = 0, failed = 0;
static uint64_t rng = 12345;

static double *rand_vec(size_t n, double scale) {
    double *v = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) v[i] = scale * rng_normal(&rng);
    return v;
}

static double *zeros(size_t n) { return calloc(n, sizeof(double)); }

static void report(const char *name, const double *analytic, const double *numeric, size_t n) {
    double worst = 0, worst_a = 0, worst_n = 0;
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(analytic[i] - numeric[i]);
        double excess = err / (ATOL + RTOL * fabs(numeric[i]));
        if (excess > worst) { worst = excess; worst_a = analytic[i]; worst_n = numeric[i]; }
        if (!(excess <= 1)) ok = 0;
    }
    if (ok) passed++; else failed++;
    printf("%s %-34s %6zu values, worst |err|/tol %.3g%s\n", ok ? "ok  " : "FAIL", name, n, worst,
           ok ? "" : "");
    if (!ok) printf("     worst element: analytic %.10g numeric %.10g\n", worst_a, worst_n);
}

static void report_bool(const char *name, int ok, const char *detail) {
    if (ok) passed++; else failed++;
    printf("%s %-34s %s\n", ok ? "ok  " : "FAIL", name, detail);
}

/* numeric gradient of f() w.r.t. x[0..n) by central differences */
typedef double (*LossFn)(void *ctx);
static void numeric_grad(double *x, size_t n, LossFn f, void *ctx, double *grad) {
    for (size_t i = 0; i < n; i++) {
        double orig = x[i];
        x[i] = orig + FD_H;
        double lp = f(ctx);
        x[i] = orig - FD_H;
        double lm = f(ctx);
        x[i] = orig;
        grad[i] = (lp - lm) / (2 * FD_H);
    }
}

static double dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* ---------------- encoder ---------------- */
enum { B_ = 2, T_ = 5, C_ = 8, V_ = 11, NH_ = 2 };
typedef struct { int *inp; double *wte, *wpe, *out, *R; } EncCtx;
static double enc_loss(void *p) {
    EncCtx *c = p;
    encoder_forward_d(c->out, c->inp, c->wte, c->wpe, B_, T_, C_);
    return dot(c->out, c->R, B_ * T_ * C_);
}
static void test_encoder(void) {
    int inp[B_ * T_];
    for (int i = 0; i < B_ * T_; i++) inp[i] = rng_next(&rng) % V_;
    inp[3] = inp[7]; /* a repeated token must accumulate */
    EncCtx c = {inp, rand_vec(V_ * C_, 1), rand_vec(T_ * C_, 1), zeros(B_ * T_ * C_), rand_vec(B_ * T_ * C_, 1)};
    double *dwte = zeros(V_ * C_), *dwpe = zeros(T_ * C_), *num = zeros(V_ * C_);
    encoder_backward_d(dwte, dwpe, c.R, inp, B_, T_, C_);
    numeric_grad(c.wte, V_ * C_, enc_loss, &c, num);
    report("encoder dwte", dwte, num, V_ * C_);
    numeric_grad(c.wpe, T_ * C_, enc_loss, &c, num);
    report("encoder dwpe", dwpe, num, T_ * C_);
}

/* ---------------- layernorm ---------------- */
typedef struct { double *inp, *w, *b, *out, *mean, *rstd, *R; int N, C; } LnCtx;
static double ln_loss(void *p) {
    LnCtx *c = p;
    layernorm_forward_d(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->C, 1e-5);
    return dot(c->out, c->R, (size_t)c->N * c->C);
}
static void test_layernorm(void) {
    int N = 6, C = 70; /* C > 64 exercises the column-chunked weight gradient */
    LnCtx c = {rand_vec(N * C, 1), rand_vec(C, 1), rand_vec(C, 1), zeros(N * C), zeros(N), zeros(N), rand_vec(N * C, 1), N, C};
    for (int i = 0; i < N * C; i++) c.inp[i] += 0.5; /* non-zero mean */
    ln_loss(&c);
    double *dinp = zeros(N * C), *dw = zeros(C), *db = zeros(C), *num = zeros(N * C);
    layernorm_backward_d(dinp, dw, db, c.R, c.inp, c.w, c.mean, c.rstd, N, C);
    numeric_grad(c.inp, N * C, ln_loss, &c, num);
    report("layernorm dinp", dinp, num, N * C);
    numeric_grad(c.w, C, ln_loss, &c, num);
    report("layernorm dweight", dw, num, C);
    numeric_grad(c.b, C, ln_loss, &c, num);
    report("layernorm dbias", db, num, C);
}

/* ---------------- matmul ---------------- */
typedef struct { double *inp, *w, *b, *out, *R; int N, C, OC; } MmCtx;
static double mm_loss(void *p) {
    MmCtx *c = p;
    matmul_forward_d(c->out, c->inp, c->w, c->b, c->N, c->C, c->OC);
    return dot(c->out, c->R, (size_t)c->N * c->OC);
}
static void test_matmul(void) {
    int N = 7, C = 6, OC = 9;
    MmCtx c = {rand_vec(N * C, 1), rand_vec(C * OC, 1), rand_vec(OC, 1), zeros(N * OC), rand_vec(N * OC, 1), N, C, OC};
    double *dinp = zeros(N * C), *dw = zeros(C * OC), *db = zeros(OC), *num = zeros(C * OC);
    matmul_backward_d(dinp, dw, db, c.R, c.inp, c.w, N, C, OC);
    numeric_grad(c.inp, N * C, mm_loss, &c, num);
    report("matmul dinp", dinp, num, N * C);
    numeric_grad(c.w, C * OC, mm_loss, &c, num);
    report("matmul dweight", dw, num, C * OC);
    numeric_grad(c.b, OC, mm_loss, &c, num);
    report("matmul dbias", db, num, OC);
}

/* ---------------- attention ---------------- */
typedef struct { double *qkv, *out, *att, *R; } AttCtx;
static double att_loss(void *p) {
    AttCtx *c = p;
    attention_forward_d(c->out, c->att, c->qkv, B_, T_, C_, NH_);
    return dot(c->out, c->R, B_ * T_ * C_);
}
static void test_attention(int block, const char *name) {
    int saved = gpt_attn_block_d;
    gpt_attn_block_d = block;
    size_t nq = B_ * T_ * 3 * C_;
    AttCtx c = {rand_vec(nq, 1), zeros(B_ * T_ * C_), zeros(B_ * NH_ * T_ * T_), rand_vec(B_ * T_ * C_, 1)};
    att_loss(&c);
    /* the causal mask: no probability above the diagonal */
    int causal = 1;
    for (int bh = 0; bh < B_ * NH_; bh++)
        for (int t = 0; t < T_; t++)
            for (int j = t + 1; j < T_; j++) if (c.att[(bh * T_ + t) * T_ + j] != 0) causal = 0;
    double *dqkv = zeros(nq), *num = zeros(nq), *scratch = zeros(attention_scratch_size_d(T_) * 64);
    for (size_t i = 0; i < nq; i++) dqkv[i] = 123; /* must be overwritten, not added to */
    attention_backward_d(dqkv, c.R, c.qkv, c.att, scratch, B_, T_, C_, NH_);
    numeric_grad(c.qkv, nq, att_loss, &c, num);
    report(name, dqkv, num, nq);
    char label[80];
    snprintf(label, sizeof label, "%s causal mask", name);
    report_bool(label, causal, causal ? "" : "probability above the diagonal");
    gpt_attn_block_d = saved;
}

/* ---------------- gelu ---------------- */
typedef struct { double *inp, *out, *R; size_t N; } GeluCtx;
static double gelu_loss(void *p) {
    GeluCtx *c = p;
    gelu_forward_d(c->out, c->inp, c->N);
    return dot(c->out, c->R, c->N);
}
static void test_gelu(void) {
    size_t N = 50;
    GeluCtx c = {rand_vec(N, 2), zeros(N), rand_vec(N, 1), N};
    double *dinp = zeros(N), *num = zeros(N);
    gelu_backward_d(dinp, c.inp, c.R, N);
    numeric_grad(c.inp, N, gelu_loss, &c, num);
    report("gelu dinp", dinp, num, N);
    /* forward matches GPT-2 gelu_new at a known point: gelu(1) = 0.8411919906082768 */
    double one = 1, g;
    gelu_forward_d(&g, &one, 1);
    report_bool("gelu forward value", fabs(g - 0.8411919906082768) < 1e-12, "");
}

/* ---------------- residual ---------------- */
typedef struct { double *a, *b, *out, *R; size_t N; } ResCtx;
static double res_loss(void *p) {
    ResCtx *c = p;
    residual_forward_d(c->out, c->a, c->b, c->N);
    return dot(c->out, c->R, c->N);
}
static void test_residual(void) {
    size_t N = 20;
    ResCtx c = {rand_vec(N, 1), rand_vec(N, 1), zeros(N), rand_vec(N, 1), N};
    double *da = zeros(N), *db = zeros(N), *num = zeros(N);
    residual_backward_d(da, db, c.R, N);
    numeric_grad(c.a, N, res_loss, &c, num);
    report("residual dinp1", da, num, N);
    numeric_grad(c.b, N, res_loss, &c, num);
    report("residual dinp2", db, num, N);
}

/* ---------------- softmax + cross-entropy ---------------- */
typedef struct { double *logits, *work, *losses; int *targets; int N, V; double dloss; } CeCtx;
static double ce_loss(void *p) {
    CeCtx *c = p;
    memcpy(c->work, c->logits, (size_t)c->N * c->V * sizeof(double));
    return c->dloss * crossentropy_forward_backward_d(c->work, c->losses, c->targets, c->N, c->V, 0);
}
static void test_crossentropy(void) {
    int N = 6, V = 13;
    int targets[6];
    for (int i = 0; i < N; i++) targets[i] = rng_next(&rng) % V;
    CeCtx c = {rand_vec(N * V, 3), zeros(N * V), zeros(N), targets, N, V, 0.37};
    c.logits[5] = 80; /* large logit: the max subtraction must keep it finite */
    double *grad = zeros(N * V), *num = zeros(N * V);
    memcpy(grad, c.logits, N * V * sizeof(double));
    crossentropy_forward_backward_d(grad, c.losses, targets, N, V, c.dloss);
    numeric_grad(c.logits, N * V, ce_loss, &c, num);
    report("crossentropy dlogits", grad, num, N * V);
    /* uniform logits: loss is log(V) */
    double *flat = zeros(V), loss1;
    int t0 = 0;
    crossentropy_forward_backward_d(flat, &loss1, &t0, 1, V, 0);
    report_bool("crossentropy uniform = log V", fabs(loss1 - log(V)) < 1e-12, "");
}

/* ---------------- whole model ---------------- */
static const GPTConfig tiny = {V_, 8, 2, NH_, C_, 1e-5};
typedef struct { GPT_d *m; int *inp, *tgt; } ModelCtx;
static double model_loss(void *p) {
    ModelCtx *c = p;
    gpt_forward_d(c->m, c->inp, c->tgt, B_, T_, 0);
    return c->m->mean_loss;
}
static const char *layer_names[T_PER_LAYER] = {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                                               "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
                                               "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"};
static void tensor_name(const GPTConfig *c, int i, char *buf, size_t n) {
    int nt = gpt_num_tensors(c);
    if (i == 0) snprintf(buf, n, "wte.weight");
    else if (i == 1) snprintf(buf, n, "wpe.weight");
    else if (i == nt - 2) snprintf(buf, n, "ln_f.weight");
    else if (i == nt - 1) snprintf(buf, n, "ln_f.bias");
    else snprintf(buf, n, "h.%d.%s", (i - 2) / T_PER_LAYER, layer_names[(i - 2) % T_PER_LAYER]);
}

static void randomize_model(GPT_d *m) {
    /* larger than the GPT-2 init so every path carries a visible gradient */
    for (size_t i = 0; i < m->num_params; i++) m->params[i] = 0.3 * rng_normal(&rng);
    int nt = gpt_num_tensors(&m->config);
    for (int i = 2; i < nt; i++) {
        int kind = i >= nt - 2 ? (i == nt - 2 ? T_LN1W : T_LN1B) : (i - 2) % T_PER_LAYER;
        if (kind == T_LN1W || kind == T_LN2W) {
            size_t n = gpt_tensor_size(&m->config, i, NULL);
            for (size_t j = 0; j < n; j++) m->tensor[i][j] += 1;
        }
    }
}

static void test_model(int block) {
    gpt_attn_block_d = block;
    GPT_d m;
    if (gpt_create_d(&m, &tiny) != 0) exit(2);
    randomize_model(&m);
    int inp[B_ * T_], tgt[B_ * T_];
    for (int i = 0; i < B_ * T_; i++) { inp[i] = rng_next(&rng) % V_; tgt[i] = rng_next(&rng) % V_; }
    ModelCtx c = {&m, inp, tgt};
    gpt_zero_grad_d(&m);
    gpt_forward_d(&m, inp, tgt, B_, T_, 1);
    gpt_backward_d(&m);
    double *num = zeros(m.num_params);
    numeric_grad(m.params, m.num_params, model_loss, &c, num);
    size_t off = 0;
    for (int i = 0; i < gpt_num_tensors(&tiny); i++) {
        size_t n = gpt_tensor_size(&tiny, i, NULL);
        char name[96], label[128];
        tensor_name(&tiny, i, name, sizeof name);
        snprintf(label, sizeof label, "model d%s%s", name, block < T_ ? " (blocked)" : "");
        report(label, m.grads + off, num + off, n);
        off += n;
    }
    free(num);
    gpt_free_d(&m);
    gpt_attn_block_d = 128;
}

/* float build against double build, same weights */
static double rel_l2(const float *a, const double *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
    return sqrt(num / (den + 1e-30));
}

static void test_float_vs_double(void) {
    GPT_d md;
    GPT_f mf;
    gpt_create_d(&md, &tiny);
    gpt_create_f(&mf, &tiny);
    randomize_model(&md);
    for (size_t i = 0; i < md.num_params; i++) { mf.params[i] = (float)md.params[i]; md.params[i] = mf.params[i]; }
    int inp[B_ * T_], tgt[B_ * T_];
    for (int i = 0; i < B_ * T_; i++) { inp[i] = rng_next(&rng) % V_; tgt[i] = rng_next(&rng) % V_; }
    gpt_zero_grad_d(&md); gpt_forward_d(&md, inp, tgt, B_, T_, 1); gpt_backward_d(&md);
    gpt_zero_grad_f(&mf); gpt_forward_f(&mf, inp, tgt, B_, T_, 1); gpt_backward_f(&mf);
    char detail[160];
    double lerr = fabs(mf.mean_loss - md.mean_loss) / md.mean_loss;
    snprintf(detail, sizeof detail, "loss f32 %.7f f64 %.7f", mf.mean_loss, md.mean_loss);
    report_bool("float build loss = double build", lerr < 1e-5, detail);
    size_t off = 0;
    double worst = 0;
    for (int i = 0; i < gpt_num_tensors(&tiny); i++) {
        size_t n = gpt_tensor_size(&tiny, i, NULL);
        double e = rel_l2(mf.grads + off, md.grads + off, n);
        if (e > worst) worst = e;
        off += n;
    }
    snprintf(detail, sizeof detail, "worst tensor relative L2 error %.2e", worst);
    report_bool("float build grads = double build", worst < 1e-4, detail);

    /* determinism: the same float step twice gives identical bits (exact --resume relies on it) */
    float *g1 = malloc(mf.num_params * sizeof(float));
    memcpy(g1, mf.grads, mf.num_params * sizeof(float));
    double l1 = mf.mean_loss;
    gpt_zero_grad_f(&mf); gpt_forward_f(&mf, inp, tgt, B_, T_, 1); gpt_backward_f(&mf);
    report_bool("float step is bit-reproducible", l1 == mf.mean_loss && !memcmp(g1, mf.grads, mf.num_params * sizeof(float)), "");

    /* grad norm */
    double s = 0;
    for (size_t i = 0; i < md.num_params; i++) s += md.grads[i] * md.grads[i];
    report_bool("grad norm", fabs(gpt_grad_norm_d(&md) - sqrt(s)) < 1e-9 * sqrt(s), "");

    /* AdamW, step t=3 with clipping multiplier 0.5: compare against the formula elementwise */
    double lr = 1e-2, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1, mult = 0.5;
    for (size_t i = 0; i < md.num_params; i++) { md.m[i] = 0.01f * (float)rng_normal(&rng); md.v[i] = 1e-4f * (float)fabs(rng_normal(&rng)); }
    double *before = malloc(md.num_params * sizeof(double)), *expect = malloc(md.num_params * sizeof(double));
    memcpy(before, md.params, md.num_params * sizeof(double));
    size_t o2 = 0;
    for (int i = 0; i < gpt_num_tensors(&tiny); i++) {
        int is_2d;
        size_t n = gpt_tensor_size(&tiny, i, &is_2d);
        for (size_t j = o2; j < o2 + n; j++) {
            double g = md.grads[j] * mult;
            double m = b1 * md.m[j] + (1 - b1) * g, v = b2 * md.v[j] + (1 - b2) * g * g;
            double mh = m / (1 - pow(b1, 3)), vh = v / (1 - pow(b2, 3));
            expect[j] = before[j] - lr * (mh / (sqrt(vh) + eps) + (is_2d ? wd : 0) * before[j]);
        }
        o2 += n;
    }
    gpt_adamw_update_d(&md, lr, b1, b2, eps, wd, 3, mult);
    double werr = 0;
    for (size_t i = 0; i < md.num_params; i++) werr = fmax(werr, fabs(md.params[i] - expect[i]));
    snprintf(detail, sizeof detail, "max |param - formula| %.2e", werr);
    report_bool("adamw update (decay on 2-D only)", werr < 1e-6, detail);

    /* Muon, step t=3, multiplier 0.5: AdamW on everything but the hidden matrices, which get
     * p - lr (0.2 sqrt(max(rows, cols)) NS5(g' + mu (mu m + g')) + wd p) with g' = mult g */
    double mu = 0.95;
    for (size_t i = 0; i < md.num_params; i++) { md.m[i] = 0.01f * (float)rng_normal(&rng); md.v[i] = 1e-4f * (float)fabs(rng_normal(&rng)); }
    float *m0 = malloc(md.num_params * sizeof(float)), *v0 = malloc(md.num_params * sizeof(float));
    memcpy(m0, md.m, md.num_params * sizeof(float));
    memcpy(v0, md.v, md.num_params * sizeof(float));
    memcpy(before, md.params, md.num_params * sizeof(double));
    o2 = 0;
    int C_ = tiny.n_embd, hidden_seen = 0;
    for (int i = 0; i < gpt_num_tensors(&tiny); i++) {
        int is_2d;
        size_t n = gpt_tensor_size(&tiny, i, &is_2d);
        int kind = (i >= 2 && i < gpt_num_tensors(&tiny) - 2) ? (i - 2) % T_PER_LAYER : -1;
        int rows = 0, cols = 0;
        if (kind == T_QKVW) { rows = C_; cols = 3 * C_; }
        else if (kind == T_ATTPROJW) { rows = C_; cols = C_; }
        else if (kind == T_FCW) { rows = C_; cols = 4 * C_; }
        else if (kind == T_FCPROJW) { rows = 4 * C_; cols = C_; }
        if (rows == 0) {
            for (size_t j = o2; j < o2 + n; j++) {
                double g = md.grads[j] * mult;
                double m = b1 * m0[j] + (1 - b1) * g, v = b2 * v0[j] + (1 - b2) * g * g;
                double mh = m / (1 - pow(b1, 3)), vh = v / (1 - pow(b2, 3));
                expect[j] = before[j] - lr * (mh / (sqrt(vh) + eps) + (is_2d ? wd : 0) * before[j]);
            }
        } else {
            hidden_seen++;
            double *u = malloc(n * sizeof(double));
            for (size_t j = 0; j < n; j++) {
                double g = md.grads[o2 + j] * mult;
                double m = mu * (double)m0[o2 + j] + g;
                u[j] = g + mu * (double)(float)m;
            }
            gpt_newton_schulz5_d(u, rows, cols);
            double scale = 0.2 * sqrt((double)(rows > cols ? rows : cols));
            for (size_t j = 0; j < n; j++) expect[o2 + j] = before[o2 + j] - lr * (scale * u[j] + wd * before[o2 + j]);
            free(u);
        }
        o2 += n;
    }
    gpt_muon_update_d(&md, lr, mu, b1, b2, eps, wd, 3, mult);
    werr = 0;
    for (size_t i = 0; i < md.num_params; i++) werr = fmax(werr, fabs(md.params[i] - expect[i]));
    snprintf(detail, sizeof detail, "max |param - formula| %.2e over %d hidden matrices", werr, hidden_seen);
    report_bool("muon update (hidden matrices; adamw elsewhere)", werr < 1e-6 && hidden_seen == 4 * tiny.n_layer, detail);
    free(m0); free(v0);
    gpt_free_d(&md);
    gpt_free_f(&mf);
}

/* Largest eigenvalue of the symmetric n x n matrix S (power iteration from a fixed start). */
static double top_eigenvalue(const double *S, int n) {
    double *x = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double)), lambda = 0;
    for (int i = 0; i < n; i++) x[i] = 1.0 + 0.1 * i;
    for (int it = 0; it < 2000; it++) {
        double norm = 0;
        for (int i = 0; i < n; i++) { y[i] = 0; for (int j = 0; j < n; j++) y[i] += S[i * n + j] * x[j]; norm += y[i] * y[i]; }
        norm = sqrt(norm);
        lambda = norm;
        for (int i = 0; i < n; i++) x[i] = y[i] / norm;
    }
    free(x); free(y);
    return lambda;
}

/* Extreme singular values of X [rows, cols] (via the Gram matrix of the shorter side; all must be <= sqrt(2)). */
static void singular_range(const double *X, int rows, int cols, double *smin, double *smax) {
    int tr = rows > cols, r = tr ? cols : rows, k = tr ? rows : cols;
    double *S = calloc((size_t)r * r, sizeof(double)), *D = malloc((size_t)r * r * sizeof(double));
    for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++)
            for (int t = 0; t < k; t++)
                S[i * r + j] += tr ? X[t * cols + i] * X[t * cols + j] : X[i * cols + t] * X[j * cols + t];
    for (int i = 0; i < r * r; i++) D[i] = (i % (r + 1) == 0 ? 2.0 : 0.0) - S[i];
    *smax = sqrt(top_eigenvalue(S, r));
    *smin = sqrt(fmax(0, 2.0 - top_eigenvalue(D, r)));
    free(S); free(D);
}

/* Newton-Schulz: a badly conditioned matrix (singular values spread over 30x) comes out with all of them
 * near 1 (Muon's quintic coefficients land in about [0.7, 1.2]), wide and tall (transposed path) alike. */
static void test_newton_schulz(void) {
    uint64_t rng = 99;
    int shapes[2][2] = {{12, 40}, {40, 12}};
    for (int s = 0; s < 2; s++) {
        int rows = shapes[s][0], cols = shapes[s][1];
        double *X = malloc((size_t)rows * cols * sizeof(double));
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) X[i * cols + j] = rng_normal(&rng) * (1.0 + 3.0 * (rows < cols ? i : j));
        double total = 0;
        for (int i = 0; i < rows * cols; i++) total += X[i] * X[i];
        for (int i = 0; i < rows * cols; i++) X[i] /= sqrt(total);
        double lo0, hi0, lo, hi;
        singular_range(X, rows, cols, &lo0, &hi0);
        gpt_newton_schulz5_d(X, rows, cols);
        singular_range(X, rows, cols, &lo, &hi);
        char detail[160];
        snprintf(detail, sizeof detail, "%dx%d: singular values [%.3f, %.3f] -> [%.3f, %.3f]", rows, cols, lo0, hi0, lo, hi);
        report_bool("newton-schulz orthogonalises", hi0 / lo0 > 10 && lo > 0.6 && hi < 1.3, detail);
        free(X);
    }
}

int main(void) {
    test_encoder();
    test_layernorm();
    test_matmul();
    test_attention(128, "attention dqkv");
    test_attention(2, "attention dqkv (blocks of 2 rows)");
    test_gelu();
    test_residual();
    test_crossentropy();
    test_model(128);
    test_model(2);
    test_float_vs_double();
    test_newton_schulz();
    printf("gradcheck: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
