/*
 * GPT-2 training math: forward and hand-written backward per layer type, the whole model, AdamW.
 * Compiled twice (see gpt.h): float for the trainer, double (-DGPT_DOUBLE) for gradient checks.
 *
 * Threads: every element-wise loop is an OpenMP `schedule(static)` loop with no reductions
 * across threads (column sums are split by column), so results are bit-identical run to run for a
 * fixed thread count; that is what makes --resume exact. Matrix products go to OpenBLAS (the linear
 * layers' and the LM head's to oneDNN in bf16 with --precision bf16, matmul.h). Called
 * from outside a parallel region OpenBLAS uses all OpenMP threads; inside the per-(b, head)
 * attention loop it runs single-threaded (OpenMP build of OpenBLAS), so threads never oversubscribe.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "gpt.h"
#include "matmul.h"

#ifdef GPT_DOUBLE
#define GEMM cblas_dgemm
/* The linear layers' and LM head's products: in the trainer they may run in bf16 (matmul.h). */
#define MODEL_GEMM(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc) cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1, A, lda, B, ldb, beta, C, ldc)
#define EXP exp
#define TANH tanh
#define SQRT sqrt
#define LOG log
#define COSH cosh
#else
#define GEMM cblas_sgemm
#define MODEL_GEMM matmul_gemm
#define EXP fast_expf
#define TANH fast_tanhf
#define SQRT sqrtf
#define LOG logf
#define COSH coshf

/* libm's expf/tanhf are scalar calls (GCC only vectorises them under -ffast-math, which we avoid
 * to keep NaN checks and bit reproducibility). These are branch-free so the loops vectorise:
 * Cephes polynomial after range reduction x = n ln2 + r, |r| <= ln2/2; about 2 ulp. The float
 * build is compared against the double build (libm) in test_gradcheck. */
static inline float fast_expf(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float t = x * 1.44269504088896341f;
    float n = (t + 12582912.0f) - 12582912.0f; /* round to nearest */
    float r = x - n * 0.693359375f - n * -2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    float y = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return y * scale;
}

static inline float fast_tanhf(float x) { return 1.0f - 2.0f / (fast_expf(2.0f * x) + 1.0f); }
#endif

int SFX(gpt_attn_block) = 128;

/* Row reductions with 16 independent partial results: GCC does not vectorise a plain float sum
 * or max (that would reorder the additions), but it does vectorise these lanes. The order is
 * fixed, so results stay reproducible. */
#define LANES 16
static real row_max(const real *x, int n) {
    real m[LANES];
    for (int l = 0; l < LANES; l++) m[l] = x[0];
    int j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int l = 0; l < LANES; l++) m[l] = x[j + l] > m[l] ? x[j + l] : m[l];
    real mx = x[0];
    for (int l = 0; l < LANES; l++) mx = m[l] > mx ? m[l] : mx;
    for (; j < n; j++) mx = x[j] > mx ? x[j] : mx;
    return mx;
}

/* x[j] = exp(x[j] - shift) for j < n when store, returns the sum of exp(x[j] - shift). */
static double row_exp_sum(real *x, int n, real shift, int store) {
    real acc[LANES] = {0};
    int j = 0;
    for (; j + LANES <= n; j += LANES) {
        for (int l = 0; l < LANES; l++) {
            real e = EXP(x[j + l] - shift);
            if (store) x[j + l] = e;
            acc[l] += e;
        }
    }
    double sum = 0;
    for (int l = 0; l < LANES; l++) sum += acc[l];
    for (; j < n; j++) {
        real e = EXP(x[j] - shift);
        if (store) x[j] = e;
        sum += e;
    }
    return sum;
}

