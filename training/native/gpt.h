/*
 * GPT-2 forward and hand-written backward, one pair of functions per layer type (llm.c style).
 *
 * This header is written once and compiled in two precisions:
 *   default      real = float,  symbols end in _f, matrix products by cblas_sgemm (the trainer)
 *   GPT_DOUBLE   real = double, symbols end in _d, matrix products by cblas_dgemm (gradient checks
 *                with finite differences need double precision to be meaningful)
 * The test program includes it twice to compare both builds of the same source.
 *
 * Conventions (B = batch, T = sequence length, C = n_embd, NH = n_head, hs = C / NH, V = vocab):
 *   - activations are row-major [B, T, ...] = [N, ...] with N = B*T rows.
 *   - every *_backward ADDS (+=) into parameter gradients.
 *   - activation gradients: layernorm_backward, residual_backward and encoder_backward add (+=);
 *     matmul_backward, gelu_backward and attention_backward overwrite (=) their dinp.
 */
#undef real
#undef SFX
#ifdef GPT_DOUBLE
#define real double
#define SFX(name) name##_d
#else
#define real float
#define SFX(name) name##_f
#endif

#include <stdint.h>
#include "gpt_config.h"

/* Rows per block in causal attention: keys beyond the block's last row are never computed. */
extern int SFX(gpt_attn_block);

/* ---- layers ---- */
void SFX(encoder_forward)(real *out, const int *inp, const real *wte, const real *wpe, int B, int T, int C);
void SFX(encoder_backward)(real *dwte, real *dwpe, const real *dout, const int *inp, int B, int T, int C);
void SFX(layernorm_forward)(real *out, real *mean, real *rstd, const real *inp, const real *weight,
                            const real *bias, int N, int C, double eps);
void SFX(layernorm_backward)(real *dinp, real *dweight, real *dbias, const real *dout, const real *inp,
                             const real *weight, const real *mean, const real *rstd, int N, int C);
void SFX(matmul_forward)(real *out, const real *inp, const real *weight, const real *bias, int N, int C, int OC);
void SFX(matmul_backward)(real *dinp, real *dweight, real *dbias, const real *dout, const real *inp,
                          const real *weight, int N, int C, int OC);
void SFX(attention_forward)(real *out, real *att, const real *qkv, int B, int T, int C, int NH);
void SFX(attention_backward)(real *dqkv, const real *dout, const real *qkv, const real *att, real *scratch,
                             int B, int T, int C, int NH);
size_t SFX(attention_scratch_size)(int T);
void SFX(gelu_forward)(real *out, const real *inp, size_t N);
void SFX(gelu_backward)(real *dinp, const real *inp, const real *dout, size_t N);
void SFX(residual_forward)(real *out, const real *inp1, const real *inp2, size_t N);
void SFX(residual_backward)(real *dinp1, real *dinp2, const real *dout, size_t N);
/* Logits [N, V] -> per-row loss; when dloss != 0 the logits are overwritten by
 * dloss * d(loss_row)/d(logits) = dloss * (softmax - onehot). Returns the summed loss. */
double SFX(crossentropy_forward_backward)(real *logits, real *losses, const int *targets, int N, int V, real dloss);

