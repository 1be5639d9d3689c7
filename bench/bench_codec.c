/*
 * bench_codec.c -- codec throughput against the hardware F16C converters.
 *
 * For each case the library kernel and its peer run in the same repetition,
 * interleaved in batches of 16 calls (see rate_pair), on the same
 * L1/L2-resident arrays (n = 4096 elements, 16 KiB of binary32), 1 thread:
 *   encode f32 -> fmt (RNE, SAT)  vs  F16C vcvtps2ph (fp32 -> fp16, ymm)
 *   decode fmt -> f32             vs  F16C vcvtph2ps (fp16 -> fp32, ymm)
 * The ratio library/peer is reported as median [min..max] over R repetitions
 * (default 7).  Every kernel is verified against the scalar reference
 * (tp_encode1 / tp_decode1) before it is timed; a wrong kernel gets no number
 * and the program exits non-zero.  Missing a target is not an error.
 *
 * Options: --reps R, --json FILE, --quick.
 */
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "truepoint.h"
#include "bench_util.h"

#define N 4096

static uint64_t rng = UINT64_C(0x9E3779B97F4A7C15);


static float src[N] __attribute__((aligned(64)));
static float fout[N] __attribute__((aligned(64)));
static uint8_t codes[N] __attribute__((aligned(64)));
static uint16_t halfs[N] __attribute__((aligned(64)));
static volatile unsigned sink;

static void peer_enc(void)
{
    bench_f16c_enc(src, halfs, N);
}

static void peer_dec(void)
{
    bench_f16c_dec(halfs, fout, N);
}

typedef struct bcase {
    const char *name;
    tp_format f;
    int encode;
    double target; /* ratio target, 0 = none */
    /* results */
    int ok;
    double lib, peer, rmed, rmin, rmax;
} bcase;

static void lib_run(const void *cv)
{
    const bcase *c = (const bcase *)cv;
    unsigned fl = 0;
    if (c->encode)
        tp_encode_f32(c->f, src, codes, N, TP_RNE, TP_OVF_SAT, NULL, &fl);
    else
        tp_decode_f32(c->f, codes, fout, N, &fl);
    sink += fl;
}

static void fill(const bcase *c)
{
    const tp_format_desc *d = tp_format_get(c->f);
    tp_format_limits lim;
    tp_format_limits_of(d, &lim);
    for (int i = 0; i < N; i++) {
        /* encode: N(0,1) scaled to max/8 and clipped to +-max (a pre-scaled
         * tensor: subnormal-range values occur, overflow does not) */
        double v = bench_gauss(&rng) * lim.max_finite / 8;
        if (v > lim.max_finite)
            v = lim.max_finite;
        if (v < -lim.max_finite)
            v = -lim.max_finite;
        src[i] = (float)v;
        /* decode: uniformly random codes of the format */
        codes[i] = (uint8_t)(bench_rnd64(&rng) & ((1u << d->bits) - 1));
    }
    for (int i = 0; i < N; i++)
        halfs[i] = (uint16_t)_cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
    if (!c->encode)
        for (int i = 0; i < N; i++)
            halfs[i] = (uint16_t)(bench_rnd64(&rng) & 0x7BFF); /* finite halfs */
}

static uint32_t fb(float f)
{
    return bench_fbits(f);
}

/* Compares the kernel with the scalar reference on the whole array. */
static int verify(const bcase *c)
{
    const tp_format_desc *d = tp_format_get(c->f);
    unsigned fl = 0, want = 0;
    lib_run(c);
    if (c->encode) {
        tp_encode_f32(c->f, src, codes, N, TP_RNE, TP_OVF_SAT, NULL, &fl);
        for (int i = 0; i < N; i++) {
            uint64_t code = 0;
            if (tp_encode1(d, (double)src[i], TP_RNE, TP_OVF_SAT, 0, &code, &want) != TP_OK ||
                code != codes[i]) {
                printf("VERIFY FAILED %s: element %d input 0x%08x: ref 0x%02x lib 0x%02x\n",
                       c->name, i, fb(src[i]), (unsigned)code, codes[i]);
                return 0;
            }
        }
    } else {
        tp_decode_f32(c->f, codes, fout, N, &fl);
        for (int i = 0; i < N; i++) {
            double v = 0;
            if (tp_decode1(d, codes[i], &v, &want) != TP_OK || fb((float)v) != fb(fout[i])) {
                printf("VERIFY FAILED %s: element %d code 0x%02x: ref 0x%08x lib 0x%08x\n",
                       c->name, i, codes[i], fb((float)v), fb(fout[i]));
                return 0;
            }
        }
    }
    if (fl != want) {
        printf("VERIFY FAILED %s: flags ref 0x%x lib 0x%x\n", c->name, want, fl);
        return 0;
    }
    return 1;
}

/* Elements per second of the library (*rl) and of the peer (*rp) over at
 * least `secs` each, measured interleaved (see bench_rate_pair). */
static void rate_pair(const bcase *c, void (*pf)(void), double secs, double *rl, double *rp)
{
    bench_rate_pair(lib_run, c, pf, N, secs, rl, rp);
}