static int num_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static int thread_id(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* dst[c] += sum over rows n of src[n, c], for c in [0, C); parallel over column chunks. */
static void column_sums_add(real *dst, const real *src, int N, int C) {
    const int chunk = 64;
    int nchunks = (C + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
    for (int k = 0; k < nchunks; k++) {
        int c0 = k * chunk, c1 = c0 + chunk < C ? c0 + chunk : C;
        double acc[64] = {0};
        for (int n = 0; n < N; n++) {
            const real *row = src + (size_t)n * C;
            for (int c = c0; c < c1; c++) acc[c - c0] += row[c];
        }
        for (int c = c0; c < c1; c++) dst[c] += (real)acc[c - c0];
    }
}

/* ------------------------------------------------------------------------------------------- */
/* encoder: out[b,t,:] = wte[inp[b,t], :] + wpe[t, :]                                            */

void SFX(encoder_forward)(real *out, const int *inp, const real *wte, const real *wpe, int B, int T, int C) {
#pragma omp parallel for schedule(static)
    for (int bt = 0; bt < B * T; bt++) {
        int t = bt % T;
        real *o = out + (size_t)bt * C;
        const real *e = wte + (size_t)inp[bt] * C, *p = wpe + (size_t)t * C;
        for (int c = 0; c < C; c++) o[c] = e[c] + p[c];
    }
}

void SFX(encoder_backward)(real *dwte, real *dwpe, const real *dout, const int *inp, int B, int T, int C) {
    /* serial: several rows can hit the same token id; this is O(N*C), small next to the matmuls */
    for (int bt = 0; bt < B * T; bt++) {
        int t = bt % T;
        const real *d = dout + (size_t)bt * C;
        real *e = dwte + (size_t)inp[bt] * C, *p = dwpe + (size_t)t * C;
        for (int c = 0; c < C; c++) { e[c] += d[c]; p[c] += d[c]; }
    }
}

/* ------------------------------------------------------------------------------------------- */
/* layernorm over the last dim, biased variance: out = (x - mean) * rstd * w + b                 */

void SFX(layernorm_forward)(real *out, real *mean, real *rstd, const real *inp, const real *weight,
                            const real *bias, int N, int C, double eps) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const real *x = inp + (size_t)n * C;
        double m = 0, v = 0;
        for (int c = 0; c < C; c++) m += x[c];
        m /= C;
        for (int c = 0; c < C; c++) { double d = x[c] - m; v += d * d; }
        v /= C;
        double s = 1.0 / sqrt(v + eps);
        real *o = out + (size_t)n * C;
        for (int c = 0; c < C; c++) o[c] = (real)((x[c] - m) * s) * weight[c] + bias[c];
        mean[n] = (real)m;
        rstd[n] = (real)s;
    }
}

void SFX(layernorm_backward)(real *dinp, real *dweight, real *dbias, const real *dout, const real *inp,
                             const real *weight, const real *mean, const real *rstd, int N, int C) {
    /* dinp: per row, dnorm = w * dout; dx = rstd * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)) */
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const real *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
        real m = mean[n], s = rstd[n];
        double dnorm_mean = 0, dnorm_norm_mean = 0;
        for (int c = 0; c < C; c++) {
            double xhat = (x[c] - m) * s, dn = weight[c] * d[c];
            dnorm_mean += dn;
            dnorm_norm_mean += dn * xhat;
        }
        dnorm_mean /= C;
        dnorm_norm_mean /= C;
        real *dx = dinp + (size_t)n * C;
        for (int c = 0; c < C; c++) {
            double xhat = (x[c] - m) * s, dn = weight[c] * d[c];
            dx[c] += (real)((dn - dnorm_mean - xhat * dnorm_norm_mean) * s);
        }
    }
    /* dweight[c] = sum_n dout * xhat, dbias[c] = sum_n dout; split by columns (no races) */
    const int chunk = 64;
    int nchunks = (C + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
    for (int k = 0; k < nchunks; k++) {
        int c0 = k * chunk, c1 = c0 + chunk < C ? c0 + chunk : C;
        double dw[64] = {0}, db[64] = {0};
        for (int n = 0; n < N; n++) {
            const real *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
            real m = mean[n], s = rstd[n];
            for (int c = c0; c < c1; c++) {
                dw[c - c0] += (double)d[c] * ((x[c] - m) * s);
                db[c - c0] += d[c];
            }
        }
        for (int c = c0; c < c1; c++) { dweight[c] += (real)dw[c - c0]; dbias[c] += (real)db[c - c0]; }
    }
}

/* ------------------------------------------------------------------------------------------- */
/* matmul (GPT-2 Conv1D): out[N, OC] = inp[N, C] @ weight[C, OC] + bias[OC]                      */

void SFX(matmul_forward)(real *out, const real *inp, const real *weight, const real *bias, int N, int C, int OC) {
    MODEL_GEMM(CblasNoTrans, CblasNoTrans, N, OC, C, inp, C, weight, OC, 0, out, OC);
    if (bias) {
#pragma omp parallel for schedule(static)
        for (int n = 0; n < N; n++) {
            real *o = out + (size_t)n * OC;
            for (int j = 0; j < OC; j++) o[j] += bias[j];
        }
    }
}

void SFX(matmul_backward)(real *dinp, real *dweight, real *dbias, const real *dout, const real *inp,
                          const real *weight, int N, int C, int OC) {
    /* dinp[N, C] = dout[N, OC] @ weight^T          (overwrites) */
    if (dinp) MODEL_GEMM(CblasNoTrans, CblasTrans, N, C, OC, dout, OC, weight, OC, 0, dinp, C);
    /* dweight[C, OC] += inp^T[C, N] @ dout[N, OC] */
    MODEL_GEMM(CblasTrans, CblasNoTrans, C, OC, N, inp, C, dout, OC, 1, dweight, OC);
    if (dbias) column_sums_add(dbias, dout, N, OC);
}

