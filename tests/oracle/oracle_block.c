/*
 * oracle_block.c -- the block formats re-derived with MPFR from the
 * documentation (include/truepoint.h "Block formats", doc/blocks.md,
 * ../shared/research/formats.md sections 3-7).  Naive on purpose:
 *  - amax and every scale rule are computed on MPFR numbers with log2-style
 *    reasoning (exponents of exact values), not on binary32 bit fields;
 *  - an element is the exact real x * 2^-e handed to orc_encode;
 *  - binary32 operations of the NVFP4 / Q8_0 recipes are an exact MPFR
 *    operation followed by mpfr_get_flt (one correct rounding);
 *  - element descriptors are transcribed from formats.md section 1 here,
 *    not taken from the library's table.
 * Nothing here comes from lib/.  Not thread-safe (static MPFR scratch).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include <gmp.h>
#include <mpfr.h>

#include "oracle.h"
#include "oracle_block.h"

/* Descriptors (formats.md section 1.1 / 1.2): name, kind, bits, sign, e, m,
 * inf, nan, flags, bias, scale_exp. */
static const tp_format_desc D_E4M3 = {"e4m3", TP_KIND_FLOAT, 8, 1, 4, 3, TP_INF_NONE,
                                      TP_NAN_ALLONES, TP_DESC_SAT_DEFAULT, 7, 0};
static const tp_format_desc D_E5M2 = {"e5m2", TP_KIND_FLOAT, 8, 1, 5, 2, TP_INF_IEEE,
                                      TP_NAN_IEEE, TP_DESC_SAT_DEFAULT, 15, 0};
static const tp_format_desc D_E2M3 = {"e2m3", TP_KIND_FLOAT, 6, 1, 2, 3, TP_INF_NONE,
                                      TP_NAN_NONE, TP_DESC_SAT_DEFAULT, 1, 0};
static const tp_format_desc D_E3M2 = {"e3m2", TP_KIND_FLOAT, 6, 1, 3, 2, TP_INF_NONE,
                                      TP_NAN_NONE, TP_DESC_SAT_DEFAULT, 3, 0};
static const tp_format_desc D_E2M1 = {"e2m1", TP_KIND_FLOAT, 4, 1, 2, 1, TP_INF_NONE,
                                      TP_NAN_NONE, TP_DESC_SAT_DEFAULT, 1, 0};
static const tp_format_desc D_UE4M3 = {"ue4m3", TP_KIND_FLOAT, 8, 0, 4, 3, TP_INF_NONE,
                                       TP_NAN_ALLONES,
                                       TP_DESC_SAT_DEFAULT | TP_DESC_SIGN_INVALID, 7, 0};
static const tp_format_desc D_F16 = {"f16", TP_KIND_FLOAT, 16, 1, 5, 10, TP_INF_IEEE,
                                     TP_NAN_IEEE, 0, 15, 0};
static const tp_format_desc D_F32 = {"f32", TP_KIND_FLOAT, 32, 1, 8, 23, TP_INF_IEEE,
                                     TP_NAN_IEEE, 0, 127, 0};

/* Symmetric signed integer of `bits` bits times 2^scale_exp. */
static tp_format_desc int_desc(int bits, int scale_exp)
{
    tp_format_desc d;
    memset(&d, 0, sizeof d);
    d.kind = TP_KIND_INT;
    d.bits = (uint8_t)bits;
    d.sign = 1;
    d.flags = TP_DESC_SAT_DEFAULT | TP_DESC_SYMMETRIC;
    d.scale_exp = scale_exp;
    return d;
}

const tp_format_desc *orb_elem_desc(const tp_block_desc *b, tp_format_desc *store)
{
    switch (b->format) {
    case TP_BLOCK_MXFP8_E4M3: return &D_E4M3;
    case TP_BLOCK_MXFP8_E5M2: return &D_E5M2;
    case TP_BLOCK_MXFP6_E2M3: return &D_E2M3;
    case TP_BLOCK_MXFP6_E3M2: return &D_E3M2;
    case TP_BLOCK_MXFP4:
    case TP_BLOCK_NVFP4:
    case TP_BLOCK_GGML_MXFP4: return &D_E2M1;
    case TP_BLOCK_MXINT8: *store = int_desc(8, -6); return store; /* OCP 5.3.4 */
    case TP_BLOCK_GGML_Q8_0: *store = int_desc(8, 0); return store;
    case TP_BLOCK_BFP:
        if (b->mant_bits < 2 || b->mant_bits > 16)
            return NULL;
        *store = int_desc(b->mant_bits, -(b->mant_bits - 2));
        return store;
    default: return NULL;
    }
}

