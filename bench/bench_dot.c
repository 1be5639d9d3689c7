/*
 * bench_dot.c -- exact dot products against OpenBLAS cblas_sdot (one
 * thread, not exact) on the same data dequantised to binary32, timed in the
 * same run: interleaved repetitions, medians, and the ratio
 * exact / sdot.  Each exact kernel is first checked against an independent
 * path (element-by-element tp_acc_add_prod_f64 on the exact binary64
 * values); a wrong kernel reports no number.
 *
 * Usage: bench_dot [--reps R] [--json FILE] [--quick] [reps]
 *   reps, --reps R  repetitions (default 11; 0 verifies only)
 *   --json FILE     the results as JSON
 *   --quick         3 repetitions, n = 1e5 only
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "truepoint.h"
#include "bench_util.h"

#if defined(TP_BENCH_OPENBLAS)
#include <cblas.h>
void openblas_set_num_threads(int);
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static float unif(void) /* uniform in (-1, 1) */
{
    return (float)((double)(rnd() >> 11) * 0x1p-52 - 1.0);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

/* One case: the exact dot (closure) and the binary32 data for sdot. */
typedef struct bcase {
    const char *name;
    size_t n;
    int kind; /* 0 element dot, 1 block dot */
    const tp_format_desc *da, *db;
    const void *a, *b;
    tp_block_desc ba, bb;
    const uint8_t *sa, *sb;
    const float *fa, *fb; /* dequantised */
    const double *xa, *xb; /* exact values */
} bcase;

static volatile double sink;

/* The results for --json. */
#define MAX_RESULTS 32
typedef struct result {
    const char *name;
    size_t n;
    int verified, timed;
    double exact_ns, peer_ns, r_med, r_min, r_max;
} result;
static result g_res[MAX_RESULTS];
static int g_nres;

static uint64_t run_exact(const bcase *c)
{
    uint64_t r = 0;
    tp_status st;
    if (c->kind == 0)
        st = tp_dot(c->da, c->a, 1, c->db, c->b, 1, c->n, tp_format_get(TP_F32), TP_RNE,
                    TP_OVF_DEFAULT, NULL, &r, NULL);
    else
        st = tp_block_dot(&c->ba, c->sa, c->a, 1.0f, &c->bb, c->sb, c->b, 1.0f, c->n,
                          tp_format_get(TP_F32), TP_RNE, TP_OVF_DEFAULT, NULL, &r, NULL);
    if (st != TP_OK) {
        fprintf(stderr, "%s: status %d\n", c->name, (int)st);
        exit(1);
    }
    return r;
}

static int verify(const bcase *c)
{
    tp_acc acc;
    tp_acc_init(&acc);
    for (size_t i = 0; i < c->n; i++)
        tp_acc_add_prod_f64(&acc, c->xa[i], c->xb[i]);
    uint64_t want = 0, got = run_exact(c);
    tp_acc_round(&acc, tp_format_get(TP_F32), TP_RNE, TP_OVF_DEFAULT, 0, &want, NULL);
    if (want != got) {
        printf("%-24s n=%-9zu VERIFY FAILED: got 0x%08llx, want 0x%08llx\n", c->name, c->n,
               (unsigned long long)got, (unsigned long long)want);
        return 0;
    }
    return 1;
}

static void bench(const bcase *c, int reps)
{
    result *res = g_nres < MAX_RESULTS ? &g_res[g_nres++] : NULL;
    int ok = verify(c);
    if (res != NULL) {
        memset(res, 0, sizeof *res);
        res->name = c->name;
        res->n = c->n;
        res->verified = ok;
    }
    if (!ok || reps == 0)
        return;
    /* inner repetitions: about 2 ms per sample */
    int inner = c->n >= 1000000 ? 1 : (int)(2000000 / c->n) + 1;
    double *te = malloc(sizeof(double) * (size_t)reps), *tb = malloc(sizeof(double) * (size_t)reps);
    double *ratio = malloc(sizeof(double) * (size_t)reps);
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int k = 0; k < inner; k++)
            sink = (double)run_exact(c);
        double t1 = now();
#if defined(TP_BENCH_OPENBLAS)
        for (int k = 0; k < inner; k++)
            sink = cblas_sdot((int)c->n, c->fa, 1, c->fb, 1);
#endif
        double t2 = now();
        te[r] = (t1 - t0) / inner;
        tb[r] = (t2 - t1) / inner;
        ratio[r] = te[r] / tb[r];
    }
    double me = median(te, reps), mb = median(tb, reps), mr = median(ratio, reps);
    if (res != NULL) {
        res->timed = 1;
        res->exact_ns = 1e9 * me / (double)c->n;
        res->peer_ns = 1e9 * mb / (double)c->n;
        res->r_med = mr;
        res->r_min = ratio[0];
        res->r_max = ratio[reps - 1];
    }
#if defined(TP_BENCH_OPENBLAS)
    printf("%-24s n=%-9zu exact %8.3f ns/elem   sdot %8.3f ns/elem   ratio %5.2f\n", c->name,
           c->n, 1e9 * me / (double)c->n, 1e9 * mb / (double)c->n, mr);