/* ------------------------------------------------------------------------------------------- */
/* causal multi-head attention.
 * qkv [B, T, 3C]: q at column h*hs, k at C + h*hs, v at 2C + h*hs. For each (b, h):
 *   S = q k^T / sqrt(hs)  [T, T], P = softmax(S + causal mask) (stored in att), y = P v -> out[b, :, h*hs]
 * Rows are processed in blocks of gpt_attn_block so keys after the block's last row are skipped. */

void SFX(attention_forward)(real *out, real *att, const real *qkv, int B, int T, int C, int NH) {
    int hs = C / NH, C3 = 3 * C, RB = SFX(gpt_attn_block);
    real scale = (real)(1.0 / sqrt((double)hs));
#pragma omp parallel for schedule(static)
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        const real *q = qkv + (size_t)b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
        real *P = att + (size_t)bh * T * T;
        real *y = out + (size_t)b * T * C + h * hs;
        for (int r0 = 0; r0 < T; r0 += RB) {
            int r1 = r0 + RB < T ? r0 + RB : T, m = r1 - r0; /* rows [r0, r1), keys [0, r1) */
            GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, m, r1, hs, scale, q + (size_t)r0 * C3, C3, k, C3, 0,
                 P + (size_t)r0 * T, T);
            for (int t = r0; t < r1; t++) {
                real *row = P + (size_t)t * T;
                real mx = row_max(row, t + 1);
                real inv = (real)(1.0 / row_exp_sum(row, t + 1, mx, 1));
                for (int j = 0; j <= t; j++) row[j] *= inv;
                for (int j = t + 1; j < T; j++) row[j] = 0;
            }
            GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hs, r1, 1, P + (size_t)r0 * T, T, v, C3, 0,
                 y + (size_t)r0 * C, C);
        }
    }
}

size_t SFX(attention_scratch_size)(int T) { return (size_t)T * T; }

void SFX(attention_backward)(real *dqkv, const real *dout, const real *qkv, const real *att, real *scratch,
                             int B, int T, int C, int NH) {
    int hs = C / NH, C3 = 3 * C, RB = SFX(gpt_attn_block);
    real scale = (real)(1.0 / sqrt((double)hs));
    size_t per_thread = SFX(attention_scratch_size)(T);
#pragma omp parallel for schedule(static)
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        real *dS = scratch + per_thread * thread_id(); /* [T, T]: dP, then dS in place */
        const real *q = qkv + (size_t)b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
        real *dq = dqkv + (size_t)b * T * C3 + h * hs, *dk = dq + C, *dv = dq + 2 * C;
        const real *P = att + (size_t)bh * T * T;
        const real *dy = dout + (size_t)b * T * C + h * hs;
        for (int t = 0; t < T; t++) { /* this (b, h) slice of dqkv is ours alone: zero it */
            memset(dq + (size_t)t * C3, 0, hs * sizeof(real));
            memset(dk + (size_t)t * C3, 0, hs * sizeof(real));
            memset(dv + (size_t)t * C3, 0, hs * sizeof(real));
        }
        for (int r0 = 0; r0 < T; r0 += RB) {
            int r1 = r0 + RB < T ? r0 + RB : T, m = r1 - r0;
            real *dSb = dS + (size_t)r0 * T;
            const real *Pb = P + (size_t)r0 * T;
            /* dP = dy v^T   [m, r1] */
            GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, m, r1, hs, 1, dy + (size_t)r0 * C, C, v, C3, 0, dSb, T);
            /* softmax backward: dS = P * (dP - sum_j P dP), times the 1/sqrt(hs) of S */
            for (int t = r0; t < r1; t++) {
                real *d = dS + (size_t)t * T;
                const real *p = P + (size_t)t * T;
                real dot = 0;
                for (int j = 0; j <= t; j++) dot += p[j] * d[j];
                for (int j = 0; j <= t; j++) d[j] = p[j] * (d[j] - dot) * scale;
                for (int j = t + 1; j < r1; j++) d[j] = 0;
            }
            /* dv[0:r1] += P^T dy */
            GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, r1, hs, m, 1, Pb, T, dy + (size_t)r0 * C, C, 1, dv, C3);
            /* dq[r0:r1] = dS k */
            GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hs, r1, 1, dSb, T, k, C3, 0, dq + (size_t)r0 * C3, C3);
            /* dk[0:r1] += dS^T q */
            GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, r1, hs, m, 1, dSb, T, q + (size_t)r0 * C3, C3, 1, dk, C3);
        }
    }
}

