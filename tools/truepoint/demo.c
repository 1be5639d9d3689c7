/*
 * demo.c -- `truepoint demo`: the format table and a bit-exact self-check of
 * the codecs against the MPFR oracle (tests/oracle), on the active kernels.
 *
 * Every expected value comes from the oracle; the library under test is only
 * ever compared, never trusted.  Both the array entry points (which the SIMD
 * kernels serve) and single-element calls (for per-element flags) are checked.
 *
 * Then the headlines of the two reports: accuracy (a small fixed-seed run of
 * the accuracy command) and speed (a quick GEMV run of bench_gemm, when the
 * benchmark programs are there).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "oracle.h"


#define DEMO_DEFAULT_COUNT 10000u
#define DEMO_MAX_COUNT 100000000u
#define DEMO_CHUNK 256u      /* elements per array call of the encode check */
#define DEMO_RANDOM_CODES 65536u /* decode sample for f32 and f64 */
#define DEMO_SHOW_MAX 20     /* mismatch lines printed */

typedef struct demo_ctx {
    uint64_t rng;          /* test-data generator state */
    uint64_t seed;         /* printed; also the stochastic-rounding seed */
    unsigned long long checked, bad; /* current section */
    unsigned long long total_checked, total_bad;
    int shown;             /* mismatch texts kept so far */
    unsigned long long hidden; /* mismatches beyond DEMO_SHOW_MAX */
    int npending;
    char pending[DEMO_SHOW_MAX][240];
    int oracle_refused; /* the oracle returned -1 where the library accepted */
} demo_ctx;

