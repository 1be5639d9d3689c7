/*
 * block.c -- block format entry points (OCP MX, NVFP4, BFP, ggml layouts):
 * descriptors, names, argument checks, then the kernels of the dispatch
 * table (blk_quant / blk_dequant; the reference ones are in
 * lib/ref/block_ref.c).  Every format goes through the slots, which carry
 * the NVFP4 tensor scale; binary64 output calls the reference directly (the
 * slots write binary32).  The rules are documented in include/truepoint.h
 * and doc/blocks.md.
 */
#include <ctype.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ref.h"

/* Element format and block size of each block format. */
static const struct {
    const char *name;
    uint8_t elem;
    uint16_t bs;
} block_rows[TP_BLOCK_FORMAT_COUNT] = {
    [TP_BLOCK_MXFP8_E4M3] = {"mxfp8_e4m3", TP_E4M3, 32},
    [TP_BLOCK_MXFP8_E5M2] = {"mxfp8_e5m2", TP_E5M2, 32},
    [TP_BLOCK_MXFP6_E2M3] = {"mxfp6_e2m3", TP_E2M3, 32},
    [TP_BLOCK_MXFP6_E3M2] = {"mxfp6_e3m2", TP_E3M2, 32},
    [TP_BLOCK_MXFP4] = {"mxfp4", TP_E2M1, 32},
    [TP_BLOCK_MXINT8] = {"mxint8", TP_MXINT8, 32},
    [TP_BLOCK_NVFP4] = {"nvfp4", TP_E2M1, 16},
    [TP_BLOCK_BFP] = {NULL, TP_INT8, 16},
    [TP_BLOCK_GGML_MXFP4] = {"ggml_mxfp4", TP_E2M1, 32},
    [TP_BLOCK_GGML_Q8_0] = {"ggml_q8_0", TP_INT8, 32},
};

tp_status tp_block_bfp(unsigned mant_bits, unsigned block_size, tp_block_desc *out)
{
    if (out == NULL)
        return TP_ERR_NULL;
    if (mant_bits < 2 || mant_bits > 16 || block_size < 8 || block_size > 256)
        return TP_ERR_ARG;
    tp_block_desc b;
    memset(&b, 0, sizeof b);
    b.format = TP_BLOCK_BFP;
    b.elem = TP_INT8;
    b.mant_bits = (uint8_t)mant_bits;
    b.block_size = (uint16_t)block_size;
    *out = b;
    return TP_OK;
}

tp_status tp_block_preset(tp_block_format f, tp_block_desc *out)
{
    if (out == NULL)
        return TP_ERR_NULL;
    if ((unsigned)f >= TP_BLOCK_FORMAT_COUNT)
        return TP_ERR_FORMAT;
    if (f == TP_BLOCK_BFP)
        return tp_block_bfp(8, 16, out); /* MSFP16-style */
    tp_block_desc b;
    memset(&b, 0, sizeof b);
    b.format = (uint8_t)f;
    b.elem = block_rows[f].elem;
    b.block_size = block_rows[f].bs;
    b.recipe = TP_NVFP4_TE;
    *out = b;
    return TP_OK;
}

tp_status tp_block_check(const tp_block_desc *b)
{
    if (b == NULL)
        return TP_ERR_NULL;
    if (b->format >= TP_BLOCK_FORMAT_COUNT || b->reserved != 0)
        return TP_ERR_DESCRIPTOR;
    if (b->elem != block_rows[b->format].elem)
        return TP_ERR_DESCRIPTOR;
    if (b->format == TP_BLOCK_BFP) {
        if (b->mant_bits < 2 || b->mant_bits > 16 || b->block_size < 8 || b->block_size > 256 ||
            b->recipe != 0)
            return TP_ERR_DESCRIPTOR;
        return TP_OK;
    }
    if (b->mant_bits != 0 || b->block_size != block_rows[b->format].bs)
        return TP_ERR_DESCRIPTOR;
    if (b->recipe > (b->format == TP_BLOCK_NVFP4 ? TP_NVFP4_TORCHAO : 0))
        return TP_ERR_DESCRIPTOR;
    return TP_OK;
}