/* ------------------------------------------------------------------------------------------- */
/* GELU, tanh approximation (GPT-2 gelu_new): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))      */

#define GELU_SCALE 0.7978845608028654 /* sqrt(2/pi) */

void SFX(gelu_forward)(real *out, const real *inp, size_t N) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) {
        real x = inp[i];
        out[i] = (real)0.5 * x * (1 + TANH((real)GELU_SCALE * (x + (real)0.044715 * x * x * x)));
    }
}

void SFX(gelu_backward)(real *dinp, const real *inp, const real *dout, size_t N) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) {
        real x = inp[i];
        real u = (real)GELU_SCALE * (x + (real)0.044715 * x * x * x);
        real th = TANH(u);
        real sech2 = 1 - th * th;
        real du = (real)GELU_SCALE * (1 + (real)(3 * 0.044715) * x * x);
        dinp[i] = ((real)0.5 * (1 + th) + (real)0.5 * x * sech2 * du) * dout[i];
    }
}

/* ------------------------------------------------------------------------------------------- */
/* residual: out = inp1 + inp2                                                                   */

void SFX(residual_forward)(real *out, const real *inp1, const real *inp2, size_t N) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) out[i] = inp1[i] + inp2[i];
}

void SFX(residual_backward)(real *dinp1, real *dinp2, const real *dout, size_t N) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) { dinp1[i] += dout[i]; dinp2[i] += dout[i]; }
}

/* ------------------------------------------------------------------------------------------- */
/* softmax + cross-entropy, fused with its backward                                              */

double SFX(crossentropy_forward_backward)(real *logits, real *losses, const int *targets, int N, int V, real dloss) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        real *row = logits + (size_t)n * V;
        real mx = row_max(row, V);
        double logz = mx + log(row_exp_sum(row, V, mx, 0));
        losses[n] = (real)(logz - row[targets[n]]);
        if (dloss != 0) {
            real lz = (real)logz;
            for (int j = 0; j < V; j++) row[j] = EXP(row[j] - lz) * dloss;
            row[targets[n]] -= dloss;
        }
    }
    double total = 0;
    for (int n = 0; n < N; n++) total += losses[n];
    return total;
}

/* ------------------------------------------------------------------------------------------- */
/* the model                                                                                    */

static void *xcalloc(size_t n, size_t size, const char *what) {
    void *p = calloc(n ? n : 1, size);
    if (!p) fprintf(stderr, "gpt: out of memory allocating %s (%zu x %zu bytes)\n", what, n, size);
    return p;
}

int SFX(gpt_create)(SFX(GPT) *model, const GPTConfig *config) {
    memset(model, 0, sizeof(*model));
    if (config->n_layer > 64 || config->n_embd % config->n_head != 0) {
        fprintf(stderr, "gpt: unsupported config (n_layer %d > 64 or n_embd %d not divisible by n_head %d)\n",
                config->n_layer, config->n_embd, config->n_head);
        return -1;
    }
    model->config = *config;
    model->num_params = gpt_num_params(config);
    model->params = xcalloc(model->num_params, sizeof(real), "parameters");
    model->grads = xcalloc(model->num_params, sizeof(real), "gradients");
    model->m = xcalloc(model->num_params, sizeof(float), "AdamW m");
    model->v = xcalloc(model->num_params, sizeof(float), "AdamW v");
    if (!model->params || !model->grads || !model->m || !model->v) return -1;
    size_t off = 0;
    for (int i = 0; i < gpt_num_tensors(config); i++) {
        model->tensor[i] = model->params + off;
        model->gtensor[i] = model->grads + off;
        off += gpt_tensor_size(config, i, NULL);
    }
    return 0;
}

static void free_acts(SFX(GPT) *model) {
    SFX(Activations) *a = &model->acts;
    real **all[] = {&a->encoded, &a->ln1, &a->ln1_mean, &a->ln1_rstd, &a->qkv, &a->atty, &a->att,
                    &a->residual2, &a->ln2, &a->ln2_mean, &a->ln2_rstd, &a->fch, &a->fch_gelu,
                    &a->residual3, &a->lnf, &a->lnf_mean, &a->lnf_rstd, &a->logits, &a->losses,
                    &a->dres, &a->dln, &a->datty, &a->dqkv, &a->dfch, &a->dfch_gelu, &a->att_scratch};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) { free(*all[i]); *all[i] = NULL; }
    free(model->inputs); free(model->targets);
    model->inputs = model->targets = NULL;
    model->B = model->T = 0;
}