static int expected_bs(const tp_block_desc *b)
{
    switch (b->format) {
    case TP_BLOCK_NVFP4: return 16;
    case TP_BLOCK_BFP: return (b->block_size >= 8 && b->block_size <= 256) ? b->block_size : -1;
    default: return b->format < TP_BLOCK_FORMAT_COUNT ? 32 : -1;
    }
}

/* ------------------------------------------------------------ MPFR helpers */

static int ready;
static mpfr_t m_a, m_b, m_c;

static void init(void)
{
    if (ready)
        return;
    mpfr_inits2(256, m_a, m_b, m_c, (mpfr_ptr)0);
    ready = 1;
}

/* fl32(a op b) for op in "*" "/". */
static float fl32(float a, char op, float b)
{
    init();
    mpfr_set_flt(m_a, a, MPFR_RNDN);
    mpfr_set_flt(m_b, b, MPFR_RNDN);
    if (op == '*')
        mpfr_mul(m_c, m_a, m_b, MPFR_RNDN); /* 48 bits: exact */
    else
        mpfr_div(m_c, m_a, m_b, MPFR_RNDN); /* 256 bits: never a false tie */
    return mpfr_get_flt(m_c, MPFR_RNDN);
}

/* floor(log2 |v|) of a nonzero finite MPFR value. */
static long flog2(mpfr_t v)
{
    return (long)mpfr_get_exp(v) - 1;
}

static int is_pow2(mpfr_t v)
{
    mpfr_set(m_c, v, MPFR_RNDN);
    mpfr_div_2si(m_c, m_c, flog2(v), MPFR_RNDN);
    return mpfr_cmp_ui(m_c, 1) == 0;
}

/* Largest finite element value (exact) into m_b; returns floor(log2). */
static long elem_max(const tp_format_desc *ed)
{
    uint64_t mag;
    double mx;
    orc_max_mag(ed, &mag);
    orc_grid_value(ed, mag, &mx);
    mpfr_set_d(m_b, mx, MPFR_RNDN);
    return flog2(m_b);
}

/* Element fraction bits (the EVEN rule's m). */
static int elem_frac_bits(const tp_format_desc *ed)
{
    if (ed->kind == TP_KIND_INT)
        return ed->bits - 2;
    return ed->man_bits;
}

int orb_shared_exp(const tp_block_desc *b, float amax, tp_scale_rule rule, int *e)
{
    tp_format_desc st;
    const tp_format_desc *ed = orb_elem_desc(b, &st);
    if (ed == NULL || !(amax > 0.0f) || isinf(amax))
        return -1;
    init();
    long emax = elem_max(ed); /* m_b = max element */
    mpfr_set_flt(m_a, amax, MPFR_RNDN);
    long k;
    switch (rule) {
    case TP_SCALE_FLOOR: /* OCP 6.3: floor(log2 amax) - emax */
        k = flog2(m_a) - emax;
        break;
    case TP_SCALE_CEIL: /* ceil(log2 amax) - emax */
        k = flog2(m_a) + (is_pow2(m_a) ? 0 : 1) - emax;
        break;
    case TP_SCALE_RCEIL: { /* ceil(log2(amax / max)) */
        mpfr_t q;
        mpfr_init2(q, 256);
        mpfr_div(q, m_a, m_b, MPFR_RNDU);
        k = flog2(q) + (is_pow2(q) ? 0 : 1);
        mpfr_clear(q);
        break;
    }
    case TP_SCALE_EVEN: { /* amax rounded half-away to m+1 significant bits */
        mpfr_t r;
        mpfr_init2(r, elem_frac_bits(ed) + 1);
        /* mpfr_round_nearest_away needs emin above the smallest allowed
         * value, which is the default on 32-bit MPFR builds */
        mpfr_exp_t emin = mpfr_get_emin();
        if (emin <= mpfr_get_emin_min() + 1)
            mpfr_set_emin(mpfr_get_emin_min() + 2);
        mpfr_round_nearest_away(mpfr_set, r, m_a);
        mpfr_set_emin(emin);
        k = flog2(r) - emax;
        mpfr_clear(r);
        break;
    }
    default: return -1;
    }
    if (k < -127)
        k = -127;
    if (k > 127)
        k = 127;
    *e = (int)k;
    return 0;
}

/* ------------------------------------------------------------ quantise */

float orb_nvfp4_tensor_scale(int recipe, float amax)
{
    if (amax == 0.0f)
        return 1.0f;
    if (recipe == TP_NVFP4_TE) {
        float s_enc = fl32(2688.0f, '/', amax);
        if (isinf(s_enc))
            s_enc = FLT_MAX;
        return fl32(1.0f, '/', s_enc);
    }
    float p = fl32(amax, '/', 2688.0f);
    return p == 0.0f ? 0x1p-149f : p;
}