/* xorshift64* test-data generator (not the library's SR generator). */
static uint64_t demo_rand(demo_ctx *ctx)
{
    uint64_t x = ctx->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ctx->rng = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

static uint64_t u64_of_double(double x)
{
    uint64_t b;
    memcpy(&b, &x, 8);
    return b;
}

static double double_of_u64(uint64_t b)
{
    double x;
    memcpy(&x, &b, 8);
    return x;
}

static float float_of_u32(uint32_t b)
{
    float x;
    memcpy(&x, &b, 4);
    return x;
}

/* The exact binary64 of binary32 bits, NaN payloads included (a hardware
 * conversion could quiet a signalling NaN). */
static double widen_f32_bits(uint32_t b)
{
    if ((b & 0x7fffffffu) > 0x7f800000u)
        return double_of_u64(((uint64_t)(b >> 31) << 63) | UINT64_C(0x7ff0000000000000) |
                             ((uint64_t)(b & 0x7fffffu) << 29));
    return (double)float_of_u32(b);
}

static void mismatch(demo_ctx *ctx, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Counts a mismatch; keeps the text of the first DEMO_SHOW_MAX for
 * flush_mismatches(), so they print below the table row. */
static void mismatch(demo_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    ctx->bad++;
    if (ctx->shown >= DEMO_SHOW_MAX) {
        ctx->hidden++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(ctx->pending[ctx->npending++], sizeof ctx->pending[0], fmt, ap);
    va_end(ap);
    ctx->shown++;
}

static void flush_mismatches(demo_ctx *ctx)
{
    for (int k = 0; k < ctx->npending; k++)
        printf("  MISMATCH %s\n", ctx->pending[k]);
    ctx->npending = 0;
}

static const char *ft(unsigned flags, char *buf)
{
    return cli_flags_text(flags, buf, 48);
}

/* ------------------------------------------------------------ decode */

static uint64_t random_code(demo_ctx *ctx, const tp_format_desc *d, size_t i)
{
    /* A few specials first: zeros, the smallest subnormal, Inf, NaNs. */
    static const uint64_t f32_special[] = {0, 0x80000000u, 1, 0x80000001u, 0x7f800000u, 0xff800000u,
                                           0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fffffffu,
                                           0x7f7fffffu, 0x00800000u};
    static const uint64_t f64_special[] = {
        0, UINT64_C(0x8000000000000000), 1, UINT64_C(0x7ff0000000000000),
        UINT64_C(0xfff0000000000000), UINT64_C(0x7ff8000000000000), UINT64_C(0xfff8000000000001),
        UINT64_C(0x7ff0000000000001), UINT64_C(0x7fefffffffffffff), UINT64_C(0x0010000000000000)};
    if (d->bits == 32 && i < sizeof f32_special / sizeof f32_special[0])
        return f32_special[i];
    if (d->bits == 64 && i < sizeof f64_special / sizeof f64_special[0])
        return f64_special[i];
    return demo_rand(ctx) & cli_code_mask(d);
}

static void check_decode(demo_ctx *ctx, tp_format f, const tp_format_desc *d)
{
    size_t n = d->bits <= 16 ? (size_t)1 << d->bits : DEMO_RANDOM_CODES;
    size_t es = cli_elem_size(d);
    unsigned char *codes = (unsigned char *)malloc(n * es);
    double *out64 = (double *)malloc(n * sizeof(double));
    float *out32 = (float *)malloc(n * sizeof(float));
    unsigned lib_or64 = 0, lib_or32 = 0, orc_or64 = 0, orc_or32 = 0;
    char b1[48], b2[48];
    tp_status st64, st32;

    if (codes == NULL || out64 == NULL || out32 == NULL) {
        mismatch(ctx, "%s decode: out of memory", d->name);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        cli_code_store(d, codes, i, d->bits <= 16 ? (uint64_t)i : random_code(ctx, d, i));

    st64 = tp_decode_f64(f, codes, out64, n, &lib_or64);
    st32 = tp_decode_f32(f, codes, out32, n, &lib_or32);
    if (st64 != TP_OK)
        mismatch(ctx, "%s decode to f64: status %s", d->name, tp_status_string(st64));
    if (f == TP_F64) {
        if (st32 != TP_ERR_FORMAT)
            mismatch(ctx, "f64 decode to f32: status %s, expected %s", tp_status_string(st32),
                     tp_status_string(TP_ERR_FORMAT));
    } else if (st32 != TP_OK) {
        mismatch(ctx, "%s decode to f32: status %s", d->name, tp_status_string(st32));
    }

    for (size_t i = 0; i < n; i++) {
        uint64_t code = cli_code_load(d, codes, i);
        uint64_t want64, got64;
        unsigned wf64 = 0, gf64 = 0;
        double one64;

        /* binary64 */
        ctx->checked++;
        if (orc_decode_f64(d, code, &want64, &wf64) != 0) {
            ctx->oracle_refused = 1;
            mismatch(ctx, "%s decode 0x%llx: the oracle refused the code", d->name,
                     (unsigned long long)code);
            continue;
        }
        orc_or64 |= wf64;
        got64 = u64_of_double(out64[i]);
        if (st64 == TP_OK && got64 != want64)
            mismatch(ctx, "%s decode 0x%llx to f64 (array): expected 0x%016llx, got 0x%016llx",
                     d->name, (unsigned long long)code, (unsigned long long)want64,
                     (unsigned long long)got64);
        if (tp_decode_f64(f, codes + i * es, &one64, 1, &gf64) != TP_OK ||
            u64_of_double(one64) != want64 || gf64 != wf64)
            mismatch(ctx, "%s decode 0x%llx to f64: expected 0x%016llx (%s), got 0x%016llx (%s)",
                     d->name, (unsigned long long)code, (unsigned long long)want64, ft(wf64, b1),
                     (unsigned long long)u64_of_double(one64), ft(gf64, b2));

        /* binary32 */
        if (f != TP_F64) {
            uint32_t want32, got32;
            unsigned wf32 = 0, gf32 = 0;
            float one32;

            ctx->checked++;
            if (orc_decode_f32(d, code, &want32, &wf32) != 0) {
                ctx->oracle_refused = 1;
                mismatch(ctx, "%s decode 0x%llx: the oracle refused the code", d->name,
                         (unsigned long long)code);
                continue;
            }
            orc_or32 |= wf32;
            memcpy(&got32, &out32[i], 4);
            if (st32 == TP_OK && got32 != want32)
                mismatch(ctx, "%s decode 0x%llx to f32 (array): expected 0x%08lx, got 0x%08lx",
                         d->name, (unsigned long long)code, (unsigned long)want32,
                         (unsigned long)got32);
            one32 = 0.0f;
            if (tp_decode_f32(f, codes + i * es, &one32, 1, &gf32) != TP_OK)
                gf32 = ~0u;
            memcpy(&got32, &one32, 4);
            if (got32 != want32 || gf32 != wf32)
                mismatch(ctx, "%s decode 0x%llx to f32: expected 0x%08lx (%s), got 0x%08lx (%s)",
                         d->name, (unsigned long long)code, (unsigned long)want32, ft(wf32, b1),
                         (unsigned long)got32, ft(gf32, b2));
        }
    }
    if (st64 == TP_OK && lib_or64 != orc_or64)
        mismatch(ctx, "%s decode to f64 (array): flags %s, expected %s", d->name,
                 ft(lib_or64, b1), ft(orc_or64, b2));
    if (f != TP_F64 && st32 == TP_OK && lib_or32 != orc_or32)
        mismatch(ctx, "%s decode to f32 (array): flags %s, expected %s", d->name,
                 ft(lib_or32, b1), ft(orc_or32, b2));
done:
    free(codes);
    free(out64);
    free(out32);
}

/* ------------------------------------------------------------ encode */

/* Exponent range (of 2^e) where format `d` is interesting: a little below
 * its smallest positive value to a little above its largest. */
static void interesting_range(const tp_format_desc *d, int *lo, int *hi)
{
    tp_format_limits lim;
    int elo = -150, ehi = 127;

    if (tp_format_limits_of(d, &lim) == TP_OK) {
        /* Exponents of the limits, by repeated halving (exact). */
        double v = lim.min_subnormal;
        int e = 0;
        while (v >= 2.0) { v /= 2.0; e++; }
        while (v < 1.0) { v *= 2.0; e--; }
        elo = e - 3;
        v = lim.max_finite;
        e = 0;
        while (v >= 2.0) { v /= 2.0; e++; }
        while (v < 1.0) { v *= 2.0; e--; }
        ehi = e + 2;
    }
    if (elo < -152)
        elo = -152;
    if (ehi > 127)
        ehi = 127;
    if (ehi < elo)
        ehi = elo;
    *lo = elo;
    *hi = ehi;
}

/* A binary32 test input for format `d`: mostly values in its range, with
 * low mantissa bits often cleared so exact values, ties and near-ties are
 * common; also raw random bits and specials. */
static uint32_t random_input(demo_ctx *ctx, int lo, int hi)
{
    static const uint32_t specials[] = {0, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                                        0xffc00000u, 0x7f800001u, 0xffa5a5a5u, 0x00000001u,
                                        0x80000001u, 0x7f7fffffu, 0xff7fffffu, 0x00800000u,
                                        0x3f800000u, 0xbf800000u, 0x3fc00000u};
    uint64_t r = demo_rand(ctx);
    unsigned cat = (unsigned)(r & 15);
    uint32_t sign, man;
    int e;

    if (cat < 2)
        return (uint32_t)(r >> 32);
    if (cat == 2)
        return specials[(r >> 8) % (sizeof specials / sizeof specials[0])];
    sign = (uint32_t)((r >> 4) & 1) << 31;
    e = lo + (int)((r >> 8) % (uint64_t)(hi - lo + 1));
    man = (uint32_t)(r >> 32) & 0x7fffffu;
    if ((r >> 5) & 1) { /* keep only the top k mantissa bits */
        unsigned k = (unsigned)((r >> 16) % 24);
        man &= ~((UINT32_C(1) << (23 - k)) - 1);
    }
    if (e >= -126)
        return sign | ((uint32_t)(e + 127) << 23) | man;
    if (e < -149)
        return sign | (man >> 20); /* tiny: a few subnormal ulps */
    return sign | ((UINT32_C(0x800000) | man) >> (-126 - e));
}

static void check_encode(demo_ctx *ctx, tp_format f, const tp_format_desc *d, size_t count)
{
    static const tp_overflow policies[3] = {TP_OVF_DEFAULT, TP_OVF_SAT, TP_OVF_NONSAT};
    size_t es = cli_elem_size(d);
    uint32_t *in = (uint32_t *)malloc(count * sizeof(uint32_t));
    float *inf32 = (float *)malloc(DEMO_CHUNK * sizeof(float));
    unsigned char *out = (unsigned char *)malloc(DEMO_CHUNK * es);
    char b1[48], b2[48];
    int lo, hi;

    if (in == NULL || inf32 == NULL || out == NULL) {
        mismatch(ctx, "%s encode: out of memory", d->name);
        goto done;
    }
    interesting_range(d, &lo, &hi);
    for (size_t i = 0; i < count; i++)
        in[i] = random_input(ctx, lo, hi);

    for (int r = 0; r <= TP_RSR; r++) {
        tp_round rnd = (tp_round)r;
        for (size_t start = 0; start < count; start += DEMO_CHUNK) {
            size_t n = count - start < DEMO_CHUNK ? count - start : DEMO_CHUNK;
            tp_overflow ovf = policies[(start / DEMO_CHUNK + (size_t)r) % 3];
            unsigned lib_or = 0, orc_or = 0;
            tp_sr sr;
            tp_status st;

            sr.bits = NULL;
            sr.seed = ctx->seed;
            sr.counter = start;
            for (size_t i = 0; i < n; i++)
                inf32[i] = float_of_u32(in[start + i]);
            st = tp_encode_f32(f, inf32, out, n, rnd, ovf, &sr, &lib_or);
            if (st != TP_OK)
                mismatch(ctx, "%s encode %s %s: status %s", d->name, cli_round_names[r],
                         cli_overflow_name(ovf), tp_status_string(st));

            for (size_t i = 0; i < n; i++) {
                uint32_t xb = in[start + i];
                uint32_t rbits = rnd == TP_RSR ? orc_sr_word(ctx->seed, start + i) : 0;
                uint64_t want, got;
                unsigned wf = 0, gf = 0;
                unsigned char one[8];
                tp_sr sr1;

                ctx->checked++;
                if (orc_encode(d, widen_f32_bits(xb), rnd, ovf, rbits, &want, &wf) != 0) {
                    ctx->oracle_refused = 1;
                    mismatch(ctx, "%s encode %s %s 0x%08lx: the oracle refused the value",
                             d->name, cli_round_names[r], cli_overflow_name(ovf),
                             (unsigned long)xb);
                    continue;
                }
                orc_or |= wf;
                if (st == TP_OK && (got = cli_code_load(d, out, i)) != want)
                    mismatch(ctx, "%s encode %s %s 0x%08lx (array): expected 0x%llx, got 0x%llx",
                             d->name, cli_round_names[r], cli_overflow_name(ovf),
                             (unsigned long)xb, (unsigned long long)want,
                             (unsigned long long)got);
                sr1.bits = NULL;
                sr1.seed = ctx->seed;
                sr1.counter = start + i;
                memset(one, 0, sizeof one);
                if (tp_encode_f32(f, &inf32[i], one, 1, rnd, ovf, &sr1, &gf) != TP_OK)
                    gf = ~0u;
                got = cli_code_load(d, one, 0);
                if (got != want || gf != wf)
                    mismatch(ctx, "%s encode %s %s 0x%08lx: expected 0x%llx (%s), got 0x%llx (%s)",
                             d->name, cli_round_names[r], cli_overflow_name(ovf),
                             (unsigned long)xb, (unsigned long long)want, ft(wf, b1),
                             (unsigned long long)got, ft(gf, b2));
            }
            if (st == TP_OK && lib_or != orc_or)
                mismatch(ctx, "%s encode %s %s (array of %zu from 0x%08lx): flags %s, expected %s",
                         d->name, cli_round_names[r], cli_overflow_name(ovf), n,
                         (unsigned long)in[start], ft(lib_or, b1), ft(orc_or, b2));
        }
    }
done:
    free(in);
    free(inf32);
    free(out);
}

/* Every binary16 value, as binary64, encoded in RNE under the default policy. */
static void check_f16_sweep(demo_ctx *ctx, tp_format f, const tp_format_desc *d)
{
    const tp_format_desc *h = tp_format_get(TP_F16);
    size_t es = cli_elem_size(d);
    double *in = (double *)malloc(65536 * sizeof(double));
    unsigned char *out = (unsigned char *)malloc(65536 * es);
    char b1[48], b2[48];
    unsigned lib_or = 0, orc_or = 0;
    tp_sr sr;
    tp_status st;

    if (in == NULL || out == NULL || h == NULL) {
        mismatch(ctx, "%s f16 sweep: out of memory", d->name);
        goto done;
    }
    for (uint32_t c = 0; c < 65536; c++) {
        uint64_t bits = 0;
        unsigned fl = 0;
        if (orc_decode_f64(h, c, &bits, &fl) != 0)
            ctx->oracle_refused = 1;
        in[c] = double_of_u64(bits);
    }
    sr.bits = NULL;
    sr.seed = ctx->seed;
    sr.counter = 0;
    st = tp_encode_f64(f, in, out, 65536, TP_RNE, TP_OVF_DEFAULT, &sr, &lib_or);
    if (st != TP_OK)
        mismatch(ctx, "%s f16 sweep: status %s", d->name, tp_status_string(st));
    for (uint32_t c = 0; c < 65536; c++) {
        uint64_t want, got;
        unsigned wf = 0, gf = 0;
        unsigned char one[8];

        ctx->checked++;
        if (orc_encode(d, in[c], TP_RNE, TP_OVF_DEFAULT, 0, &want, &wf) != 0) {
            ctx->oracle_refused = 1;
            mismatch(ctx, "%s f16 0x%04lx: the oracle refused the value", d->name,
                     (unsigned long)c);
            continue;
        }
        orc_or |= wf;
        if (st == TP_OK && (got = cli_code_load(d, out, c)) != want)
            mismatch(ctx, "%s encode rne f16 0x%04lx (array): expected 0x%llx, got 0x%llx",
                     d->name, (unsigned long)c, (unsigned long long)want,
                     (unsigned long long)got);
        memset(one, 0, sizeof one);
        if (tp_encode_f64(f, &in[c], one, 1, TP_RNE, TP_OVF_DEFAULT, &sr, &gf) != TP_OK)
            gf = ~0u;
        got = cli_code_load(d, one, 0);
        if (got != want || gf != wf)
            mismatch(ctx, "%s encode rne f16 0x%04lx: expected 0x%llx (%s), got 0x%llx (%s)",
                     d->name, (unsigned long)c, (unsigned long long)want, ft(wf, b1),
                     (unsigned long long)got, ft(gf, b2));
    }
    if (st == TP_OK && lib_or != orc_or)
        mismatch(ctx, "%s f16 sweep (array): flags %s, expected %s", d->name, ft(lib_or, b1),
                 ft(orc_or, b2));
done:
    free(in);
    free(out);
}

static void check_sr_words(demo_ctx *ctx)
{
    for (uint64_t k = 0; k < 4096; k++) {
        uint64_t seed = k < 2048 ? ctx->seed : demo_rand(ctx);
        uint64_t counter = k < 2048 ? k : demo_rand(ctx);
        uint32_t want = orc_sr_word(seed, counter), got = tp_sr_word(seed, counter);
        ctx->checked++;
        if (want != got)
            mismatch(ctx, "tp_sr_word(0x%llx, 0x%llx): expected 0x%08lx, got 0x%08lx",
                     (unsigned long long)seed, (unsigned long long)counter,
                     (unsigned long)want, (unsigned long)got);
    }
}

/* Ends a section: prints "<checked> <bad>" columns and adds to the totals. */
static void end_section(demo_ctx *ctx, int width)
{
    printf(" %*llu %5llu", width, ctx->checked, ctx->bad);
    ctx->total_checked += ctx->checked;
    ctx->total_bad += ctx->bad;
    ctx->checked = 0;
    ctx->bad = 0;
}

/* ------------------------------------------------------------ headlines */

#define HL_K "4096"
#define HL_SAMPLES "512"

/* Field `col` of a CSV line (no quoting: the accuracy CSV has none) into
 * buf; -1 if the line is shorter. */
static int csv_field(const char *line, int col, char *buf, size_t size)
{
    const char *p = line;
    for (int i = 0; i < col; i++) {
        p = strchr(p, ',');
        if (p == NULL)
            return -1;
        p++;
    }
    size_t n = strcspn(p, ",\r\n");
    if (n >= size)
        n = size - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 0;
}

static int csv_column(const char *header, const char *name)
{
    char f[64];
    for (int i = 0; csv_field(header, i, f, sizeof f) == 0; i++)
        if (strcmp(f, name) == 0)
            return i;
    return -1;
}

/* The accuracy headline: the accuracy command on E4M3 x E4M3 at one K, its
 * CSV captured from stdout and reduced to two lines. */
static void accuracy_headline(void)
{
    static const char *const args[] = {
        "accuracy", "--a",       "e4m3",       "--b",    "e4m3", "--k",  HL_K,
        "--acc",    "f32seq,exact", "--dist", "normal", "--samples", HL_SAMPLES,
        "--seed",   "1",         "-q",         NULL};
    enum { NARGS = sizeof args / sizeof args[0] - 1 };
    char *argv[NARGS + 1];
    char line[1024], header[1024], why[160];
    double pct[2] = {-1, -1}, ulp[2] = {-1, -1};
    int rc = -1;

    printf("\nAccuracy headline (truepoint accuracy --a e4m3 --b e4m3 --k " HL_K
           " --samples " HL_SAMPLES "):\n"
           "dot products of N(0,1) binary32 vectors stored as E4M3, K = " HL_K
           ", seed 1; each output\nrounded to binary32 and compared with the exact "
           "dot product of the stored values\n");
    for (int i = 0; i < NARGS; i++)
        argv[i] = (char *)args[i];
    argv[NARGS] = NULL;

    /* Run the command with its stdout going to a temporary file. */
    FILE *tmp = tmpfile();
    int saved = -1;
    snprintf(why, sizeof why, "cannot capture its output");
    fflush(stdout);
    if (tmp != NULL && (saved = dup(1)) >= 0 && dup2(fileno(tmp), 1) >= 0) {
        rc = cli_cmd_accuracy.run(NARGS, argv);
        fflush(stdout);
        dup2(saved, 1);
        if (rc != 0)
            snprintf(why, sizeof why, "the accuracy command exited with status %d", rc);
    }
    if (saved >= 0)
        close(saved);
    if (rc == 0) {
        int c_acc = -1, c_pct = -1, c_ulp = -1;
        rewind(tmp);
        if (fgets(header, sizeof header, tmp) != NULL) {
            c_acc = csv_column(header, "acc");
            c_pct = csv_column(header, "not_cr_pct");
            c_ulp = csv_column(header, "acc_ulp_max");
        }
        while (c_acc >= 0 && c_pct >= 0 && c_ulp >= 0 && fgets(line, sizeof line, tmp) != NULL) {
            char a[32], v1[64], v2[64];
            if (csv_field(line, c_acc, a, sizeof a) != 0 ||
                csv_field(line, c_pct, v1, sizeof v1) != 0 ||
                csv_field(line, c_ulp, v2, sizeof v2) != 0)
                continue;
            int j = strcmp(a, "f32seq") == 0 ? 0 : strcmp(a, "exact") == 0 ? 1 : -1;
            if (j >= 0) {
                pct[j] = strtod(v1, NULL);
                ulp[j] = strtod(v2, NULL);
            }
        }
        if (pct[0] < 0 || pct[1] < 0) {
            snprintf(why, sizeof why, "its output was not understood");
            rc = -1;
        }
    }
    if (tmp != NULL)
        fclose(tmp);
    if (rc != 0) {
        printf("  accuracy headline unavailable: %s\n", why);
        return;
    }
    printf("  binary32 sequential accumulation (fmaf): %5.1f%% of outputs not correctly "
           "rounded, max %.0f ulp off\n",
           pct[0], ulp[0]);
    printf("  exact accumulation (libtruepoint):       %5.1f%% of outputs not correctly "
           "rounded, max %.0f ulp off\n",
           pct[1], ulp[1]);
}

/* The speed headline: bench_gemm's quick GEMV cases, exact and packed, one
 * thread, against the bfloat16-weight GEMV timed in the same run. */
static void speed_headline(void)
{
    static const struct {
        const char *name, *label;
    } rows[] = {
        {"gemv mxfp4 x mxfp8_e4m3 exact packed", "exact MXFP4 W x MXFP8 x GEMV vs bf16 GEMV:"},
        {"gemv e4m3 x e4m3 exact packed", "exact E4M3 W x E4M3 x GEMV vs bf16 GEMV:"},
    };
    char prog[4096], why[8400], jpath[4096];
    const char *t = getenv("TMPDIR");

    printf("\nSpeed headline (bench_gemm --quick --gemv-size 4096x8192; the full report: truepoint "
           "bench):\n");
    if (cli_bench_find("bench_gemm", prog, sizeof prog, why, sizeof why) != 0) {
        printf("  speed headline unavailable: %s\n", why);
        return;
    }
    snprintf(jpath, sizeof jpath, "%.4000s/truepoint-demo.XXXXXX",
             t != NULL && t[0] != '\0' ? t : "/tmp");
    int fd = mkstemp(jpath);
    if (fd < 0) {
        printf("  speed headline unavailable: cannot create a temporary file\n");
        return;
    }
    close(fd);
    char *argv[] = {prog, (char *)"--quick", (char *)"--gemv-size", (char *)"4096x8192",
                    (char *)"--threads", (char *)"1", (char *)"--reps", (char *)"7",
                    (char *)"--only", (char *)"exact packed", (char *)"--json", jpath, NULL};
    int rc = cli_bench_run(argv, 1);
    char *json = rc == 0 ? cli_bench_slurp(jpath) : NULL;
    unlink(jpath);
    if (rc != 0 || json == NULL) {
        if (rc > 128)
            printf("  speed headline unavailable: %s was ended by signal %d\n", prog, rc - 128);
        else
            printf("  speed headline unavailable: %s exited with status %d\n", prog, rc);
        free(json);
        return;
    }
    double m = 0, k = 0, reps = 0;
    cli_bench_case_num(json, rows[0].name, "m", &m);
    cli_bench_case_num(json, rows[0].name, "k", &k);
    cli_bench_case_num(json, rows[0].name, "reps", &reps);
    printf("GEMV y = W x, W %.0f x %.0f (bf16: 64 MiB, beyond the caches), 1 thread, median of\n"
           "%.0f paired repetitions;\n"
           "speed-up = time of a bf16-weight GEMV / our time (> 1: ours is faster)\n",
           m, k, reps);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double r;
        if (cli_bench_case_num(json, rows[i].name, "median", &r) == 0)
            printf("  %-42s %.2fx\n", rows[i].label, r);
        else
            printf("  %-42s no number (see truepoint bench --only gemm)\n", rows[i].label);
    }
    free(json);
}

static int run_demo(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_demo;
    const char *val;
    uint64_t seed = 0, count = DEMO_DEFAULT_COUNT;
    demo_ctx ctx;
    int rc;

    for (int i = 1; i < argc; i++) {
        if ((rc = cli_opt_value(c, argc, argv, &i, NULL, "--seed", &val)) != 0) {
            if (rc < 0 || cli_parse_u64_opt(c, "--seed", val, &seed) != 0)
                return CLI_EXIT_USAGE;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, "-n", "--count", &val)) != 0) {
            if (rc < 0 || cli_parse_u64_opt(c, "--count", val, &count) != 0)
                return CLI_EXIT_USAGE;
            if (count < 1 || count > DEMO_MAX_COUNT)
                return cli_usage_error(c, "--count must be from 1 to %u", DEMO_MAX_COUNT);
        } else if (argv[i][0] == '-') {
            return cli_usage_error(c, "unknown option '%s'", argv[i]);
        } else {
            return cli_usage_error(c, "unexpected argument '%s'", argv[i]);
        }
    }

    memset(&ctx, 0, sizeof ctx);
    ctx.seed = seed;
    ctx.rng = seed ^ UINT64_C(0x9E3779B97F4A7C15);
    if (ctx.rng == 0)
        ctx.rng = 1;

    cli_line_buffered_stdout();
    printf(CLI_PROG " %s: libtruepoint %s, kernels: %s\n\n", TP_VERSION_STRING,
           tp_version_string(), tp_isa_name(tp_active_isa()));
    printf("Formats\n\n");
    cli_print_format_table(stdout);

    printf("\nSelf-check against the MPFR oracle (bit-exact codes and flags, seed %llu)\n",
           (unsigned long long)seed);
    printf("  decode: every code of each format of 16 bits or fewer, %u random codes\n"
           "          of f32 and f64, to binary32 and binary64\n",
           DEMO_RANDOM_CODES);
    printf("  encode: %llu random binary32 values per format in each of the 7 rounding\n"
           "          modes (rne rna rtz rup rdn rto sr), overflow policy default, sat,\n"
           "          nonsat in turn, by array calls and one value at a time\n",
           (unsigned long long)count);
    printf("  f16:    all 65536 binary16 values to e4m3, e5m2 and e2m1 in rne\n\n");
    printf("%-12s %10s %5s %10s %5s %10s %5s\n", "format", "decode", "bad", "encode", "bad",
           "f16", "bad");

    for (int fi = 0; fi < TP_FORMAT_COUNT; fi++) {
        tp_format f = (tp_format)fi;
        const tp_format_desc *d = tp_format_get(f);
        if (d == NULL)
            continue;
        printf("%-12s", d->name);
        check_decode(&ctx, f, d);
        end_section(&ctx, 10);
        check_encode(&ctx, f, d, (size_t)count);
        end_section(&ctx, 10);
        if (f == TP_E4M3 || f == TP_E5M2 || f == TP_E2M1) {
            check_f16_sweep(&ctx, f, d);
            end_section(&ctx, 10);
        } else {
            printf(" %10s %5s", "-", "-");
        }
        putchar('\n');
        flush_mismatches(&ctx);
    }
    printf("%-12s", "sr words");
    check_sr_words(&ctx);
    end_section(&ctx, 10);
    putchar('\n');
    flush_mismatches(&ctx);
    if (ctx.hidden != 0)
        printf("  (%llu further mismatches not shown)\n", ctx.hidden);

    if (ctx.oracle_refused)
        printf("\nthe oracle refused inputs the library accepted (counted as mismatches)\n");
    printf("\nself-check: %s (%llu values checked, %llu mismatches)\n",
           ctx.total_bad == 0 ? "PASS" : "FAIL", ctx.total_checked, ctx.total_bad);
    accuracy_headline();
    speed_headline();
    rc = cli_finish_stdout();
    if (ctx.total_bad != 0)
        return CLI_EXIT_DATA;
    return rc;
}

const cli_command cli_cmd_demo = {
    "demo",
    run_demo,
    "demo [--seed N] [-n COUNT]",
    "format table, self-check against the MPFR oracle, accuracy and speed headlines",
    "Prints the version and the active kernels, the format table (as 'truepoint\n"
    "formats'), and a bit-exact self-check of the codecs on the active kernels\n"
    "against the independent MPFR oracle: codes and flags, through array calls and\n"
    "single-value calls.  Per format it prints how many values were checked and how\n"
    "many mismatched, shows the first mismatches, and ends with a line\n"
    "'self-check: PASS' or 'self-check: FAIL'.  The sample:\n"
    "  - decode: every code of every format of 16 bits or fewer, and 65536 random\n"
    "    codes of f32 and f64, to binary32 and binary64;\n"
    "  - encode: COUNT random binary32 values per format (values around the format's\n"
    "    range with ties and exact values common, raw bit patterns, specials) in\n"
    "    every rounding mode, overflow policies default, sat and nonsat in turn;\n"
    "  - all 65536 binary16 values to e4m3, e5m2 and e2m1 in rne;\n"
    "  - the stochastic-rounding generator tp_sr_word.\n"
    "Then two headlines:\n"
    "  - accuracy: 'truepoint accuracy' on 512 dot products of N(0,1) vectors\n"
    "    stored as E4M3, K = 4096, seed 1: the share of binary32 outputs that are\n"
    "    not correctly rounded and the largest error in ulps, for sequential\n"
    "    binary32 (fmaf) accumulation and for the library's exact dot product;\n"
    "  - speed: bench_gemm --quick --gemv-size 4096x8192 (1 thread; the bf16\n"
    "    weights, 64 MiB, do not fit in the caches): the\n"
    "    exact MXFP4 x MXFP8 and E4M3 x E4M3 GEMV against a bfloat16-weight GEMV\n"
    "    timed in the same run (median of paired ratios).  Without the benchmark\n"
    "    programs (see 'truepoint bench --help') it says so and goes on.\n"
    "It takes a few seconds.  The kernels can be forced with TP_ISA=ref|avx2|avx512.\n"
    "\n"
    "Options:\n"
    "      --seed N      seed of the random sample and of stochastic rounding,\n"
    "                    decimal or 0x hex (default 0)\n"
    "  -n, --count N     random binary32 values per format (default 10000)\n"
    "  -h, --help        print this help\n"
    "\n"
    "Exit status: 0 if every value matched; 1 on any mismatch; 2 usage error.  The\n"
    "headlines do not change it.\n",
};
