/*
 * bench_gemm.c -- exact GEMM and GEMV against peers timed in the same run.
 *
 * GEMM, C = A * B (binary32 C, M = N = K = 2048): A row-major m x k, B
 * given as n columns of k contiguous values (a row-major n x k array used
 * with TP_TRANS), blocked along k for the block formats.  Peers: OpenBLAS
 * cblas_sgemm on the same values dequantised to binary32 (ratio of GFLOP/s,
 * ours / sgemm), and cblas_dgemm on binary64 (second ratio).  Cases: exact
 * MXFP4 x MXFP4 (target >= 1.0), exact E4M3 x E4M3 (>= 0.45), exact
 * bfloat16 x bfloat16 (>= 0.3).
 *
 * GEMV, y = W x (binary32 y, W row-major 16384 x 16384): the peer is an
 * AVX-512 bfloat16-weight GEMV written here (the "decode baseline": bf16
 * weights widened to binary32 by a shift, fp32 FMA with a binary32 x, four
 * rows at a time with two accumulators each, x split once per call into
 * the even/odd halves the shift and the mask produce; a scalar loop without
 * AVX-512, which is no fair baseline).  The first ratio is the speed-up,
 * peer time / our time: exact MXFP4 W x MXFP8 (E4M3) x (target >= 3.0),
 * exact E4M3 x E4M3
 * (>= 1.7), exact MXFP4 W x binary32 x (>= 2.0).  The second is our weight
 * bytes per second over the DRAM read bandwidth of a plain AVX-512 read loop
 * over a 1 GiB buffer timed in the same repetition (target >= 0.75).  Each
 * pair runs with W packed (tp_pack_operand, TP_PACK_A), unpacked, and in
 * TP_MODE_FAST (packed).  A last row compares exact binary32 x binary32
 * with OpenBLAS cblas_sgemv.
 *
 * Every ratio is the median [min..max] over the repetitions; each
 * repetition times ours and the peer(s) back to back (order alternating),
 * each side repeating calls for at least a minimum time.  Thread counts
 * apply to both sides: tp_gemm_opts.threads, openblas_set_num_threads, and
 * the bench's own threads (dynamic row chunks) for the bf16 GEMV and the
 * read probe.  Before timing, a few outputs of every case are checked bit
 * for bit: exact cases against an exact accumulator (tp_acc) over the
 * dequantised values, FAST cases against the documented FAST order emulated
 * with fmaf.  A wrong result gets no number and the exit status is 1;
 * missing a target is not an error.  When our call is too slow for the
 * time budget (g_gemm_limit, g_gemv_budget, g_gemv_skip), the GEMM size is
 * reduced (marked "*"), the GEMV repetitions are reduced, or a GEMV case is
 * skipped, each noted in its row.  Sizes of the weights are nominal
 * (elements + scales); the default run holds about 3.2 GiB at its peak
 * (binary32, bf16, E4M3 and MXFP4 weights, one packed copy, the 1 GiB read
 * buffer), allocated 2 MiB aligned with MADV_HUGEPAGE and touched before
 * timing.
 *
 * Options: --reps R (default 5), --threads LIST (default 1,2), --quick
 * (small sizes, smoke test), --only SUBSTRING (case name filter),
 * --json FILE.  Case names: "gemm <pair> exact" for the pairs mxfp4 x mxfp4,
 * e4m3 x e4m3, bf16 x bf16; "gemv <pair> exact packed|exact unpacked|fast
 * packed" for mxfp4 x mxfp8_e4m3, mxfp4 x f32, e4m3 x e4m3; "gemv f32 x f32
 * exact vs sgemv".
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "truepoint.h"
#include "bench_util.h"

#if defined(TP_BENCH_OPENBLAS)
#include <cblas.h>
void openblas_set_num_threads(int);
char *openblas_get_config(void);
#endif

#define MAXREPS 101
#define MAXTHREADS 16

/* ------------------------------------------------------------ settings */

static int g_reps = 5;
static double g_secs = 0.03;        /* minimum time of one side of a sample */
static double g_settle = 0.05;      /* pause after a multi-threaded side */
static double g_gemm_limit = 3.0;   /* seconds per GEMM call before n is reduced */
static double g_gemv_budget = 10.0; /* seconds of our GEMV calls per case before reps are reduced */
static double g_gemv_skip = 10.0;   /* seconds per GEMV call before a case is skipped */
static const char *g_only = NULL;
static int g_progress = 0;
static size_t g_gemm_n = 2048;
static size_t g_gemv_m = 16384, g_gemv_k = 16384;
static size_t g_read_bytes = (size_t)1 << 30;
static int g_bad = 0;

static int selected(const char *name)
{
    return g_only == NULL || strstr(name, g_only) != NULL;
}