void SFX(gpt_free)(SFX(GPT) *model) {
    free_acts(model);
    free(model->params); free(model->grads); free(model->m); free(model->v);
    memset(model, 0, sizeof(*model));
}

static int alloc_acts(SFX(GPT) *model, int B, int T) {
    const GPTConfig *c = &model->config;
    size_t L = c->n_layer, C = c->n_embd, NH = c->n_head, V = c->vocab_size, N = (size_t)B * T;
    SFX(Activations) *a = &model->acts;
    free_acts(model);
    a->encoded = xcalloc(N * C, sizeof(real), "activations");
    a->ln1 = xcalloc(L * N * C, sizeof(real), "activations");
    a->ln1_mean = xcalloc(L * N, sizeof(real), "activations");
    a->ln1_rstd = xcalloc(L * N, sizeof(real), "activations");
    a->qkv = xcalloc(L * N * 3 * C, sizeof(real), "activations");
    a->atty = xcalloc(L * N * C, sizeof(real), "activations");
    a->att = xcalloc(L * B * NH * T * T, sizeof(real), "attention probabilities");
    a->residual2 = xcalloc(L * N * C, sizeof(real), "activations");
    a->ln2 = xcalloc(L * N * C, sizeof(real), "activations");
    a->ln2_mean = xcalloc(L * N, sizeof(real), "activations");
    a->ln2_rstd = xcalloc(L * N, sizeof(real), "activations");
    a->fch = xcalloc(L * N * 4 * C, sizeof(real), "activations");
    a->fch_gelu = xcalloc(L * N * 4 * C, sizeof(real), "activations");
    a->residual3 = xcalloc(L * N * C, sizeof(real), "activations");
    a->lnf = xcalloc(N * C, sizeof(real), "activations");
    a->lnf_mean = xcalloc(N, sizeof(real), "activations");
    a->lnf_rstd = xcalloc(N, sizeof(real), "activations");
    a->logits = xcalloc(N * V, sizeof(real), "logits");
    a->losses = xcalloc(N, sizeof(real), "losses");
    a->dres = xcalloc(N * C, sizeof(real), "gradients");
    a->dln = xcalloc(N * C, sizeof(real), "gradients");
    a->datty = xcalloc(N * C, sizeof(real), "gradients");
    a->dqkv = xcalloc(N * 3 * C, sizeof(real), "gradients");
    a->dfch = xcalloc(N * 4 * C, sizeof(real), "gradients");
    a->dfch_gelu = xcalloc(N * 4 * C, sizeof(real), "gradients");
    a->att_scratch = xcalloc(SFX(attention_scratch_size)(T) * num_threads(), sizeof(real), "attention scratch");
    model->inputs = xcalloc(N, sizeof(int), "inputs");
    model->targets = xcalloc(N, sizeof(int), "targets");
    if (!a->att_scratch || !a->dfch_gelu || !a->logits || !model->targets || !a->att) return -1;
    model->B = B;
    model->T = T;
    return 0;
}

void SFX(gpt_init)(SFX(GPT) *model, uint64_t *rng) {
    const GPTConfig *c = &model->config;
    double proj_std = 0.02 / sqrt(2.0 * c->n_layer);
    for (int i = 0; i < gpt_num_tensors(c); i++) {
        size_t n = gpt_tensor_size(c, i, NULL);
        real *p = model->tensor[i];
        int kind = (i < 2 || i >= gpt_num_tensors(c) - 2) ? -1 : (i - 2) % T_PER_LAYER;
        double std = 0, fill = 0;
        if (i < 2) std = 0.02;                                   /* wte, wpe */
        else if (i == gpt_num_tensors(c) - 2) fill = 1;          /* ln_f.weight */
        else if (kind == T_LN1W || kind == T_LN2W) fill = 1;
        else if (kind == T_QKVW || kind == T_FCW) std = 0.02;
        else if (kind == T_ATTPROJW || kind == T_FCPROJW) std = proj_std;
        for (size_t j = 0; j < n; j++) p[j] = (real)(std > 0 ? std * rng_normal(rng) : fill);
    }
}

