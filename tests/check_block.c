/*
 * check_block.c -- block formats (OCP MX, NVFP4, BFP, ggml) against the MPFR
 * oracle (tests/oracle/oracle_block.h) and exhaustive enumeration.  Every
 * comparison is on bits.
 *
 * Under TP_TEST_TIER=quick (testutil.h) every test runs on fewer values:
 * one random block per (kind, rule, mode) instead of several, the scale
 * exponents near the E8M0 clamp and the binary32 subnormal edges plus every
 * 64th, every 17th scale code plus both ends, smaller tensors and fewer
 * iterations.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "oracle_block.h"
#include "testutil.h"

/* Nonzero in the reduced tier (TP_TEST_TIER=quick); set by main(). */
static int quick;

/* ------------------------------------------------------------ configurations */

static const char *const cfg_names[] = {
    "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4",  "mxint8",
    "nvfp4",      "nvfp4_torchao", "bfp2_8",  "bfp4_16",    "bfp8_32", "bfp12_64",
    "bfp16_256",  "bfp3_24",    "ggml_mxfp4", "ggml_q8_0",
};
#define N_CFG ((int)(sizeof cfg_names / sizeof cfg_names[0]))

static tp_block_desc cfg(int i)
{
    tp_block_desc b;
    ck_assert_int_eq(tp_block_from_name(cfg_names[i], &b), TP_OK);
    return b;
}

static int is_ggml(const tp_block_desc *b)
{
    return b->format == TP_BLOCK_GGML_MXFP4 || b->format == TP_BLOCK_GGML_Q8_0;
}