int main(int argc, char **argv)
{
    int reps = 7;
    double secs = 0.02;
    const char *json = NULL;
    if (!bench_options(argc, argv, &reps, &secs, &json))
        return 2;
    if (reps < 1 || reps > 1000)
        reps = 7;
    char cpu[256];
    bench_cpu_model(cpu, sizeof cpu);
    printf("# libtruepoint %s, isa %s\n", tp_version_string(), tp_isa_name(tp_active_isa()));
    printf("# cpu: %s\n", cpu);
#ifdef __VERSION__
    printf("# compiler: %s\n", __VERSION__);
#endif
    printf("# bench flags:%s%s%s%s (peer: F16C ymm; library kernels use their own ISA flags)\n",
#ifdef __OPTIMIZE__
           " -O",
#else
           " -O0",
#endif
#ifdef __AVX2__
           " -mavx2",
#else
           "",
#endif
#ifdef __FMA__
           " -mfma",
#else
           "",
#endif
#ifdef __F16C__
           " -mf16c"
#else
           ""
#endif
    );
    printf("# n = %d elements (16 KiB of binary32), 1 thread, %d repetitions, >= %.0f ms per sample\n",
           N, reps, secs * 1e3);
    printf("# encode inputs: N(0,1) * max/8 clipped to +-max; decode inputs: uniform random codes\n");

    bcase cases[] = {
        { "f32->e4m3 RNE SAT", TP_E4M3, 1, 0.5, 0, 0, 0, 0, 0, 0 },
        { "f32->e5m2 RNE SAT", TP_E5M2, 1, 0.5, 0, 0, 0, 0, 0, 0 },
        { "f32->e2m1 RNE SAT", TP_E2M1, 1, 0.5, 0, 0, 0, 0, 0, 0 },
        { "f32->e2m3 RNE SAT", TP_E2M3, 1, 0, 0, 0, 0, 0, 0, 0 },
        { "f32->e3m2 RNE SAT", TP_E3M2, 1, 0, 0, 0, 0, 0, 0, 0 },
        { "e4m3->f32", TP_E4M3, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "e5m2->f32", TP_E5M2, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "e4m3fnuz->f32", TP_E4M3FNUZ, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "e5m2fnuz->f32", TP_E5M2FNUZ, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "e4m3b11fnuz->f32", TP_E4M3B11FNUZ, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "e4m3ieee->f32", TP_E4M3IEEE, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "e3m4->f32", TP_E3M4, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "e2m3->f32", TP_E2M3, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "e3m2->f32", TP_E3M2, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "e2m1->f32", TP_E2M1, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "e8m0->f32", TP_E8M0, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "ue4m3->f32", TP_UE4M3, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "mxint8->f32", TP_MXINT8, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "int8->f32", TP_INT8, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "int4->f32", TP_INT4, 0, 1, 0, 0, 0, 0, 0, 0 },
        { "uint4->f32", TP_UINT4, 0, 1, 0, 0, 0, 0, 0, 0 },
    };
    int nc = (int)(sizeof cases / sizeof cases[0]), failed = 0;
    double *ra = malloc(sizeof(double) * (size_t)reps * 3);
    if (ra == NULL)
        return 2;
    printf("\n%-20s %10s %10s %24s %7s %4s\n", "case", "lib Ge/s", "peer Ge/s",
           "ratio median [min..max]", "target", "met");
    for (int ci = 0; ci < nc; ci++) {
        bcase *c = &cases[ci];
        fill(c);
        if (!verify(c)) {
            failed = 1;
            continue;
        }
        double *rl = ra, *rp = ra + reps, *rr = ra + 2 * reps;
        void (*pf)(void) = c->encode ? peer_enc : peer_dec;
        rate_pair(c, pf, secs, &rl[0], &rp[0]); /* warm up */
        for (int r = 0; r < reps; r++) {
            rate_pair(c, pf, secs, &rl[r], &rp[r]);
            rr[r] = rl[r] / rp[r];
        }
        qsort(rl, (size_t)reps, sizeof *rl, bench_cmpd);
        qsort(rp, (size_t)reps, sizeof *rp, bench_cmpd);
        qsort(rr, (size_t)reps, sizeof *rr, bench_cmpd);
        c->ok = 1;
        c->lib = rl[reps / 2] / 1e9;
        c->peer = rp[reps / 2] / 1e9;
        c->rmed = rr[reps / 2];
        c->rmin = rr[0];
        c->rmax = rr[reps - 1];
        char tgt[16];
        if (c->target > 0)
            snprintf(tgt, sizeof tgt, ">=%.2f", c->target);
        else
            snprintf(tgt, sizeof tgt, "-");
        printf("%-20s %10.2f %10.2f %8.3f [%5.3f..%5.3f] %7s %4s\n", c->name, c->lib, c->peer,
               c->rmed, c->rmin, c->rmax, tgt,
               c->target > 0 ? (c->rmed >= c->target ? "yes" : "no") : "-");
        fflush(stdout);
    }
    if (json != NULL) {
        FILE *f = fopen(json, "w");
        if (f == NULL) {
            perror(json);
            failed = 1;
        } else {
            fprintf(f, "{\n  \"version\": \"%s\",\n  \"isa\": \"%s\",\n  \"cpu\": \"%s\",\n",
                    tp_version_string(), tp_isa_name(tp_active_isa()), cpu);
            fprintf(f, "  \"n\": %d,\n  \"reps\": %d,\n  \"cases\": [\n", N, reps);
            for (int ci = 0; ci < nc; ci++) {
                const bcase *c = &cases[ci];
                fprintf(f, "    {\"case\": \"%s\", \"verified\": %s", c->name, c->ok ? "true" : "false");
                if (c->ok)
                    fprintf(f, ", \"lib_gelem_s\": %.4f, \"peer_gelem_s\": %.4f, \"ratio_median\": %.4f, "
                               "\"ratio_min\": %.4f, \"ratio_max\": %.4f, \"target\": %.2f",
                            c->lib, c->peer, c->rmed, c->rmin, c->rmax, c->target);
                fprintf(f, "}%s\n", ci + 1 < nc ? "," : "");
            }
            fprintf(f, "  ]\n}\n");
            fclose(f);
        }
    }
    free(ra);
    if (failed)
        printf("\nverification FAILED: see above\n");
    return failed ? 1 : 0;
}