int SFX(gpt_forward)(SFX(GPT) *model, const int *inputs, const int *targets, int B, int T, real grad_scale) {
    const GPTConfig *c = &model->config;
    int L = c->n_layer, C = c->n_embd, NH = c->n_head, V = c->vocab_size, N = B * T;
    if (T > c->max_seq_len) {
        fprintf(stderr, "gpt: sequence length %d exceeds n_positions %d\n", T, c->max_seq_len);
        return -1;
    }
    for (int i = 0; i < N; i++) {
        if (inputs[i] < 0 || inputs[i] >= V || (targets && (targets[i] < 0 || targets[i] >= V))) {
            fprintf(stderr, "gpt: token id out of range [0, %d) at position %d\n", V, i);
            return -1;
        }
    }
    if (model->B != B || model->T != T) {
        if (alloc_acts(model, B, T) != 0) return -1;
    }
    memcpy(model->inputs, inputs, N * sizeof(int));
    if (targets) memcpy(model->targets, targets, N * sizeof(int));
    SFX(Activations) *a = &model->acts;
    size_t NC = (size_t)N * C;
    SFX(encoder_forward)(a->encoded, inputs, model->tensor[0], model->tensor[1], B, T, C);
    for (int l = 0; l < L; l++) {
        real **w = &model->tensor[2 + l * T_PER_LAYER];
        const real *residual = l == 0 ? a->encoded : a->residual3 + (l - 1) * NC;
        real *ln1 = a->ln1 + l * NC, *qkv = a->qkv + l * 3 * NC, *atty = a->atty + l * NC;
        real *att = a->att + (size_t)l * B * NH * T * T, *res2 = a->residual2 + l * NC;
        real *ln2 = a->ln2 + l * NC, *fch = a->fch + l * 4 * NC, *fchg = a->fch_gelu + l * 4 * NC;
        real *res3 = a->residual3 + l * NC;
        SFX(layernorm_forward)(ln1, a->ln1_mean + l * N, a->ln1_rstd + l * N, residual, w[T_LN1W], w[T_LN1B], N, C, c->ln_eps);
        SFX(matmul_forward)(qkv, ln1, w[T_QKVW], w[T_QKVB], N, C, 3 * C);                    /* [N, 3C] */
        SFX(attention_forward)(atty, att, qkv, B, T, C, NH);                                  /* [N, C] */
        SFX(matmul_forward)(res2, atty, w[T_ATTPROJW], w[T_ATTPROJB], N, C, C);               /* attn out */
        SFX(residual_forward)(res2, res2, residual, NC);                                      /* + residual */
        SFX(layernorm_forward)(ln2, a->ln2_mean + l * N, a->ln2_rstd + l * N, res2, w[T_LN2W], w[T_LN2B], N, C, c->ln_eps);
        SFX(matmul_forward)(fch, ln2, w[T_FCW], w[T_FCB], N, C, 4 * C);                       /* [N, 4C] */
        SFX(gelu_forward)(fchg, fch, 4 * NC);
        SFX(matmul_forward)(res3, fchg, w[T_FCPROJW], w[T_FCPROJB], N, 4 * C, C);             /* mlp out */
        SFX(residual_forward)(res3, res3, res2, NC);
    }
    int nt = gpt_num_tensors(c);
    SFX(layernorm_forward)(a->lnf, a->lnf_mean, a->lnf_rstd, a->residual3 + (L - 1) * NC, model->tensor[nt - 2],
                           model->tensor[nt - 1], N, C, c->ln_eps);
    /* logits[N, V] = lnf[N, C] @ wte^T (tied head, no bias) */
    MODEL_GEMM(CblasNoTrans, CblasTrans, N, V, C, a->lnf, C, model->tensor[0], C, 0, a->logits, V);
    if (targets) {
        double total = SFX(crossentropy_forward_backward)(a->logits, a->losses, targets, N, V, grad_scale / N);
        model->mean_loss = total / N;
    } else {
        model->mean_loss = -1;
    }
    return 0;
}

void SFX(gpt_zero_grad)(SFX(GPT) *model) { memset(model->grads, 0, model->num_params * sizeof(real)); }