#else
    (void)mb;
    (void)mr;
    printf("%-24s n=%-9zu exact %8.3f ns/elem   (no OpenBLAS)\n", c->name, c->n,
           1e9 * me / (double)c->n);
#endif
    fflush(stdout);
    free(te);
    free(tb);
    free(ratio);
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

static int write_json(const char *path, int reps)
{
    char cpu[256];
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    bench_cpu_model(cpu, sizeof cpu);
    fprintf(f, "{\n  \"bench\": \"bench_dot\",\n  \"version\": ");
    json_str(f, tp_version_string());
    fprintf(f, ",\n  \"isa\": ");
    json_str(f, tp_isa_name(tp_active_isa()));
    fprintf(f, ",\n  \"cpu\": ");
    json_str(f, cpu);
#if defined(TP_BENCH_OPENBLAS)
    fprintf(f, ",\n  \"peer\": \"OpenBLAS cblas_sdot, 1 thread, binary32\"");
#else
    fprintf(f, ",\n  \"peer\": null");
#endif
    fprintf(f, ",\n  \"reps\": %d,\n  \"ratio_is\": \"exact_time/peer_time\",\n  \"cases\": [\n",
            reps);
    for (int i = 0; i < g_nres; i++) {
        const result *r = &g_res[i];
        fprintf(f, "    {\"name\": ");
        json_str(f, r->name);
        fprintf(f, ", \"n\": %zu, \"verified\": %s", r->n, r->verified ? "true" : "false");
        if (r->timed) {
            fprintf(f, ", \"exact_ns_per_elem\": %.5g", r->exact_ns);
#if defined(TP_BENCH_OPENBLAS)
            fprintf(f, ", \"peer_ns_per_elem\": %.5g, \"ratio\": {\"median\": %.5g, \"min\": "
                       "%.5g, \"max\": %.5g}",
                    r->peer_ns, r->r_med, r->r_min, r->r_max);
#endif
        }
        fprintf(f, "}%s\n", i + 1 < g_nres ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_dot [--reps R] [--json FILE] [--quick] [reps]\n");
}

int main(int argc, char **argv)
{
    int reps = 11, quick = 0, nopt = 1;
    double secs = 0; /* unused: each sample repeats a case for about 2 ms */
    const char *json = NULL;
    /* The common options go through bench_options; a bare number is reps. */
    char **opt = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (opt == NULL)
        return 1;
    opt[0] = argv[0];
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--reps") == 0 || strcmp(argv[i], "--json") == 0) && i + 1 < argc) {
            opt[nopt++] = argv[i];
            opt[nopt++] = argv[++i];
        } else if (strcmp(argv[i], "--quick") == 0) {
            opt[nopt++] = argv[i];
            quick = 1;
        } else if (argv[i][0] >= '0' && argv[i][0] <= '9') {
            reps = atoi(argv[i]);
        } else {
            usage();
            free(opt);
            return 2;
        }
    }
    opt[nopt] = NULL;
    int ok = bench_options(nopt, opt, &reps, &secs, &json);
    free(opt);
    if (!ok)
        return 2;
    if (reps < 0 || reps > 1001) {
        fprintf(stderr, "bench_dot: reps must be 0 to 1001\n");
        return 2;
    }
#if defined(TP_BENCH_OPENBLAS)
    openblas_set_num_threads(1);
    printf("# bench_dot: libtruepoint %s, kernels %s, vs OpenBLAS cblas_sdot (1 thread)\n",
           tp_version_string(), tp_isa_name(tp_active_isa()));
#else
    printf("# bench_dot: libtruepoint %s, kernels %s (built without OpenBLAS)\n",
           tp_version_string(), tp_isa_name(tp_active_isa()));
#endif
    printf("# compiler: %s; medians of %d interleaved repetitions\n",
#if defined(__VERSION__)
           __VERSION__,
#else
           "?",
#endif
           reps);
    static const size_t sizes[] = {100000, 10000000};
    int nsizes = quick ? 1 : 2;
    size_t nmax = quick ? 100000 : 10000000;
    float *fa = malloc(nmax * 4), *fb = malloc(nmax * 4);
    double *xa = malloc(nmax * 8), *xb = malloc(nmax * 8);
    uint8_t *ca = malloc(nmax), *cb = malloc(nmax);
    uint16_t *ha = malloc(nmax * 2), *hb = malloc(nmax * 2);
    float *ra = malloc(nmax * 4), *rb = malloc(nmax * 4);
    uint8_t *sa = malloc(nmax / 32), *sb = malloc(nmax / 32);
    if (!fa || !fb || !xa || !xb || !ca || !cb || !ha || !hb || !ra || !rb || !sa || !sb)
        return 1;
    for (size_t i = 0; i < nmax; i++) {
        ra[i] = unif();
        rb[i] = unif();
    }
    for (int si = 0; si < nsizes; si++) {
        size_t n = sizes[si];
        bcase c;
        /* binary32 x binary32 */
        memset(&c, 0, sizeof c);
        c.name = "f32 x f32";
        c.n = n;
        c.da = c.db = tp_format_get(TP_F32);
        c.a = ra;
        c.b = rb;
        c.fa = ra;
        c.fb = rb;
        for (size_t i = 0; i < n; i++) {
            xa[i] = ra[i];
            xb[i] = rb[i];
        }
        c.xa = xa;
        c.xb = xb;
        bench(&c, reps);
        /* bfloat16 x bfloat16 (the top halves of the binary32 data) */
        for (size_t i = 0; i < n; i++) {
            uint32_t u, v;
            memcpy(&u, &ra[i], 4);
            memcpy(&v, &rb[i], 4);
            ha[i] = (uint16_t)(u >> 16);
            hb[i] = (uint16_t)(v >> 16);
        }
        tp_decode_f32(TP_BF16, ha, fa, n, NULL);
        tp_decode_f32(TP_BF16, hb, fb, n, NULL);
        c.name = "bf16 x bf16";
        c.da = c.db = tp_format_get(TP_BF16);
        c.a = ha;
        c.b = hb;
        c.fa = fa;
        c.fb = fb;
        tp_decode_f64(TP_BF16, ha, xa, n, NULL);
        tp_decode_f64(TP_BF16, hb, xb, n, NULL);
        bench(&c, reps);
        /* E4M3 x E4M3: random finite codes */
        for (size_t i = 0; i < n; i++) {
            uint8_t x = (uint8_t)rnd(), y = (uint8_t)(rnd() >> 20);
            ca[i] = (x & 0x7F) == 0x7F ? x ^ 1 : x;
            cb[i] = (y & 0x7F) == 0x7F ? y ^ 1 : y;
        }
        tp_decode_f32(TP_E4M3, ca, fa, n, NULL);
        tp_decode_f32(TP_E4M3, cb, fb, n, NULL);
        tp_decode_f64(TP_E4M3, ca, xa, n, NULL);
        tp_decode_f64(TP_E4M3, cb, xb, n, NULL);
        c.name = "e4m3 x e4m3";
        c.da = c.db = tp_format_get(TP_E4M3);
        c.a = ca;
        c.b = cb;
        bench(&c, reps);
        /* MXFP4 x MXFP8 (E4M3) from the binary32 data */
        memset(&c, 0, sizeof c);
        c.name = "mxfp4 x mxfp8_e4m3";
        c.n = n;
        c.kind = 1;
        tp_block_preset(TP_BLOCK_MXFP4, &c.ba);
        tp_block_preset(TP_BLOCK_MXFP8_E4M3, &c.bb);
        tp_block_quantize_f32(&c.ba, ra, n, sa, ca, 1.0f, TP_SCALE_FLOOR, TP_RNE, NULL, NULL);
        tp_block_quantize_f32(&c.bb, rb, n, sb, cb, 1.0f, TP_SCALE_FLOOR, TP_RNE, NULL, NULL);
        tp_block_dequantize_f32(&c.ba, sa, ca, n, 1.0f, fa, NULL);
        tp_block_dequantize_f32(&c.bb, sb, cb, n, 1.0f, fb, NULL);
        tp_block_dequantize_f64(&c.ba, sa, ca, n, 1.0f, xa, NULL);
        tp_block_dequantize_f64(&c.bb, sb, cb, n, 1.0f, xb, NULL);
        c.sa = sa;
        c.sb = sb;
        c.a = ca;
        c.b = cb;
        c.fa = fa;
        c.fb = fb;
        c.xa = xa;
        c.xb = xb;
        bench(&c, reps);
        /* MXFP8 x MXFP8 and MXFP4 x MXFP4 from the same data */
        for (int v = 0; v < 2; v++) {
            c.name = v ? "mxfp4 x mxfp4" : "mxfp8_e4m3 x mxfp8_e4m3";
            tp_block_preset(v ? TP_BLOCK_MXFP4 : TP_BLOCK_MXFP8_E4M3, &c.ba);
            c.bb = c.ba;
            tp_block_quantize_f32(&c.ba, ra, n, sa, ca, 1.0f, TP_SCALE_FLOOR, TP_RNE, NULL, NULL);
            tp_block_quantize_f32(&c.bb, rb, n, sb, cb, 1.0f, TP_SCALE_FLOOR, TP_RNE, NULL, NULL);
            tp_block_dequantize_f32(&c.ba, sa, ca, n, 1.0f, fa, NULL);
            tp_block_dequantize_f32(&c.bb, sb, cb, n, 1.0f, fb, NULL);
            tp_block_dequantize_f64(&c.ba, sa, ca, n, 1.0f, xa, NULL);
            tp_block_dequantize_f64(&c.bb, sb, cb, n, 1.0f, xb, NULL);
            bench(&c, reps);
        }
    }
    free(fa);
    free(fb);
    free(xa);
    free(xb);
    free(ca);
    free(cb);
    free(ha);
    free(hb);
    free(ra);
    free(rb);
    free(sa);
    free(sb);
    int rc = 0;
    for (int i = 0; i < g_nres; i++)
        if (!g_res[i].verified)
            rc = 1;
    if (json != NULL)
        rc |= write_json(json, reps);
    return rc;
}
