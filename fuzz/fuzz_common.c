/*
 * fuzz_common.c -- helpers shared by the fuzz targets (fuzz_common.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "oracle.h"

const char *fz_current_input;

void fz_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("fuzz check failed: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (fz_current_input != NULL)
        fprintf(stderr, "fuzz input: %s\n", fz_current_input);
    fflush(stderr);
    abort();
}

void fz_trace(const char *fmt, ...)
{
    static int on = -1;
    if (on < 0)
        on = getenv("TP_FUZZ_TRACE") != NULL;
    if (!on)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

size_t fz_code_size(const tp_format_desc *d)
{
    if (d->bits <= 8)
        return 1;
    if (d->bits <= 16)
        return 2;
    if (d->bits <= 32)
        return 4;
    return 8;
}

uint64_t fz_code_load(const tp_format_desc *d, const void *base, size_t i)
{
    const uint8_t *p = (const uint8_t *)base;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    switch (fz_code_size(d)) {
    case 1: memcpy(&u8, p + i, 1); return u8;
    case 2: memcpy(&u16, p + 2 * i, 2); return u16;
    case 4: memcpy(&u32, p + 4 * i, 4); return u32;
    default: memcpy(&u64, p + 8 * i, 8); return u64;
    }
}

void fz_code_store(const tp_format_desc *d, void *base, size_t i, uint64_t code)
{
    uint8_t *p = (uint8_t *)base;
    uint8_t u8 = (uint8_t)code;
    uint16_t u16 = (uint16_t)code;
    uint32_t u32 = (uint32_t)code;
    switch (fz_code_size(d)) {
    case 1: memcpy(p + i, &u8, 1); break;
    case 2: memcpy(p + 2 * i, &u16, 2); break;
    case 4: memcpy(p + 4 * i, &u32, 4); break;
    default: memcpy(p + 8 * i, &code, 8); break;
    }
}

const tp_format_desc *fz_format(fz_in *in, tp_format_desc *store, int *user)
{
    uint8_t sel = fz_u8(in);
    const tp_format_desc *d = tp_format_get((tp_format)(sel % TP_FORMAT_COUNT));
    *user = 0;
    if (!(sel & 0x80))
        return d;
    /* A user descriptor: a built-in row with some fields replaced. */
    *store = *d;
    store->name = NULL;
    uint8_t mask = fz_u8(in);
    if (mask & 0x01)
        store->exp_bits = (uint8_t)(fz_u8(in) % 10);
    if (mask & 0x02)
        store->man_bits = (uint8_t)(fz_u8(in) % 17);
    if (mask & 0x04)
        store->bias = (int32_t)(int8_t)fz_u8(in);
    if (mask & 0x08)
        store->inf = (uint8_t)(fz_u8(in) % 3);
    if (mask & 0x10)
        store->nan = (uint8_t)(fz_u8(in) % 5);
    if (mask & 0x20)
        store->flags = (uint8_t)(fz_u8(in) & 0x1F);
    if (mask & 0x40) {
        store->scale_exp = (int32_t)(int8_t)fz_u8(in);
        store->sign = (uint8_t)(fz_u8(in) % 3);
    }
    if (mask & 0x80)
        store->kind = (uint8_t)(fz_u8(in) % 3);
    /* Keep bits consistent most of the time (else tp_format_check refuses). */
    uint8_t b = fz_u8(in);
    if (store->kind == TP_KIND_FLOAT && !(b & 0x80))
        store->bits = (uint8_t)(store->sign + store->exp_bits + store->man_bits +
                                ((store->flags & TP_DESC_SIGN_INVALID) ? 1 : 0));
    else
        store->bits = (uint8_t)(b % 40);
    /* A format without zero and without NaN has no code for 0 (the
     * contract names none): tp_format_check accepts such descriptors, but
     * the result is unspecified, so they are not generated (fuzz/README.md). */
    if (store->kind == TP_KIND_FLOAT && (store->flags & TP_DESC_NO_ZERO) &&
        store->nan == TP_NAN_NONE)
        store->flags &= (uint8_t)~TP_DESC_NO_ZERO;
    *user = 1;
    return store;
}

