/*
 * convert.c -- the conversion entry points: argument checks, then one
 * dispatch per call over the whole array.
 */
#include <string.h>

#include "internal.h"
#include "ref.h"

static tp_status check_mode(tp_round rnd, tp_overflow ovf, const tp_sr *sr)
{
    if ((unsigned)rnd > TP_RSR)
        return TP_ERR_ROUND;
    if ((unsigned)ovf > TP_OVF_NONSAT)
        return TP_ERR_POLICY;
    if (rnd == TP_RSR && sr == NULL)
        return TP_ERR_ARG;
    return TP_OK;
}

/* NULL pointers, size overflow and overlap of [src, src+n*ss) with
 * [dst, dst+n*ds); src == dst is allowed when ss == ds. */
static tp_status check_buffers(const void *src, size_t ss, const void *dst, size_t ds, size_t n)
{
    if (src == NULL || dst == NULL)
        return TP_ERR_NULL;
    size_t big = ss > ds ? ss : ds;
    if (n > SIZE_MAX / big)
        return TP_ERR_SIZE;
    uintptr_t s0 = (uintptr_t)src, d0 = (uintptr_t)dst;
    if (s0 > UINTPTR_MAX - n * ss || d0 > UINTPTR_MAX - n * ds)
        return TP_ERR_SIZE;
    if (src == dst && ss == ds)
        return TP_OK;
    if (s0 < d0 + n * ds && d0 < s0 + n * ss)
        return TP_ERR_ALIAS;
    return TP_OK;
}

/* Resolves a descriptor to its parameters: the precomputed ones of a
 * built-in format, or `own` filled for a user format.  *slot is the
 * built-in index or -1. */
static tp_status resolve(const tp_format_desc *d, tpi_fmt *own, const tpi_fmt **p, int *slot)
{
    if (d == NULL)
        return TP_ERR_NULL;
    *slot = tpi_builtin_index(d);
    if (*slot >= 0) {
        *p = &tpi_kernels_get()->fmt[*slot];
        return TP_OK;
    }
    if (tp_format_check(d) != TP_OK)
        return TP_ERR_DESCRIPTOR;
    tpi_fmt_init(own, d);
    *p = own;
    return TP_OK;
}

static void merge_flags(unsigned *flags, unsigned f)
{
    if (flags != NULL)
        *flags |= f;
}

/* The shared body of the encoders: src holds n binary32 (wide == 0) or
 * binary64 (wide == 1) values. */
static tp_status encode(const tp_format_desc *d, const void *src, int wide, void *dst, size_t n,
                        tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags)
{
    tpi_fmt own;
    const tpi_fmt *p;
    int slot;
    tp_status st = resolve(d, &own, &p, &slot);
    if (st == TP_OK)
        st = check_mode(rnd, ovf, sr);
    if (st != TP_OK || n == 0)
        return st;
    st = check_buffers(src, wide ? sizeof(double) : sizeof(float), dst, tpi_code_size(d), n);
    if (st != TP_OK)
        return st;
    unsigned f = 0;
    tp_overflow o = tpi_resolve_ovf(p, ovf);
    const tpi_kernels *k = tpi_kernels_get();
    if (wide) {
        tpi_enc_f64_fn fn = slot >= 0 ? k->enc_f64[slot] : tpi_ref_enc_f64;
        fn(p, (const double *)src, dst, n, rnd, o, sr, &f);
    } else {
        tpi_enc_f32_fn fn = slot >= 0 ? k->enc_f32[slot] : tpi_ref_enc_f32;
        fn(p, (const float *)src, dst, n, rnd, o, sr, &f);
    }
    merge_flags(flags, f);
    return TP_OK;
}

tp_status tp_encode_f32_desc(const tp_format_desc *d, const float *src, void *dst, size_t n,
                             tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags)
{
    return encode(d, src, 0, dst, n, rnd, ovf, sr, flags);
}

tp_status tp_encode_f64_desc(const tp_format_desc *d, const double *src, void *dst, size_t n,
                             tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags)
{
    return encode(d, src, 1, dst, n, rnd, ovf, sr, flags);
}

/* TP_ERR_CODE if any code has bits beyond the format's width. */
static tp_status check_codes(const tpi_fmt *p, const void *src, size_t n)
{
    size_t size = tpi_code_size(p->d);
    if ((uint64_t)p->bits == size * 8)
        return TP_OK;
    uint64_t bad = ~p->code_mask, any = 0;
    if (size == 1) {
        /* OR eight codes at a time: this check runs before every sub-byte
         * decode and must not cost more than the decode itself. */
        const uint8_t *s = (const uint8_t *)src;
        uint64_t w[4] = {0, 0, 0, 0}, t;
        size_t i = 0;
        for (; i + 32 <= n; i += 32) {
            for (int k = 0; k < 4; k++) {
                memcpy(&t, s + i + 8 * k, sizeof t);
                w[k] |= t;
            }
        }
        t = w[0] | w[1] | w[2] | w[3];
        for (int k = 0; k < 8; k++)
            any |= (t >> (8 * k)) & 0xFF;
        for (; i < n; i++)
            any |= s[i];
    } else {
        for (size_t i = 0; i < n; i++)
            any |= tpi_load_code(src, i, 2);
    }
    return (any & bad) ? TP_ERR_CODE : TP_OK;
}