void SFX(gpt_backward)(SFX(GPT) *model) {
    const GPTConfig *c = &model->config;
    int L = c->n_layer, C = c->n_embd, NH = c->n_head, V = c->vocab_size, B = model->B, T = model->T, N = B * T;
    size_t NC = (size_t)N * C;
    SFX(Activations) *a = &model->acts;
    int nt = gpt_num_tensors(c);
    /* LM head: dlnf = dlogits @ wte, dwte += dlogits^T @ lnf */
    MODEL_GEMM(CblasNoTrans, CblasNoTrans, N, C, V, a->logits, V, model->tensor[0], C, 0, a->dln, C);
    MODEL_GEMM(CblasTrans, CblasNoTrans, V, C, N, a->logits, V, a->lnf, C, 1, model->gtensor[0], C);
    memset(a->dres, 0, NC * sizeof(real));
    SFX(layernorm_backward)(a->dres, model->gtensor[nt - 2], model->gtensor[nt - 1], a->dln, a->residual3 + (L - 1) * NC,
                            model->tensor[nt - 2], a->lnf_mean, a->lnf_rstd, N, C);
    for (int l = L - 1; l >= 0; l--) {
        real **w = &model->tensor[2 + l * T_PER_LAYER];
        real **g = &model->gtensor[2 + l * T_PER_LAYER];
        const real *residual = l == 0 ? a->encoded : a->residual3 + (l - 1) * NC;
        /* dres holds d(residual3); the identity path carries it to residual2 unchanged */
        SFX(matmul_backward)(a->dfch_gelu, g[T_FCPROJW], g[T_FCPROJB], a->dres, a->fch_gelu + l * 4 * NC, w[T_FCPROJW], N, 4 * C, C);
        SFX(gelu_backward)(a->dfch, a->fch + l * 4 * NC, a->dfch_gelu, 4 * NC);
        SFX(matmul_backward)(a->dln, g[T_FCW], g[T_FCB], a->dfch, a->ln2 + l * NC, w[T_FCW], N, C, 4 * C);
        SFX(layernorm_backward)(a->dres, g[T_LN2W], g[T_LN2B], a->dln, a->residual2 + l * NC, w[T_LN2W],
                                a->ln2_mean + l * N, a->ln2_rstd + l * N, N, C);
        /* dres now holds d(residual2); again the identity path carries it to the block input */
        SFX(matmul_backward)(a->datty, g[T_ATTPROJW], g[T_ATTPROJB], a->dres, a->atty + l * NC, w[T_ATTPROJW], N, C, C);
        SFX(attention_backward)(a->dqkv, a->datty, a->qkv + l * 3 * NC, a->att + (size_t)l * B * NH * T * T,
                                a->att_scratch, B, T, C, NH);
        SFX(matmul_backward)(a->dln, g[T_QKVW], g[T_QKVB], a->dqkv, a->ln1 + l * NC, w[T_QKVW], N, C, 3 * C);
        SFX(layernorm_backward)(a->dres, g[T_LN1W], g[T_LN1B], a->dln, residual, w[T_LN1W],
                                a->ln1_mean + l * N, a->ln1_rstd + l * N, N, C);
    }
    SFX(encoder_backward)(model->gtensor[0], model->gtensor[1], a->dres, model->inputs, B, T, C);
}

double SFX(gpt_grad_norm)(const SFX(GPT) *model) {
    enum { CHUNKS = 64 };
    double partial[CHUNKS] = {0};
    size_t n = model->num_params, per = (n + CHUNKS - 1) / CHUNKS;
#pragma omp parallel for schedule(static)
    for (int k = 0; k < CHUNKS; k++) {
        size_t i0 = k * per, i1 = i0 + per < n ? i0 + per : n;
        double s = 0;
        for (size_t i = i0; i < i1; i++) s += (double)model->grads[i] * model->grads[i];
        partial[k] = s;
    }
    double total = 0;
    for (int k = 0; k < CHUNKS; k++) total += partial[k];
    return sqrt(total);
}

/* AdamW on `n` elements of one tensor (p, g, m, v at the tensor's offset). */
static void SFX(adamw_tensor)(real *p, const real *g, float *m, float *v, size_t n, double lr, double beta1, double beta2,
                              double eps, double wd, double bc1, double bc2, double grad_mult) {
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < n; j++) {
        double grad = (double)g[j] * grad_mult;
        double mj = beta1 * m[j] + (1 - beta1) * grad;
        double vj = beta2 * v[j] + (1 - beta2) * grad * grad;
        m[j] = (float)mj;
        v[j] = (float)vj;
        double mhat = mj / bc1, vhat = vj / bc2;
        p[j] = (real)(p[j] - lr * (mhat / (sqrt(vhat) + eps) + wd * p[j]));
    }
}

void SFX(gpt_adamw_update)(SFX(GPT) *model, double lr, double beta1, double beta2, double eps,
                           double weight_decay, int t, double grad_mult) {
    const GPTConfig *c = &model->config;
    double bc1 = 1.0 - pow(beta1, t), bc2 = 1.0 - pow(beta2, t);
    size_t off = 0;
    for (int i = 0; i < gpt_num_tensors(c); i++) {
        int is_2d;
        size_t n = gpt_tensor_size(c, i, &is_2d);
        SFX(adamw_tensor)(model->params + off, model->grads + off, model->m + off, model->v + off, n, lr, beta1, beta2, eps,
                          is_2d ? weight_decay : 0.0, bc1, bc2, grad_mult);
        off += n;
    }
}