#if defined(__GNUC__)
static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
static void progress(const char *fmt, ...)
{
    if (!g_progress)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\r\033[K");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

static void progress_done(void)
{
    if (g_progress) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
}

static void pause_secs(double s)
{
    if (s <= 0)
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ memory */

/* A 64-byte aligned (2 MiB aligned when large) buffer, huge pages asked
 * for; the caller touches it. */
static void *big_alloc(size_t bytes)
{
    size_t align = bytes >= ((size_t)4 << 20) ? ((size_t)2 << 20) : 64;
    size_t sz = (bytes + align - 1) / align * align;
    if (sz == 0)
        sz = align;
    void *p = aligned_alloc(align, sz);
    if (p == NULL) {
        fprintf(stderr, "bench_gemm: out of memory (%zu bytes)\n", bytes);
        exit(2);
    }
#if defined(MADV_HUGEPAGE)
    if (align > 64)
        (void)madvise(p, sz, MADV_HUGEPAGE);
#endif
    return p;
}

/* ------------------------------------------------------------ data */

/* Standard normal pairs (Box-Muller, both outputs). */
static void fill_normal(uint64_t *s, float *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        double u = ((double)(bench_rnd64(s) >> 11) + 0.5) / 9007199254740992.0;
        double w = ((double)(bench_rnd64(s) >> 11) + 0.5) / 9007199254740992.0;
        double r = sqrt(-2.0 * log(u)), a = 6.283185307179586 * w;
        v[i++] = (float)(r * cos(a));
        if (i < n)
            v[i++] = (float)(r * sin(a));
    }
}

static void check_ok(tp_status st, const char *what)
{
    if (st != TP_OK) {
        fprintf(stderr, "bench_gemm: %s failed: status %d\n", what, (int)st);
        exit(2);
    }
}

/* ------------------------------------------------------------ threads */

typedef struct par_job {
    void (*fn)(struct par_job *, size_t lo, size_t hi, int tid);
    size_t n, chunk;
    atomic_size_t next;
    void *ctx;
    uint64_t sink[MAXTHREADS];
} par_job;

typedef struct par_arg {
    par_job *job;
    int tid;
} par_arg;

static void *par_worker(void *p)
{
    par_arg *a = (par_arg *)p;
    par_job *j = a->job;
    for (;;) {
        size_t lo = atomic_fetch_add(&j->next, j->chunk);
        if (lo >= j->n)
            break;
        size_t hi = lo + j->chunk < j->n ? lo + j->chunk : j->n;
        j->fn(j, lo, hi, a->tid);
    }
    return NULL;
}

/* Runs fn over [0, n) in chunks handed out dynamically to t threads (the
 * caller is one of them). */
static void par_run(par_job *j, int t)
{
    pthread_t th[MAXTHREADS];
    par_arg args[MAXTHREADS];
    int started = 0;
    atomic_store(&j->next, 0);
    if (t > MAXTHREADS)
        t = MAXTHREADS;
    for (int i = 0; i < t; i++) {
        args[i].job = j;
        args[i].tid = i;
    }
    for (int i = 1; i < t; i++)
        if (pthread_create(&th[i], NULL, par_worker, &args[i]) == 0)
            started = i;
        else
            break;
    par_worker(&args[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(th[i], NULL);
}

/* ------------------------------------------------------------ read probe */

static int g_avx512; /* AVX-512F usable at run time */

#if defined(__AVX512F__)
static uint64_t read_avx512(const void *p, size_t bytes)
{
    const __m512i *v = (const __m512i *)p;
    size_t nv = bytes / 64, i = 0;
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0,
            s7 = s0;
    for (; i + 8 <= nv; i += 8) {
        s0 = _mm512_add_epi64(s0, _mm512_load_si512(v + i));
        s1 = _mm512_add_epi64(s1, _mm512_load_si512(v + i + 1));
        s2 = _mm512_add_epi64(s2, _mm512_load_si512(v + i + 2));
        s3 = _mm512_add_epi64(s3, _mm512_load_si512(v + i + 3));
        s4 = _mm512_add_epi64(s4, _mm512_load_si512(v + i + 4));
        s5 = _mm512_add_epi64(s5, _mm512_load_si512(v + i + 5));
        s6 = _mm512_add_epi64(s6, _mm512_load_si512(v + i + 6));
        s7 = _mm512_add_epi64(s7, _mm512_load_si512(v + i + 7));
    }
    for (; i < nv; i++)
        s0 = _mm512_add_epi64(s0, _mm512_load_si512(v + i));
    s0 = _mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3));
    s4 = _mm512_add_epi64(_mm512_add_epi64(s4, s5), _mm512_add_epi64(s6, s7));
    uint64_t lanes[8], t = 0;
    _mm512_storeu_si512(lanes, _mm512_add_epi64(s0, s4));
    for (int l = 0; l < 8; l++)
        t += lanes[l];
    return t;
}
#endif

static uint64_t read_scalar(const void *p, size_t bytes)
{
    const uint64_t *v = (const uint64_t *)p;
    size_t n = bytes / 8;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        s0 += v[i];
        s1 += v[i + 1];
        s2 += v[i + 2];
        s3 += v[i + 3];
    }
    return s0 + s1 + s2 + s3;
}

#define READ_CHUNK ((size_t)2 << 20)

static void read_chunk(par_job *j, size_t lo, size_t hi, int tid)
{
    const char *base = (const char *)j->ctx;
#if defined(__AVX512F__)
    if (g_avx512) {
        j->sink[tid] += read_avx512(base + lo, hi - lo);
        return;
    }
#endif
    j->sink[tid] += read_scalar(base + lo, hi - lo);
}

static volatile uint64_t g_sink;

typedef struct read_ctx {
    const void *buf;
    size_t bytes;
    int threads;
} read_ctx;

static int run_read(void *cv)
{
    read_ctx *c = (read_ctx *)cv;
    par_job j;
    memset(&j, 0, sizeof j);
    j.fn = read_chunk;
    j.n = c->bytes;
    j.chunk = READ_CHUNK;
    j.ctx = (void *)(uintptr_t)c->buf;
    par_run(&j, c->threads);
    for (int i = 0; i < MAXTHREADS; i++)
        g_sink += j.sink[i];
    return 0;
}

/* ------------------------------------------------------------ bf16 GEMV peer */

typedef struct bf16_ctx {
    const uint16_t *w; /* m x k, row-major */
    const float *x;
    float *xs; /* x split per 32: 16 even-index values, then 16 odd-index values */
    float *y;
    size_t m, k;
    int threads;
} bf16_ctx;

static void bf16_rows_scalar(const bf16_ctx *c, size_t r0, size_t r1)
{
    for (size_t r = r0; r < r1; r++) {
        const uint16_t *w = c->w + r * c->k;
        float s[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < c->k; i++) {
            uint32_t u = (uint32_t)w[i] << 16;
            float f;
            memcpy(&f, &u, 4);
            s[i & 3] = fmaf(f, c->x[i], s[i & 3]);
        }
        c->y[r] = (s[0] + s[1]) + (s[2] + s[3]);
    }
}

#if defined(__AVX512F__)
#ifndef BF16_PF
#define BF16_PF 0 /* software prefetch distance in elements; 0: none (measured no faster) */
#endif

static void bf16_rows_avx512(const bf16_ctx *c, size_t r0, size_t r1)
{
    const size_t k = c->k;
    const __m512i hi = _mm512_set1_epi32((int)0xFFFF0000u);
    size_t r = r0;
    for (; r + 4 <= r1; r += 4) {
        const uint16_t *w0 = c->w + r * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0,
               b3 = a0;
        for (size_t i = 0; i < k; i += 32) {
            __m512 xe = _mm512_load_ps(c->xs + i), xo = _mm512_load_ps(c->xs + i + 16);
#if BF16_PF > 0
            _mm_prefetch((const char *)(w0 + i + BF16_PF), _MM_HINT_T0);
            _mm_prefetch((const char *)(w1 + i + BF16_PF), _MM_HINT_T0);
            _mm_prefetch((const char *)(w2 + i + BF16_PF), _MM_HINT_T0);
            _mm_prefetch((const char *)(w3 + i + BF16_PF), _MM_HINT_T0);
#endif
            __m512i v0 = _mm512_loadu_si512(w0 + i), v1 = _mm512_loadu_si512(w1 + i);
            __m512i v2 = _mm512_loadu_si512(w2 + i), v3 = _mm512_loadu_si512(w3 + i);
            a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v0, 16)), xe, a0);
            b0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v0, hi)), xo, b0);
            a1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v1, 16)), xe, a1);
            b1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v1, hi)), xo, b1);
            a2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v2, 16)), xe, a2);
            b2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v2, hi)), xo, b2);
            a3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v3, 16)), xe, a3);
            b3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v3, hi)), xo, b3);
        }
        c->y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, b0));
        c->y[r + 1] = _mm512_reduce_add_ps(_mm512_add_ps(a1, b1));
        c->y[r + 2] = _mm512_reduce_add_ps(_mm512_add_ps(a2, b2));
        c->y[r + 3] = _mm512_reduce_add_ps(_mm512_add_ps(a3, b3));
    }
    if (r < r1)
        bf16_rows_scalar(c, r, r1);
}

/* The even-index and odd-index halves of each 32 values of x, matching the
 * shift (even bf16 of a 32-bit lane) and mask (odd) widening. */
static void bf16_split_x(const float *x, float *xs, size_t k)
{
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_add_epi32(ie, _mm512_set1_epi32(1));
    for (size_t i = 0; i < k; i += 32) {
        __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
        _mm512_store_ps(xs + i, _mm512_permutex2var_ps(a, ie, b));
        _mm512_store_ps(xs + i + 16, _mm512_permutex2var_ps(a, io, b));
    }
}
#endif

static void bf16_chunk(par_job *j, size_t lo, size_t hi, int tid)
{
    const bf16_ctx *c = (const bf16_ctx *)j->ctx;
    (void)tid;
#if defined(__AVX512F__)
    if (g_avx512 && c->k % 32 == 0) {
        bf16_rows_avx512(c, lo, hi);
        return;
    }
#endif
    bf16_rows_scalar(c, lo, hi);
}