static uint32_t f2u(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

static float u2f(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}

static uint64_t d2u(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return u;
}

/* Element storage bits of the default layout, read from the test's own
 * understanding of the documented layout. */
static int elem_bits(const tp_block_desc *b)
{
    switch (b->format) {
    case TP_BLOCK_MXFP4:
    case TP_BLOCK_NVFP4: return 4;
    case TP_BLOCK_BFP: return b->mant_bits <= 8 ? 8 : 16;
    default: return 8;
    }
}

/* Reads block `blk` of the library's output as (scale, unpacked codes). */
static void lib_unpack(const tp_block_desc *b, const uint8_t *scales, const uint8_t *elems,
                       size_t blk, uint32_t *scale, uint64_t *codes)
{
    int bs = b->block_size;
    if (b->format == TP_BLOCK_GGML_MXFP4) {
        const uint8_t *p = elems + blk * 17;
        *scale = p[0];
        for (int j = 0; j < 16; j++) {
            codes[j] = p[1 + j] & 0xF;
            codes[j + 16] = p[1 + j] >> 4;
        }
        return;
    }
    if (b->format == TP_BLOCK_GGML_Q8_0) {
        const uint8_t *p = elems + blk * 34;
        *scale = (uint32_t)p[0] | ((uint32_t)p[1] << 8);
        for (int j = 0; j < 32; j++)
            codes[j] = p[2 + j];
        return;
    }
    *scale = scales[blk];
    for (int j = 0; j < bs; j++) {
        size_t i = blk * (size_t)bs + (size_t)j;
        switch (elem_bits(b)) {
        case 4: codes[j] = (i % 2 == 0) ? (elems[i / 2] & 0xF) : (elems[i / 2] >> 4); break;
        case 8: codes[j] = elems[i]; break;
        default: {
            uint16_t v;
            memcpy(&v, elems + 2 * i, 2);
            codes[j] = v;
        }
        }
    }
}

/* Writes (scale, codes) of block `blk` in the library's layout (test side). */
static void lib_pack(const tp_block_desc *b, uint8_t *scales, uint8_t *elems, size_t blk,
                     uint32_t scale, const uint64_t *codes)
{
    int bs = b->block_size;
    if (is_ggml(b)) {
        uint8_t tmp[64];
        int nb = orb_ggml_bytes(b, scale, codes, tmp);
        memcpy(elems + blk * (size_t)nb, tmp, (size_t)nb);
        return;
    }
    scales[blk] = (uint8_t)scale;
    for (int j = 0; j < bs; j++) {
        size_t i = blk * (size_t)bs + (size_t)j;
        switch (elem_bits(b)) {
        case 4:
            if (i % 2 == 0)
                elems[i / 2] = (uint8_t)((elems[i / 2] & 0xF0) | codes[j]);
            else
                elems[i / 2] = (uint8_t)((elems[i / 2] & 0x0F) | (codes[j] << 4));
            break;
        case 8: elems[i] = (uint8_t)codes[j]; break;
        default: {
            uint16_t v = (uint16_t)codes[j];
            memcpy(elems + 2 * i, &v, 2);
        }
        }
    }
}

/* ------------------------------------------------------------ data */

static uint64_t rng;

static uint32_t r32(void)
{
    return (uint32_t)(tpt_rand64(&rng) >> 32);
}

/* A binary32 with biased exponent field in [elo, ehi] (0 = subnormal). */
static float rand_f32(int elo, int ehi)
{
    int e = elo + (int)(r32() % (uint32_t)(ehi - elo + 1));
    uint32_t u = (r32() & 0x807FFFFFu) | ((uint32_t)e << 23);
    return u2f(u);
}

/* Significands (times 2^23) at and around every clamping threshold of
 * formats.md section 3.2 and the RCEIL/EVEN switch points. */
static const uint32_t thr_sig[] = {
    0x800000, 0xC00000, 0xE00000, 0xE80000, 0xF00000, 0xF80000, 0xFE0000, 0xFF0000, 0xFFFFFF,
    0xD00000, 0xF40000, 0xFC0000, 0xFF8000, 0xFFC000,
};
#define N_THR ((int)(sizeof thr_sig / sizeof thr_sig[0]))

/* Fills a block of kind `kind` (0..9). */
static void make_block(float *x, int bs, int kind)
{
    int base = 1 + (int)(r32() % 254), spread = (int)(r32() % 24);
    int lo = base - spread < 0 ? 0 : base - spread;
    for (int j = 0; j < bs; j++)
        x[j] = rand_f32(lo, base);
    int at = (int)(r32() % (uint32_t)bs);
    switch (kind) {
    case 0: break; /* random magnitudes */
    case 1: /* zeros mixed in */
        for (int j = 0; j < bs; j += 3)
            x[j] = (r32() & 1) ? -0.0f : 0.0f;
        break;
    case 2: /* amax at a threshold significand, any binade */
    case 3: {
        uint32_t sig = thr_sig[r32() % N_THR];
        if (kind == 3 && (r32() & 1))
            sig -= 1; /* just below */
        else if (kind == 3)
            sig += 1;
        if (sig >= 0x1000000)
            sig = 0xFFFFFF;
        int e = 1 + (int)(r32() % 254);
        for (int j = 0; j < bs; j++)
            x[j] = ldexpf(x[j], -40); /* smaller than amax */
        x[at] = u2f(((uint32_t)e << 23) | (sig & 0x7FFFFF) | ((r32() & 1) << 31));
        break;
    }
    case 4: /* subnormal amax */
        for (int j = 0; j < bs; j++)
            x[j] = rand_f32(0, 0);
        break;
    case 5: /* amax near the E8M0 clamps: tiny normals and the top binades */
        for (int j = 0; j < bs; j++)
            x[j] = rand_f32((r32() & 1) ? 1 : 250, (r32() & 1) ? 8 : 254);
        break;
    case 6: /* all zero */
        for (int j = 0; j < bs; j++)
            x[j] = (r32() & 1) ? -0.0f : 0.0f;
        break;
    case 7: x[at] = u2f(0x7FC00000u | (r32() & 0x803FFFFFu)); break; /* a NaN */
    case 8: x[at] = (r32() & 1) ? INFINITY : -INFINITY; break;      /* an Inf */
    default:                                                         /* all NaN */
        for (int j = 0; j < bs; j++)
            x[j] = u2f(0x7FC00001u);
        break;
    }
}
#define N_KIND 10

/* ------------------------------------------------------------ checks */

/* Quantises one block with the library and the oracle and compares scale,
 * codes and flags, then dequantises both ways. */
static void check_one(const tp_block_desc *b, const float *x, float ts, tp_scale_rule rule,
                      tp_round rnd, const tp_sr *sr, const char *what)
{
    int bs = b->block_size;
    uint8_t scales[4], elems[600];
    uint32_t rb[256];
    memset(elems, 0xA5, sizeof elems);
    for (int j = 0; j < bs; j++)
        rb[j] = sr == NULL ? 0 : sr->bits[j];
    unsigned fl = 0, fo = 0;
    ck_assert_int_eq(tp_block_quantize_f32(b, x, (size_t)bs, scales, elems, ts, rule, rnd, sr, &fl),
                     TP_OK);
    uint32_t sl, so;
    uint64_t cl[256], co[256];
    ck_assert_int_eq(orb_quantize(b, x, ts, rule, rnd, rb, &so, co, &fo), 0);
    lib_unpack(b, scales, elems, 0, &sl, cl);
    if (sl != so || fl != fo) {
        fprintf(stderr, "%s rule %d rnd %d: scale lib 0x%x oracle 0x%x flags lib %u oracle %u\n",
                what, (int)rule, (int)rnd, sl, so, fl, fo);
        for (int j = 0; j < bs; j++)
            fprintf(stderr, "  x[%d] = 0x%08x -> lib 0x%llx oracle 0x%llx\n", j, f2u(x[j]),
                    (unsigned long long)cl[j], (unsigned long long)co[j]);
    }
    ck_assert_uint_eq(sl, so);
    ck_assert_uint_eq(fl, fo);
    for (int j = 0; j < bs; j++) {
        if (cl[j] != co[j])
            fprintf(stderr, "%s rule %d rnd %d: x[%d] = 0x%08x scale 0x%x lib 0x%llx oracle 0x%llx\n",
                    what, (int)rule, (int)rnd, j, f2u(x[j]), sl, (unsigned long long)cl[j],
                    (unsigned long long)co[j]);
        ck_assert_uint_eq(cl[j], co[j]);
    }
    if (is_ggml(b)) { /* byte for byte */
        uint8_t ob[64];
        int nb = orb_ggml_bytes(b, so, co, ob);
        ck_assert_int_eq(memcmp(ob, elems, (size_t)nb), 0);
    }
    /* dequantise(quantise(x)) */
    float y32[256];
    double y64[256];
    uint64_t o64[256];
    uint32_t o32[256];
    unsigned dl = 0, dl64 = 0, dor = 0;
    ck_assert_int_eq(tp_block_dequantize_f32(b, scales, elems, (size_t)bs, ts, y32, &dl), TP_OK);
    ck_assert_int_eq(tp_block_dequantize_f64(b, scales, elems, (size_t)bs, ts, y64, &dl64), TP_OK);
    ck_assert_int_eq(orb_dequantize(b, so, co, ts, o64, o32, &dor), 0);
    for (int j = 0; j < bs; j++) {
        ck_assert_uint_eq(f2u(y32[j]), o32[j]);
        ck_assert_uint_eq(d2u(y64[j]), o64[j]);
    }
    ck_assert_uint_eq(dl, dor);
}

static const tp_scale_rule rules[] = {TP_SCALE_FLOOR, TP_SCALE_RCEIL, TP_SCALE_CEIL, TP_SCALE_EVEN};

/* Random blocks of every kind, every rule and every rounding mode. */
START_TEST(test_vs_oracle)
{
    tp_block_desc b = cfg(_i);
    rng = tpt_seed() ^ (uint64_t)(_i + 1) * 0x9E3779B97F4A7C15u;
    int bs = b.block_size;
    float x[256];
    uint32_t bits[256];
    tp_sr sr = {bits, 0, 0};
    int per = bs > 64 ? 3 : 12;
    for (int kind = 0; kind < N_KIND; kind++) {
        for (int ri = 0; ri < 4; ri++) {
            for (int rnd = TP_RNE; rnd <= TP_RSR; rnd++) {
                /* quick: one block, its t rotating so that every tensor
                 * scale choice below still occurs */
                int t0 = quick ? (kind * 28 + ri * 7 + rnd) % per : 0;
                for (int t = t0; t < (quick ? t0 + 1 : per); t++) {
                    make_block(x, bs, kind);
                    for (int j = 0; j < bs; j++)
                        bits[j] = r32();
                    float ts = 1.0f;
                    if (b.format == TP_BLOCK_NVFP4) {
                        /* a tensor scale from a larger tensor, or random */
                        float am = fabsf(x[0]);
                        for (int j = 1; j < bs; j++)
                            if (isfinite(x[j]) && fabsf(x[j]) > am)
                                am = fabsf(x[j]);
                        if (!isfinite(am))
                            am = 1.0f;
                        float big = ldexpf(am, (int)(r32() % 9));
                        am = (t % 3 == 0 || !isfinite(big)) ? am : big;
                        ts = orb_nvfp4_tensor_scale(b.recipe, am);
                        if (t % 4 == 3)
                            ts = fabsf(rand_f32(1, 254));
                    }
                    check_one(&b, x, ts, rules[ri], (tp_round)rnd,
                              rnd == TP_RSR ? &sr : NULL, cfg_names[_i]);
                }
            }
        }
    }
}
END_TEST

/* Every scale code at both ends: amax = element max * 2^e for every e,
 * and the next binary32 above and below. */
START_TEST(test_every_scale_code)
{
    tp_block_desc b = cfg(_i);
    if (b.format == TP_BLOCK_NVFP4 || b.format == TP_BLOCK_GGML_Q8_0)
        return;
    rng = tpt_seed() + 77;
    int bs = b.block_size;
    float x[256];
    /* quick: the exponent of the bottom E8M0 clamp, -127 + emax of the
     * element format (2^emax <= its largest value < 2^(emax+1)) */
    int clamp = -127;
    if (quick) {
        tp_format_desc st;
        const tp_format_desc *ed = orb_elem_desc(&b, &st);
        uint64_t mm;
        double mx;
        int ex;
        ck_assert_int_eq(orc_max_mag(ed, &mm), 0);
        ck_assert_int_eq(orc_grid_value(ed, mm, &mx), 0);
        frexp(mx, &ex);
        clamp += ex - 1;
    }
    for (int e = -160; e <= 130; e++) {
        /* quick: the smallest binary32 subnormals, the smallest normal, the
         * clamp +-2, the top binades, and every 64th exponent */
        if (quick && !((e >= -150 && e <= -147) || (e >= -127 && e <= -125) ||
                       (e >= clamp - 2 && e <= clamp + 2) || e >= 125 || e % 64 == 0))
            continue;
        for (int d = -1; d <= 1; d++) {
            float a = ldexpf(1.0f, e);
            if (d != 0)
                a = nextafterf(a, d > 0 ? INFINITY : 0.0f);
            if (!isfinite(a) || a == 0.0f)
                continue;
            for (int j = 0; j < bs; j++) /* smaller elements, signs mixed */
                x[j] = a * ((float)(r32() >> 8) * 0x1p-24f) * ((r32() & 1) ? 1.0f : -1.0f);
            x[e & 7] = a;
            for (int ri = 0; ri < 4; ri++)
                check_one(&b, x, 1.0f, rules[ri], TP_RNE, NULL, cfg_names[_i]);
        }
    }
}
END_TEST

/* Exhaustive decode of every (scale, element) pair for FP4/FP6/FP8/INT8
 * elements: blocks holding successive codes, every scale code. */
START_TEST(test_exhaustive_decode)
{
    tp_block_desc b = cfg(_i);
    if (b.format == TP_BLOCK_BFP || b.format == TP_BLOCK_GGML_Q8_0)
        return;
    int bs = b.block_size;
    tp_format_desc st;
    const tp_format_desc *ed = orb_elem_desc(&b, &st);
    unsigned ncodes = 1u << ed->bits;
    static const float tss[] = {1.0f, 0x1p-149f, 3.0f, FLT_MAX, 0x1.3p-20f};
    int nts = b.format == TP_BLOCK_NVFP4 ? 5 : 1;
    for (int t = 0; t < nts; t++) {
        for (unsigned sc = 0; sc < 256; sc++) {
            /* quick: every 17th scale code, and both ends */
            if (quick && sc % 17 != 0 && sc > 3 && sc < 252 && (sc < 125 || sc > 129))
                continue;
            for (unsigned c0 = 0; c0 < ncodes; c0 += (unsigned)bs) {
                uint64_t codes[256];
                uint8_t scales[1], elems[64];
                memset(elems, 0, sizeof elems);
                for (int j = 0; j < bs; j++)
                    codes[j] = (c0 + (unsigned)j) % ncodes;
                lib_pack(&b, scales, elems, 0, sc, codes);
                float y32[256];
                double y64[256];
                uint64_t o64[256];
                uint32_t o32[256];
                unsigned fl = 0, fo = 0;
                ck_assert_int_eq(tp_block_dequantize_f32(&b, scales, elems, (size_t)bs, tss[t], y32,
                                                         &fl), TP_OK);
                ck_assert_int_eq(tp_block_dequantize_f64(&b, scales, elems, (size_t)bs, tss[t], y64,
                                                         NULL), TP_OK);
                ck_assert_int_eq(orb_dequantize(&b, sc, codes, tss[t], o64, o32, &fo), 0);
                for (int j = 0; j < bs; j++) {
                    if (f2u(y32[j]) != o32[j] || d2u(y64[j]) != o64[j])
                        fprintf(stderr, "%s scale 0x%02x code 0x%llx: f32 lib 0x%08x oracle 0x%08x\n",
                                cfg_names[_i], sc, (unsigned long long)codes[j], f2u(y32[j]),
                                o32[j]);
                    ck_assert_uint_eq(f2u(y32[j]), o32[j]);
                    ck_assert_uint_eq(d2u(y64[j]), o64[j]);
                }
                ck_assert_uint_eq(fl, fo);
            }
        }
    }
}
END_TEST

/* Values stated in formats.md (not computed by the library). */
START_TEST(test_known_values)
{
    tp_block_desc b;
    float x[32];
    uint8_t sc[1], el[32];
    unsigned fl = 0;
    /* microsoft/microxcaling#4: E4M3 amax 960 -> X = 2, 957 -> 448 -> 896. */
    ck_assert_int_eq(tp_block_preset(TP_BLOCK_MXFP8_E4M3, &b), TP_OK);
    for (int j = 0; j < 32; j++)
        x[j] = 1.0f;
    x[0] = 960.0f;
    x[1] = 957.0f;
    ck_assert_int_eq(tp_block_quantize_f32(&b, x, 32, sc, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl),
                     TP_OK);
    ck_assert_uint_eq(sc[0], 128);
    ck_assert_uint_eq(el[1], 0x7E);
    ck_assert(fl & TP_FLAG_OVERFLOW);
    float y[32];
    ck_assert_int_eq(tp_block_dequantize_f32(&b, sc, el, 32, 0, y, NULL), TP_OK);
    ck_assert(y[1] == 896.0f);
    /* MXFP4 amax 7 (formats.md 3.3): FLOOR X = 1, 7 -> 6; RCEIL X = 2, 3.5 -> 4. */
    ck_assert_int_eq(tp_block_preset(TP_BLOCK_MXFP4, &b), TP_OK);
    for (int j = 0; j < 32; j++)
        x[j] = 0.0f;
    x[0] = 7.0f;
    ck_assert_int_eq(tp_block_quantize_f32(&b, x, 32, sc, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, NULL),
                     TP_OK);
    ck_assert_uint_eq(sc[0], 127);
    ck_assert_uint_eq(el[0] & 0xF, 0x7);
    ck_assert_int_eq(tp_block_quantize_f32(&b, x, 32, sc, el, 0, TP_SCALE_RCEIL, TP_RNE, NULL, NULL),
                     TP_OK);
    ck_assert_uint_eq(sc[0], 128);
    ck_assert_uint_eq(el[0] & 0xF, 0x6);
    /* Signed zero: -0.1 with scale 1 rounds to -0 (code 0x8). */
    x[1] = -0.1f;
    ck_assert_int_eq(tp_block_quantize_f32(&b, x, 32, sc, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, NULL),
                     TP_OK);
    ck_assert_uint_eq(el[0] >> 4, 0x8);
    /* Decoding: 0xFF is NaN, 0x00 is 2^-127 (FP4 code 2 = 1.0). */
    sc[0] = 0x00;
    memset(el, 0x22, 16);
    ck_assert_int_eq(tp_block_dequantize_f32(&b, sc, el, 32, 0, y, NULL), TP_OK);
    ck_assert_uint_eq(f2u(y[0]), 0x00400000u);
    sc[0] = 0xFF;
    ck_assert_int_eq(tp_block_dequantize_f32(&b, sc, el, 32, 0, y, NULL), TP_OK);
    ck_assert_uint_eq(f2u(y[0]), 0x7FC00000u);
    /* MXINT8: -2 is decoded, never produced; saturation at -127/64. */
    ck_assert_int_eq(tp_block_preset(TP_BLOCK_MXINT8, &b), TP_OK);
    for (int j = 0; j < 32; j++)
        x[j] = 0.0f;
    x[0] = 1.0f;
    x[1] = -1.999f;
    ck_assert_int_eq(tp_block_quantize_f32(&b, x, 32, sc, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, NULL),
                     TP_OK);
    ck_assert_uint_eq(sc[0], 127);
    ck_assert_uint_eq(el[1], 0x81);
    el[1] = 0x80;
    ck_assert_int_eq(tp_block_dequantize_f32(&b, sc, el, 32, 0, y, NULL), TP_OK);
    ck_assert(y[1] == -2.0f);
}
END_TEST

/* ggml layouts: bytes round-trip through dequantise + quantise (FLOOR) when
 * the block's max code sits in the top binade, and dequantised values equal
 * those of the default layout. */
START_TEST(test_ggml_layouts)
{
    rng = tpt_seed() + 5;
    tp_block_desc g, d;
    ck_assert_int_eq(tp_block_preset(TP_BLOCK_GGML_MXFP4, &g), TP_OK);
    ck_assert_int_eq(tp_block_preset(TP_BLOCK_MXFP4, &d), TP_OK);
    for (int t = 0; t < (quick ? 200 : 2000); t++) {
        uint8_t gb[17 * 4], sc[4], el[64], back[17 * 4];
        for (int i = 0; i < 17 * 4; i++)
            gb[i] = (uint8_t)r32();
        for (int blk = 0; blk < 4; blk++) {
            gb[blk * 17] = (uint8_t)(r32() % 253); /* scales up to 2^125: f32 finite */
            gb[blk * 17 + 1] = (uint8_t)((gb[blk * 17 + 1] & 0xF0) | ((r32() & 1) ? 0x6 : 0xF));
        }
        float y[128], z[128];
        ck_assert_int_eq(tp_block_dequantize_f32(&g, NULL, gb, 128, 0, y, NULL), TP_OK);
        /* the same blocks in the default layout */
        for (int blk = 0; blk < 4; blk++) {
            uint32_t s;
            uint64_t codes[32];
            lib_unpack(&g, NULL, gb, (size_t)blk, &s, codes);
            lib_pack(&d, sc, el, (size_t)blk, s, codes);
        }
        ck_assert_int_eq(tp_block_dequantize_f32(&d, sc, el, 128, 0, z, NULL), TP_OK);
        ck_assert_int_eq(memcmp(y, z, sizeof y), 0);
        ck_assert_int_eq(tp_block_quantize_f32(&g, y, 128, NULL, back, 0, TP_SCALE_FLOOR, TP_RNE,
                                               NULL, NULL), TP_OK);
        ck_assert_int_eq(memcmp(back, gb, sizeof gb), 0);
    }
    ck_assert_int_eq(tp_block_preset(TP_BLOCK_GGML_Q8_0, &g), TP_OK);
    for (int t = 0; t < (quick ? 200 : 2000); t++) {
        uint8_t gb[34], back[34];
        uint16_t dh = (uint16_t)(r32() % 0x7C00); /* positive finite binary16 */
        gb[0] = (uint8_t)(dh & 0xFF);
        gb[1] = (uint8_t)(dh >> 8);
        for (int j = 0; j < 32; j++)
            gb[2 + j] = (uint8_t)(int8_t)((int)(r32() % 255) - 127);
        gb[2 + (r32() % 32)] = (r32() & 1) ? 127 : (uint8_t)(int8_t)-127;
        float y[32];
        ck_assert_int_eq(tp_block_dequantize_f32(&g, NULL, gb, 32, 0, y, NULL), TP_OK);
        ck_assert_int_eq(tp_block_quantize_f32(&g, y, 32, NULL, back, 0, TP_SCALE_FLOOR, TP_RNA,
                                               NULL, NULL), TP_OK);
        if (dh == 0) /* d = 0 decodes to zeros, which quantise to zero codes */
            continue;
        ck_assert_int_eq(memcmp(back, gb, sizeof gb), 0);
    }
}
END_TEST

/* Whole tensors with stochastic rounding from the generator: element i of
 * the call draws word i. */
START_TEST(test_tensor_sr)
{
    tp_block_desc b = cfg(_i);
    rng = tpt_seed() + 11;
    int bs = b.block_size, nb = 4;
    size_t n = (size_t)bs * (size_t)nb;
    float *x = malloc(n * sizeof *x);
    uint8_t scales[4], *elems = malloc(n * 2 + 200);
    ck_assert(x != NULL && elems != NULL);
    for (size_t i = 0; i < n; i += (size_t)bs)
        make_block(x + i, bs, (int)(r32() % 6));
    tp_sr sr = {NULL, 12345, 1000};
    float ts = b.format == TP_BLOCK_NVFP4 ? 0.75f : 1.0f;
    unsigned fl = 0, fo = 0;
    ck_assert_int_eq(tp_block_quantize_f32(&b, x, n, scales, elems, ts, TP_SCALE_FLOOR, TP_RSR, &sr,
                                           &fl), TP_OK);
    for (int blk = 0; blk < nb; blk++) {
        uint32_t rb[256], so, sl;
        uint64_t co[256], cl[256];
        for (int j = 0; j < bs; j++)
            rb[j] = orc_sr_word(12345, 1000 + (uint64_t)blk * (uint64_t)bs + (uint64_t)j);
        ck_assert_int_eq(orb_quantize(&b, x + (size_t)blk * (size_t)bs, ts, TP_SCALE_FLOOR, TP_RSR,
                                      rb, &so, co, &fo), 0);
        lib_unpack(&b, scales, elems, (size_t)blk, &sl, cl);
        ck_assert_uint_eq(sl, so);
        for (int j = 0; j < bs; j++)
            ck_assert_uint_eq(cl[j], co[j]);
    }
    ck_assert_uint_eq(fl, fo);
    free(x);
    free(elems);
}
END_TEST

/* bfloat16 input equals binary32 input of the widened values; 2-D along
 * either axis equals 1-D on the gathered blocks. */
START_TEST(test_bf16_and_2d)
{
    tp_block_desc b = cfg(_i);
    rng = tpt_seed() + 13;
    /* quick: blocks of more than 64 values make a tensor of one block
     * along either axis (bs blocks in all) */
    size_t bs = b.block_size, rows = (quick && bs > 64 ? 1 : 2) * bs;
    size_t cols = (quick && bs > 64 ? 1 : 2) * bs, ld = cols + 3;
    size_t n = rows * cols;
    float *m = malloc(rows * ld * sizeof *m), *g = malloc(n * sizeof *g);
    uint16_t *h = malloc(n * sizeof *h);
    size_t sb, eb;
    ck_assert_int_eq(tp_block_storage(&b, n, &sb, &eb), TP_OK);
    uint8_t *s1 = malloc(sb + 1), *s2 = malloc(sb + 1), *e1 = malloc(eb), *e2 = malloc(eb);
    float *back = malloc(rows * ld * sizeof *back);
    ck_assert(m && g && h && s1 && s2 && e1 && e2 && back);
    for (size_t i = 0; i < n; i++) {
        h[i] = (uint16_t)(f2u(rand_f32(100, 150)) >> 16);
        g[i] = u2f((uint32_t)h[i] << 16);
    }
    float ts = b.format == TP_BLOCK_NVFP4 ? 0.01f : 1.0f;
    unsigned f1 = 0, f2 = 0;
    ck_assert_int_eq(tp_block_quantize_bf16(&b, h, n, s1, e1, ts, TP_SCALE_EVEN, TP_RNE, NULL, &f1),
                     TP_OK);
    ck_assert_int_eq(tp_block_quantize_f32(&b, g, n, s2, e2, ts, TP_SCALE_EVEN, TP_RNE, NULL, &f2),
                     TP_OK);
    ck_assert_int_eq(memcmp(s1, s2, sb), 0);
    ck_assert_int_eq(memcmp(e1, e2, eb), 0);
    ck_assert_uint_eq(f1, f2);
    for (int axis = 0; axis <= 1; axis++) {
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < ld; c++)
                m[r * ld + c] = c < cols ? rand_f32(90, 160) : NAN;
        for (size_t t = 0; t < n; t++) /* gathered order */
            g[t] = axis == 1 ? m[(t / cols) * ld + t % cols] : m[(t % rows) * ld + t / rows];
        ck_assert_int_eq(tp_block_quantize_2d_f32(&b, m, rows, cols, ld, axis, s1, e1, ts,
                                                  TP_SCALE_FLOOR, TP_RNE, NULL, NULL), TP_OK);
        ck_assert_int_eq(tp_block_quantize_f32(&b, g, n, s2, e2, ts, TP_SCALE_FLOOR, TP_RNE, NULL,
                                               NULL), TP_OK);
        ck_assert_int_eq(memcmp(s1, s2, sb), 0);
        ck_assert_int_eq(memcmp(e1, e2, eb), 0);
        for (size_t i = 0; i < rows * ld; i++)
            back[i] = -7.0f;
        ck_assert_int_eq(tp_block_dequantize_2d_f32(&b, s1, e1, rows, cols, axis, ts, back, ld, NULL),
                         TP_OK);
        ck_assert_int_eq(tp_block_dequantize_f32(&b, s2, e2, n, ts, g, NULL), TP_OK);
        for (size_t t = 0; t < n; t++) {
            size_t r = axis == 1 ? t / cols : t % rows, c = axis == 1 ? t % cols : t / rows;
            ck_assert_uint_eq(f2u(back[r * ld + c]), f2u(g[t]));
        }
        for (size_t r = 0; r < rows; r++)
            for (size_t c = cols; c < ld; c++)
                ck_assert(back[r * ld + c] == -7.0f);
    }
    free(m);
    free(g);
    free(h);
    free(s1);
    free(s2);
    free(e1);
    free(e2);
    free(back);
}
END_TEST

