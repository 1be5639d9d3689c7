/*
 * acc.c -- the accumulator entry points: argument checks, then the reference
 * accumulators of lib/ref/acc_ref.c.
 */
#include <string.h>

#include "internal.h"
#include "ref.h"

/* Resolves a descriptor and unpacks one code of it. */
static tp_status unpack(const tp_format_desc *d, uint64_t code, tpi_val *v)
{
    tpi_fmt p;
    if (d == NULL)
        return TP_ERR_NULL;
    if (tp_format_check(d) != TP_OK)
        return TP_ERR_DESCRIPTOR;
    tpi_fmt_init(&p, d);
    if (code & ~p.code_mask)
        return TP_ERR_CODE;
    unsigned f = 0; /* a UE4M3 code >= 0x80 unpacks as NaN */
    tpi_ref_unpack(&p, code, v, &f);
    return TP_OK;
}

static tp_status check_round(const tp_format_desc *out, tp_round rnd, tp_overflow ovf,
                             const uint64_t *code, tpi_fmt *p)
{
    if (out == NULL || code == NULL)
        return TP_ERR_NULL;
    if (tp_format_check(out) != TP_OK)
        return TP_ERR_DESCRIPTOR;
    if ((unsigned)rnd > TP_RSR)
        return TP_ERR_ROUND;
    if ((unsigned)ovf > TP_OVF_NONSAT)
        return TP_ERR_POLICY;
    tpi_fmt_init(p, out);
    return TP_OK;
}

tp_status tp_acc_init(tp_acc *a)
{
    if (a == NULL)
        return TP_ERR_NULL;
    tpi_ref_acc_init(a);
    return TP_OK;
}

tp_status tp_acc_add_f64(tp_acc *a, double x)
{
    if (a == NULL)
        return TP_ERR_NULL;
    tpi_ref_acc_add_f64(a, x);
    return TP_OK;
}

tp_status tp_acc_add_f64_array(tp_acc *a, const double *x, size_t n)
{
    if (a == NULL || (x == NULL && n > 0))
        return TP_ERR_NULL;
    tpi_ref_acc_add_f64_array(a, x, n);
    return TP_OK;
}

tp_status tp_acc_add_prod_f64(tp_acc *a, double x, double y)
{
    if (a == NULL)
        return TP_ERR_NULL;
    tpi_ref_acc_add_prod_f64(a, x, y);
    return TP_OK;
}

tp_status tp_acc_add_code(tp_acc *a, const tp_format_desc *d, uint64_t code)
{
    tpi_val v;
    if (a == NULL)
        return TP_ERR_NULL;
    tp_status st = unpack(d, code, &v);
    if (st != TP_OK)
        return st;
    tpi_ref_acc_add_val(a, &v);
    return TP_OK;
}

tp_status tp_acc_add_prod_codes(tp_acc *a, const tp_format_desc *da, uint64_t ca,
                                const tp_format_desc *db, uint64_t cb)
{
    tpi_val x, y;
    if (a == NULL)
        return TP_ERR_NULL;
    tp_status st = unpack(da, ca, &x);
    if (st == TP_OK)
        st = unpack(db, cb, &y);
    if (st != TP_OK)
        return st;
    tpi_ref_acc_add_prod_val(a, &x, &y);
    return TP_OK;
}

tp_status tp_acc_merge(tp_acc *dst, const tp_acc *src)
{
    if (dst == NULL || src == NULL)
        return TP_ERR_NULL;
    tpi_ref_acc_merge(dst, src);
    return TP_OK;
}

tp_status tp_acc_negate(tp_acc *a)
{
    if (a == NULL)
        return TP_ERR_NULL;
    tpi_ref_acc_negate(a);
    return TP_OK;
}

tp_status tp_acc_round(const tp_acc *a, const tp_format_desc *out, tp_round rnd, tp_overflow ovf,
                       uint32_t rbits, uint64_t *code, unsigned *flags)
{
    tpi_fmt p;
    if (a == NULL)
        return TP_ERR_NULL;
    tp_status st = check_round(out, rnd, ovf, code, &p);
    if (st != TP_OK)
        return st;
    unsigned f = 0;
    *code = tpi_ref_acc_round(a, &p, rnd, tpi_resolve_ovf(&p, ovf), rbits, &f);
    if (flags != NULL)
        *flags |= f;
    return TP_OK;
}

tp_status tp_acc_serialize(const tp_acc *a, uint8_t *buf, size_t len)
{
    if (a == NULL || buf == NULL)
        return TP_ERR_NULL;
    if (len < TP_ACC_SERIAL_BYTES)
        return TP_ERR_ARG;
    tpi_ref_acc_serialize(a, buf);
    return TP_OK;
}

tp_status tp_acc_deserialize(tp_acc *a, const uint8_t *buf, size_t len)
{
    if (a == NULL || buf == NULL)
        return TP_ERR_NULL;
    if (len < TP_ACC_SERIAL_BYTES)
        return TP_ERR_DATA;
    return tpi_ref_acc_deserialize(a, buf) == 0 ? TP_OK : TP_ERR_DATA;
}

tp_status tp_acc128_init(tp_acc128 *a)
{
    if (a == NULL)
        return TP_ERR_NULL;
    tpi_ref_acc128_init(a);
    return TP_OK;
}

tp_status tp_acc128_add_code(tp_acc128 *a, const tp_format_desc *d, uint64_t code)
{
    tpi_val v;
    if (a == NULL)
        return TP_ERR_NULL;
    tp_status st = unpack(d, code, &v);
    if (st != TP_OK)
        return st;
    return tpi_ref_acc128_add_val(a, &v) == 0 ? TP_OK : TP_ERR_RANGE;
}

tp_status tp_acc128_add_prod_codes(tp_acc128 *a, const tp_format_desc *da, uint64_t ca,
                                   const tp_format_desc *db, uint64_t cb)
{
    tpi_val x, y;
    if (a == NULL)
        return TP_ERR_NULL;
    tp_status st = unpack(da, ca, &x);
    if (st == TP_OK)
        st = unpack(db, cb, &y);
    if (st != TP_OK)
        return st;
    return tpi_ref_acc128_add_prod_val(a, &x, &y) == 0 ? TP_OK : TP_ERR_RANGE;
}

tp_status tp_acc128_merge(tp_acc128 *dst, const tp_acc128 *src)
{
    if (dst == NULL || src == NULL)
        return TP_ERR_NULL;
    return tpi_ref_acc128_merge(dst, src) == 0 ? TP_OK : TP_ERR_RANGE;
}

tp_status tp_acc128_round(const tp_acc128 *a, const tp_format_desc *out, tp_round rnd,
                          tp_overflow ovf, uint32_t rbits, uint64_t *code, unsigned *flags)
{
    tpi_fmt p;
    if (a == NULL)
        return TP_ERR_NULL;
    tp_status st = check_round(out, rnd, ovf, code, &p);
    if (st != TP_OK)
        return st;
    unsigned f = 0;
    *code = tpi_ref_acc128_round(a, &p, rnd, tpi_resolve_ovf(&p, ovf), rbits, &f);
    if (flags != NULL)
        *flags |= f;
    return TP_OK;
}

tp_status tp_acc128_to_acc(const tp_acc128 *src, tp_acc *dst)
{
    if (src == NULL || dst == NULL)
        return TP_ERR_NULL;
    tpi_ref_acc128_to_acc(src, dst);
    return TP_OK;
}
