/*
 * dot.c -- exact dot product entry points: argument checks, then one
 * dispatch per call (lib/ref/dot_ref.c for the paths and their bounds).
 * On any error nothing is written and the flags word is unchanged.
 */
#include <float.h>
#include <string.h>

#include "internal.h"
#include "ref.h"


static tp_status check_out(const tp_format_desc *out, tp_round rnd, tp_overflow ovf,
                           const tp_sr *sr, const uint64_t *result)
{
    if (out == NULL)
        return TP_ERR_NULL;
    if (tp_format_check(out) != TP_OK)
        return TP_ERR_DESCRIPTOR;
    if ((unsigned)rnd > TP_RSR)
        return TP_ERR_ROUND;
    if ((unsigned)ovf > TP_OVF_NONSAT)
        return TP_ERR_POLICY;
    if (rnd == TP_RSR && sr == NULL)
        return TP_ERR_ARG;
    if (result == NULL)
        return TP_ERR_NULL;
    return TP_OK;
}

static uint32_t sr_word0(tp_round rnd, const tp_sr *sr)
{
    if (rnd != TP_RSR)
        return 0;
    return sr->bits != NULL ? sr->bits[0] : tp_sr_word(sr->seed, sr->counter);
}

/* One strided operand: descriptor checks, extent, code widths.  *inv is set
 * if a UE4M3 code has its sign bit set (TP_FLAG_INVALID, as decoding). */
static tp_status check_operand(const tp_format_desc *d, const void *x, size_t inc, size_t n,
                               tpi_fmt *p, int *inv)
{
    if (d == NULL)
        return TP_ERR_NULL;
    if (tp_format_check(d) != TP_OK)
        return TP_ERR_DESCRIPTOR;
    if (inc == 0)
        return TP_ERR_ARG;
    tpi_fmt_init(p, d);
    if (n == 0)
        return TP_OK;
    if (x == NULL)
        return TP_ERR_NULL;
    size_t size = tpi_code_size(d);
    if (n - 1 > (SIZE_MAX - 1) / inc || (n - 1) * inc + 1 > SIZE_MAX / size)
        return TP_ERR_SIZE;
    size_t extent = ((n - 1) * inc + 1) * size;
    if ((uintptr_t)x > UINTPTR_MAX - extent)
        return TP_ERR_SIZE;
    if ((uint64_t)p->bits < size * 8) {
        uint64_t any = 0;
        for (size_t i = 0; i < n; i++)
            any |= tpi_load_code(x, i * inc, size);
        if (any & ~p->code_mask)
            return TP_ERR_CODE;
    }
    if (p->sign_invalid) {
        uint64_t sb = UINT64_C(1) << p->sign_shift, any = 0;
        for (size_t i = 0; i < n; i++)
            any |= tpi_load_code(x, i * inc, size);
        if (any & sb)
            *inv = 1;
    }
    return TP_OK;
}

static void run_dot(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
                    const void *b, size_t incb, size_t n, tp_acc *acc)
{
    if (n == 0)
        return;
    int fa = tpi_builtin_index(pa->d), fb = tpi_builtin_index(pb->d);
    tpi_dot_fn fn = tpi_ref_dot_generic;
    if (fa >= 0 && fb >= 0)
        fn = tpi_kernels_get()->dot[fa][fb];
    fn(pa, a, inca, pb, b, incb, n, acc);
}

tp_status tp_dot(const tp_format_desc *da, const void *a, size_t inca, const tp_format_desc *db,
                 const void *b, size_t incb, size_t n, const tp_format_desc *out, tp_round rnd,
                 tp_overflow ovf, const tp_sr *sr, uint64_t *result, unsigned *flags)
{
    tpi_fmt pa, pb;
    int inv = 0;
    tp_status st = check_operand(da, a, inca, n, &pa, &inv);
    if (st == TP_OK)
        st = check_operand(db, b, incb, n, &pb, &inv);
    if (st == TP_OK)
        st = check_out(out, rnd, ovf, sr, result);
    if (st != TP_OK)
        return st;
    tp_acc acc;
    tp_acc_init(&acc);
    run_dot(&pa, a, inca, &pb, b, incb, n, &acc);
    uint64_t code;
    unsigned f = inv ? TP_FLAG_INVALID : 0;
    st = tp_acc_round(&acc, out, rnd, ovf, sr_word0(rnd, sr), &code, &f);
    if (st != TP_OK)
        return st;
    *result = code;
    if (flags != NULL)
        *flags |= f;
    return TP_OK;
}

tp_status tp_dot_acc(const tp_format_desc *da, const void *a, size_t inca,
                     const tp_format_desc *db, const void *b, size_t incb, size_t n, tp_acc *acc)
{
    tpi_fmt pa, pb;
    int inv = 0;
    tp_status st = check_operand(da, a, inca, n, &pa, &inv);
    if (st == TP_OK)
        st = check_operand(db, b, incb, n, &pb, &inv);
    if (st != TP_OK)
        return st;
    if (acc == NULL)
        return TP_ERR_NULL;
    run_dot(&pa, a, inca, &pb, b, incb, n, acc);
    return TP_OK;
}

