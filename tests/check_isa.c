/*
 * check_isa.c -- every ISA variant of every kernel gives the reference's
 * bits and flags.
 *
 * The dispatcher reads TP_ISA once per process, so this program re-executes
 * itself (/proc/self/exe, else argv[0]) with TP_ISA=ref, avx2 and avx512.
 * Each child runs the same deterministic sweep (formats x rounding modes x
 * overflow policies x array pieces of lengths 0..70 and larger ones with odd
 * tails, at unaligned source and destination offsets) and writes one 64-bit
 * hash per piece (codes, flags and the red zone after the output) to a temp
 * file.  The parent compares each variant's file with the ref child's.  On
 * the first differing piece both children are run again in detail mode for
 * that piece alone, and the parent reports format, mode, policy, input bits,
 * codes and flags of the first differing element.
 *
 * A variant the CPU (or the build) lacks reports a lower tp_active_isa() in
 * its child; that comparison is skipped and says so.  Every comparison runs
 * twice: in the default floating-point environment, and with the library
 * calls of the ref and SIMD children under MXCSR FTZ|DAZ (TP_TEST_MXCSR,
 * testutil.h) against the default ref child: no codec result depends on the
 * environment.  The inputs hold binary32 subnormals (every bfloat16 pattern,
 * the specials, the strided and random sweeps) and subnormal codes of every
 * format.  The re-exec harness is
 * tpt_isa_main (testutil.h); this file holds the sweep and the explanation.
 *
 * Under TP_TEST_TIER=quick (testutil.h; the children inherit it) the sweep
 * takes fewer inputs: every 8-bit format's codes near zero and near the
 * top plus a stride through the rest, the binary16 and bfloat16 patterns
 * near their zero, subnormal, overflow and NaN edges plus every 61st, and
 * a 61 times thinner strided and random sample; fewer random codes to
 * decode.  Every format, mode, policy and piece length still occurs.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define ENV_OUT "TPT_ISA_OUT"       /* child mode: write results here */
#define ENV_DETAIL "TPT_ISA_DETAIL" /* child mode: dump this piece in full */
#define MAGIC UINT32_C(0x54504953)  /* "TPIS" */

/* Nonzero in the reduced tier (TP_TEST_TIER=quick); set by main(). */
static int quick;

/* Quick tier: the 16-bit patterns (binary16 or bfloat16 bits h) kept: every
 * 61st, and those near the edges of either format (zero and the smallest
 * subnormals, the subnormal/normal boundary, the largest finite values,
 * Inf and NaN). */
static int keep16(uint32_t h)
{
    uint32_t m = h & 0x7FFFu;
    return h % 61 == 0 || m < 8 || m >= 0x7F78u ||      /* both: zero; bfloat16 top */
           (m >= 0x7BF8u && m < 0x7C08u) ||              /* binary16 max, Inf, NaN */
           (m >= 0x03F8u && m < 0x0408u) ||              /* binary16 subnormal edge */
           (m >= 0x0078u && m < 0x0088u);                 /* bfloat16 subnormal edge */
}

/* Quick tier: the codes kept of a format with nc codes: all of a format of
 * at most 6 bits; else those near zero and near the top magnitudes (both
 * signs) and every 13th. */
static int keep_code8(unsigned c, unsigned nc)
{
    return nc <= 64 || c % 13 == 0 || (c & 0x7Fu) < 4 || (c & 0x7Fu) >= 0x7Cu;
}

/* ------------------------------------------------------------ inputs */

typedef struct vec {
    uint32_t *v;
    size_t n, cap;
} vec;

static void push(vec *a, uint32_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 4096;
        a->v = realloc(a->v, a->cap * sizeof *a->v);
        if (a->v == NULL)
            abort();
    }
    a->v[a->n++] = x;
}