static float dec_f32(const tp_format_desc *d, uint64_t code)
{
    uint32_t bits;
    unsigned junk = 0;
    float v;
    orc_decode_f32(d, code, &bits, &junk);
    memcpy(&v, &bits, sizeof v);
    return v;
}

static uint64_t enc(const tp_format_desc *d, double x, tp_round rnd, tp_overflow ovf, uint32_t r,
                    unsigned *flags)
{
    uint64_t c = 0;
    orc_encode(d, x, rnd, ovf, r, &c, flags);
    return c;
}

/* NVFP4 block scale code and element factor (doc/blocks.md). */
static uint32_t nvfp4_scale(int recipe, float amax, float ts, float *factor)
{
    unsigned junk = 0;
    if (recipe == TP_NVFP4_TE) {
        float s_enc = fl32(1.0f, '/', ts);
        if (isinf(s_enc))
            s_enc = FLT_MAX;
        float sf = fl32(s_enc, '*', fl32(1.0f, '/', 6.0f));
        float sb = fl32(amax, '*', sf);
        uint32_t code = (uint32_t)enc(&D_UE4M3, sb, TP_RNE, TP_OVF_SAT, 0, &junk);
        float prod = fl32(dec_f32(&D_UE4M3, code), '*', ts);
        if (prod == 0.0f) {
            *factor = FLT_MAX;
        } else {
            float f = fl32(1.0f, '/', prod);
            *factor = isinf(f) ? FLT_MAX : f;
        }
        return code;
    }
    float s = fl32(fl32(amax, '/', 6.0f), '/', ts);
    if (s < 0x1p-6f)
        s = 0x1p-6f;
    if (s > 448.0f)
        s = 448.0f;
    uint32_t code = (uint32_t)enc(&D_UE4M3, s, TP_RNE, TP_OVF_SAT, 0, &junk);
    *factor = fl32(fl32(1.0f, '/', ts), '/', dec_f32(&D_UE4M3, code));
    return code;
}

int orb_quantize(const tp_block_desc *b, const float *x, float tensor_scale, tp_scale_rule rule,
                 tp_round rnd, const uint32_t *rbits, uint32_t *scale, uint64_t *codes,
                 unsigned *flags)
{
    tp_format_desc st;
    const tp_format_desc *ed = orb_elem_desc(b, &st);
    int bs = expected_bs(b);
    if (ed == NULL || bs < 0 || b->block_size != bs || (unsigned)rule > TP_SCALE_EVEN)
        return -1;
    if (b->format == TP_BLOCK_NVFP4 && !(tensor_scale > 0.0f && tensor_scale <= FLT_MAX))
        return -1;
    init();
    /* amax over finite values; the NaN/Inf block rule. */
    int any_nan = 0, any_inf = 0, any_num = 0;
    float amax = 0.0f;
    for (int j = 0; j < bs; j++) {
        if (isnan(x[j])) {
            any_nan = 1;
            continue;
        }
        any_num = 1;
        if (isinf(x[j]))
            any_inf = 1;
        else if (fabsf(x[j]) > amax)
            amax = fabsf(x[j]);
    }
    if (any_nan || any_inf) {
        if (any_num)
            *flags |= TP_FLAG_INVALID;
        *scale = b->format == TP_BLOCK_NVFP4 ? 0x7Fu : b->format == TP_BLOCK_GGML_Q8_0 ? 0x7E00u
                                                                                       : 0xFFu;
        for (int j = 0; j < bs; j++)
            codes[j] = 0;
        return 0;
    }
    uint32_t r = 0;
    if (b->format == TP_BLOCK_NVFP4) {
        float factor;
        *scale = nvfp4_scale(b->recipe, amax, tensor_scale, &factor);
        for (int j = 0; j < bs; j++) {
            float v = x[j] == 0.0f ? x[j] : fl32(x[j], '*', factor);
            r = rbits ? rbits[j] : 0;
            codes[j] = enc(ed, v, rnd, TP_OVF_SAT, r, flags);
        }
        return 0;
    }
    if (b->format == TP_BLOCK_GGML_Q8_0) { /* formats.md 5.3 */
        unsigned junk = 0;
        float d = fl32(amax, '/', 127.0f);
        float id = d != 0.0f ? fl32(1.0f, '/', d) : 0.0f;
        *scale = (uint32_t)enc(&D_F16, d, TP_RNE, TP_OVF_NONSAT, 0, &junk);
        for (int j = 0; j < bs; j++) {
            r = rbits ? rbits[j] : 0;
            codes[j] = enc(ed, fl32(x[j], '*', id), rnd, TP_OVF_SAT, r, flags);
        }
        return 0;
    }
    int e = -127; /* zero block: 0x00 */
    if (amax > 0.0f && orb_shared_exp(b, amax, rule, &e) != 0)
        return -1;
    *scale = (uint32_t)(e + 127);
    for (int j = 0; j < bs; j++) {
        r = rbits ? rbits[j] : 0;
        codes[j] = enc(ed, ldexp((double)x[j], -e), rnd, TP_OVF_SAT, r, flags); /* exact */
    }
    return 0;
}