/* The shared body of the decoders (to binary64 if wide). */
static tp_status decode(const tp_format_desc *d, const void *src, void *dst, int wide, size_t n,
                        unsigned *flags)
{
    tpi_fmt own;
    const tpi_fmt *p;
    int slot;
    tp_status st = resolve(d, &own, &p, &slot);
    if (st != TP_OK)
        return st;
    if (!wide && d->bits > 32)
        return TP_ERR_FORMAT; /* binary64 to binary32 would round */
    if (n == 0)
        return TP_OK;
    st = check_buffers(src, tpi_code_size(d), dst, wide ? sizeof(double) : sizeof(float), n);
    if (st == TP_OK)
        st = check_codes(p, src, n);
    if (st != TP_OK)
        return st;
    unsigned f = 0;
    const tpi_kernels *k = tpi_kernels_get();
    if (wide) {
        tpi_dec_f64_fn fn = slot >= 0 ? k->dec_f64[slot] : tpi_ref_dec_f64;
        fn(p, src, (double *)dst, n, &f);
    } else {
        tpi_dec_f32_fn fn = slot >= 0 ? k->dec_f32[slot] : tpi_ref_dec_f32;
        fn(p, src, (float *)dst, n, &f);
    }
    merge_flags(flags, f);
    return TP_OK;
}

tp_status tp_decode_f32_desc(const tp_format_desc *d, const void *src, float *dst, size_t n,
                             unsigned *flags)
{
    return decode(d, src, dst, 0, n, flags);
}

tp_status tp_decode_f64_desc(const tp_format_desc *d, const void *src, double *dst, size_t n,
                             unsigned *flags)
{
    return decode(d, src, dst, 1, n, flags);
}

tp_status tp_encode_f32(tp_format f, const float *src, void *dst, size_t n, tp_round rnd,
                        tp_overflow ovf, const tp_sr *sr, unsigned *flags)
{
    const tp_format_desc *d = tp_format_get(f);
    return d ? tp_encode_f32_desc(d, src, dst, n, rnd, ovf, sr, flags) : TP_ERR_FORMAT;
}

tp_status tp_encode_f64(tp_format f, const double *src, void *dst, size_t n, tp_round rnd,
                        tp_overflow ovf, const tp_sr *sr, unsigned *flags)
{
    const tp_format_desc *d = tp_format_get(f);
    return d ? tp_encode_f64_desc(d, src, dst, n, rnd, ovf, sr, flags) : TP_ERR_FORMAT;
}

tp_status tp_decode_f32(tp_format f, const void *src, float *dst, size_t n, unsigned *flags)
{
    const tp_format_desc *d = tp_format_get(f);
    return d ? tp_decode_f32_desc(d, src, dst, n, flags) : TP_ERR_FORMAT;
}

tp_status tp_decode_f64(tp_format f, const void *src, double *dst, size_t n, unsigned *flags)
{
    const tp_format_desc *d = tp_format_get(f);
    return d ? tp_decode_f64_desc(d, src, dst, n, flags) : TP_ERR_FORMAT;
}

tp_status tp_encode1(const tp_format_desc *d, double x, tp_round rnd, tp_overflow ovf,
                     uint32_t rbits, uint64_t *code, unsigned *flags)
{
    tpi_fmt own;
    const tpi_fmt *p;
    int slot;
    tp_status st = resolve(d, &own, &p, &slot);
    if (st != TP_OK)
        return st;
    if ((unsigned)rnd > TP_RSR)
        return TP_ERR_ROUND;
    if ((unsigned)ovf > TP_OVF_NONSAT)
        return TP_ERR_POLICY;
    if (code == NULL)
        return TP_ERR_NULL;
    unsigned f = 0;
    *code = tpi_ref_encode1_f64(p, x, rnd, tpi_resolve_ovf(p, ovf), rbits, &f);
    merge_flags(flags, f);
    return TP_OK;
}

tp_status tp_decode1(const tp_format_desc *d, uint64_t code, double *x, unsigned *flags)
{
    tpi_fmt own;
    const tpi_fmt *p;
    int slot;
    tp_status st = resolve(d, &own, &p, &slot);
    if (st != TP_OK)
        return st;
    if (x == NULL)
        return TP_ERR_NULL;
    if (code & ~p->code_mask)
        return TP_ERR_CODE;
    unsigned f = 0;
    *x = tpi_ref_decode1(p, code, &f);
    merge_flags(flags, f);
    return TP_OK;
}