static uint32_t fbits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static float bitsf(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static size_t code_size(const tp_format_desc *d)
{
    return d->bits <= 8 ? 1 : d->bits <= 16 ? 2 : d->bits <= 32 ? 4 : 8;
}

/* A value and its binary32 neighbourhood: +-1, +-2 ulps (on the bits). */
static void push_near(vec *a, uint32_t b)
{
    for (int k = -2; k <= 2; k++)
        push(a, b + (uint32_t)k);
}

/* The binary32 encoding inputs: specials, every <= 8-bit format's codes,
 * midpoints and neighbours, all binary16 and bfloat16 patterns, a strided
 * sweep of all bit patterns, and random values. */
static void gen_f32(vec *a, uint64_t seed)
{
    static const uint32_t specials[] = {
        0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00000u,
        0x7F800001u, 0xFF800001u, 0x7FA00000u, 0x7FFFFFFFu, 0xFFFFFFFFu, 0x7FE00000u,
        0x7F900000u, 0x7FB00001u, 0x7FD55555u, 0x7F80FFFFu, 0x7F810000u, 0x00000001u,
        0x80000001u, 0x007FFFFFu, 0x807FFFFFu, 0x00400000u, 0x00800000u, 0x80800000u,
        0x7F7FFFFFu, 0xFF7FFFFFu, 0x3F800000u, 0xBF800000u,
    };
    uint64_t st = seed;
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        push_near(a, specials[i]);
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        if (d->bits > 8)
            continue;
        unsigned nc = 1u << d->bits;
        for (unsigned c = 0; c < nc; c++) {
            double v, w;
            if (quick && !keep_code8(c, nc))
                continue;
            if (tp_decode1(d, c, &v, NULL) != TP_OK || !isfinite(v))
                continue;
            push_near(a, fbits((float)v));
            if (c + 1 < nc && tp_decode1(d, c + 1, &w, NULL) == TP_OK && isfinite(w) &&
                (v < 0) == (w < 0)) {
                push_near(a, fbits((float)((v + w) / 2))); /* ties */
                push_near(a, fbits((float)(v + (w - v) / 4)));
            }
            if (v != 0) {
                push_near(a, fbits((float)(v * 1.5))); /* next binade's quantum tie */
                push_near(a, fbits((float)(v / 2)));
            }
        }
    }
    for (uint32_t h = 0; h < 65536; h++) {
        if (quick && !keep16(h))
            continue;
        push(a, h << 16); /* every bfloat16 */
        /* every binary16, widened exactly by hand */
        uint32_t s = (h & 0x8000u) << 16, e = (h >> 10) & 0x1F, m = h & 0x3FF;
        if (e == 0x1F)
            push(a, s | 0x7F800000u | (m << 13));
        else if (e != 0)
            push(a, s | ((e + 112) << 23) | (m << 13));
        else
            push(a, s | fbits((float)ldexp((double)m, -24)));
    }
    uint32_t step = quick ? 61 : 1; /* quick: a 61 times thinner sample */
    for (uint32_t i = 0; i < (1u << 16); i += step)
        push(a, i * 65536u + (uint32_t)(tpt_rand64(&st) & 0xFFFF));
    for (int i = 0; i < (1 << 15); i += (int)step)
        push(a, (uint32_t)tpt_rand64(&st));
    for (int i = 0; i < (1 << 15); i += (int)step) {
        uint64_t r = tpt_rand64(&st);
        double v = ldexp((double)(r >> 11) / 9007199254740992.0, (int)(r % 48) - 30);
        push(a, fbits((float)((r >> 10) & 1 ? -v : v)));
    }
}

/* ------------------------------------------------------------ the sweep */

/* Piece lengths: 0..70, then larger ones with odd tails. */
static size_t piece_len(size_t k)
{
    static const size_t big[] = { 127, 128, 129, 255, 1000, 4099, 64, 65, 191, 10007 };
    size_t r = k % (71 + 10);
    return r <= 70 ? r : big[r - 71];
}

typedef struct run {
    FILE *out;
    long detail; /* piece to dump in full, or -1 */
    long piece;  /* running piece index */
    uint64_t seed;
} run;

#define RED 16

/* Records one piece: hash of flags, codes and the red zone (or, in detail
 * mode, the whole piece). */
static void record(run *r, int kind, int f, int rnd, int ovf, size_t start, size_t n,
                   unsigned flags, const unsigned char *out, size_t osz)
{
    long k = r->piece++;
    if (r->detail < 0) {
        uint64_t h = TPT_FNV_INIT;
        h = tpt_fnv(h, &flags, sizeof flags);
        h = tpt_fnv(h, out, n * osz + RED);
        tpt_isa_put(r->out, h, 0);
    } else if (k == r->detail) {
        uint32_t hd[6] = { (uint32_t)kind, (uint32_t)f, (uint32_t)rnd, (uint32_t)ovf,
                           (uint32_t)start, (uint32_t)n };
        fwrite(hd, sizeof hd, 1, r->out);
        fwrite(&flags, sizeof flags, 1, r->out);
        fwrite(out, 1, n * osz + RED, r->out);
    }
}

enum { K_ENC32, K_ENC64, K_DEC32, K_DEC64 };

/* Aligned scratch with room for offsets and a red zone. */
static unsigned char *scratch(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes + 256) != 0)
        abort();
    return (unsigned char *)p;
}

