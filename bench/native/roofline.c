/*
 * The machine's own limits for `npm run bench` (bench/sections/roofline.ts builds and runs this):
 *
 *   roofline sgemm M N K THREADS REPS   C[M,N] = A[M,K] B[K,N] with OpenBLAS cblas_sgemm (row-major)
 *   roofline sgemv N K THREADS REPS     y[N] = W[N,K] x[K]: one decode-step matrix read from memory
 *   roofline bw MIB THREADS REPS        read (sum), copy (memcpy) and triad over MIB-MiB float buffers
 *
 * One JSON object per line on stdout, every timing as "ms": [...] (wall) and "cpu_ms": [...] (CPU
 * time of the process, all threads), one entry per rep after one warm-up, so the caller computes
 * medians and the best. On a shared machine a 1-thread kernel's CPU time is its time when it holds
 * a core. Bytes and flops are what the operation must move or compute at least (copy: read +
 * write; triad a = b + s c: two reads + one write).
 */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static double cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static float *alloc_floats(size_t n) {
    float *p = NULL;
    if (posix_memalign((void **)&p, 64, n * sizeof(float)) != 0) {
        fprintf(stderr, "roofline: cannot allocate %zu floats\n", n);
        exit(1);
    }
    /* first touch in parallel, so pages are spread as the timed loops will use them */
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    return p;
}

static void print_ms(const double *ms, const double *cpu, int reps) {
    printf("\"ms\":[");
    for (int r = 0; r < reps; r++) printf("%s%.4f", r ? "," : "", ms[r]);
    printf("],\"cpu_ms\":[");
    for (int r = 0; r < reps; r++) printf("%s%.4f", r ? "," : "", cpu[r]);
    printf("]}\n");
}

static int sgemm(int M, int N, int K, int reps) {
    float *A = alloc_floats((size_t)M * K), *B = alloc_floats((size_t)K * N), *C = alloc_floats((size_t)M * N);
    double *ms = calloc(reps, sizeof(double)), *cpu = calloc(reps, sizeof(double));
    for (int r = -1; r < reps; r++) {
        double t0 = now_ms(), c0 = cpu_ms();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
        if (r >= 0) ms[r] = now_ms() - t0, cpu[r] = cpu_ms() - c0;
    }
    printf("{\"kind\":\"sgemm\",\"m\":%d,\"n\":%d,\"k\":%d,\"threads\":%d,\"flops\":%.0f,", M, N, K, omp_get_max_threads(), 2.0 * M * N * (double)K);
    print_ms(ms, cpu, reps);
    free(A); free(B); free(C); free(ms); free(cpu);
    return 0;
}

static int sgemv(int N, int K, int reps) {
    float *W = alloc_floats((size_t)N * K), *x = alloc_floats(K), *y = alloc_floats(N);
    double *ms = calloc(reps, sizeof(double)), *cpu = calloc(reps, sizeof(double));
    for (int r = -1; r < reps; r++) {
        double t0 = now_ms(), c0 = cpu_ms();
        cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, W, K, x, 1, 0.0f, y, 1);
        if (r >= 0) ms[r] = now_ms() - t0, cpu[r] = cpu_ms() - c0;
    }
    printf("{\"kind\":\"sgemv\",\"n\":%d,\"k\":%d,\"threads\":%d,\"bytes\":%.0f,", N, K, omp_get_max_threads(), 4.0 * N * (double)K);
    print_ms(ms, cpu, reps);
    free(W); free(x); free(y); free(ms); free(cpu);
    return 0;
}

static int bandwidth(size_t mib, int reps) {
    size_t n = mib * 1024 * 1024 / sizeof(float);
    float *a = alloc_floats(n), *b = alloc_floats(n), *c = alloc_floats(n);
    double *read_ms = calloc(reps, sizeof(double)), *copy_ms = calloc(reps, sizeof(double)), *triad_ms = calloc(reps, sizeof(double));
    double *read_cpu = calloc(reps, sizeof(double)), *copy_cpu = calloc(reps, sizeof(double)), *triad_cpu = calloc(reps, sizeof(double));
    volatile float sink = 0;
    for (int r = -1; r < reps; r++) {
        double t0 = now_ms(), c0 = cpu_ms();
        float sum = 0;
#pragma omp parallel for simd reduction(+ : sum) schedule(static)
        for (size_t i = 0; i < n; i++) sum += a[i];
        sink += sum;
        double t1 = now_ms(), c1 = cpu_ms();
#pragma omp parallel
        {
            int t = omp_get_thread_num(), T = omp_get_num_threads();
            size_t lo = n / T * t, hi = t == T - 1 ? n : n / T * (t + 1);
            memcpy(b + lo, a + lo, (hi - lo) * sizeof(float));
        }
        double t2 = now_ms(), c2 = cpu_ms();
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) c[i] = a[i] + 0.5f * b[i];
        double t3 = now_ms(), c3 = cpu_ms();
        if (r >= 0) {
            read_ms[r] = t1 - t0, read_cpu[r] = c1 - c0;
            copy_ms[r] = t2 - t1, copy_cpu[r] = c2 - c1;
            triad_ms[r] = t3 - t2, triad_cpu[r] = c3 - c2;
        }
    }
    double bytes = (double)n * sizeof(float);
    int threads = omp_get_max_threads();
    printf("{\"kind\":\"read\",\"mib\":%zu,\"threads\":%d,\"bytes\":%.0f,", mib, threads, bytes);
    print_ms(read_ms, read_cpu, reps);
    printf("{\"kind\":\"copy\",\"mib\":%zu,\"threads\":%d,\"bytes\":%.0f,", mib, threads, 2 * bytes);
    print_ms(copy_ms, copy_cpu, reps);
    printf("{\"kind\":\"triad\",\"mib\":%zu,\"threads\":%d,\"bytes\":%.0f,", mib, threads, 3 * bytes);
    print_ms(triad_ms, triad_cpu, reps);
    if (sink == 12345.678f) fprintf(stderr, " ");
    free(a); free(b); free(c); free(read_ms); free(copy_ms); free(triad_ms); free(read_cpu); free(copy_cpu); free(triad_cpu);
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: roofline sgemm M N K THREADS REPS | sgemv N K THREADS REPS | bw MIB THREADS REPS\n");
    return 2;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) return usage();
    if (!strcmp(argv[1], "sgemm") && argc == 7) {
        omp_set_num_threads(atoi(argv[5]));
        openblas_set_num_threads(atoi(argv[5]));
        return sgemm(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[6]));
    }
    if (!strcmp(argv[1], "sgemv") && argc == 6) {
        omp_set_num_threads(atoi(argv[4]));
        openblas_set_num_threads(atoi(argv[4]));
        return sgemv(atoi(argv[2]), atoi(argv[3]), atoi(argv[5]));
    }
    if (!strcmp(argv[1], "bw") && argc == 5) {
        omp_set_num_threads(atoi(argv[3]));
        return bandwidth((size_t)atoi(argv[2]), atoi(argv[4]));
    }
    return usage();
}