/* ------------------------------------------------------------ blocks */

static int overflows(const void *p, size_t len)
{
    return len != 0 && (uintptr_t)p > UINTPTR_MAX - len;
}

/* A block operand: descriptor, tensor scale, pointers, sizes, codes. */
static tp_status check_block(const tp_block_desc *bd, const uint8_t *s, const void *e, float ts,
                             size_t n, tpi_blk *k)
{
    tp_status st = tp_block_check(bd);
    if (st != TP_OK)
        return st == TP_ERR_NULL ? TP_ERR_FORMAT : TP_ERR_DESCRIPTOR;
    if (n % bd->block_size != 0)
        return TP_ERR_ARG;
    uint32_t tsu; /* on the bits: DAZ would compare a subnormal ts as 0 */
    memcpy(&tsu, &ts, sizeof tsu);
    if (bd->format == TP_BLOCK_NVFP4 && !(tsu - 1u < 0x7F7FFFFFu)) /* finite, > +0 */
        return TP_ERR_ARG;
    tpi_blk_init(k, bd);
    if (n == 0)
        return TP_OK;
    size_t sb, eb;
    st = tp_block_storage(bd, n, &sb, &eb);
    if (st != TP_OK)
        return st;
    if (e == NULL || (sb != 0 && s == NULL))
        return TP_ERR_NULL;
    if (overflows(e, eb) || (sb != 0 && overflows(s, sb)))
        return TP_ERR_SIZE;
    if (tpi_ref_block_bad_codes(k, s, e, n / bd->block_size))
        return TP_ERR_CODE;
    return TP_OK;
}

/* Checks both operands (bb == NULL: eb is binary32); fills ka and *kb. */
static tp_status check_blocks(const tp_block_desc *ba, const uint8_t *sa, const void *ea,
                              float tsa, const tp_block_desc *bb, const uint8_t *sb,
                              const void *eb, float tsb, size_t n, tpi_blk *ka, tpi_blk *kbs,
                              const tpi_blk **kb)
{
    tp_status st = check_block(ba, sa, ea, tsa, n, ka);
    if (st != TP_OK)
        return st;
    *kb = NULL;
    if (bb != NULL) {
        st = check_block(bb, sb, eb, tsb, n, kbs);
        if (st != TP_OK)
            return st;
        *kb = kbs;
    } else if (n > 0) {
        if (eb == NULL)
            return TP_ERR_NULL;
        if (n > SIZE_MAX / sizeof(float) || overflows(eb, n * sizeof(float)))
            return TP_ERR_SIZE;
    }
    return TP_OK;
}

tp_status tp_block_dot(const tp_block_desc *ba, const uint8_t *sa, const void *ea, float tsa,
                       const tp_block_desc *bb, const uint8_t *sb, const void *eb, float tsb,
                       size_t n, const tp_format_desc *out, tp_round rnd, tp_overflow ovf,
                       const tp_sr *sr, uint64_t *result, unsigned *flags)
{
    /* tpi_blk points into itself: initialised in place, never copied. */
    tpi_blk ka, kbs;
    const tpi_blk *kb;
    tp_status st = check_blocks(ba, sa, ea, tsa, bb, sb, eb, tsb, n, &ka, &kbs, &kb);
    if (st == TP_OK)
        st = check_out(out, rnd, ovf, sr, result);
    if (st != TP_OK)
        return st;
    tp_acc acc;
    tp_acc_init(&acc);
    unsigned f = 0;
    if (n > 0)
        tpi_kernels_get()->blk_dot(&ka, sa, ea, tsa, kb, sb, eb, tsb, n, &acc, &f);
    uint64_t code;
    st = tp_acc_round(&acc, out, rnd, ovf, sr_word0(rnd, sr), &code, &f);
    if (st != TP_OK)
        return st;
    *result = code;
    if (flags != NULL)
        *flags |= f;
    return TP_OK;
}

tp_status tp_block_dot_acc(const tp_block_desc *ba, const uint8_t *sa, const void *ea, float tsa,
                           const tp_block_desc *bb, const uint8_t *sb, const void *eb, float tsb,
                           size_t n, tp_acc *acc)
{
    tpi_blk ka, kbs;
    const tpi_blk *kb;
    tp_status st = check_blocks(ba, sa, ea, tsa, bb, sb, eb, tsb, n, &ka, &kbs, &kb);
    if (st != TP_OK)
        return st;
    if (acc == NULL)
        return TP_ERR_NULL;
    unsigned f = 0;
    if (n > 0)
        tpi_kernels_get()->blk_dot(&ka, sa, ea, tsa, kb, sb, eb, tsb, n, acc, &f);
    return TP_OK;
}