static int run_bf16(void *cv)
{
    bf16_ctx *c = (bf16_ctx *)cv;
#if defined(__AVX512F__)
    if (g_avx512 && c->k % 32 == 0)
        bf16_split_x(c->x, c->xs, c->k);
#endif
    par_job j;
    memset(&j, 0, sizeof j);
    j.fn = bf16_chunk;
    j.n = c->m;
    j.chunk = 32;
    j.ctx = c;
    par_run(&j, c->threads);
    return 0;
}

/* ------------------------------------------------------------ library sides */

typedef struct gemm_ctx {
    size_t m, n, k;
    tp_operand a, b;
    float *c;
    size_t ldc;
    tp_gemm_opts opts;
} gemm_ctx;

static int run_gemm(void *cv)
{
    gemm_ctx *c = (gemm_ctx *)cv;
    return (int)tp_gemm(TP_ROW_MAJOR, c->m, c->n, c->k, 1.0, &c->a, &c->b, 0.0,
                        tp_format_get(TP_F32), c->c, c->ldc, &c->opts, NULL);
}

typedef struct gemv_ctx {
    size_t m, k;
    tp_operand w, x;
    float *y;
    tp_gemm_opts opts;
} gemv_ctx;

static int run_gemv(void *cv)
{
    gemv_ctx *c = (gemv_ctx *)cv;
    return (int)tp_gemv(TP_ROW_MAJOR, c->m, c->k, 1.0, &c->w, &c->x, 0.0, tp_format_get(TP_F32),
                        c->y, 1, &c->opts, NULL);
}

#if defined(TP_BENCH_OPENBLAS)
typedef struct blas_ctx {
    int threads;
    size_t m, n, k, ld;
    const float *a, *b;
    float *c;
    const double *ad, *bd;
    double *cd;
    size_t ldc;
} blas_ctx;

static int run_sgemm(void *cv)
{
    blas_ctx *c = (blas_ctx *)cv;
    openblas_set_num_threads(c->threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)c->m, (int)c->n, (int)c->k, 1.0f,
                c->a, (int)c->ld, c->b, (int)c->ld, 0.0f, c->c, (int)c->ldc);
    return 0;
}

static int run_dgemm(void *cv)
{
    blas_ctx *c = (blas_ctx *)cv;
    openblas_set_num_threads(c->threads);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)c->m, (int)c->n, (int)c->k, 1.0,
                c->ad, (int)c->ld, c->bd, (int)c->ld, 0.0, c->cd, (int)c->ldc);
    return 0;
}

static int run_sgemv(void *cv)
{
    blas_ctx *c = (blas_ctx *)cv;
    openblas_set_num_threads(c->threads);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)c->m, (int)c->k, 1.0f, c->a, (int)c->ld, c->b,
                1, 0.0f, c->c, 1);
    return 0;
}
#endif

/* ------------------------------------------------------------ timing */

typedef struct side {
    int (*run)(void *);
    void *ctx;
    int threads;
} side;

/* Seconds per call of one side: calls repeated for at least g_secs. */
static double time_side(const side *s, int *status)
{
    double t0 = bench_now(), t;
    long calls = 0;
    do {
        int st = s->run(s->ctx);
        if (st != 0 && *status == 0)
            *status = st;
        calls++;
        t = bench_now() - t0;
    } while (t < g_secs);
    if (s->threads > 1)
        pause_secs(g_settle);
    return t / (double)calls;
}

static void stats(const double *v, int n, double *med, double *mn, double *mx)
{
    double s[MAXREPS];
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, bench_cmpd);
    *mn = s[0];
    *mx = s[n - 1];
    *med = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* ------------------------------------------------------------ results */

typedef struct result {
    char name[96];
    int gemv; /* 0 GEMM, 1 GEMV */
    int threads;
    size_t m, n, k;
    int reps;
    int verified;   /* 1 checked, 0 wrong, -1 not run */
    int status;     /* library status (non-zero: error) */
    int skipped;    /* peer missing or too slow */
    char note[128];
    const char *peer, *peer2;
    double ours, peer_v, peer2_v; /* GEMM: GFLOP/s; GEMV: seconds per call */
    double ours_gbs, peer_gbs, read_gbs;
    double r[3], r2[3]; /* median, min, max */
    double target, target2;
} result;

static result *g_res = NULL;
static int g_nres = 0, g_capres = 0;

static result *new_result(void)
{
    if (g_nres == g_capres) {
        g_capres = g_capres ? 2 * g_capres : 32;
        g_res = realloc(g_res, sizeof(result) * (size_t)g_capres);
        if (g_res == NULL)
            exit(2);
    }
    result *r = &g_res[g_nres++];
    memset(r, 0, sizeof *r);
    return r;
}

static const char *met(double v, double target)
{
    if (target <= 0)
        return "-";
    return v >= target ? "yes" : "no";
}

/* The target column: ">=x.xx" or "-". */
static const char *tgt(char *buf, size_t len, double target)
{
    if (target <= 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, ">=%.2f", target);
    return buf;
}

/* "median [min..max]" of a ratio. */
static const char *rstr(char *buf, size_t len, const double *v)
{
    snprintf(buf, len, "%5.3f [%5.3f..%5.3f]", v[0], v[1], v[2]);
    return buf;
}

static void print_gemm_header(void)
{
    printf("%-28s %2s %5s %10s %10s  %-22s %6s %3s | %10s  %-22s\n", "case", "T", "n",
           "ours GF/s", "sgemm GF/s", "ratio med [min..max]", "target", "met", "dgemm GF/s",
           "ratio med [min..max]");
}

static void print_gemm_row(const result *r)
{
    char n[16], r1[64], r2[64], t[16];
    snprintf(n, sizeof n, "%zu%s", r->n, r->n != g_gemm_n ? "*" : "");
    if (r->status != 0 || r->verified == 0 || r->skipped) {
        printf("%-28s %2d %5s  %s\n", r->name, r->threads, n, r->note);
        return;
    }
    printf("%-28s %2d %5s %10.2f %10.2f  %-22s %6s %3s | %10.2f  %-22s%s%s\n", r->name,
           r->threads, n, r->ours, r->peer_v, rstr(r1, sizeof r1, r->r),
           tgt(t, sizeof t, r->target), met(r->r[0], r->target), r->peer2_v,
           rstr(r2, sizeof r2, r->r2), r->note[0] ? "  " : "", r->note);
}

static void print_gemv_header(const char *peer)
{
    printf("%-38s %2s %8s %9s %8s  %-22s %6s %3s | %7s  %-22s %6s %3s\n", "case", "T", "ours ms",
           "ours GB/s", peer, "speedup med [min..max]", "target", "met", "rd GB/s",
           "frac med [min..max]", "target", "met");
}

