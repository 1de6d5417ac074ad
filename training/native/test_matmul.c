/*
 * The trainer's bf16 matrix products (matmul.h) against OpenBLAS sgemm:
 *   - operands that bf16 holds exactly and products whose sums fp32 holds exactly give the same
 *     result bit for bit, for each transpose of A and B and for beta 0 (overwrite) and 1 (accumulate),
 *     so the layouts, strides and the accumulate path are right;
 *   - general operands stay within the rounding bound of bf16 inputs (relative error of each
 *     operand 2^-9, so of a product about 2^-8, on the sum of |a||b|);
 *   - rounding: round-to-nearest-even and NaN kept;
 *   - fp32 precision is sgemm itself, bit for bit;
 *   - the kernel is reported.
 * On a CPU without bf16 support in oneDNN, checks that asking for bf16 fails with a reason instead.
 * Last line: "matmul: N passed, M failed"; exit status 1 when M > 0.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "matmul.h"

static int passed = 0, failed = 0;
static uint64_t state = 42;

static void check(int ok, const char *what) {
    if (ok) passed++; else { failed++; printf("FAIL %s\n", what); }
}

static double uniform(void) { /* [-1, 1) */
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(state >> 11) / 9007199254740992.0 * 2 - 1;
}

/* An op(A) [M, K] / op(B) [K, N] stored transposed or not, as the trainer stores them (ld = columns). */
static float *matrix(int rows, int cols, int exact) {
    float *m = malloc(sizeof(float) * rows * cols);
    for (int i = 0; i < rows * cols; i++) m[i] = exact ? (float)((int)(uniform() * 9)) / 8 : (float)uniform();
    return m;
}

static void compare(int ta, int tb, float beta, int exact) {
    int M = 37, N = 45, K = 29;
    int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
    float *A = matrix(ar, ac, exact), *B = matrix(br, bc, exact), *C0 = matrix(M, N, 1);
    float *want = malloc(sizeof(float) * M * N), *got = malloc(sizeof(float) * M * N);
    memcpy(want, C0, sizeof(float) * M * N);
    memcpy(got, C0, sizeof(float) * M * N);
    CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
    cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, 1, A, ac, B, bc, beta, want, N);
    matmul_gemm(TA, TB, M, N, K, A, ac, B, bc, beta, got, N);
    char what[160];
    if (exact) {
        snprintf(what, sizeof what, "bf16-exact operands, trans A %d, trans B %d, beta %g: same as sgemm bit for bit", ta, tb, beta);
        check(!memcmp(want, got, sizeof(float) * M * N), what);
    } else {
        double worst = 0;
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                double mag = beta * fabs(C0[m * N + n]);
                for (int k = 0; k < K; k++) mag += fabs(A[ta ? k * ac + m : m * ac + k]) * fabs(B[tb ? n * bc + k : k * bc + n]);
                double err = fabs((double)got[m * N + n] - want[m * N + n]) / mag;
                if (err > worst) worst = err;
            }
        snprintf(what, sizeof what, "general operands, trans A %d, trans B %d, beta %g: error %.2e of sum |a||b| (bound 2^-7)", ta, tb, beta, worst);
        check(worst <= 1.0 / 128, what);
    }
    free(A); free(B); free(C0); free(want); free(got);
}

int main(void) {
    unsigned short h[4];
    float in[4] = {1.0f, 1.00390625f /* 1 + 2^-8: a tie, rounds to even 1.0 */, 1.01171875f /* 1 + 3 * 2^-8: tie, rounds up */, NAN};
    matmul_to_bf16(h, in, 4);
    check(h[0] == 0x3f80 && h[1] == 0x3f80 && h[2] == 0x3f82, "float -> bf16 rounds to nearest even");
    check((h[3] & 0x7f80) == 0x7f80 && (h[3] & 0x7f) != 0, "float -> bf16 keeps NaN a NaN");

    /* fp32: sgemm itself */
    check(matmul_precision() == MATMUL_FP32, "fp32 is the default");
    float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, C1[4], C2[4];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1, A, 3, B, 2, 0, C1, 2);
    matmul_gemm(CblasNoTrans, CblasNoTrans, 2, 2, 3, A, 3, B, 2, 0, C2, 2);
    check(!memcmp(C1, C2, sizeof C1) && !strcmp(matmul_kernels(), "OpenBLAS sgemm"), "fp32 precision is OpenBLAS sgemm, bit for bit, and says so");

    char err[256] = "";
    if (matmul_set_precision(MATMUL_BF16, err, sizeof err) != 0) {
        printf("bf16 unavailable: %s\n", err);
        check(strlen(err) > 20 && matmul_precision() == MATMUL_FP32, "asking for bf16 where it cannot run fails with a reason and keeps fp32");
#if defined(HAVE_DNNL) && defined(__x86_64__)
        /* Unless oneDNN was told to use less of the CPU than it has (its ISA cap variables). */
        __builtin_cpu_init();
        if (!getenv("ONEDNN_MAX_CPU_ISA") && !getenv("DNNL_MAX_CPU_ISA"))
            check(!__builtin_cpu_supports("avx512bf16"), "oneDNN is built in and the CPU has AVX-512 BF16, so bf16 must be available");
#endif
    } else {
        for (int exact = 1; exact >= 0; exact--)
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++)
                    for (int beta = 0; beta < 2; beta++) compare(ta, tb, (float)beta, exact);
        printf("kernels: %s\n", matmul_kernels());
        check(strstr(matmul_kernels(), "oneDNN bf16 ") != NULL, "the bf16 kernel is reported");
    }
    printf("matmul: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
