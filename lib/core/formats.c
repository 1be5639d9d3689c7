/*
 * formats.c -- the built-in format table (generated from formats.def), name
 * lookup, descriptor validation and derived parameters.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

static const tp_format_desc tpi_formats[TP_FORMAT_COUNT] = {
#define TP_FORMAT_ROW(en, nm, kind, bits, sign, e, m, bias, inf, nan, flags, sc) \
    [en] = { nm, kind, bits, sign, e, m, inf, nan, flags, bias, sc },
#include "formats.def"
#undef TP_FORMAT_ROW
};

/* The table and the enum must agree: one row per enum value, in order. */
enum {
#define TP_FORMAT_ROW(en, nm, kind, bits, sign, e, m, bias, inf, nan, flags, sc) tpi_row_##en,
#include "formats.def"
#undef TP_FORMAT_ROW
    tpi_row_count
};
_Static_assert(tpi_row_count == TP_FORMAT_COUNT, "formats.def must have one row per tp_format");
#define TP_FORMAT_ROW(en, nm, kind, bits, sign, e, m, bias, inf, nan, flags, sc) \
    _Static_assert((int)tpi_row_##en == (int)en, "formats.def rows must follow the tp_format order");
#include "formats.def"
#undef TP_FORMAT_ROW

const tp_format_desc *tp_format_get(tp_format f)
{
    if ((unsigned)f >= TP_FORMAT_COUNT)
        return NULL;
    return &tpi_formats[f];
}

tp_status tp_format_from_name(const char *name, tp_format *out)
{
    if (name == NULL || out == NULL)
        return TP_ERR_NULL;
    for (unsigned i = 0; i < TP_FORMAT_COUNT; i++) {
        if (strcmp(name, tpi_formats[i].name) == 0) {
            *out = (tp_format)i;
            return TP_OK;
        }
    }
    return TP_ERR_NAME;
}

int tpi_builtin_index(const tp_format_desc *d)
{
    /* Compared as integers: the pointer may belong to another object. */
    uintptr_t a = (uintptr_t)d, base = (uintptr_t)tpi_formats;
    if (a < base || a >= base + sizeof tpi_formats || (a - base) % sizeof tpi_formats[0] != 0)
        return -1;
    return (int)((a - base) / sizeof tpi_formats[0]);
}

size_t tpi_code_size(const tp_format_desc *d)
{
    if (d->bits <= 8)
        return 1;
    if (d->bits <= 16)
        return 2;
    if (d->bits <= 32)
        return 4;
    return 8;
}

void tpi_fmt_init(tpi_fmt *p, const tp_format_desc *d)
{
    memset(p, 0, sizeof *p);
    p->d = d;
    p->bits = d->bits;
    p->code_mask = d->bits >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << d->bits) - 1;
    p->sat_default = (d->flags & TP_DESC_SAT_DEFAULT) != 0;
    if (d->kind == TP_KIND_INT) {
        p->is_int = 1;
        p->scale_exp = d->scale_exp;
        if (d->sign) {
            p->dmin = -(INT64_C(1) << (d->bits - 1));
            p->imax = (INT64_C(1) << (d->bits - 1)) - 1;
            p->imin = (d->flags & TP_DESC_SYMMETRIC) ? -p->imax : p->dmin;
        } else {
            p->dmin = 0;
            p->imin = 0;
            p->imax = (INT64_C(1) << d->bits) - 1;
        }
        return;
    }
    int e = d->exp_bits, m = d->man_bits;
    uint64_t all_ones = (UINT64_C(1) << (e + m)) - 1;
    p->man = m;
    p->no_zero = (d->flags & TP_DESC_NO_ZERO) != 0;
    p->sign_invalid = (d->flags & TP_DESC_SIGN_INVALID) != 0;
    p->emin = p->no_zero ? -d->bias : 1 - d->bias;
    p->sign_shift = e + m;
    p->has_inf = d->inf == TP_INF_IEEE;
    p->has_nan = d->nan != TP_NAN_NONE;
    p->has_negzero = d->sign && d->nan != TP_NAN_NEGZERO;
    p->inf_mag = ((UINT64_C(1) << e) - 1) << m;
    switch (d->nan) {
    case TP_NAN_IEEE:
        p->max_mag = p->inf_mag - 1;
        p->nan_code = p->inf_mag | (UINT64_C(1) << (m - 1));
        break;
    case TP_NAN_ALLONES:
        p->max_mag = all_ones - 1;
        p->nan_code = all_ones;
        break;
    case TP_NAN_NEGZERO:
        p->max_mag = all_ones;
        p->nan_code = UINT64_C(1) << p->sign_shift;
        break;
    default:
        p->max_mag = all_ones;
        p->nan_code = 0;
        break;
    }
    p->emax = (int)(p->max_mag >> m) - d->bias;
}

tp_overflow tpi_resolve_ovf(const tpi_fmt *p, tp_overflow ovf)
{
    if (ovf == TP_OVF_DEFAULT)
        return p->sat_default ? TP_OVF_SAT : TP_OVF_NONSAT;
    return ovf;
}