static void print_gemv_row(const result *r)
{
    char r1[64], r2[64], t1[16], t2[16];
    if (r->status != 0 || r->verified == 0 || r->skipped) {
        printf("%-38s %2d  %s\n", r->name, r->threads, r->note);
        return;
    }
    printf("%-38s %2d %8.3f %9.2f %8.3f  %-22s %6s %3s | %7.2f  %-22s %6s %3s%s%s\n", r->name,
           r->threads, 1e3 * r->ours, r->ours_gbs, 1e3 * r->peer_v, rstr(r1, sizeof r1, r->r),
           tgt(t1, sizeof t1, r->target), met(r->r[0], r->target), r->read_gbs,
           rstr(r2, sizeof r2, r->r2), tgt(t2, sizeof t2, r->target2),
           met(r->r2[0], r->target2), r->note[0] ? "  " : "", r->note);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void write_json(const char *path, const char *cpu)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        g_bad = 1;
        return;
    }
    fprintf(f, "{\n  \"bench\": \"bench_gemm\",\n  \"version\": ");
    json_str(f, tp_version_string());
    fprintf(f, ",\n  \"isa\": ");
    json_str(f, tp_isa_name(tp_active_isa()));
    fprintf(f, ",\n  \"cpu\": ");
    json_str(f, cpu);
    fprintf(f, ",\n  \"reps\": %d,\n  \"cases\": [\n", g_reps);
    for (int i = 0; i < g_nres; i++) {
        const result *r = &g_res[i];
        int ok = r->status == 0 && r->verified != 0 && !r->skipped;
        fprintf(f, "    {\"name\": ");
        json_str(f, r->name);
        fprintf(f, ", \"kind\": \"%s\", \"threads\": %d, \"m\": %zu, \"n\": %zu, \"k\": %zu, "
                   "\"reps\": %d, \"verified\": %s, \"status\": %d, \"skipped\": %s, "
                   "\"ok\": %s",
                r->gemv ? "gemv" : "gemm", r->threads, r->m, r->n, r->k, r->reps,
                r->verified == 1 ? "true" : r->verified == 0 ? "false" : "null", r->status,
                r->skipped ? "true" : "false", ok ? "true" : "false");
        fprintf(f, ", \"peer\": ");
        json_str(f, r->peer ? r->peer : "");
        if (ok) {
            fprintf(f, ", \"ratio\": {\"median\": %.5g, \"min\": %.5g, \"max\": %.5g}", r->r[0],
                    r->r[1], r->r[2]);
            if (r->target > 0)
                fprintf(f, ", \"target\": %.3g, \"met\": %s", r->target,
                        r->r[0] >= r->target ? "true" : "false");
            if (r->gemv)
                fprintf(f, ", \"ratio_is\": \"peer_time/ours_time\", \"ours_s_per_call\": %.6g, "
                           "\"peer_s_per_call\": %.6g, \"ours_gb_s\": %.5g, \"peer_gb_s\": %.5g, "
                           "\"read_gb_s\": %.5g, \"read_fraction\": {\"median\": %.5g, \"min\": "
                           "%.5g, \"max\": %.5g}",
                        r->ours, r->peer_v, r->ours_gbs, r->peer_gbs, r->read_gbs, r->r2[0],
                        r->r2[1], r->r2[2]);
            else
                fprintf(f, ", \"ratio_is\": \"ours_gflops/peer_gflops\", \"ours_gflops\": %.5g, "
                           "\"peer_gflops\": %.5g, \"peer2\": \"%s\", \"peer2_gflops\": %.5g, "
                           "\"ratio2\": {\"median\": %.5g, \"min\": %.5g, \"max\": %.5g}",
                        r->ours, r->peer_v, r->peer2 ? r->peer2 : "", r->peer2_v, r->r2[0],
                        r->r2[1], r->r2[2]);
            if (r->gemv && r->target2 > 0)
                fprintf(f, ", \"read_target\": %.3g, \"read_met\": %s", r->target2,
                        r->r2[0] >= r->target2 ? "true" : "false");
        }
        fprintf(f, ", \"note\": ");
        json_str(f, r->note);
        fprintf(f, "}%s\n", i + 1 < g_nres ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    fclose(f);
}

/* ------------------------------------------------------------ checks */

/* The exact dot product of k binary32 values rounded to binary32 (RNE). */
static uint32_t exact_dot(const float *a, size_t sa, const float *b, size_t sb, size_t k)
{
    tp_acc acc;
    uint64_t code = 0;
    tp_acc_init(&acc);
    for (size_t i = 0; i < k; i++)
        tp_acc_add_prod_f64(&acc, (double)a[i * sa], (double)b[i * sb]);
    tp_acc_round(&acc, tp_format_get(TP_F32), TP_RNE, TP_OVF_DEFAULT, 0, &code, NULL);
    return (uint32_t)code;
}

/* The documented TP_MODE_FAST order: 16 lanes of fmaf, then pairwise. */
static uint32_t fast_dot(const float *a, size_t sa, const float *b, size_t sb, size_t k)
{
    float l[16];
    for (int i = 0; i < 16; i++)
        l[i] = 0.0f;
    for (size_t i = 0; i < k; i++)
        l[i % 16] = fmaf(a[i * sa], b[i * sb], l[i % 16]);
    for (int w = 8; w >= 1; w /= 2)
        for (int i = 0; i < w; i++)
            l[i] = l[i] + l[i + w];
    return bench_fbits(l[0]);
}

/* ------------------------------------------------------------ GEMM */

typedef struct gemm_data {
    const char *name;
    size_t n, ld; /* full size, leading dimension */
    tp_operand a, b;
    const float *af, *bf; /* dequantised, n x ld */
    const double *ad, *bd;
} gemm_data;

static void gemm_case(const gemm_data *d, int threads, double target)
{
    result *r = new_result();
    snprintf(r->name, sizeof r->name, "gemm %s exact", d->name);
    r->threads = threads;
    r->peer = "cblas_sgemm";
    r->peer2 = "cblas_dgemm";
    r->target = target;
    r->verified = -1;
    size_t n = d->n;
    float *c = big_alloc(sizeof(float) * d->n * d->n);
    memset(c, 0, sizeof(float) * d->n * d->n);
    gemm_ctx g;
    memset(&g, 0, sizeof g);
    g.a = d->a;
    g.b = d->b;
    g.c = c;
    g.opts.threads = (unsigned)threads;
    g.opts.mode = TP_MODE_EXACT;
    side ours = {run_gemm, &g, threads};
    progress("%s T=%d: size probe", r->name, threads);

    /* Time budget: a call at n/4 (1/64 of the work) predicts a full call;
     * if that says too slow, a call at n/2 (1/8) predicts it better. */
    g.ldc = n;
    double est = 0;
    for (size_t div = 4; div >= 2 && r->status == 0; div /= 2) {
        size_t np = n / div / 32 * 32;
        if (np < 32)
            break;
        g.m = g.n = g.k = np;
        double t0 = bench_now();
        r->status = run_gemm(&g);
        double f = (double)n / (double)np;
        est = (bench_now() - t0) * f * f * f;
        if (est <= g_gemm_limit)
            break;
    }
    if (r->status == 0) {
        if (est > g_gemm_limit) {
            size_t nn = (size_t)((double)n * cbrt(g_gemm_limit / est)) / 64 * 64;
            n = nn < 128 ? 128 : nn;
            snprintf(r->note, sizeof r->note, "(n reduced: full call est. %.1f s)", est);
        }
    }
    g.m = g.n = g.k = n;
    r->m = r->n = r->k = n;
    if (r->status != 0) {
        snprintf(r->note, sizeof r->note, "ERROR: tp_gemm status %d", r->status);
        g_bad = 1;
        goto out;
    }
    /* Check a few outputs bit for bit. */
    r->status = run_gemm(&g);
    if (r->status != 0) {
        snprintf(r->note, sizeof r->note, "ERROR: tp_gemm status %d", r->status);
        g_bad = 1;
        goto out;
    }
    {
        size_t pts[8][2] = {{0, 0},         {n - 1, n - 1}, {n / 2, n / 3},     {1, n - 1},
                            {n - 1, 0},     {n / 3, n / 2}, {n / 5, 4 * n / 5}, {7 % n, 13 % n}};
        r->verified = 1;
        for (int p = 0; p < 8; p++) {
            size_t i = pts[p][0], j = pts[p][1];
            uint32_t want = exact_dot(d->af + i * d->ld, 1, d->bf + j * d->ld, 1, n);
            uint32_t got = bench_fbits(c[i * d->n + j]);
            if (want != got) {
                snprintf(r->note, sizeof r->note,
                         "WRONG: C[%zu][%zu] = 0x%08x, exact 0x%08x (n=%zu)", i, j, got, want, n);
                r->verified = 0;
                g_bad = 1;
                goto out;
            }
        }
    }
#if defined(TP_BENCH_OPENBLAS)
    {
        float *cs = big_alloc(sizeof(float) * n * n);
        double *cd = big_alloc(sizeof(double) * n * n);
        memset(cs, 0, sizeof(float) * n * n);
        memset(cd, 0, sizeof(double) * n * n);
        blas_ctx bc = {threads, n, n, n, d->ld, d->af, d->bf, cs, d->ad, d->bd, cd, n};
        side ps = {run_sgemm, &bc, threads}, pd = {run_dgemm, &bc, threads};
        double fl = 2.0 * (double)n * (double)n * (double)n;
        double vo[MAXREPS], vs[MAXREPS], vd[MAXREPS], rs[MAXREPS], rd[MAXREPS];
        int st = 0;
        (void)time_side(&ps, &st); /* warm-up */
        (void)time_side(&pd, &st); /* ours was warmed up by the check */
        for (int k = 0; k < g_reps && st == 0; k++) {
            progress("%s T=%d: rep %d/%d", r->name, threads, k + 1, g_reps);
            double to, ts, td;
            if (k % 2 == 0) {
                to = time_side(&ours, &st);
                ts = time_side(&ps, &st);
                td = time_side(&pd, &st);
            } else {
                td = time_side(&pd, &st);
                ts = time_side(&ps, &st);
                to = time_side(&ours, &st);
            }
            vo[k] = fl / to * 1e-9;
            vs[k] = fl / ts * 1e-9;
            vd[k] = fl / td * 1e-9;
            rs[k] = ts / to;
            rd[k] = td / to;
        }
        if (st != 0) {
            r->status = st;
            snprintf(r->note, sizeof r->note, "ERROR: tp_gemm status %d", st);
            g_bad = 1;
        } else {
            double mn, mx;
            r->reps = g_reps;
            stats(vo, g_reps, &r->ours, &mn, &mx);
            stats(vs, g_reps, &r->peer_v, &mn, &mx);
            stats(vd, g_reps, &r->peer2_v, &mn, &mx);
            stats(rs, g_reps, &r->r[0], &r->r[1], &r->r[2]);
            stats(rd, g_reps, &r->r2[0], &r->r2[1], &r->r2[2]);
        }
        free(cs);
        free(cd);
    }
#else
    {
        int st = 0;
        double vo[MAXREPS], mn, mx, fl = 2.0 * (double)n * (double)n * (double)n;
        for (int k = 0; k < g_reps && st == 0; k++)
            vo[k] = fl / time_side(&ours, &st) * 1e-9;
        stats(vo, g_reps, &r->ours, &mn, &mx);
        r->skipped = 1;
        snprintf(r->note, sizeof r->note, "ours %.2f GFLOP/s; OpenBLAS peers skipped (not built)",
                 r->ours);
    }
#endif
out:
    progress_done();
    print_gemm_row(r);
    fflush(stdout);
    free(c);
}

static void gemm_all(const int *threads, int nthreads)
{
    static const char *names[3] = {"mxfp4 x mxfp4", "e4m3 x e4m3", "bf16 x bf16"};
    static const double targets[3] = {1.0, 0.45, 0.3};
    int any = 0;
    for (int f = 0; f < 3; f++) {
        char nm[96];
        snprintf(nm, sizeof nm, "gemm %s exact", names[f]);
        any |= selected(nm);
    }
    if (!any)
        return;
    size_t n = g_gemm_n, nn = n * n;
    printf("\n## GEMM: C = A B, A row-major %zu x %zu, B as %zu columns of k (TP_TRANS), binary32 "
           "C;\n## ratio = ours GFLOP/s / peer GFLOP/s (peer on the same values in "
           "binary32 / binary64); * = n reduced\n",
           n, n, n);
    print_gemm_header();
    uint64_t s = UINT64_C(0x9E3779B97F4A7C15);
    float *ra = big_alloc(4 * nn), *rb = big_alloc(4 * nn);
    float *af = big_alloc(4 * nn), *bf = big_alloc(4 * nn);
    double *ad = big_alloc(8 * nn), *bd = big_alloc(8 * nn);
    uint8_t *ca = big_alloc(2 * nn), *cb = big_alloc(2 * nn);
    uint8_t *sa = big_alloc(nn / 32 + 64), *sb = big_alloc(nn / 32 + 64);
    fill_normal(&s, ra, nn);
    fill_normal(&s, rb, nn);
    for (int f = 0; f < 3; f++) {
        gemm_data d;
        memset(&d, 0, sizeof d);
        d.name = names[f];
        d.n = d.ld = n;
        char nm[96];
        snprintf(nm, sizeof nm, "gemm %s exact", names[f]);
        if (!selected(nm))
            continue;
        tp_block_desc bd4;
        if (f == 0) {
            check_ok(tp_block_preset(TP_BLOCK_MXFP4, &bd4), "preset");
            check_ok(tp_block_quantize_2d_f32(&bd4, ra, n, n, n, 1, sa, ca, 1.0f, TP_SCALE_FLOOR,
                                              TP_RNE, NULL, NULL),
                     "quantize A");
            check_ok(tp_block_quantize_2d_f32(&bd4, rb, n, n, n, 1, sb, cb, 1.0f, TP_SCALE_FLOOR,
                                              TP_RNE, NULL, NULL),
                     "quantize B");
            check_ok(tp_block_dequantize_2d_f32(&bd4, sa, ca, n, n, 1, 1.0f, af, n, NULL), "deq");
            check_ok(tp_block_dequantize_2d_f32(&bd4, sb, cb, n, n, 1, 1.0f, bf, n, NULL), "deq");
            d.a.blk = d.b.blk = &bd4;
            d.a.scales = sa;
            d.b.scales = sb;
            d.a.tensor_scale = d.b.tensor_scale = 1.0f;
        } else {
            tp_format fm = f == 1 ? TP_E4M3 : TP_BF16;
            check_ok(tp_encode_f32(fm, ra, ca, nn, TP_RNE, TP_OVF_DEFAULT, NULL, NULL), "encode");
            check_ok(tp_encode_f32(fm, rb, cb, nn, TP_RNE, TP_OVF_DEFAULT, NULL, NULL), "encode");
            check_ok(tp_decode_f32(fm, ca, af, nn, NULL), "decode");
            check_ok(tp_decode_f32(fm, cb, bf, nn, NULL), "decode");
            d.a.fmt = d.b.fmt = tp_format_get(fm);
        }
        for (size_t i = 0; i < nn; i++) {
            ad[i] = af[i];
            bd[i] = bf[i];
        }
        d.a.data = ca;
        d.b.data = cb;
        d.a.trans = TP_NO_TRANS;
        d.b.trans = TP_TRANS;
        d.a.ld = d.b.ld = n;
        d.af = af;
        d.bf = bf;
        d.ad = ad;
        d.bd = bd;
        for (int t = 0; t < nthreads; t++)
            gemm_case(&d, threads[t], targets[f]);
    }
    free(ra);
    free(rb);
    free(af);
    free(bf);
    free(ad);
    free(bd);
    free(ca);
    free(cb);
    free(sa);
    free(sb);
}

/* ------------------------------------------------------------ GEMV */

typedef struct gemv_env {
    size_t m, k;
    const uint16_t *wbf;   /* bf16 weights for the peer */
    const float *x;        /* binary32 x (peer, binary32 x cases) */
    float *xs;             /* split x scratch for the peer */
    const void *rbuf;      /* read probe buffer */
    size_t rbytes;
} gemv_env;

typedef struct gemv_pair {
    const char *name;
    tp_operand w, x;     /* unpacked */
    const void *packed;  /* packed W, or NULL */
    size_t wbytes;       /* nominal weight bytes */
    const float *wf;     /* binary32 W (the sgemv peer), or NULL */
    const float *xf;     /* x dequantised */
    double target;
} gemv_pair;

static const char *const g_vname[4] = {"exact packed", "exact unpacked", "fast packed",
                                       "exact vs sgemv"};

/* Row i of the unpacked W as binary32 (exact for these formats). */
static void w_row_f32(const gemv_pair *p, size_t i, size_t k, float *out)
{
    const tp_operand *w = &p->w;
    if (w->blk != NULL) {
        size_t sb = 0, eb = 0;
        check_ok(tp_block_storage(w->blk, k, &sb, &eb), "storage");
        check_ok(tp_block_dequantize_f32(w->blk, w->scales + i * sb,
                                         (const uint8_t *)w->data + i * eb, k, w->tensor_scale,
                                         out, NULL),
                 "dequantize row");
    } else {
        size_t es = w->fmt->bits <= 8 ? 1 : w->fmt->bits <= 16 ? 2 : w->fmt->bits <= 32 ? 4 : 8;
        check_ok(tp_decode_f32_desc(w->fmt, (const uint8_t *)w->data + i * k * es, out, k, NULL),
                 "decode row");
    }
}

/* One GEMV case: variant 0 exact packed, 1 exact unpacked, 2 fast packed;
 * 3: binary32 vs sgemv (unpacked). */
static void gemv_case(const gemv_env *e, const gemv_pair *p, int variant, int threads)
{
    result *r = new_result();
    snprintf(r->name, sizeof r->name, "gemv %s %s", p->name, g_vname[variant]);
    r->gemv = 1;
    r->threads = threads;
    r->m = e->m;
    r->n = 1;
    r->k = e->k;
    r->verified = -1;
    r->peer = variant == 3 ? "cblas_sgemv" : "bf16 gemv (avx512 fp32 fma)";
    r->target = variant < 2 ? p->target : 0;
    r->target2 = variant < 2 ? 0.75 : 0;
    float *y = big_alloc(sizeof(float) * e->m);
    float *yp = big_alloc(sizeof(float) * e->m);
    memset(y, 0, sizeof(float) * e->m);
    memset(yp, 0, sizeof(float) * e->m);
    gemv_ctx g;
    memset(&g, 0, sizeof g);
    g.m = e->m;
    g.k = e->k;
    g.w = p->w;
    if (variant == 0 || variant == 2) {
        memset(&g.w, 0, sizeof g.w);
        g.w.packed = (const tp_packed *)p->packed;
    }
    g.x = p->x;
    g.y = y;
    g.opts.threads = (unsigned)threads;
    g.opts.mode = variant == 2 ? TP_MODE_FAST : TP_MODE_EXACT;
    side ours = {run_gemv, &g, threads};
    progress("%s T=%d: checking", r->name, threads);

    /* Time budget: 256 rows in this thread predict a full call. */
    size_t rows = e->m < 256 ? e->m : 256;
    double t0 = bench_now();
    r->status = (int)tp_gemv_rows(TP_ROW_MAJOR, g.m, g.k, 1.0, &g.w, &g.x, 0.0,
                                  tp_format_get(TP_F32), y, 1, &g.opts, 0, rows, NULL);
    double est = (bench_now() - t0) * (double)e->m / (double)rows / (double)threads;
    int reps = g_reps;
    if (r->status == 0 && est > g_gemv_skip) {
        r->skipped = 1;
        snprintf(r->note, sizeof r->note, "skipped: too slow (est. %.1f s per call)", est);
        goto out;
    }
    if (r->status == 0)
        r->status = run_gemv(&g); /* also the warm-up */
    if (r->status != 0) {
        snprintf(r->note, sizeof r->note, "ERROR: tp_gemv status %d", r->status);
        g_bad = 1;
        goto out;
    }
    {
        size_t m = e->m, k = e->k;
        size_t rws[6] = {0, 1, m / 3, m / 2, m - 2, m - 1};
        float *row = big_alloc(4 * k);
        r->verified = 1;
        for (int q = 0; q < 6; q++) {
            size_t i = rws[q];
            w_row_f32(p, i, k, row);
            uint32_t want = variant == 2 ? fast_dot(row, 1, p->xf, 1, k)
                                         : exact_dot(row, 1, p->xf, 1, k);
            uint32_t got = bench_fbits(y[i]);
            if (want != got) {
                snprintf(r->note, sizeof r->note, "WRONG: y[%zu] = 0x%08x, %s 0x%08x", i, got,
                         variant == 2 ? "fast order" : "exact", want);
                r->verified = 0;
                g_bad = 1;
                break;
            }
        }
        free(row);
        if (!r->verified)
            goto out;
    }
    /* The time of our calls per case. */
    if (est * reps > g_gemv_budget) {
        int rr = (int)(g_gemv_budget / est);
        rr = rr < 1 ? 1 : rr;
        if (rr < reps) {
            snprintf(r->note, sizeof r->note, "(reps %d: est. %.1f s per call)", rr, est);
            reps = rr;
        }
    }
    {
        side peer;
        bf16_ctx bc = {e->wbf, e->x, e->xs, yp, e->m, e->k, threads};
        read_ctx rc = {e->rbuf, e->rbytes, threads};
        side rd = {run_read, &rc, threads};
#if defined(TP_BENCH_OPENBLAS)
        blas_ctx sc = {threads, e->m, 0, e->k, e->k, p->wf, p->xf, yp, NULL, NULL, NULL, 0};
#endif
        if (variant == 3) {
#if defined(TP_BENCH_OPENBLAS)
            peer.run = run_sgemv;
            peer.ctx = &sc;
            peer.threads = threads;
#else
            r->skipped = 1;
            snprintf(r->note, sizeof r->note, "skipped (built without OpenBLAS)");
            goto out;
#endif
        } else {
            peer.run = run_bf16;
            peer.ctx = &bc;
            peer.threads = threads;
        }
        if (variant != 3 && threads == 1) { /* sanity of the peer itself */
            run_bf16(&bc);
            for (size_t i = 0; i < e->m; i += e->m / 7 + 1) {
                double ref = 0, mag = 0;
                for (size_t j = 0; j < e->k; j++) {
                    uint32_t u = (uint32_t)e->wbf[i * e->k + j] << 16;
                    float wv;
                    memcpy(&wv, &u, 4);
                    ref += (double)wv * e->x[j];
                    mag += fabs((double)wv * e->x[j]);
                }
                if (!(fabs(ref - yp[i]) <= 1e-4 * mag)) {
                    fprintf(stderr, "bench_gemm: the bf16 peer is wrong at row %zu\n", i);
                    exit(2);
                }
            }
        }
        double vo[MAXREPS], vp[MAXREPS], vr[MAXREPS], sp[MAXREPS], fr[MAXREPS], mn, mx;
        int st = 0;
        (void)time_side(&peer, &st); /* warm-up */
        (void)time_side(&rd, &st);
        for (int k = 0; k < reps && st == 0; k++) {
            progress("%s T=%d: rep %d/%d", r->name, threads, k + 1, reps);
            double to, tq, tr;
            if (k % 2 == 0) {
                to = time_side(&ours, &st);
                tq = time_side(&peer, &st);
                tr = time_side(&rd, &st);
            } else {
                tr = time_side(&rd, &st);
                tq = time_side(&peer, &st);
                to = time_side(&ours, &st);
            }
            vo[k] = to;
            vp[k] = tq;
            vr[k] = (double)e->rbytes / tr * 1e-9;
            sp[k] = tq / to;
            fr[k] = ((double)p->wbytes / to * 1e-9) / vr[k];
        }
        if (st != 0) {
            r->status = st;
            snprintf(r->note, sizeof r->note, "ERROR: tp_gemv status %d", st);
            g_bad = 1;
            goto out;
        }
        r->reps = reps;
        stats(vo, reps, &r->ours, &mn, &mx);
        stats(vp, reps, &r->peer_v, &mn, &mx);
        stats(vr, reps, &r->read_gbs, &mn, &mx);
        stats(sp, reps, &r->r[0], &r->r[1], &r->r[2]);
        stats(fr, reps, &r->r2[0], &r->r2[1], &r->r2[2]);
        r->ours_gbs = (double)p->wbytes / r->ours * 1e-9;
        r->peer_gbs = (double)(variant == 3 ? 4 : 2) * (double)e->m * (double)e->k / r->peer_v *
                      1e-9;
    }
out:
    progress_done();
    print_gemv_row(r);
    fflush(stdout);
    free(y);
    free(yp);
}

static void *pack_w(const tp_operand *w, size_t m, size_t k)
{
    size_t bytes = 0;
    if (tp_pack_operand_size(TP_ROW_MAJOR, TP_PACK_A, m, k, w, &bytes) != TP_OK)
        return NULL;
    void *buf = big_alloc(bytes);
    if (tp_pack_operand(TP_ROW_MAJOR, TP_PACK_A, m, k, w, buf, bytes) != TP_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The variants of pair `name` to run: 0-2 for the narrow pairs, 3 for
 * binary32; after --only. */
static int gemv_wanted(const char *name, int f32, int want[4])
{
    int any = 0;
    for (int v = 0; v < 4; v++) {
        char nm[128];
        snprintf(nm, sizeof nm, "gemv %s %s", name, g_vname[v]);
        want[v] = (f32 ? v == 3 : v < 3) && selected(nm);
        any |= want[v];
    }
    return any;
}

static void gemv_pair_run(const gemv_env *e, gemv_pair *p, const int *threads, int nthreads,
                          int f32)
{
    int want[4];
    if (!gemv_wanted(p->name, f32, want))
        return;
    void *packed = NULL;
    if (want[0] || want[2]) {
        progress("packing %s", p->name);
        packed = pack_w(&p->w, e->m, e->k);
        progress_done();
    }
    p->packed = packed;
    for (int v = 0; v < 4; v++) {
        if (!want[v])
            continue;
        for (int t = 0; t < nthreads; t++) {
            if ((v == 0 || v == 2) && packed == NULL) {
                result *r = new_result();
                snprintf(r->name, sizeof r->name, "gemv %s %s", p->name, g_vname[v]);
                r->gemv = 1;
                r->threads = threads[t];
                r->status = -1;
                snprintf(r->note, sizeof r->note, "ERROR: tp_pack_operand failed");
                g_bad = 1;
                print_gemv_row(r);
                continue;
            }
            gemv_case(e, p, v, threads[t]);
        }
    }
    free(packed);
    p->packed = NULL;
}

static void gemv_all(const int *threads, int nthreads)
{
    int want[4];
    int w_mx8 = gemv_wanted("mxfp4 x mxfp8_e4m3", 0, want);
    int w_mxf = gemv_wanted("mxfp4 x f32", 0, want);
    int w_e4 = gemv_wanted("e4m3 x e4m3", 0, want);
    int w_f32 = gemv_wanted("f32 x f32", 1, want);
    if (!w_mx8 && !w_mxf && !w_e4 && !w_f32)
        return;
    size_t m = g_gemv_m, k = g_gemv_k, mk = m * k;
    printf("\n## GEMV: y = W x, W row-major %zu x %zu, binary32 y; speedup = peer time / ours; "
           "frac = ours weight GB/s / read GB/s\n## (read: AVX-512 read of a %zu MiB buffer, "
           "same threads, same reps); GB/s = nominal weight bytes (elements + scales) per second\n",
           m, k, g_read_bytes >> 20);
    print_gemv_header("bf16 ms");
    progress("generating %zu x %zu weights", m, k);
    gemv_env e;
    memset(&e, 0, sizeof e);
    e.m = m;
    e.k = k;
    uint64_t s = UINT64_C(0xD1B54A32D192ED03);
    float *wf = big_alloc(4 * mk);     /* binary32 weights */
    uint16_t *wbf = big_alloc(2 * mk); /* bf16 weights, the peer */
    uint8_t *w8 = NULL, *w4 = NULL, *w4s = NULL;
    float *x = big_alloc(4 * k), *xs = big_alloc(4 * k);
    float *x8f = big_alloc(4 * k), *xmf = big_alloc(4 * k);
    uint8_t *x8 = big_alloc(k), *xm = big_alloc(k), *xms = big_alloc(k / 32 + 64);
    tp_block_desc d4, d8;
    check_ok(tp_block_preset(TP_BLOCK_MXFP4, &d4), "preset");
    check_ok(tp_block_preset(TP_BLOCK_MXFP8_E4M3, &d8), "preset");
    fill_normal(&s, wf, mk);
    check_ok(tp_encode_f32(TP_BF16, wf, wbf, mk, TP_RNE, TP_OVF_DEFAULT, NULL, NULL), "bf16");
    if (w_mx8 || w_mxf) {
        w4 = big_alloc(mk / 2);
        w4s = big_alloc(mk / 32 + 64);
        check_ok(tp_block_quantize_2d_f32(&d4, wf, m, k, k, 1, w4s, w4, 1.0f, TP_SCALE_FLOOR,
                                          TP_RNE, NULL, NULL),
                 "quantize W mxfp4");
    }
    if (w_e4) {
        w8 = big_alloc(mk);
        check_ok(tp_encode_f32(TP_E4M3, wf, w8, mk, TP_RNE, TP_OVF_DEFAULT, NULL, NULL),
                 "encode W e4m3");
    }
    if (!w_f32) {
        free(wf);
        wf = NULL;
    }
    fill_normal(&s, x, k);
    check_ok(tp_encode_f32(TP_E4M3, x, x8, k, TP_RNE, TP_OVF_DEFAULT, NULL, NULL), "x e4m3");
    check_ok(tp_decode_f32(TP_E4M3, x8, x8f, k, NULL), "x e4m3");
    check_ok(tp_block_quantize_f32(&d8, x, k, xms, xm, 1.0f, TP_SCALE_FLOOR, TP_RNE, NULL, NULL),
             "x mxfp8");
    check_ok(tp_block_dequantize_f32(&d8, xms, xm, k, 1.0f, xmf, NULL), "x mxfp8");
    e.wbf = wbf;
    e.x = x;
    e.xs = xs;
    e.rbytes = g_read_bytes;
    void *rbuf = big_alloc(e.rbytes);
    memset(rbuf, 1, e.rbytes);
    e.rbuf = rbuf;
    progress_done();

    gemv_pair p;
    memset(&p, 0, sizeof p);
    p.w.blk = &d4;
    p.w.data = w4;
    p.w.scales = w4s;
    p.w.tensor_scale = 1.0f;
    p.w.trans = TP_NO_TRANS;
    p.w.ld = k;
    p.wbytes = mk / 2 + mk / 32;
    if (w_mx8) {
        p.name = "mxfp4 x mxfp8_e4m3";
        memset(&p.x, 0, sizeof p.x);
        p.x.blk = &d8;
        p.x.data = xm;
        p.x.scales = xms;
        p.x.tensor_scale = 1.0f;
        p.x.ld = 1;
        p.xf = xmf;
        p.target = 3.0;
        gemv_pair_run(&e, &p, threads, nthreads, 0);
    }
    if (w_mxf) {
        p.name = "mxfp4 x f32";
        memset(&p.x, 0, sizeof p.x);
        p.x.fmt = tp_format_get(TP_F32);
        p.x.data = x;
        p.x.ld = 1;
        p.xf = x;
        p.target = 2.0;
        gemv_pair_run(&e, &p, threads, nthreads, 0);
    }
    free(w4);
    free(w4s);
    if (w_e4) {
        memset(&p, 0, sizeof p);
        p.name = "e4m3 x e4m3";
        p.w.fmt = tp_format_get(TP_E4M3);
        p.w.data = w8;
        p.w.trans = TP_NO_TRANS;
        p.w.ld = k;
        p.wbytes = mk;
        p.x.fmt = tp_format_get(TP_E4M3);
        p.x.data = x8;
        p.x.ld = 1;
        p.xf = x8f;
        p.target = 1.7;
        gemv_pair_run(&e, &p, threads, nthreads, 0);
    }
    free(w8);
    if (w_f32) {
        memset(&p, 0, sizeof p);
        p.name = "f32 x f32";
        p.w.fmt = tp_format_get(TP_F32);
        p.w.data = wf;
        p.w.trans = TP_NO_TRANS;
        p.w.ld = k;
        p.wbytes = 4 * mk;
        p.wf = wf;
        p.x.fmt = tp_format_get(TP_F32);
        p.x.data = x;
        p.x.ld = 1;
        p.xf = x;
        printf("%-38s %2s %8s %9s %8s\n", "", "", "", "", "sgemv ms");
        gemv_pair_run(&e, &p, threads, nthreads, 1);
    }
    free(wf);
    free(wbf);
    free(x);
    free(xs);
    free(x8f);
    free(xmf);
    free(x8);
    free(xm);
    free(xms);
    free(rbuf);
}

/* ------------------------------------------------------------ main */

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--reps R] [--threads LIST] [--quick] [--only SUBSTRING] [--json FILE]\n"
            "  --reps R        repetitions per case (default 5)\n"
            "  --threads LIST  comma-separated thread counts (default 1,2)\n"
            "  --quick         small sizes, a smoke test\n"
            "  --gemv-size MxK GEMV weight shape (default 16384x16384; K a multiple of 64)\n"
            "  --only S        only the cases whose name contains S (e.g. \"gemv\", \"mxfp4\",\n"
            "                  \"exact packed\"); names: gemm <pair> exact; gemv <pair> exact\n"
            "                  packed|exact unpacked|fast packed; gemv f32 x f32 exact vs sgemv\n"
            "  --json FILE     all results as JSON\n",
            prog);
}

