/*
 * block_ref.c -- the scalar reference for block formats (OCP MX, NVFP4, BFP,
 * ggml block_mxfp4 / block_q8_0).  It is the specification of
 * doc/blocks.md in code; every faster kernel must match it bit for bit,
 * flags included.
 *
 * Shared exponents are computed from the bits of amax (never log2f:
 * ../shared/research/formats.md P-2), and an element is scaled by an exact
 * exponent shift of its (mantissa, exponent) pair before the one rounding
 * in tpi_ref_round.  NVFP4 and Q8_0 follow their anchors' binary32
 * operation sequences (formats.md sections 4 and 5.3), so those use float
 * arithmetic; the build uses -ffp-contract=off and never -ffast-math.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ref.h"

#define GGML_MXFP4_BYTES 17 /* formats.md section 5.1 */
#define GGML_Q8_0_BYTES 34  /* formats.md section 5.3 */


static uint32_t f32_bits(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static float bits_f32(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

void tpi_blk_init(tpi_blk *k, const tp_block_desc *b)
{
    memset(k, 0, sizeof *k);
    k->b = b;
    k->fmt = b->format;
    k->bs = b->block_size;
    const tp_format_desc *d;
    if (b->format == TP_BLOCK_BFP || b->format == TP_BLOCK_GGML_Q8_0) {
        /* Symmetric two's complement integers: BFP elements are
         * int(mant_bits) x 2^-(mant_bits-2), so x / 2^e lies in (-2, 2)
         * (microxcaling's convention, formats.md section 6); Q8_0 uses
         * plain int8 clamped to +-127 (ggml never produces -128). */
        int mb = b->format == TP_BLOCK_BFP ? b->mant_bits : 8;
        k->edesc.name = NULL;
        k->edesc.kind = TP_KIND_INT;
        k->edesc.bits = (uint8_t)mb;
        k->edesc.sign = 1;
        k->edesc.flags = TP_DESC_SAT_DEFAULT | TP_DESC_SYMMETRIC;
        k->edesc.scale_exp = b->format == TP_BLOCK_BFP ? -(mb - 2) : 0;
        d = &k->edesc;
    } else {
        d = tp_format_get((tp_format)b->elem);
    }
    tpi_fmt_init(&k->ef, d);
    if (k->ef.is_int) {
        int w = d->bits - 2; /* position of imax's top bit */
        k->emax = w + d->scale_exp;
        k->mfrac = w;
        k->max_sig = (uint32_t)k->ef.imax << (23 - w);
    } else {
        int m = k->ef.man;
        uint32_t frac = (uint32_t)(k->ef.max_mag & ((UINT64_C(1) << m) - 1));
        k->emax = k->ef.emax;
        k->mfrac = m;
        k->max_sig = ((UINT32_C(1) << m) | frac) << (23 - m);
    }
    /* e2m1 packs two per byte; integers (BFP) take whole bytes. */
    k->ebits = (!k->ef.is_int && d->bits == 4) ? 4 : d->bits <= 8 ? 8 : 16;
}

/* ------------------------------------------------------------ storage */

static void store_elem(const tpi_blk *k, void *elems, size_t i, uint64_t c)
{
    uint8_t *e = (uint8_t *)elems;
    if (k->ebits == 4) {
        uint8_t v = e[i / 2];
        if (i % 2 == 0)
            v = (uint8_t)((v & 0xF0u) | (c & 0xFu));
        else
            v = (uint8_t)((v & 0x0Fu) | ((c & 0xFu) << 4));
        e[i / 2] = v;
    } else if (k->ebits == 8) {
        e[i] = (uint8_t)c;
    } else {
        tpi_store_code(elems, i, 2, c);
    }
}

static uint64_t load_elem(const tpi_blk *k, const void *elems, size_t i)
{
    const uint8_t *e = (const uint8_t *)elems;
    if (k->ebits == 4)
        return i % 2 == 0 ? e[i / 2] & 0xFu : (uint64_t)(e[i / 2] >> 4);
    if (k->ebits == 8)
        return e[i];
    return tpi_load_code(elems, i, 2);
}

/* ------------------------------------------------------------ scale rules */

/* Shared exponent of a block with nonzero finite amax (binary32 bits a),
 * before clamping (formats.md section 3.3; tp_scale_rule documents the
 * formulas). */
static int shared_exp(const tpi_blk *k, uint32_t a, tp_scale_rule rule)
{
    int ef = (int)((a >> 23) & 0xFF);
    uint32_t f = a & 0x7FFFFFu, sig;
    int e2;
    if (ef != 0) {
        sig = f | 0x800000u;
        e2 = ef - 127;
    } else { /* subnormal amax: its true binade, not exponent field 0 */
        int t = tpi_top_bit(f);
        sig = f << (23 - t);
        e2 = t - 149;
    }
    int e = e2 - k->emax;
    switch (rule) {
    case TP_SCALE_FLOOR: break;
    case TP_SCALE_RCEIL: e += sig > k->max_sig; break;
    case TP_SCALE_CEIL: e += sig != 0x800000u; break;
    case TP_SCALE_EVEN: e += sig >= (UINT32_C(1) << 24) - (UINT32_C(1) << (22 - k->mfrac)); break;
    }
    return e < -127 ? -127 : e > 127 ? 127 : e;
}

static uint32_t sr_word(const tp_sr *sr, size_t i)
{
    if (sr == NULL)
        return 0;
    return sr->bits ? sr->bits[i] : tp_sr_word(sr->seed, sr->counter + i);
}

/* Rounds x * 2^-e (exact shift) to the element format, saturating. */
static uint64_t quant_elem(const tpi_blk *k, float x, int e, tp_round rnd, uint32_t rbits,
                           unsigned *flags)
{
    uint32_t b = f32_bits(x);
    int sign = (int)(b >> 31);
    int ex = (int)((b >> 23) & 0xFF);
    uint64_t f = b & 0x7FFFFFu;
    if (ex == 0)
        return tpi_ref_round(&k->ef, sign, f, -149 - e, 0, 0, rnd, TP_OVF_SAT, rbits, flags);
    return tpi_ref_round(&k->ef, sign, f | 0x800000u, ex - 150 - e, 0, 0, rnd, TP_OVF_SAT, rbits,
                         flags);
}

/* Scans a block: amax bits over finite values, and whether it holds a NaN,
 * an Inf, or a non-NaN value. */
typedef struct blk_scan {
    uint32_t amax;
    int any_nan, any_inf, any_num;
} blk_scan;

static blk_scan scan(const float *x, int bs)
{
    blk_scan s = {0, 0, 0, 0};
    for (int j = 0; j < bs; j++) {
        uint32_t a = f32_bits(x[j]) & 0x7FFFFFFFu;
        if (a > 0x7F800000u) {
            s.any_nan = 1;
            continue;
        }
        s.any_num = 1;
        if (a == 0x7F800000u)
            s.any_inf = 1;
        else if (a > s.amax)
            s.amax = a;
    }
    return s;
}

/* The block special rule: NaN or Inf in a block makes it a NaN block;
 * TP_FLAG_INVALID unless all of it was NaN already (doc/blocks.md). */
static int special_block(const blk_scan *s, unsigned *flags)
{
    if (!s->any_nan && !s->any_inf)
        return 0;
    if (s->any_num)
        *flags |= TP_FLAG_INVALID;
    return 1;
}

/* ------------------------------------------------------------ NVFP4 */

static const tpi_fmt *ue4m3_fmt(tpi_fmt *p)
{
    tpi_fmt_init(p, tp_format_get(TP_UE4M3));
    return p;
}

static const tpi_fmt *fmt_of(tpi_fmt *p, tp_format f)
{
    tpi_fmt_init(p, tp_format_get(f));
    return p;
}

float tpi_ref_nvfp4_tensor_scale(int recipe, float amax)
{
    if (amax == 0.0f)
        return 1.0f;
    if (recipe == TP_NVFP4_TE) {
        float s_enc = 2688.0f / amax; /* 448 * 6 */
        if (s_enc > FLT_MAX)
            s_enc = FLT_MAX;
        return 1.0f / s_enc;
    }
    float pts = amax / 2688.0f;
    return pts == 0.0f ? bits_f32(1) : pts;
}

/* Block scale code and the binary32 factor the elements are multiplied by,
 * in each recipe's operation order (formats.md section 4, P-20). */
static uint8_t nvfp4_scale(int recipe, float amax_b, float ts, float *factor)
{
    tpi_fmt u;
    unsigned junk = 0;
    ue4m3_fmt(&u);
    if (recipe == TP_NVFP4_TE) {
        float s_enc = 1.0f / ts;
        if (s_enc > FLT_MAX)
            s_enc = FLT_MAX;
        float sf = s_enc * (1.0f / 6.0f);
        float sb = amax_b * sf;
        uint8_t code = (uint8_t)tpi_ref_encode1_f32(&u, sb, TP_RNE, TP_OVF_SAT, 0, &junk);
        float sbf = tpi_ref_decode1_f32(&u, code, &junk);
        float prod = sbf * ts;
        float fct = prod == 0.0f ? FLT_MAX : 1.0f / prod;
        *factor = fct > FLT_MAX ? FLT_MAX : fct;
        return code;
    }
    float s = (amax_b / 6.0f) / ts;
    const float lo = 0.015625f; /* 2^-6, the smallest normal E4M3 */
    s = s < lo ? lo : s > 448.0f ? 448.0f : s;
    uint8_t code = (uint8_t)tpi_ref_encode1_f32(&u, s, TP_RNE, TP_OVF_SAT, 0, &junk);
    float sbf = tpi_ref_decode1_f32(&u, code, &junk);
    *factor = (1.0f / ts) / sbf;
    return code;
}

/* ------------------------------------------------------------ quantise */

static void put_block_code(const tpi_blk *k, uint8_t *scales, void *elems, size_t blk, int j,
                           uint64_t c)
{
    (void)scales;
    if (k->fmt == TP_BLOCK_GGML_MXFP4) {
        uint8_t *q = (uint8_t *)elems + blk * GGML_MXFP4_BYTES + 1;
        int half = k->bs / 2;
        if (j < half)
            q[j] = (uint8_t)((q[j] & 0xF0u) | (c & 0xFu));
        else
            q[j - half] = (uint8_t)((q[j - half] & 0x0Fu) | ((c & 0xFu) << 4));
    } else if (k->fmt == TP_BLOCK_GGML_Q8_0) {
        ((uint8_t *)elems)[blk * GGML_Q8_0_BYTES + 2 + (size_t)j] = (uint8_t)c;
    } else {
        store_elem(k, elems, blk * (size_t)k->bs + (size_t)j, c);
    }
}

static void put_scale(const tpi_blk *k, uint8_t *scales, void *elems, size_t blk, unsigned s)
{
    if (k->fmt == TP_BLOCK_GGML_MXFP4) {
        ((uint8_t *)elems)[blk * GGML_MXFP4_BYTES] = (uint8_t)s;
    } else if (k->fmt == TP_BLOCK_GGML_Q8_0) { /* little-endian binary16 */
        uint8_t *p = (uint8_t *)elems + blk * GGML_Q8_0_BYTES;
        p[0] = (uint8_t)(s & 0xFF);
        p[1] = (uint8_t)(s >> 8);
    } else {
        scales[blk] = (uint8_t)s;
    }
}

static void quant_q8_0(const tpi_blk *k, const float *x, size_t blk, uint8_t *scales,
                       void *elems, tp_round rnd, const tp_sr *sr, unsigned *flags)
{
    blk_scan s = scan(x, k->bs);
    size_t base = blk * (size_t)k->bs;
    if (special_block(&s, flags)) {
        put_scale(k, scales, elems, blk, 0x7E00u); /* binary16 NaN */
        for (int j = 0; j < k->bs; j++)
            put_block_code(k, scales, elems, blk, j, 0);
        return;
    }
    /* ggml quantize_row_q8_0_ref: d = amax/127, id = 1/d (0 for d = 0),
     * stored d = fp16(d), q = round(x * id) (formats.md section 5.3). */
    float d = bits_f32(s.amax) / 127.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    tpi_fmt h;
    unsigned junk = 0;
    uint64_t d16 = tpi_ref_encode1_f32(fmt_of(&h, TP_F16), d, TP_RNE, TP_OVF_NONSAT, 0, &junk);
    put_scale(k, scales, elems, blk, (unsigned)d16);
    for (int j = 0; j < k->bs; j++) {
        float v = x[j] * id;
        uint64_t c = tpi_ref_encode1_f32(&k->ef, v, rnd, TP_OVF_SAT, sr_word(sr, base + (size_t)j),
                                         flags);
        put_block_code(k, scales, elems, blk, j, c);
    }
}

static void quant_nvfp4(const tpi_blk *k, const float *x, size_t blk, uint8_t *scales,
                        void *elems, float ts, tp_round rnd, const tp_sr *sr, unsigned *flags)
{
    blk_scan s = scan(x, k->bs);
    size_t base = blk * (size_t)k->bs;
    if (special_block(&s, flags)) {
        put_scale(k, scales, elems, blk, 0x7Fu); /* UE4M3 NaN */
        for (int j = 0; j < k->bs; j++)
            put_block_code(k, scales, elems, blk, j, 0);
        return;
    }
    float factor;
    put_scale(k, scales, elems, blk, nvfp4_scale(k->b->recipe, bits_f32(s.amax), ts, &factor));
    for (int j = 0; j < k->bs; j++) {
        /* A zero keeps its sign without the product (torchao's factor may be
         * Inf, and 0 * Inf would be NaN). */
        float v = x[j] == 0.0f ? x[j] : x[j] * factor;
        uint64_t c = tpi_ref_encode1_f32(&k->ef, v, rnd, TP_OVF_SAT, sr_word(sr, base + (size_t)j),
                                         flags);
        put_block_code(k, scales, elems, blk, j, c);
    }
}

void tpi_ref_block_quant1(const tpi_blk *k, const float *x, size_t blk, uint8_t *scales,
                          void *elems, float tensor_scale, tp_scale_rule rule, tp_round rnd,
                          const tp_sr *sr, unsigned *flags)
{
    if (k->fmt == TP_BLOCK_NVFP4) {
        quant_nvfp4(k, x, blk, scales, elems, tensor_scale, rnd, sr, flags);
        return;
    }
    if (k->fmt == TP_BLOCK_GGML_Q8_0) {
        quant_q8_0(k, x, blk, scales, elems, rnd, sr, flags);
        return;
    }
    blk_scan s = scan(x, k->bs);
    size_t base = blk * (size_t)k->bs;
    if (special_block(&s, flags)) {
        put_scale(k, scales, elems, blk, 0xFFu);
        for (int j = 0; j < k->bs; j++)
            put_block_code(k, scales, elems, blk, j, 0);
        return;
    }
    /* Zero block: scale 0x00 (2^-127) and signed zeros (formats.md P-6);
     * the general path gives exactly that with e = -127. */
    int e = s.amax == 0 ? -127 : shared_exp(k, s.amax, rule);
    put_scale(k, scales, elems, blk, (unsigned)(e + 127));
    for (int j = 0; j < k->bs; j++) {
        uint64_t c = quant_elem(k, x[j], e, rnd, sr_word(sr, base + (size_t)j), flags);
        put_block_code(k, scales, elems, blk, j, c);
    }
}

/* ------------------------------------------------------------ dequantise */

static uint64_t get_code(const tpi_blk *k, const void *elems, size_t blk, int j)
{
    if (k->fmt == TP_BLOCK_GGML_MXFP4) {
        const uint8_t *q = (const uint8_t *)elems + blk * GGML_MXFP4_BYTES + 1;
        int half = k->bs / 2;
        return j < half ? q[j] & 0xFu : (uint64_t)(q[j - half] >> 4);
    }
    if (k->fmt == TP_BLOCK_GGML_Q8_0)
        return ((const uint8_t *)elems)[blk * GGML_Q8_0_BYTES + 2 + (size_t)j];
    return load_elem(k, elems, blk * (size_t)k->bs + (size_t)j);
}

static unsigned get_scale(const tpi_blk *k, const uint8_t *scales, const void *elems, size_t blk)
{
    if (k->fmt == TP_BLOCK_GGML_MXFP4)
        return ((const uint8_t *)elems)[blk * GGML_MXFP4_BYTES];
    if (k->fmt == TP_BLOCK_GGML_Q8_0) {
        const uint8_t *p = (const uint8_t *)elems + blk * GGML_Q8_0_BYTES;
        return (unsigned)p[0] | ((unsigned)p[1] << 8);
    }
    return scales[blk];
}

static double canon_nan(void)
{
    double r;
    uint64_t b = UINT64_C(0x7FF8000000000000);
    memcpy(&r, &b, sizeof r);
    return r;
}

void tpi_ref_block_dequant1(const tpi_blk *k, const uint8_t *scales, const void *elems,
                            size_t blk, float tensor_scale, double *out, unsigned *flags)
{
    unsigned sc = get_scale(k, scales, elems, blk);
    double scale;
    tpi_fmt sf;
    if (k->fmt == TP_BLOCK_NVFP4) {
        double sb = tpi_ref_decode1(ue4m3_fmt(&sf), sc, flags); /* >= 0x80: NaN, INVALID */
        uint32_t tsb; /* widened on the bits: DAZ would read a subnormal as 0 */
        memcpy(&tsb, &tensor_scale, sizeof tsb);
        scale = sb * tpi_f32_bits_to_f64(tsb);                 /* 4 x 24 bits: exact */
    } else if (k->fmt == TP_BLOCK_GGML_Q8_0) {
        scale = tpi_ref_decode1(fmt_of(&sf, TP_F16), sc, flags);
    } else {
        scale = sc == 0xFF ? canon_nan() : ldexp(1.0, (int)sc - 127);
    }
    for (int j = 0; j < k->bs; j++) {
        double v = tpi_ref_decode1(&k->ef, get_code(k, elems, blk, j), flags);
        if (isnan(scale) || (isinf(scale) && v == 0.0))
            out[j] = canon_nan();
        else if (isnan(v))
            out[j] = v; /* the element's own NaN (e4m3, e5m2) */
        else
            out[j] = v * scale; /* exact: at most 24 + 24 + 4 significant bits in range */
    }
}

int tpi_ref_block_bad_codes(const tpi_blk *k, const uint8_t *scales, const void *elems,
                            size_t nblk)
{
    (void)scales;
    if (k->fmt == TP_BLOCK_GGML_MXFP4 || k->fmt == TP_BLOCK_GGML_Q8_0 || k->ebits == 4)
        return 0; /* every nibble and byte is a code */
    uint64_t bad = ~k->ef.code_mask;
    if ((bad & (k->ebits == 8 ? 0xFFu : 0xFFFFu)) == 0)
        return 0; /* the codes fill their storage (e4m3, e5m2, int8, ...) */
    size_t n = nblk * (size_t)k->bs;
    uint64_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= load_elem(k, elems, i);
    return (any & bad) != 0;
}

/* ------------------------------------------------------------ dispatch slots
 *
 * The array kernels of the dispatch table, for every block format (NVFP4
 * uses tensor_scale; the others ignore it): block blk of the call draws
 * stochastic words blk*bs + j of sr, exactly as tpi_ref_block_quant1 does. */

static void ref_blk_quant(const tpi_blk *k, const float *src, size_t nblk, float tensor_scale,
                          uint8_t *scales, void *elems, tp_scale_rule rule, tp_round rnd,
                          const tp_sr *sr, unsigned *flags)
{
    const tp_sr *s = rnd == TP_RSR ? sr : NULL;
    for (size_t blk = 0; blk < nblk; blk++)
        tpi_ref_block_quant1(k, src + blk * (size_t)k->bs, blk, scales, elems, tensor_scale, rule,
                             rnd, s, flags);
}

static void ref_blk_dequant(const tpi_blk *k, const uint8_t *scales, const void *elems,
                            size_t nblk, float tensor_scale, float *dst, unsigned *flags)
{
    tpi_fmt f32;
    double out[256];
    tpi_fmt_init(&f32, tp_format_get(TP_F32));
    for (size_t blk = 0; blk < nblk; blk++) {
        tpi_ref_block_dequant1(k, scales, elems, blk, tensor_scale, out, flags);
        for (int j = 0; j < k->bs; j++) {
            /* One RNE rounding to binary32; beyond its range +-Inf with
             * OVERFLOW|INEXACT (tp_overflow, TP_OVF_NONSAT). */
            uint32_t bits = (uint32_t)tpi_ref_encode1_f64(&f32, out[j], TP_RNE, TP_OVF_NONSAT, 0,
                                                          flags);
            memcpy(&dst[blk * (size_t)k->bs + (size_t)j], &bits, sizeof bits);
        }
    }
}

void tpi_install_ref_block(tpi_kernels *k)
{
    for (int f = 0; f < TP_BLOCK_FORMAT_COUNT; f++) {
        k->blk_quant[f] = ref_blk_quant;
        k->blk_dequant[f] = ref_blk_dequant;
    }
}