const char *fz_desc_text(const tp_format_desc *d, char *buf, size_t size)
{
    if (d->name != NULL)
        snprintf(buf, size, "%s", d->name);
    else
        snprintf(buf, size,
                 "user{kind %u bits %u sign %u exp %u man %u inf %u nan %u flags 0x%x bias %d "
                 "scale_exp %d}",
                 d->kind, d->bits, d->sign, d->exp_bits, d->man_bits, d->inf, d->nan, d->flags,
                 (int)d->bias, (int)d->scale_exp);
    return buf;
}

double fz_near_grid(fz_in *in, const tp_format_desc *d)
{
    uint8_t mode = fz_u8(in);
    if ((mode & 3) == 0)
        return fz_u2d(fz_u64(in));
    if ((mode & 3) == 1)
        return (double)fz_u2f(fz_u32(in));
    uint64_t mag = fz_u16(in);
    unsigned width = d->bits > 16 ? 16 : d->bits;
    mag &= (UINT64_C(1) << width) - 1;
    double v = 0;
    if (orc_grid_value(d, mag, &v) != 0)
        return 0;
    if ((mode & 3) == 3) {
        double w = 0;
        if (orc_grid_value(d, mag + 1, &w) == 0)
            v = v / 2 + w / 2; /* exact for the narrow grids */
    }
    int delta = (int8_t)fz_u8(in);
    delta = delta / 16; /* mostly 0, up to +-7 steps */
    for (; delta > 0; delta--)
        v = nextafter(v, INFINITY);
    for (; delta < 0; delta++)
        v = nextafter(v, -INFINITY);
    return (mode & 4) ? -v : v;
}

/* ------------------------------------------------------------ blocks */

int fz_block_is_ggml(const tp_block_desc *b)
{
    return b->format == TP_BLOCK_GGML_MXFP4 || b->format == TP_BLOCK_GGML_Q8_0;
}

/* Width in bits of an element code in the default layout. */
unsigned fz_block_elem_width(const tp_block_desc *b)
{
    if (b->format == TP_BLOCK_BFP)
        return b->mant_bits;
    return tp_format_get((tp_format)b->elem)->bits;
}

/* Element i of the default layout (n values in total). */
uint64_t fz_block_elem(const tp_block_desc *b, const uint8_t *e, size_t i)
{
    unsigned w = fz_block_elem_width(b);
    if (w == 4 && b->format != TP_BLOCK_BFP)
        return (e[i / 2] >> (i % 2 ? 4 : 0)) & 0xF;
    if (w <= 8)
        return e[i];
    uint16_t v;
    memcpy(&v, e + 2 * i, 2);
    return v;
}

/* Scale code and element codes of block k, as stored by the library. */
void fz_block_load(const tp_block_desc *b, const uint8_t *scales, const uint8_t *elems,
                       size_t k, uint32_t *scale, uint64_t *codes)
{
    size_t bs = b->block_size;
    if (b->format == TP_BLOCK_GGML_MXFP4) {
        const uint8_t *p = elems + 17 * k;
        *scale = p[0];
        for (size_t j = 0; j < 16; j++) {
            codes[j] = p[1 + j] & 0xF;
            codes[j + 16] = p[1 + j] >> 4;
        }
    } else if (b->format == TP_BLOCK_GGML_Q8_0) {
        const uint8_t *p = elems + 34 * k;
        *scale = (uint32_t)p[0] | (uint32_t)p[1] << 8;
        for (size_t j = 0; j < 32; j++)
            codes[j] = p[2 + j];
    } else {
        *scale = scales[k];
        for (size_t j = 0; j < bs; j++)
            codes[j] = fz_block_elem(b, elems, k * bs + j);
    }
}