int main(int argc, char **argv)
{
    const char *json = NULL;
    int threads[MAXTHREADS] = {1, 2}, nthreads = 2, quick = 0, reps_set = 0;
    size_t gemv_m = 0, gemv_k = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            g_reps = atoi(argv[++i]);
            reps_set = 1;
        } else if (strcmp(argv[i], "--gemv-size") == 0 && i + 1 < argc) {
            char *end;
            unsigned long long mm = strtoull(argv[++i], &end, 10), kk = 0;
            if (*end == 'x')
                kk = strtoull(end + 1, &end, 10);
            if (*end != '\0' || mm < 1 || kk < 64 || kk % 64 != 0 || mm > (1u << 20)
                || kk > (1u << 20)) {
                usage(argv[0]);
                return 2;
            }
            gemv_m = (size_t)mm;
            gemv_k = (size_t)kk;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            const char *p = argv[++i];
            nthreads = 0;
            while (*p && nthreads < MAXTHREADS) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p || v < 1 || v > MAXTHREADS) {
                    usage(argv[0]);
                    return 2;
                }
                threads[nthreads++] = (int)v;
                p = *end == ',' ? end + 1 : end;
                if (*end != ',' && *end != '\0') {
                    usage(argv[0]);
                    return 2;
                }
            }
            if (nthreads == 0) {
                usage(argv[0]);
                return 2;
            }
        } else if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            g_only = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            json = argv[++i];
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    if (quick) {
        if (!reps_set)
            g_reps = 3;
        g_secs = 0.005;
        g_settle = 0.005;
        g_gemm_n = 256;
        g_gemv_m = 1024;
        g_gemv_k = 2048;
        g_read_bytes = (size_t)16 << 20;
        g_gemm_limit = 2.0;
        g_gemv_budget = 5.0;
        g_gemv_skip = 5.0;
    }
    if (gemv_m != 0) {
        g_gemv_m = gemv_m;
        g_gemv_k = gemv_k;
    }
    if (g_reps < 1)
        g_reps = 1;
    if (g_reps > MAXREPS)
        g_reps = MAXREPS;
    g_progress = isatty(2);