/* ---- model ---- */
typedef struct {
    /* per layer arrays, layer stride in elements given by the *_stride fields */
    real *encoded;   /* [N, C] */
    real *ln1;       /* [L, N, C] */
    real *ln1_mean;  /* [L, N] */
    real *ln1_rstd;  /* [L, N] */
    real *qkv;       /* [L, N, 3C] */
    real *atty;      /* [L, N, C] */
    real *att;       /* [L, B, NH, T, T] softmax probabilities, zero above the diagonal */
    real *residual2; /* [L, N, C] */
    real *ln2;       /* [L, N, C] */
    real *ln2_mean;  /* [L, N] */
    real *ln2_rstd;  /* [L, N] */
    real *fch;       /* [L, N, 4C] */
    real *fch_gelu;  /* [L, N, 4C] */
    real *residual3; /* [L, N, C] */
    real *lnf;       /* [N, C] */
    real *lnf_mean;  /* [N] */
    real *lnf_rstd;  /* [N] */
    real *logits;    /* [N, V]; after a training forward: d loss / d logits */
    real *losses;    /* [N] */
    /* backward scratch, shared by all layers */
    real *dres;      /* [N, C] gradient of the residual stream */
    real *dln;       /* [N, C] */
    real *datty;     /* [N, C] */
    real *dqkv;      /* [N, 3C] */
    real *dfch;      /* [N, 4C] */
    real *dfch_gelu; /* [N, 4C] */
    real *att_scratch; /* per thread attention backward scratch */
} SFX(Activations);

typedef struct {
    GPTConfig config;
    size_t num_params;
    real *params;          /* layout: gpt_config.h */
    real *grads;
    float *m, *v;          /* AdamW moments (float in both builds; only the trainer uses them) */
    real *tensor[2 + 64 * T_PER_LAYER + 2];  /* pointers into params, file order */
    real *gtensor[2 + 64 * T_PER_LAYER + 2]; /* same into grads */
    int B, T;              /* shape the activations were allocated for */
    SFX(Activations) acts;
    int *inputs, *targets; /* [N] copies of the last batch */
    double mean_loss;
} SFX(GPT);

/* Allocates parameters (uninitialised), gradients and moments. Returns 0 or -1 (message on stderr). */
int SFX(gpt_create)(SFX(GPT) *model, const GPTConfig *config);
void SFX(gpt_free)(SFX(GPT) *model);
/* GPT-2 init: N(0, 0.02) matrices and embeddings, residual projections N(0, 0.02/sqrt(2L)),
 * biases 0, layernorm weights 1. `rng` is advanced. */
void SFX(gpt_init)(SFX(GPT) *model, uint64_t *rng);
/* Forward pass on inputs [B, T]; with targets, computes mean_loss and (if grad_scale != 0) leaves
 * grad_scale * d(mean loss)/d(logits) in acts.logits ready for gpt_backward. */
int SFX(gpt_forward)(SFX(GPT) *model, const int *inputs, const int *targets, int B, int T, real grad_scale);
void SFX(gpt_zero_grad)(SFX(GPT) *model);
/* Accumulates d(grad_scale * mean loss)/d(params) into model->grads. */
void SFX(gpt_backward)(SFX(GPT) *model);
/* Global L2 norm of the gradient (deterministic summation order). */
double SFX(gpt_grad_norm)(const SFX(GPT) *model);
/* AdamW step `t` (1-based) with decoupled weight decay on 2-D tensors only; the gradient is
 * multiplied by grad_mult first (used for clipping). */
void SFX(gpt_adamw_update)(SFX(GPT) *model, double lr, double beta1, double beta2, double eps,
                           double weight_decay, int t, double grad_mult);
/* Muon (Newton-Schulz orthogonalised Nesterov momentum) for the hidden matrices, AdamW for the rest. */
void SFX(gpt_muon_update)(SFX(GPT) *model, double lr, double momentum, double beta1, double beta2, double eps,
                          double weight_decay, int t, double grad_mult);
/* In place: X [rows, cols] -> approximately U V^T of its SVD (5 quintic Newton-Schulz steps). */
void SFX(gpt_newton_schulz5)(real *X, int rows, int cols);

/* ---- random numbers (shared by both builds, defined in the float build and in the test) ---- */
#ifndef GPT_RNG_DECLARED
#define GPT_RNG_DECLARED
uint64_t rng_next(uint64_t *state);       /* xorshift64*, never returns for state 0 */
double rng_uniform(uint64_t *state);      /* [0, 1) */
double rng_normal(uint64_t *state);       /* N(0, 1), Box-Muller */
#endif