/* Newton-Schulz quintic iteration of Muon (Jordan et al. 2024): X [rows, cols] (row-major) is replaced by an
 * approximation of U V^T from its SVD (singular values pushed into roughly [0.7, 1.2]). Works on the wider
 * orientation (a transposed copy when rows > cols) so the Gram matrices are min(rows, cols) square. */
void SFX(gpt_newton_schulz5)(real *X, int rows, int cols) {
    const double a = 3.4445, b = -4.7750, c5 = 2.0315;
    int tr = rows > cols;
    int r = tr ? cols : rows, k = tr ? rows : cols;
    size_t n = (size_t)rows * cols;
    real *W = malloc(n * sizeof(real)), *Y = malloc(n * sizeof(real));
    real *A = malloc((size_t)r * r * sizeof(real)), *B = malloc((size_t)r * r * sizeof(real));
    if (tr) {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) W[(size_t)j * rows + i] = X[(size_t)i * cols + j];
    } else {
        memcpy(W, X, n * sizeof(real));
    }
    double norm = 0;
    for (size_t j = 0; j < n; j++) norm += (double)W[j] * W[j];
    norm = sqrt(norm) + 1e-7;
    for (size_t j = 0; j < n; j++) W[j] = (real)(W[j] / norm);
    for (int it = 0; it < 5; it++) {
        GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, r, r, k, 1, W, k, W, k, 0, A, r);        /* A = W W^T */
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, r, r, c5, A, r, A, r, 0, B, r);     /* B = c A A */
        for (size_t j = 0; j < (size_t)r * r; j++) B[j] += (real)(b * A[j]);                  /*   + b A  */
        memcpy(Y, W, n * sizeof(real));
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, k, r, 1, B, r, W, k, a, Y, k);      /* Y = a W + B W */
        real *swap = W; W = Y; Y = swap;
    }
    if (tr) {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) X[(size_t)i * cols + j] = W[(size_t)j * rows + i];
    } else {
        memcpy(X, W, n * sizeof(real));
    }
    free(W); free(Y); free(A); free(B);
}

/* Whether tensor i is a hidden matrix (c_attn, attn.c_proj, c_fc, mlp.c_proj weight); its shape in rows/cols. */
static int hidden_matrix(const GPTConfig *c, int i, int *rows, int *cols) {
    if (i < 2 || i >= gpt_num_tensors(c) - 2) return 0;
    int C = c->n_embd;
    switch ((i - 2) % T_PER_LAYER) {
        case T_QKVW: *rows = C; *cols = 3 * C; return 1;
        case T_ATTPROJW: *rows = C; *cols = C; return 1;
        case T_FCW: *rows = C; *cols = 4 * C; return 1;
        case T_FCPROJW: *rows = 4 * C; *cols = C; return 1;
        default: return 0;
    }
}

/* Muon for the hidden matrices, AdamW for everything else (embeddings, LayerNorms, biases). Per hidden matrix:
 * m = momentum m + g; u = g + momentum m (Nesterov); p -= lr (0.2 sqrt(max(rows, cols)) NS5(u) + wd p), the
 * scale that gives the update the RMS of an AdamW update so both share lr and weight decay (Moonlight, Liu et
 * al. 2025). The hidden matrices use only m; their v stays 0. */
void SFX(gpt_muon_update)(SFX(GPT) *model, double lr, double momentum, double beta1, double beta2, double eps,
                          double weight_decay, int t, double grad_mult) {
    const GPTConfig *c = &model->config;
    double bc1 = 1.0 - pow(beta1, t), bc2 = 1.0 - pow(beta2, t);
    size_t off = 0;
    for (int i = 0; i < gpt_num_tensors(c); i++) {
        int is_2d, rows, cols;
        size_t n = gpt_tensor_size(c, i, &is_2d);
        real *p = model->params + off, *g = model->grads + off;
        float *m = model->m + off;
        if (!hidden_matrix(c, i, &rows, &cols)) {
            SFX(adamw_tensor)(p, g, m, model->v + off, n, lr, beta1, beta2, eps, is_2d ? weight_decay : 0.0, bc1, bc2, grad_mult);
            off += n;
            continue;
        }
        real *u = malloc(n * sizeof(real));
        for (size_t j = 0; j < n; j++) {
            double grad = (double)g[j] * grad_mult;
            double mj = momentum * m[j] + grad;
            m[j] = (float)mj;
            u[j] = (real)(grad + momentum * mj);
        }
        SFX(gpt_newton_schulz5)(u, rows, cols);
        double scale = 0.2 * sqrt((double)(rows > cols ? rows : cols));
        for (size_t j = 0; j < n; j++) p[j] = (real)(p[j] - lr * (scale * u[j] + weight_decay * p[j]));
        free(u);
        off += n;
    }
}