/* Parses a decimal number of at most 3 digits ending at '\0' or `stop`. */
static int parse_small(const char **s, char stop, unsigned *out)
{
    unsigned v = 0;
    int nd = 0;
    while (**s >= '0' && **s <= '9' && nd < 4) {
        v = v * 10 + (unsigned)(**s - '0');
        (*s)++;
        nd++;
    }
    if (nd == 0 || nd > 3 || **s != stop)
        return -1;
    *out = v;
    return 0;
}

tp_status tp_block_from_name(const char *name, tp_block_desc *out)
{
    if (name == NULL || out == NULL)
        return TP_ERR_NULL;
    for (unsigned f = 0; f < TP_BLOCK_FORMAT_COUNT; f++)
        if (block_rows[f].name != NULL && strcmp(name, block_rows[f].name) == 0)
            return tp_block_preset((tp_block_format)f, out);
    if (strcmp(name, "nvfp4_torchao") == 0) {
        tp_status st = tp_block_preset(TP_BLOCK_NVFP4, out);
        out->recipe = TP_NVFP4_TORCHAO;
        return st;
    }
    /* MSFP (formats.md section 6): 8-bit shared exponent, sign + 3 or 7
     * magnitude bits, bounding box 16. */
    if (strcmp(name, "msfp12") == 0)
        return tp_block_bfp(4, 16, out);
    if (strcmp(name, "msfp16") == 0)
        return tp_block_bfp(8, 16, out);
    unsigned m, k, sbits, ebits;
    const char *s = name;
    if (strncmp(s, "bfp", 3) == 0 && s[3] >= '0' && s[3] <= '9') { /* bfp<M>_<K> */
        s += 3;
        if (parse_small(&s, '_', &m) == 0) {
            s++;
            if (parse_small(&s, '\0', &k) == 0 && tp_block_bfp(m, k, out) == TP_OK)
                return TP_OK;
        }
        return TP_ERR_NAME;
    }
    /* ONNX Runtime BFPType names BFP_<sign bits>_<mantissa bits>_<exponent
     * bits>_<box>, case-insensitive; sign-magnitude with S = 1 holds the same
     * values as an (M+1)-bit symmetric two's complement integer. */
    char low[40];
    size_t len = strlen(name);
    if (len >= sizeof low)
        return TP_ERR_NAME;
    for (size_t i = 0; i <= len; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    s = low;
    if (strncmp(s, "bfp_", 4) != 0)
        return TP_ERR_NAME;
    s += 4;
    if (parse_small(&s, '_', &sbits) || sbits > 1)
        return TP_ERR_NAME;
    s++;
    if (parse_small(&s, '_', &m))
        return TP_ERR_NAME;
    s++;
    if (parse_small(&s, '_', &ebits) || ebits != 8)
        return TP_ERR_NAME;
    s++;
    if (parse_small(&s, '\0', &k))
        return TP_ERR_NAME;
    if (tp_block_bfp(sbits + m, k, out) != TP_OK)
        return TP_ERR_NAME;
    return TP_OK;
}

/* Bytes of scales and elements for nblk blocks. */
static tp_status sizes(const tpi_blk *k, size_t nblk, size_t *sb, size_t *eb)
{
    size_t per;
    switch (k->fmt) {
    case TP_BLOCK_GGML_MXFP4: per = 17; break;
    case TP_BLOCK_GGML_Q8_0: per = 34; break;
    default: per = (size_t)k->bs * (size_t)k->ebits / 8; break;
    }
    if (nblk > SIZE_MAX / per)
        return TP_ERR_SIZE;
    *eb = nblk * per;
    *sb = (k->fmt == TP_BLOCK_GGML_MXFP4 || k->fmt == TP_BLOCK_GGML_Q8_0) ? 0 : nblk;
    return TP_OK;
}

tp_status tp_block_storage(const tp_block_desc *b, size_t n, size_t *scale_bytes,
                           size_t *elem_bytes)
{
    tp_status st = tp_block_check(b);
    if (st != TP_OK)
        return st == TP_ERR_NULL ? TP_ERR_FORMAT : st;
    if (n % b->block_size != 0)
        return TP_ERR_ARG;
    tpi_blk k;
    tpi_blk_init(&k, b);
    size_t sb, eb;
    st = sizes(&k, n / b->block_size, &sb, &eb);
    if (st != TP_OK)
        return st;
    if (scale_bytes != NULL)
        *scale_bytes = sb;
    if (elem_bytes != NULL)
        *elem_bytes = eb;
    return TP_OK;
}

static int overlap(const void *a, size_t na, const void *b, size_t nb)
{
    if (a == NULL || b == NULL || na == 0 || nb == 0)
        return 0;
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + nb && y < x + na;
}

static int tensor_scale_ok(float ts)
{
    uint32_t u; /* on the bits: DAZ would compare a subnormal ts as 0 */
    memcpy(&u, &ts, sizeof u);
    return u - 1u < 0x7F7FFFFFu; /* finite, positive (> +0), not NaN */
}

/* Common checks.  `src_bytes` is the byte extent of the source (0 to skip
 * the overlap test against it).  On success fills k, nblk, sb, eb. */
static tp_status check_common(const tp_block_desc *b, tpi_blk *k, size_t n, const void *scales,
                              const void *elems, const void *src, size_t src_bytes,
                              float ts, size_t *nblk, size_t *sb, size_t *eb)
{
    tp_status st = tp_block_check(b);
    if (st != TP_OK)
        return st == TP_ERR_NULL ? TP_ERR_FORMAT : TP_ERR_DESCRIPTOR;
    if (n % b->block_size != 0)
        return TP_ERR_ARG;
    if (b->format == TP_BLOCK_NVFP4 && !tensor_scale_ok(ts))
        return TP_ERR_ARG;
    tpi_blk_init(k, b);
    *nblk = n / b->block_size;
    if (n == 0)
        return TP_OK;
    st = sizes(k, *nblk, sb, eb);
    if (st != TP_OK)
        return st;
    if (elems == NULL || src == NULL || (*sb != 0 && scales == NULL))
        return TP_ERR_NULL;
    if (overlap(scales, *sb, elems, *eb) || overlap(src, src_bytes, elems, *eb) ||
        overlap(src, src_bytes, scales, *sb))
        return TP_ERR_ALIAS;
    return TP_OK;
}

static tp_status check_mode(tp_scale_rule rule, tp_round rnd, const tp_sr *sr)
{
    if ((unsigned)rule > TP_SCALE_EVEN)
        return TP_ERR_ARG;
    if ((unsigned)rnd > TP_RSR)
        return TP_ERR_ROUND;
    if (rnd == TP_RSR && sr == NULL)
        return TP_ERR_ARG;
    return TP_OK;
}

static void merge_flags(unsigned *flags, unsigned f)
{
    if (flags != NULL)
        *flags |= f;
}

/* Source of one block: binary32 or bfloat16, 1-D or strided 2-D. */
typedef struct src_view {
    const float *f32;
    const uint16_t *bf16;
    size_t rows, cols, ld; /* 1-D: rows = 1, cols = n */
    int axis;
} src_view;

static float load_src(const src_view *v, size_t r, size_t c)
{
    size_t i = r * v->ld + c;
    if (v->f32 != NULL)
        return v->f32[i];
    uint32_t b = (uint32_t)v->bf16[i] << 16;
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* Element t of the gathered sequence (see tp_block_quantize_2d_f32). */
static void pos_of(const src_view *v, size_t t, size_t *r, size_t *c)
{
    if (v->axis == 1) {
        *r = t / v->cols;
        *c = t % v->cols;
    } else {
        *c = t / v->rows;
        *r = t % v->rows;
    }
}

/* Byte offset of block b0 in `elems` (b0 <= a block count sizes() accepted). */
static size_t elem_offset(const tpi_blk *k, size_t b0)
{
    size_t sb = 0, eb = 0;
    (void)sizes(k, b0, &sb, &eb);
    return eb;
}

/* The stochastic words of a call that starts at element `off` of sr. */
static tp_sr sr_from(const tp_sr *sr, size_t off)
{
    tp_sr s = *sr;
    if (s.bits != NULL)
        s.bits += off;
    else
        s.counter += off;
    return s;
}

/* Blocks gathered per slot call when the source is not one contiguous
 * binary32 array (2-D by columns, ld > cols, bfloat16). */
#define GATHER_VALUES 2048

static int contiguous(const src_view *v)
{
    return v->rows <= 1 || (v->axis == 1 && v->ld == v->cols);
}

static void quant_all(const tpi_blk *k, const src_view *v, size_t nblk, uint8_t *scales,
                      void *elems, float ts, tp_scale_rule rule, tp_round rnd, const tp_sr *sr,
                      unsigned *flags)
{
    float x[GATHER_VALUES];
    const tp_sr *s = rnd == TP_RSR ? sr : NULL;
    size_t bs = (size_t)k->bs;
    tpi_blk_quant_fn fn = tpi_kernels_get()->blk_quant[k->fmt];
    if (v->f32 != NULL && contiguous(v)) {
        fn(k, v->f32, nblk, ts, scales, elems, rule, rnd, s, flags);
        return;
    }
    size_t per = GATHER_VALUES / bs;
    for (size_t b0 = 0; b0 < nblk; b0 += per) {
        size_t nb = nblk - b0 < per ? nblk - b0 : per;
        for (size_t t = 0; t < nb * bs; t++) {
            size_t r, c;
            pos_of(v, b0 * bs + t, &r, &c);
            x[t] = load_src(v, r, c);
        }
        tp_sr s2;
        if (s != NULL)
            s2 = sr_from(s, b0 * bs);
        fn(k, x, nb, ts, scales == NULL ? NULL : scales + b0,
           (uint8_t *)elems + elem_offset(k, b0), rule, rnd, s != NULL ? &s2 : NULL, flags);
    }
}

static tp_status quantize(const tp_block_desc *b, const src_view *v, size_t esz, uint8_t *scales,
                          void *elems, float ts, tp_scale_rule rule, tp_round rnd,
                          const tp_sr *sr, unsigned *flags)
{
    tpi_blk k;
    size_t nblk = 0, sb = 0, eb = 0;
    size_t n = v->rows * v->cols;
    size_t extent = v->rows == 0 ? 0 : ((v->rows - 1) * v->ld + v->cols) * esz;
    const void *src = v->f32 != NULL ? (const void *)v->f32 : (const void *)v->bf16;
    tp_status st = check_common(b, &k, n, scales, elems, src, extent, ts, &nblk, &sb, &eb);
    if (st == TP_OK)
        st = check_mode(rule, rnd, sr);
    if (st != TP_OK || n == 0)
        return st;
    unsigned f = 0;
    /* Every kernel writes every byte of whole blocks (FP4 blocks have an
     * even size), so elems needs no clearing. */
    quant_all(&k, v, nblk, scales, elems, ts, rule, rnd, sr, &f);
    merge_flags(flags, f);
    return TP_OK;
}

tp_status tp_block_quantize_f32(const tp_block_desc *b, const float *src, size_t n,
                                uint8_t *scales, void *elems, float tensor_scale,
                                tp_scale_rule rule, tp_round rnd, const tp_sr *sr, unsigned *flags)
{
    src_view v = {src, NULL, 1, n, n, 1};
    if (src == NULL && n > 0)
        return tp_block_check(b) != TP_OK ? TP_ERR_FORMAT : TP_ERR_NULL;
    return quantize(b, &v, sizeof(float), scales, elems, tensor_scale, rule, rnd, sr, flags);
}

tp_status tp_block_quantize_bf16(const tp_block_desc *b, const uint16_t *src, size_t n,
                                 uint8_t *scales, void *elems, float tensor_scale,
                                 tp_scale_rule rule, tp_round rnd, const tp_sr *sr,
                                 unsigned *flags)
{
    src_view v = {NULL, src, 1, n, n, 1};
    if (src == NULL && n > 0)
        return tp_block_check(b) != TP_OK ? TP_ERR_FORMAT : TP_ERR_NULL;
    return quantize(b, &v, sizeof(uint16_t), scales, elems, tensor_scale, rule, rnd, sr, flags);
}

static tp_status check_2d(size_t rows, size_t cols, size_t ld, int axis, size_t *n)
{
    if (axis != 0 && axis != 1)
        return TP_ERR_ARG;
    if (ld < cols)
        return TP_ERR_ARG;
    if (cols != 0 && rows > SIZE_MAX / cols)
        return TP_ERR_SIZE;
    if (rows != 0 && ld > (SIZE_MAX - cols) / rows)
        return TP_ERR_SIZE;
    *n = rows * cols;
    return TP_OK;
}

tp_status tp_block_quantize_2d_f32(const tp_block_desc *b, const float *src, size_t rows,
                                   size_t cols, size_t ld, int axis, uint8_t *scales, void *elems,
                                   float tensor_scale, tp_scale_rule rule, tp_round rnd,
                                   const tp_sr *sr, unsigned *flags)
{
    size_t n;
    if (tp_block_check(b) != TP_OK)
        return TP_ERR_FORMAT;
    tp_status st = check_2d(rows, cols, ld, axis, &n);
    if (st != TP_OK)
        return st;
    /* Each row (axis 1) or column (axis 0) must hold whole blocks. */
    if ((axis == 1 ? cols : rows) % b->block_size != 0)
        return TP_ERR_ARG;
    if (src == NULL && n > 0)
        return TP_ERR_NULL;
    src_view v = {src, NULL, rows, cols, ld, axis};
    if (n == 0)
        v.rows = 0;
    return quantize(b, &v, sizeof(float), scales, elems, tensor_scale, rule, rnd, sr, flags);
}

/* ------------------------------------------------------------ dequantise */

static tp_status dequantize(const tp_block_desc *b, const uint8_t *scales, const void *elems,
                            size_t rows, size_t cols, size_t ld, int axis, float ts, float *d32,
                            double *d64, unsigned *flags)
{
    tpi_blk k;
    size_t nblk = 0, sb = 0, eb = 0, n = rows * cols;
    size_t esz = d32 != NULL ? sizeof(float) : sizeof(double);
    const void *dst = d32 != NULL ? (const void *)d32 : (const void *)d64;
    size_t extent = rows == 0 ? 0 : ((rows - 1) * ld + cols) * esz;
    tp_status st = check_common(b, &k, n, scales, elems, dst, extent, ts, &nblk, &sb, &eb);
    if (st != TP_OK || n == 0)
        return st;
    if (tpi_ref_block_bad_codes(&k, scales, elems, nblk))
        return TP_ERR_CODE;
    unsigned f = 0;
    src_view v = {NULL, NULL, rows, cols, ld, axis};
    size_t bs = (size_t)k.bs;
    if (d32 != NULL) {
        tpi_blk_dequant_fn fn = tpi_kernels_get()->blk_dequant[k.fmt];
        if (contiguous(&v)) {
            fn(&k, scales, elems, nblk, ts, d32, &f);
        } else {
            float tmp[GATHER_VALUES];
            size_t per = GATHER_VALUES / bs;
            for (size_t b0 = 0; b0 < nblk; b0 += per) {
                size_t nb = nblk - b0 < per ? nblk - b0 : per;
                fn(&k, scales == NULL ? NULL : scales + b0,
                   (const uint8_t *)elems + elem_offset(&k, b0), nb, ts, tmp, &f);
                for (size_t t = 0; t < nb * bs; t++) {
                    size_t r, c;
                    pos_of(&v, b0 * bs + t, &r, &c);
                    d32[r * ld + c] = tmp[t];
                }
            }
        }
        merge_flags(flags, f);
        return TP_OK;
    }
    tpi_fmt f32;
    tpi_fmt_init(&f32, tp_format_get(TP_F32));
    double out[256];
    for (size_t blk = 0; blk < nblk; blk++) {
        tpi_ref_block_dequant1(&k, scales, elems, blk, ts, out, &f);
        for (int j = 0; j < k.bs; j++) {
            size_t r, c;
            pos_of(&v, blk * bs + (size_t)j, &r, &c);
            if (d64 != NULL) {
                d64[r * ld + c] = out[j];
            } else {
                /* One RNE rounding to binary32; beyond its range +-Inf with
                 * OVERFLOW|INEXACT (tp_overflow, TP_OVF_NONSAT). */
                uint32_t bits = (uint32_t)tpi_ref_encode1_f64(&f32, out[j], TP_RNE, TP_OVF_NONSAT,
                                                              0, &f);
                memcpy(&d32[r * ld + c], &bits, sizeof bits);
            }
        }
    }
    merge_flags(flags, f);
    return TP_OK;
}

tp_status tp_block_dequantize_f32(const tp_block_desc *b, const uint8_t *scales,
                                  const void *elems, size_t n, float tensor_scale, float *dst,
                                  unsigned *flags)
{
    if (dst == NULL && n > 0)
        return tp_block_check(b) != TP_OK ? TP_ERR_FORMAT : TP_ERR_NULL;
    return dequantize(b, scales, elems, 1, n, n, 1, tensor_scale, dst, NULL, flags);
}

tp_status tp_block_dequantize_f64(const tp_block_desc *b, const uint8_t *scales,
                                  const void *elems, size_t n, float tensor_scale, double *dst,
                                  unsigned *flags)
{
    if (dst == NULL && n > 0)
        return tp_block_check(b) != TP_OK ? TP_ERR_FORMAT : TP_ERR_NULL;
    return dequantize(b, scales, elems, 1, n, n, 1, tensor_scale, NULL, dst, flags);
}

tp_status tp_block_dequantize_2d_f32(const tp_block_desc *b, const uint8_t *scales,
                                     const void *elems, size_t rows, size_t cols, int axis,
                                     float tensor_scale, float *dst, size_t ld, unsigned *flags)
{
    size_t n;
    if (tp_block_check(b) != TP_OK)
        return TP_ERR_FORMAT;
    tp_status st = check_2d(rows, cols, ld, axis, &n);
    if (st != TP_OK)
        return st;
    if ((axis == 1 ? cols : rows) % b->block_size != 0)
        return TP_ERR_ARG;
    if (dst == NULL && n > 0)
        return TP_ERR_NULL;
    return dequantize(b, scales, elems, n == 0 ? 0 : rows, cols, ld, axis, tensor_scale, dst, NULL,
                      flags);
}

tp_status tp_nvfp4_tensor_scale(const tp_block_desc *b, const float *src, size_t n, float *out)
{
    if (tp_block_check(b) != TP_OK || b->format != TP_BLOCK_NVFP4)
        return TP_ERR_FORMAT;
    if (out == NULL || (src == NULL && n > 0))
        return TP_ERR_NULL;
    uint32_t amax = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a;
        memcpy(&a, &src[i], sizeof a);
        a &= 0x7FFFFFFFu;
        if (a < 0x7F800000u && a > amax) /* finite values only */
            amax = a;
    }
    float am;
    memcpy(&am, &amax, sizeof am);
    *out = tpi_ref_nvfp4_tensor_scale(b->recipe, am);
    return TP_OK;
}
