/* See matmul.h. */
#include "matmul.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_DNNL
#include <dnnl.h>
#endif

static MatmulPrecision precision = MATMUL_FP32;
static char kernels[256];

MatmulPrecision matmul_precision(void) { return precision; }
const char *matmul_kernels(void) { return kernels; }

/* Adds `name` to the kernels reported unless listed, the first time `*reported` is 0 (a flag per plan, so
 * the products, which run every step, do not search the list; plans of several shapes share a kernel). */
static void note_kernel_once(int *reported, const char *name) {
    if (*reported) return;
    *reported = 1;
    char padded[104], listed[sizeof kernels + 4];
    snprintf(padded, sizeof padded, ", %s,", name);
    snprintf(listed, sizeof listed, ", %s,", kernels);
    size_t n = strlen(kernels);
    if (strstr(listed, padded) || n + strlen(name) + 3 > sizeof kernels) return;
    snprintf(kernels + n, sizeof kernels - n, "%s%s", n ? ", " : "", name);
}

void matmul_to_bf16(unsigned short *out, const float *in, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &in[i], 4);
        uint32_t rounded = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
        out[i] = (unsigned short)((b & 0x7fffffffu) > 0x7f800000u ? (b >> 16) | 0x40u : rounded);
    }
}

#ifdef HAVE_DNNL
/* One oneDNN primitive per call shape (a training step has a handful), created on first use. */
typedef struct {
    int ta, tb, M, N, K, lda, ldb, ldc, accumulate;
    dnnl_primitive_t prim;
    dnnl_memory_t a, b, c;
    /* "oneDNN bf16 <implementation>", reported when a product first runs with this plan */
    char kernel[96];
    int reported;
} Plan;
#define MAX_PLANS 64
static Plan plans[MAX_PLANS];
static int n_plans;
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static unsigned short *a16, *b16;
static size_t a16_cap, b16_cap;

static void fail(const char *what, dnnl_status_t s) {
    fprintf(stderr, "gpt-train: oneDNN bf16 matmul: %s failed (status %d)\n", what, (int)s);
    exit(1);
}
#define CK(call) do { dnnl_status_t s_ = (call); if (s_ != dnnl_success) fail(#call, s_); } while (0)

/* The bf16 operand `rows` x `cols` with leading dimension ld, as op() reads it: strides of [op rows, op cols]. */
static void desc(dnnl_memory_desc_t *md, int op_rows, int op_cols, int ld, int transposed, dnnl_data_type_t dt) {
    dnnl_dims_t dims = {op_rows, op_cols};
    dnnl_dims_t strides = {transposed ? 1 : ld, transposed ? ld : 1};
    CK(dnnl_memory_desc_init_by_strides(md, 2, dims, dt, strides));
}

/* NULL when oneDNN has no implementation for this shape on this CPU. */
static Plan *plan_for(int ta, int tb, int M, int N, int K, int lda, int ldb, int ldc, int accumulate, dnnl_status_t *status) {
    for (int i = 0; i < n_plans; i++) {
        Plan *p = &plans[i];
        if (p->ta == ta && p->tb == tb && p->M == M && p->N == N && p->K == K && p->lda == lda && p->ldb == ldb && p->ldc == ldc && p->accumulate == accumulate) return p;
    }
    if (n_plans == MAX_PLANS) { fprintf(stderr, "gpt-train: more than %d matmul shapes\n", MAX_PLANS); exit(1); }
    if (!engine) {
        CK(dnnl_engine_create(&engine, dnnl_cpu, 0));
        CK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    }
    dnnl_memory_desc_t amd, bmd, cmd;
    desc(&amd, M, K, lda, ta, dnnl_bf16);
    desc(&bmd, K, N, ldb, tb, dnnl_bf16);
    desc(&cmd, M, N, ldc, 0, dnnl_f32);
    dnnl_matmul_desc_t md;
    CK(dnnl_matmul_desc_init(&md, &amd, &bmd, NULL, &cmd));
    dnnl_primitive_attr_t attr;
    CK(dnnl_primitive_attr_create(&attr));
    dnnl_post_ops_t post;
    CK(dnnl_post_ops_create(&post));
    if (accumulate) CK(dnnl_post_ops_append_sum(post, 1.0f)); /* C += A B, as sgemm with beta = 1 */
    CK(dnnl_primitive_attr_set_post_ops(attr, post));
    dnnl_primitive_desc_t pd;
    *status = dnnl_primitive_desc_create(&pd, &md, attr, engine, NULL);
    dnnl_post_ops_destroy(post);
    dnnl_primitive_attr_destroy(attr);
    if (*status != dnnl_success) return NULL;
    Plan *p = &plans[n_plans++];
    *p = (Plan){.ta = ta, .tb = tb, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc, .accumulate = accumulate};
    CK(dnnl_primitive_create(&p->prim, pd));
    const char *impl = "?";
    CK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    snprintf(p->kernel, sizeof p->kernel, "oneDNN bf16 %s", impl);
    CK(dnnl_primitive_desc_destroy(pd));
    CK(dnnl_memory_create(&p->a, &amd, engine, DNNL_MEMORY_NONE));
    CK(dnnl_memory_create(&p->b, &bmd, engine, DNNL_MEMORY_NONE));
    CK(dnnl_memory_create(&p->c, &cmd, engine, DNNL_MEMORY_NONE));
    return p;
}