static tp_status check_float(const tp_format_desc *d)
{
    const unsigned known = TP_DESC_NO_ZERO | TP_DESC_SIGN_INVALID | TP_DESC_SAT_DEFAULT;
    if (d->flags & ~known)
        return TP_ERR_DESCRIPTOR;
    if (d->sign > 1 || d->exp_bits < 1 || d->exp_bits > 8 || d->man_bits > 15)
        return TP_ERR_DESCRIPTOR;
    int sign_inv = (d->flags & TP_DESC_SIGN_INVALID) != 0;
    if (sign_inv && d->sign)
        return TP_ERR_DESCRIPTOR;
    if (d->bits != d->sign + d->exp_bits + d->man_bits + sign_inv || d->bits > 16)
        return TP_ERR_DESCRIPTOR;
    if (d->inf > TP_INF_IEEE || d->nan > TP_NAN_NEGZERO)
        return TP_ERR_DESCRIPTOR;
    if ((d->inf == TP_INF_IEEE) != (d->nan == TP_NAN_IEEE))
        return TP_ERR_DESCRIPTOR;
    if (d->nan == TP_NAN_IEEE && d->man_bits == 0)
        return TP_ERR_DESCRIPTOR;
    if (d->nan == TP_NAN_NEGZERO && !d->sign)
        return TP_ERR_DESCRIPTOR;
    if ((d->flags & TP_DESC_NO_ZERO)
        && (d->sign || d->inf != TP_INF_NONE || d->nan == TP_NAN_NONE))
        return TP_ERR_DESCRIPTOR; /* no zero: zero, negative and NaN inputs need the NaN */
    if (d->bias < -300 || d->bias > 300 || d->scale_exp != 0)
        return TP_ERR_DESCRIPTOR;
    tpi_fmt p;
    tpi_fmt_init(&p, d);
    if (p.max_mag == 0 && !p.no_zero)
        return TP_ERR_DESCRIPTOR; /* no positive finite value */
    /* Every finite value must be exact in binary32. */
    int min_exp = p.no_zero ? -d->bias : 1 - d->bias - d->man_bits;
    if (p.emax > 127 || min_exp < -149)
        return TP_ERR_DESCRIPTOR;
    return TP_OK;
}

static tp_status check_int(const tp_format_desc *d)
{
    const unsigned known = TP_DESC_SAT_DEFAULT | TP_DESC_SYMMETRIC;
    if (d->flags & ~known)
        return TP_ERR_DESCRIPTOR;
    if (d->bits < 2 || d->bits > 16 || d->sign > 1 || d->exp_bits || d->man_bits || d->bias)
        return TP_ERR_DESCRIPTOR;
    if (d->inf != TP_INF_NONE || d->nan != TP_NAN_NONE)
        return TP_ERR_DESCRIPTOR;
    if ((d->flags & TP_DESC_SYMMETRIC) && !d->sign)
        return TP_ERR_DESCRIPTOR;
    if (d->scale_exp < -64 || d->scale_exp > 64)
        return TP_ERR_DESCRIPTOR;
    return TP_OK;
}

tp_status tp_format_check(const tp_format_desc *d)
{
    if (d == NULL)
        return TP_ERR_NULL;
    if (tpi_builtin_index(d) >= 0)
        return TP_OK;
    switch (d->kind) {
    case TP_KIND_FLOAT: return check_float(d);
    case TP_KIND_INT: return check_int(d);
    default: return TP_ERR_DESCRIPTOR;
    }
}

tp_status tp_format_limits_of(const tp_format_desc *d, tp_format_limits *out)
{
    if (out == NULL)
        return TP_ERR_NULL;
    tp_status st = tp_format_check(d);
    if (st != TP_OK)
        return st;
    tpi_fmt p;
    tpi_fmt_init(&p, d);
    tp_format_limits l;
    memset(&l, 0, sizeof l);
    if (p.is_int) {
        l.max_finite = ldexp((double)p.imax, p.scale_exp);
        l.lowest = ldexp((double)p.imin, p.scale_exp);
        l.min_subnormal = ldexp(1.0, p.scale_exp);
        l.min_normal = l.min_subnormal;
        l.max_code = (uint64_t)p.imax;
    } else {
        int m = p.man;
        uint64_t frac = p.max_mag & ((UINT64_C(1) << m) - 1);
        int field = (int)(p.max_mag >> m);
        l.max_finite = ldexp((double)((UINT64_C(1) << m) | frac), field - d->bias - m);
        l.lowest = d->sign ? -l.max_finite : (p.no_zero ? ldexp(1.0, p.emin) : 0.0);
        l.min_normal = ldexp(1.0, p.emin);
        l.min_subnormal = p.no_zero || m == 0 ? l.min_normal : ldexp(1.0, p.emin - m);
        l.max_code = p.max_mag;
        l.nan_code = p.nan_code;
        l.has_inf = p.has_inf;
        l.has_nan = p.has_nan;
        l.has_neg_zero = p.has_negzero;
    }
    *out = l;
    return TP_OK;
}
