/*
 * bench_util.h -- the timing and report harness shared by the benchmarks
 * (bench_codec.c, bench_block.c): clock, random numbers, the F16C peers,
 * interleaved library/peer timing, sorting and the CPU model line, and the
 * common options (--reps R, --json FILE, --quick).
 *
 * static inline only, so each benchmark stays one translation unit.  The
 * F16C peers need -mavx2 -mf16c, which the benchmarks using them have.
 */
#ifndef TRUEPOINT_BENCH_UTIL_H
#define TRUEPOINT_BENCH_UTIL_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* xorshift64* step of the generator state *s. */
static inline uint64_t bench_rnd64(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(0x2545F4914F6CDD1D);
}

/* A standard normal variate (Box-Muller) from two draws of *s. */
static inline double bench_gauss(uint64_t *s)
{
    double u = ((double)(bench_rnd64(s) >> 11) + 0.5) / 9007199254740992.0;
    double v = ((double)(bench_rnd64(s) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static inline uint32_t bench_fbits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* The peers: F16C vcvtps2ph / vcvtph2ps (ymm) over n (a multiple of 8)
 * 32-byte-aligned elements. */
static inline void bench_f16c_enc(const float *src, uint16_t *halfs, int n)
{
    for (int i = 0; i < n; i += 8)
        _mm_store_si128((__m128i *)(void *)(halfs + i),
                        _mm256_cvtps_ph(_mm256_load_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
}

static inline void bench_f16c_dec(const uint16_t *halfs, float *dst, int n)
{
    for (int i = 0; i < n; i += 8)
        _mm256_store_ps(dst + i, _mm256_cvtph_ps(_mm_load_si128((const __m128i *)(const void *)(halfs + i))));
}

/*
 * Elements per second of the library (lf(c), *rl) and of the peer (pf, *rp)
 * over at least `secs` each, for n elements per call, measured interleaved:
 * batches of 16 library calls and 16 peer calls alternate, and each side's
 * batch times are summed.  The machine this runs on is shared and its speed
 * changes within tens of milliseconds (see research/perf.md); measuring the
 * two sides in separate consecutive windows put them in different machine
 * states and spread the ratio by 2x or more, while alternating ~2 us
 * batches exposes both to the same conditions.
 */
static inline void bench_rate_pair(void (*lf)(const void *), const void *c, void (*pf)(void),
                                   int n, double secs, double *rl, double *rp)
{
    const long batch = 16;
    long iters = 0;
    double tl = 0, tp = 0;
    do {
        double t0 = bench_now();
        for (long k = 0; k < batch; k++)
            lf(c);
        double t1 = bench_now();
        for (long k = 0; k < batch; k++)
            pf();
        double t2 = bench_now();
        tl += t1 - t0;
        tp += t2 - t1;
        iters += batch;
    } while (tl < secs || tp < secs);
    *rl = (double)iters * n / tl;
    *rp = (double)iters * n / tp;
}

/* qsort comparison of doubles, ascending. */
static inline int bench_cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The "model name" of /proc/cpuinfo in buf ("unknown" without one). */
static inline void bench_cpu_model(char *buf, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    snprintf(buf, len, "unknown");
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p != NULL) {
                p++;
                while (*p == ' ')
                    p++;
                p[strcspn(p, "\n")] = '\0';
                snprintf(buf, len, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

/* The common options: --reps R, --json FILE, --quick (3 reps of >= 5 ms).
 * Leaves the defaults in *reps, *secs, *json alone unless an option sets
 * them; prints the usage and returns 0 on anything else. */
static inline int bench_options(int argc, char **argv, int *reps, double *secs, const char **json)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            *reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            *json = argv[++i];
        else if (strcmp(argv[i], "--quick") == 0) {
            *reps = 3;
            *secs = 0.005;
        } else {
            fprintf(stderr, "usage: %s [--reps R] [--json FILE] [--quick]\n", argv[0]);
            return 0;
        }
    }
    return 1;
}

#endif /* TRUEPOINT_BENCH_UTIL_H */