/* Rounds the stored operand (rows x cols, leading dimension ld) into buf, keeping ld. */
static unsigned short *to_bf16_buffer(unsigned short **buf, size_t *cap, const float *x, int rows, int cols, int ld) {
    size_t need = (size_t)(rows - 1) * ld + cols;
    if (need > *cap) {
        free(*buf);
        *buf = malloc(need * sizeof **buf);
        if (!*buf) { fprintf(stderr, "gpt-train: out of memory for a bf16 operand\n"); exit(1); }
        *cap = need;
    }
    if (ld == cols) matmul_to_bf16(*buf, x, need);
    else for (int r = 0; r < rows; r++) matmul_to_bf16(*buf + (size_t)r * ld, x + (size_t)r * ld, cols);
    return *buf;
}
#endif

int matmul_set_precision(MatmulPrecision p, char *err, size_t err_len) {
    if (p == MATMUL_FP32) { precision = p; return 0; }
#ifdef HAVE_DNNL
    /* A probe of the shapes' kind (row-major, both transposes) tells whether this CPU has a bf16 matmul. */
    dnnl_status_t status = dnnl_success;
    if (!plan_for(0, 1, 64, 64, 64, 64, 64, 64, 1, &status)) {
        snprintf(err, err_len, "oneDNN has no bf16 matmul for this CPU (status %d)", (int)status);
        return -1;
    }
    precision = p;
    return 0;
#else
    snprintf(err, err_len, "this gpt-train was built without oneDNN (Debian: libdnnl-dev), so it has no bf16 matmul");
    return -1;
#endif
}

void matmul_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc) {
#ifdef HAVE_DNNL
    if (precision == MATMUL_BF16 && (beta == 0 || beta == 1)) {
        int tA = ta == CblasTrans, tB = tb == CblasTrans;
        dnnl_status_t status;
        Plan *p = plan_for(tA, tB, M, N, K, lda, ldb, ldc, beta == 1, &status);
        if (!p) fail("a bf16 matmul of this shape", status);
        const unsigned short *a = to_bf16_buffer(&a16, &a16_cap, A, tA ? K : M, tA ? M : K, lda);
        const unsigned short *b = to_bf16_buffer(&b16, &b16_cap, B, tB ? N : K, tB ? K : N, ldb);
        CK(dnnl_memory_set_data_handle(p->a, (void *)a));
        CK(dnnl_memory_set_data_handle(p->b, (void *)b));
        CK(dnnl_memory_set_data_handle(p->c, C));
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, p->a}, {DNNL_ARG_WEIGHTS, p->b}, {DNNL_ARG_DST, p->c}};
        CK(dnnl_primitive_execute(p->prim, stream, 3, args));
        CK(dnnl_stream_wait(stream));
        note_kernel_once(&p->reported, p->kernel);
        return;
    }
#endif
    static int sgemm_reported;
    note_kernel_once(&sgemm_reported, "OpenBLAS sgemm");
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1, A, lda, B, ldb, beta, C, ldc);
}