START_TEST(test_nvfp4_tensor_scale)
{
    rng = tpt_seed() + 17;
    for (int recipe = 0; recipe <= 1; recipe++) {
        tp_block_desc b;
        ck_assert_int_eq(tp_block_from_name(recipe ? "nvfp4_torchao" : "nvfp4", &b), TP_OK);
        for (int t = 0; t < (quick ? 300 : 3000); t++) {
            float x[3] = {rand_f32(0, 254), rand_f32(0, 254), t % 2 ? INFINITY : NAN};
            if (t % 100 == 0)
                x[0] = x[1] = 0.0f;
            float s;
            ck_assert_int_eq(tp_nvfp4_tensor_scale(&b, x, 3, &s), TP_OK);
            float am = fabsf(x[0]) > fabsf(x[1]) ? fabsf(x[0]) : fabsf(x[1]);
            ck_assert_uint_eq(f2u(s), f2u(orb_nvfp4_tensor_scale(recipe, am)));
        }
    }
}
END_TEST

START_TEST(test_names)
{
    static const struct {
        const char *name;
        int format, mant, bs, recipe;
    } ok[] = {
        {"mxfp8_e4m3", TP_BLOCK_MXFP8_E4M3, 0, 32, 0}, {"mxfp8_e5m2", TP_BLOCK_MXFP8_E5M2, 0, 32, 0},
        {"mxfp6_e2m3", TP_BLOCK_MXFP6_E2M3, 0, 32, 0}, {"mxfp6_e3m2", TP_BLOCK_MXFP6_E3M2, 0, 32, 0},
        {"mxfp4", TP_BLOCK_MXFP4, 0, 32, 0},           {"mxint8", TP_BLOCK_MXINT8, 0, 32, 0},
        {"nvfp4", TP_BLOCK_NVFP4, 0, 16, 0},           {"nvfp4_torchao", TP_BLOCK_NVFP4, 0, 16, 1},
        {"bfp8_16", TP_BLOCK_BFP, 8, 16, 0},           {"bfp2_8", TP_BLOCK_BFP, 2, 8, 0},
        {"bfp16_256", TP_BLOCK_BFP, 16, 256, 0},       {"msfp12", TP_BLOCK_BFP, 4, 16, 0},
        {"msfp16", TP_BLOCK_BFP, 8, 16, 0},            {"BFP_1_8_8_16", TP_BLOCK_BFP, 9, 16, 0},
        {"BFP_1_4_8_16", TP_BLOCK_BFP, 5, 16, 0},      {"bfp_0_8_8_64", TP_BLOCK_BFP, 8, 64, 0},
        {"BFP_0_4_8_256", TP_BLOCK_BFP, 4, 256, 0},    {"ggml_mxfp4", TP_BLOCK_GGML_MXFP4, 0, 32, 0},
        {"ggml_q8_0", TP_BLOCK_GGML_Q8_0, 0, 32, 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        tp_block_desc b;
        ck_assert_int_eq(tp_block_from_name(ok[i].name, &b), TP_OK);
        ck_assert_int_eq(b.format, ok[i].format);
        ck_assert_int_eq(b.mant_bits, ok[i].mant);
        ck_assert_int_eq(b.block_size, ok[i].bs);
        ck_assert_int_eq(b.recipe, ok[i].recipe);
        ck_assert_int_eq(tp_block_check(&b), TP_OK);
    }
    static const char *const bad[] = {"", "mxfp8", "bfp1_16", "bfp17_16", "bfp8_7", "bfp8_257",
                                      "bfp8_", "bfp8_16x", "BFP_2_8_8_16", "BFP_1_8_5_16",
                                      "bfp_1_16_8_16", "MXFP4", "bfp0008_16"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tp_block_desc b;
        memset(&b, 0x5A, sizeof b);
        ck_assert_int_eq(tp_block_from_name(bad[i], &b), TP_ERR_NAME);
    }
    tp_block_desc b;
    ck_assert_int_eq(tp_block_from_name(NULL, &b), TP_ERR_NULL);
    ck_assert_int_eq(tp_block_preset((tp_block_format)TP_BLOCK_FORMAT_COUNT, &b), TP_ERR_FORMAT);
    for (int f = 0; f < TP_BLOCK_FORMAT_COUNT; f++) {
        ck_assert_int_eq(tp_block_preset((tp_block_format)f, &b), TP_OK);
        ck_assert_int_eq(tp_block_check(&b), TP_OK);
    }
}
END_TEST

/* Bad arguments: the status, and nothing written. */
START_TEST(test_bad_args)
{
    tp_block_desc b, bad;
    ck_assert_int_eq(tp_block_preset(TP_BLOCK_MXFP6_E2M3, &b), TP_OK);
    float x[64] = {1.0f}, y[64];
    uint8_t sc[2], el[64];
    unsigned fl = 0;
#define UNTOUCHED()                                                  \
    do {                                                             \
        for (int q = 0; q < 2; q++)                                  \
            ck_assert_uint_eq(sc[q], 0xA5);                          \
        for (int q = 0; q < 64; q++)                                 \
            ck_assert_uint_eq(el[q], 0xA5);                          \
        ck_assert_uint_eq(fl, 0);                                    \
    } while (0)
#define Q(st, ...)                                                   \
    do {                                                             \
        memset(sc, 0xA5, 2);                                         \
        memset(el, 0xA5, 64);                                        \
        ck_assert_int_eq(tp_block_quantize_f32(__VA_ARGS__), st);    \
        UNTOUCHED();                                                 \
    } while (0)
    Q(TP_ERR_FORMAT, NULL, x, 32, sc, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    bad = b;
    bad.block_size = 16;
    Q(TP_ERR_DESCRIPTOR, &bad, x, 32, sc, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    bad = b;
    bad.elem = TP_E4M3;
    Q(TP_ERR_DESCRIPTOR, &bad, x, 32, sc, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    Q(TP_ERR_ARG, &b, x, 33, sc, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl); /* ragged */
    Q(TP_ERR_ARG, &b, x, 32, sc, el, 0, (tp_scale_rule)4, TP_RNE, NULL, &fl);
    Q(TP_ERR_ROUND, &b, x, 32, sc, el, 0, TP_SCALE_FLOOR, (tp_round)7, NULL, &fl);
    Q(TP_ERR_ARG, &b, x, 32, sc, el, 0, TP_SCALE_FLOOR, TP_RSR, NULL, &fl);
    Q(TP_ERR_NULL, &b, NULL, 32, sc, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    Q(TP_ERR_NULL, &b, x, 32, NULL, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    Q(TP_ERR_NULL, &b, x, 32, sc, NULL, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    Q(TP_ERR_ALIAS, &b, x, 32, sc, (void *)x, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    Q(TP_ERR_ALIAS, &b, x, 32, el + 1, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    Q(TP_OK, &b, x, 0, sc, el, 0, TP_SCALE_FLOOR, TP_RNE, NULL, &fl); /* n = 0 */
    tp_block_desc nv;
    ck_assert_int_eq(tp_block_preset(TP_BLOCK_NVFP4, &nv), TP_OK);
    Q(TP_ERR_ARG, &nv, x, 16, sc, el, 0.0f, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    Q(TP_ERR_ARG, &nv, x, 16, sc, el, -1.0f, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    Q(TP_ERR_ARG, &nv, x, 16, sc, el, INFINITY, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    Q(TP_ERR_ARG, &nv, x, 16, sc, el, NAN, TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    /* 2-D: bad axis, ld < cols, rows not whole blocks along axis 0 */
    memset(sc, 0xA5, 2);
    memset(el, 0xA5, 64);
    ck_assert_int_eq(tp_block_quantize_2d_f32(&b, x, 1, 32, 32, 2, sc, el, 0, TP_SCALE_FLOOR,
                                              TP_RNE, NULL, &fl), TP_ERR_ARG);
    ck_assert_int_eq(tp_block_quantize_2d_f32(&b, x, 1, 32, 31, 1, sc, el, 0, TP_SCALE_FLOOR,
                                              TP_RNE, NULL, &fl), TP_ERR_ARG);
    ck_assert_int_eq(tp_block_quantize_2d_f32(&b, x, 1, 32, 32, 0, sc, el, 0, TP_SCALE_FLOOR,
                                              TP_RNE, NULL, &fl), TP_ERR_ARG);
    UNTOUCHED();
    /* Dequantise: an FP6 code with its high bits set -> TP_ERR_CODE. */
    memset(el, 0x01, 64);
    el[31] = 0x40;
    sc[0] = 127;
    for (int j = 0; j < 64; j++)
        y[j] = -3.0f;
    ck_assert_int_eq(tp_block_dequantize_f32(&b, sc, el, 32, 0, y, &fl), TP_ERR_CODE);
    ck_assert_int_eq(tp_block_dequantize_f32(&b, sc, el, 31, 0, y, &fl), TP_ERR_ARG);
    ck_assert_int_eq(tp_block_dequantize_f32(&b, NULL, el, 32, 0, y, &fl), TP_ERR_NULL);
    ck_assert_int_eq(tp_block_dequantize_f32(&b, sc, el, 32, 0, (float *)(void *)el, &fl),
                     TP_ERR_ALIAS);
    for (int j = 0; j < 64; j++)
        ck_assert(y[j] == -3.0f);
    ck_assert_uint_eq(fl, 0);
    /* BFP 4-bit codes live in the low 4 bits. */
    tp_block_desc bf;
    ck_assert_int_eq(tp_block_bfp(4, 16, &bf), TP_OK);
    memset(el, 0x10, 16);
    ck_assert_int_eq(tp_block_dequantize_f32(&bf, sc, el, 16, 0, y, &fl), TP_ERR_CODE);
    ck_assert_int_eq(tp_block_bfp(1, 16, &bf), TP_ERR_ARG);
    ck_assert_int_eq(tp_block_bfp(8, 257, &bf), TP_ERR_ARG);
    size_t s1, s2;
    ck_assert_int_eq(tp_block_storage(&b, 31, &s1, &s2), TP_ERR_ARG);
    ck_assert_int_eq(tp_block_storage(&b, 64, &s1, &s2), TP_OK);
    ck_assert_uint_eq(s1, 2);
    ck_assert_uint_eq(s2, 64);
#undef Q
#undef UNTOUCHED
}
END_TEST

static Suite *block_suite(void)
{
    Suite *s = suite_create("block");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_bad_args);
    tcase_add_test(tc, test_known_values);
    tcase_add_test(tc, test_nvfp4_tensor_scale);
    suite_add_tcase(s, tc);
    tc = tcase_create("oracle");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_vs_oracle, 0, N_CFG);
    tcase_add_loop_test(tc, test_every_scale_code, 0, N_CFG);
    tcase_add_loop_test(tc, test_exhaustive_decode, 0, N_CFG);
    tcase_add_loop_test(tc, test_tensor_sr, 0, N_CFG);
    tcase_add_loop_test(tc, test_bf16_and_2d, 0, N_CFG);
    suite_add_tcase(s, tc);
    tc = tcase_create("ggml");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ggml_layouts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tpt_banner("check_block");
    quick = tpt_quick();
    if (quick)
        printf("# tier: quick (reduced sweeps)\n");
    return tpt_run(block_suite());
}
