/*
 * GPT-2 shape and the parameter layout shared by every precision of the native trainer.
 *
 * Parameter memory layout (one contiguous array, float32 in the trainer, float64 in the
 * gradient-check build). It is EXACTLY the order and layout of the tensors in
 * model.safetensors as written by src/model/weights.ts (`tensorLayout`), so converting the
 * trainer's parameters to the file is a straight slice, no transposes:
 *
 *   wte.weight            [V, C]      token embedding, also the (tied) LM head
 *   wpe.weight            [maxT, C]   position embedding (maxT = n_positions)
 *   for each layer l in 0..L-1:
 *     h.l.ln_1.weight     [C]
 *     h.l.ln_1.bias       [C]
 *     h.l.attn.c_attn.weight  [C, 3C]   Conv1D [in, out]: y = x W + b; out columns q | k | v,
 *                                       each of them [n_head, head_size]
 *     h.l.attn.c_attn.bias    [3C]
 *     h.l.attn.c_proj.weight  [C, C]
 *     h.l.attn.c_proj.bias    [C]
 *     h.l.ln_2.weight     [C]
 *     h.l.ln_2.bias       [C]
 *     h.l.mlp.c_fc.weight     [C, 4C]
 *     h.l.mlp.c_fc.bias       [4C]
 *     h.l.mlp.c_proj.weight   [4C, C]
 *     h.l.mlp.c_proj.bias     [C]
 *   ln_f.weight           [C]
 *   ln_f.bias             [C]
 *
 * All matrices are row-major. Gradients and the AdamW moments m, v use the same layout.
 */
#ifndef GPT_CONFIG_H
#define GPT_CONFIG_H

#include <stddef.h>

typedef struct {
    int vocab_size;  /* V */
    int max_seq_len; /* maxT = n_positions */
    int n_layer;     /* L */
    int n_head;      /* NH */
    int n_embd;      /* C */
    double ln_eps;   /* layer_norm_epsilon */
} GPTConfig;

/* Tensors per layer, in file order (see the table above). */
enum {
    T_LN1W, T_LN1B, T_QKVW, T_QKVB, T_ATTPROJW, T_ATTPROJB,
    T_LN2W, T_LN2B, T_FCW, T_FCB, T_FCPROJW, T_FCPROJB, T_PER_LAYER
};

/* Number of tensors in the whole model: wte, wpe, L * 12, ln_f.weight, ln_f.bias. */
static inline int gpt_num_tensors(const GPTConfig *c) { return 2 + c->n_layer * T_PER_LAYER + 2; }

/* Element count of tensor `i` (0-based, file order); *is_2d says whether AdamW decays it. */
static inline size_t gpt_tensor_size(const GPTConfig *c, int i, int *is_2d) {
    size_t C = (size_t)c->n_embd;
    int n = gpt_num_tensors(c);
    int two_d = 0;
    size_t size;
    if (i == 0) { size = (size_t)c->vocab_size * C; two_d = 1; }
    else if (i == 1) { size = (size_t)c->max_seq_len * C; two_d = 1; }
    else if (i >= n - 2) { size = C; }
    else {
        switch ((i - 2) % T_PER_LAYER) {
            case T_QKVW: size = C * 3 * C; two_d = 1; break;
            case T_QKVB: size = 3 * C; break;
            case T_ATTPROJW: size = C * C; two_d = 1; break;
            case T_FCW: size = C * 4 * C; two_d = 1; break;
            case T_FCB: size = 4 * C; break;
            case T_FCPROJW: size = 4 * C * C; two_d = 1; break;
            default: size = C; break; /* layernorm weights/biases, projection biases */
        }
    }
    if (is_2d) *is_2d = two_d;
    return size;
}

static inline size_t gpt_num_params(const GPTConfig *c) {
    size_t total = 0;
    for (int i = 0; i < gpt_num_tensors(c); i++) total += gpt_tensor_size(c, i, NULL);
    return total;
}

#endif