#if defined(__AVX512F__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    g_avx512 = __builtin_cpu_supports("avx512f");
#endif

    char cpu[256];
    bench_cpu_model(cpu, sizeof cpu);
    printf("# bench_gemm: libtruepoint %s, kernels %s\n", tp_version_string(),
           tp_isa_name(tp_active_isa()));
    printf("# cpu:      %s (%ld online)\n", cpu, sysconf(_SC_NPROCESSORS_ONLN));
#ifdef __VERSION__
    printf("# compiler: %s\n", __VERSION__);
#endif
#if defined(TP_BENCH_OPENBLAS)
    printf("# peers:    OpenBLAS %s (cblas_sgemm, cblas_dgemm, cblas_sgemv); bf16 GEMV and "
           "read probe: %s, bench threads\n",
           openblas_get_config(), g_avx512 ? "AVX-512" : "scalar (not a fair baseline)");
#else
    printf("# peers:    OpenBLAS not built (its rows are skipped); bf16 GEMV and read probe: %s\n",
           g_avx512 ? "AVX-512" : "scalar (not a fair baseline)");
#endif
    printf("# method:   %d reps; each rep times ours and the peer(s) back to back (order "
           "alternating), each side >= %.0f ms;\n#           ratios are median [min..max] of "
           "the per-rep ratios%s\n",
           g_reps, g_secs * 1e3, quick ? "; --quick sizes (smoke test, not the targets)" : "");
    printf("# threads: ");
    for (int t = 0; t < nthreads; t++)
        printf("%s%d", t ? "," : "", threads[t]);
    printf("\n");
    fflush(stdout);

    double t0 = bench_now();
    gemm_all(threads, nthreads);
    gemv_all(threads, nthreads);
    printf("\n# total %.1f s%s\n", bench_now() - t0,
           g_bad ? "; SOME CASES FAILED (see ERROR/WRONG above)" : "");
    if (json != NULL)
        write_json(json, cpu);
    free(g_res);
    return g_bad;
}