static void sweep_encode(run *r, const vec *in, int f64src)
{
    size_t maxn = 10007;
    unsigned char *sbuf = scratch(maxn * 8), *dbuf = scratch(maxn * 8);
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        size_t csz = code_size(d);
        for (int rnd = TP_RNE; rnd <= TP_RSR; rnd++) {
            for (int ovf = TP_OVF_SAT; ovf <= TP_OVF_NONSAT; ovf++) {
                size_t pos = 0;
                for (size_t k = 0; pos < in->n; k++) {
                    size_t n = piece_len(k + (size_t)f * 7 + (size_t)rnd);
                    if (n > in->n - pos)
                        n = in->n - pos;
                    size_t soff = k % 4, doff = (k / 4) % 4;
                    unsigned char *dst = dbuf + 64 + doff * (csz == 1 ? 1 : csz);
                    memset(dbuf, 0xA5, maxn * 8 + 256);
                    tp_sr sr = { NULL, r->seed, pos };
                    unsigned flags = 0;
                    tp_status st;
                    if (!f64src) {
                        float *src = (float *)(void *)(sbuf + 64) + soff;
                        for (size_t i = 0; i < n; i++)
                            src[i] = bitsf(in->v[pos + i]);
                        tpt_fpenv_enter();
                        st = tp_encode_f32((tp_format)f, src, dst, n, (tp_round)rnd,
                                           (tp_overflow)ovf, &sr, &flags);
                        tpt_fpenv_leave();
                    } else {
                        double *src = (double *)(void *)(sbuf + 64) + soff;
                        for (size_t i = 0; i < n; i++) {
                            /* widened, and for odd i moved off the binary32 grid */
                            double v = (double)bitsf(in->v[pos + i]);
                            if ((i & 1) && isfinite(v) && v != 0)
                                v = nextafter(v, (i & 2) ? INFINITY : -INFINITY);
                            if ((i & 15) == 7 && fabs(v) < 0x1p-60) /* binary64 subnormal */
                                v = ldexp(v, -980);
                            src[i] = v;
                        }
                        tpt_fpenv_enter();
                        st = tp_encode_f64((tp_format)f, src, dst, n, (tp_round)rnd,
                                           (tp_overflow)ovf, &sr, &flags);
                        tpt_fpenv_leave();
                    }
                    if (st != TP_OK)
                        flags |= 0x80000000u | (unsigned)st;
                    record(r, f64src ? K_ENC64 : K_ENC32, f, rnd, ovf, pos, n, flags, dst, csz);
                    pos += n;
                }
            }
        }
    }
    free(sbuf);
    free(dbuf);
}

/* Decoding inputs of format f: every code once, then random codes. */
static void gen_codes(vec *c, const tp_format_desc *d, const vec *f32in, uint64_t seed)
{
    c->n = 0;
    if (d->bits == 32) {
        for (size_t i = 0; i < f32in->n; i += 3)
            push(c, f32in->v[i]);
        return;
    }
    uint64_t st = seed ^ d->bits;
    uint32_t nc = 1u << d->bits;
    /* quick: 16-bit codes thinned; enough random codes that the pieces
     * still reach every length up to 70 and a few of the larger ones */
    for (uint32_t k = 0; k < nc; k++)
        if (!quick || d->bits <= 8 || keep16(k))
            push(c, k);
    for (int i = 0; i < (quick ? 3000 : 20000); i++)
        push(c, (uint32_t)(tpt_rand64(&st) & (nc - 1)));
}

static void sweep_decode(run *r, const vec *f32in, int to64)
{
    size_t maxn = 10007;
    unsigned char *sbuf = scratch(maxn * 8), *dbuf = scratch(maxn * 8);
    vec codes = { NULL, 0, 0 };
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        size_t csz = code_size(d), osz = to64 ? 8 : 4;
        if (d->bits == 64)
            continue;
        gen_codes(&codes, d, f32in, r->seed);
        size_t pos = 0;
        for (size_t k = 0; pos < codes.n; k++) {
            size_t n = piece_len(k + (size_t)f);
            if (n > codes.n - pos)
                n = codes.n - pos;
            size_t soff = k % 4, doff = (k / 4) % 4;
            unsigned char *src = sbuf + 64 + soff * (csz == 1 ? 1 : csz);
            unsigned char *dst = dbuf + 64 + doff * osz;
            for (size_t i = 0; i < n; i++) {
                uint32_t v = codes.v[pos + i];
                if (csz == 1)
                    src[i] = (unsigned char)v;
                else if (csz == 2) {
                    uint16_t h = (uint16_t)v;
                    memcpy(src + 2 * i, &h, 2);
                } else {
                    memcpy(src + 4 * i, &v, 4);
                }
            }
            memset(dbuf, 0x5A, maxn * 8 + 256);
            unsigned flags = 0;
            tpt_fpenv_enter();
            tp_status st = to64 ? tp_decode_f64((tp_format)f, src, (double *)(void *)dst, n, &flags)
                                : tp_decode_f32((tp_format)f, src, (float *)(void *)dst, n, &flags);
            tpt_fpenv_leave();
            if (st != TP_OK)
                flags |= 0x80000000u | (unsigned)st;
            record(r, to64 ? K_DEC64 : K_DEC32, f, 0, 0, pos, n, flags, dst, osz);
            pos += n;
        }
    }
    free(codes.v);
    free(sbuf);
    free(dbuf);
}

