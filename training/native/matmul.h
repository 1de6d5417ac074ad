/*
 * The float trainer's large matrix products (the linear layers and the tied LM head): OpenBLAS
 * sgemm, or, with --precision bf16, oneDNN's matmul on bf16 copies of both operands with fp32
 * accumulation and an fp32 result. That is mixed precision as in Micikevicius et al. 2018: weights,
 * gradients, optimizer state and every element-wise op stay fp32; only the operands of these
 * products are rounded. On a CPU with AMX or AVX-512 BF16 oneDNN's kernels run several times
 * faster than fp32 sgemm. The attention's small per-head products stay sgemm in either precision.
 * The double build (gradient checks) never comes here.
 */
#pragma once
#include <stddef.h>
#include <cblas.h>

typedef enum { MATMUL_FP32 = 0, MATMUL_BF16 = 1 } MatmulPrecision;

/* Selects the precision. Returns 0, or -1 with a reason in err when bf16 cannot run here (built
 * without oneDNN, or oneDNN has no bf16 matmul for this CPU); the precision is then unchanged. */
int matmul_set_precision(MatmulPrecision p, char *err, size_t err_len);
MatmulPrecision matmul_precision(void);

/* C[M, N] = op(A)[M, K] op(B)[K, N] + beta C, row-major; beta 0 or 1. */
void matmul_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc);

/* The kernels of the products that came here so far, e.g. "OpenBLAS sgemm" or "oneDNN bf16 brg:avx512_core_amx_bf16",
 * comma-separated, distinct. */
const char *matmul_kernels(void);

/* Round-to-nearest-even float -> bfloat16 (NaN stays NaN), n values. */
void matmul_to_bf16(unsigned short *out, const float *in, size_t n);