/* ------------------------------------------------------------ dequantise */

int orb_dequantize(const tp_block_desc *b, uint32_t scale, const uint64_t *codes,
                   float tensor_scale, uint64_t *bits64, uint32_t *bits32, unsigned *flags32)
{
    tp_format_desc st;
    const tp_format_desc *ed = orb_elem_desc(b, &st);
    int bs = expected_bs(b);
    if (ed == NULL || bs < 0)
        return -1;
    init();
    unsigned f = 0;
    /* The block scale as an MPFR number, or NaN / Inf. */
    int scale_nan = 0;
    mpfr_t s, v;
    mpfr_inits2(256, s, v, (mpfr_ptr)0);
    if (b->format == TP_BLOCK_NVFP4) {
        uint64_t sb;
        orc_decode_f64(&D_UE4M3, scale, &sb, &f); /* codes >= 0x80: NaN + INVALID */
        double sd;
        memcpy(&sd, &sb, sizeof sd);
        scale_nan = isnan(sd);
        if (!scale_nan) {
            mpfr_set_d(s, sd, MPFR_RNDN);
            mpfr_mul_d(s, s, (double)tensor_scale, MPFR_RNDN);
        }
    } else if (b->format == TP_BLOCK_GGML_Q8_0) {
        uint64_t db;
        unsigned junk = 0;
        orc_decode_f64(&D_F16, scale, &db, &junk);
        double dd;
        memcpy(&dd, &db, sizeof dd);
        scale_nan = isnan(dd);
        if (!scale_nan)
            mpfr_set_d(s, dd, MPFR_RNDN);
    } else {
        scale_nan = scale == 0xFF;
        mpfr_set_ui_2exp(s, 1, (long)scale - 127, MPFR_RNDN); /* 0x00 -> 2^-127 */
    }
    for (int j = 0; j < bs; j++) {
        uint64_t eb;
        uint32_t eb32;
        unsigned junk = 0;
        orc_decode_f64(ed, codes[j], &eb, &junk);
        double ev;
        memcpy(&ev, &eb, sizeof ev);
        if (scale_nan || (mpfr_inf_p(s) && ev == 0.0)) {
            bits64[j] = UINT64_C(0x7FF8000000000000);
            bits32[j] = 0x7FC00000u;
            continue;
        }
        if (isnan(ev)) {
            bits64[j] = eb;
            orc_decode_f32(ed, codes[j], &eb32, &junk);
            bits32[j] = eb32;
            continue;
        }
        mpfr_set_d(v, ev, MPFR_RNDN);
        mpfr_mul(v, v, s, MPFR_RNDN); /* exact at 256 bits */
        double r = mpfr_get_d(v, MPFR_RNDN);
        mpfr_set_d(m_a, r, MPFR_RNDN);
        if (!mpfr_equal_p(m_a, v) && !mpfr_inf_p(v))
            return -1; /* binary64 must be exact */
        memcpy(&bits64[j], &r, sizeof r);
        uint64_t c32 = 0;
        orc_encode(&D_F32, r, TP_RNE, TP_OVF_NONSAT, 0, &c32, &f);
        bits32[j] = (uint32_t)c32;
    }
    mpfr_clears(s, v, (mpfr_ptr)0);
    if (flags32 != NULL)
        *flags32 |= f;
    return 0;
}

int orb_ggml_bytes(const tp_block_desc *b, uint32_t scale, const uint64_t *codes, uint8_t *out)
{
    if (b->format == TP_BLOCK_GGML_MXFP4) { /* formats.md 5.1 */
        out[0] = (uint8_t)scale;
        for (int j = 0; j < 16; j++)
            out[1 + j] = (uint8_t)((codes[j] & 0xF) | ((codes[j + 16] & 0xF) << 4));
        return 17;
    }
    if (b->format == TP_BLOCK_GGML_Q8_0) { /* formats.md 5.3, little-endian d */
        out[0] = (uint8_t)(scale & 0xFF);
        out[1] = (uint8_t)(scale >> 8);
        for (int j = 0; j < 32; j++)
            out[2 + j] = (uint8_t)codes[j];
        return 34;
    }
    return -1;
}