static void sweep_all(run *r, const vec *in)
{
    sweep_encode(r, in, 0);
    sweep_decode(r, in, 0);
    sweep_decode(r, in, 1);
    sweep_encode(r, in, 1);
}

/* The child: the sweep over the generated inputs. */
static void isa_sweep(FILE *out, long detail)
{
    run r = { out, detail, 0, tpt_seed() };
    vec in = { NULL, 0, 0 };
    gen_f32(&in, r.seed);
    sweep_all(&r, &in);
    free(in.v);
}

/* ------------------------------------------------------------ the parent */

static const char *kind_name[] = { "encode_f32", "encode_f64", "decode_f32", "decode_f64" };
static const char *rnd_name[] = { "RNE", "RNA", "RTZ", "RUP", "RDN", "RTO", "RSR" };

/* Explains the first difference between the ref and isa dumps of a piece. */
static void explain(const char *isa, const unsigned char *a, size_t la, const unsigned char *b,
                    size_t lb)
{
    if (a == NULL || b == NULL || la < 28 || lb < 28) {
        printf("  (detail output missing)\n");
        return;
    }
    uint32_t hd[6];
    unsigned fa, fb;
    memcpy(hd, a, sizeof hd);
    memcpy(&fa, a + 24, 4);
    memcpy(&fb, b + 24, 4);
    const tp_format_desc *d = tp_format_get((tp_format)hd[1]);
    int kind = (int)hd[0];
    size_t osz = kind <= K_ENC64 ? code_size(d) : kind == K_DEC32 ? 4 : 8;
    size_t n = hd[5];
    printf("  first mismatch: %s format %s", kind_name[kind], d->name);
    if (kind <= K_ENC64)
        printf(" mode %s policy %s", rnd_name[hd[2]], hd[3] == TP_OVF_SAT ? "SAT" : "NONSAT");
    printf(", piece at input %u, n = %zu\n", hd[4], n);
    printf("  flags ref 0x%x, %s 0x%x\n", fa, isa, fb);
    const unsigned char *oa = a + 28, *ob = b + 28;
    vec in = { NULL, 0, 0 }, codes = { NULL, 0, 0 };
    gen_f32(&in, tpt_seed());
    if (kind >= K_DEC32)
        gen_codes(&codes, d, &in, tpt_seed());
    for (size_t i = 0; i < n * osz + RED && i < la - 28 && i < lb - 28; i++) {
        if (oa[i] == ob[i])
            continue;
        size_t e = i / osz;
        uint64_t ca = 0, cb = 0;
        if (e < n) {
            memcpy(&ca, oa + e * osz, osz);
            memcpy(&cb, ob + e * osz, osz);
            uint32_t inb = kind >= K_DEC32 ? codes.v[hd[4] + e] : in.v[hd[4] + e];
            printf("  element %zu: input bits 0x%08x%s: ref 0x%llx, %s 0x%llx\n", e, inb,
                   kind == K_ENC64 && (e & 1) ? " (then moved 1 ulp in binary64)"
                   : kind == K_ENC64 && (e & 15) == 7 ? " (then maybe times 2^-980)" : "",
                   (unsigned long long)ca, isa, (unsigned long long)cb);
        } else {
            printf("  red zone after the output overwritten at byte %zu\n", i - n * osz);
        }
        break;
    }
    free(in.v);
    free(codes.v);
}

int main(int argc, char **argv)
{
    static const tpt_isa_suite suite = {
        "check_isa", "isa", "isa", ENV_OUT, ENV_DETAIL, MAGIC,
        "codes, flags, red zones", isa_sweep, explain,
    };
    int status = 0;
    (void)argc;
    quick = tpt_quick();
    if (tpt_isa_child(&suite, &status))
        return status;
    tpt_banner(suite.program);
    if (quick)
        printf("# tier: quick (reduced sweeps)\n");
    Suite *su = suite_create(suite.suite);
    tpt_isa_add(su, &suite, argv[0]);
    return tpt_run(su);
}
