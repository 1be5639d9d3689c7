/*
 * fuzz_acc.c -- sequences of accumulator operations on two tp_acc and two
 * tp_acc128: adds of binary64 values, products, codes of any format (user
 * descriptors included), arrays (long enough for the binned path), merges
 * (self-merges included), negation, serialisation round trips, escalation
 * and rounding to any format in any mode.  Every accumulator is mirrored by
 * an MPFR term list (tests/oracle/oracle_acc.h); every rounding is compared
 * with the oracle's, code and flags.  tp_acc128 refusals (TP_ERR_RANGE) are
 * checked against the documented window and the 128-bit range, and must
 * leave the accumulator unchanged.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "oracle.h"
#include "oracle_acc.h"

#define MAX_OPS 64
#define MAX_ARRAY 1200
/* Merges double the oracle's term lists: beyond this many terms a merge is
 * skipped (the library's merge is O(1) in the terms; the oracle's is not). */
#define MAX_TERMS 20000

typedef struct state {
    tp_acc a[2];
    ora_sum *ao[2];
    tp_acc128 q[2];
    ora_sum *qo[2];  /* every term */
    ora_sum *qf[2];  /* the finite terms (the 128-bit integer) */
} state;

static state S;
static int S_ready;

static const tp_format_desc *fmt_arg(fz_in *in, tp_format_desc *store, int *ok)
{
    int user;
    const tp_format_desc *d = fz_format(in, store, &user);
    *ok = !user || tp_format_check(d) == TP_OK;
    return d;
}

static uint64_t code_arg(fz_in *in, const tp_format_desc *d, int ok, int *wide)
{
    uint64_t c = 0;
    uint8_t m = fz_u8(in);
    fz_bytes(in, &c, ok ? fz_code_size(d) : 1);
    *wide = 0;
    if (ok && d->bits < 64) {
        uint64_t mask = (UINT64_C(1) << d->bits) - 1;
        if (!(m & 0x80))
            c &= mask;
        *wide = (c & ~mask) != 0;
    }
    return c;
}

static double value_arg(fz_in *in)
{
    return fz_near_grid(in, tp_format_get((tp_format)(fz_u8(in) % TP_FORMAT_COUNT)));
}

/* Exact value of a code as a binary64 (every format decodes exactly). */
static double code_value(const tp_format_desc *d, uint64_t c)
{
    uint64_t b = 0;
    unsigned f = 0;
    orc_decode_f64(d, c, &b, &f);
    return fz_u2d(b);
}

/* Whether a finite nonzero term t (exact binary64) fits the tp_acc128
 * window: an integer multiple of 2^-48 of magnitude at most 2^32. */
static int in_window(double t)
{
    if (t == 0 || !isfinite(t))
        return 1;
    if (fabs(t) > 0x1p32)
        return 0;
    double k = t * 0x1p48; /* exact: a power-of-two scaling in range */
    return k == floor(k);
}

/* Whether the finite part of dst plus extra (an exact sum list) leaves the
 * 128-bit range [-2^79, 2^79). */
static int wraps(const ora_sum *base, const ora_sum *extra, double term)
{
    ora_sum *t = ora_new();
    ora_add_sum(t, base, 0);
    if (extra != NULL)
        ora_add_sum(t, extra, 0);
    if (term != 0 && isfinite(term))
        ora_add_f64(t, term);
    uint64_t code = 0;
    unsigned f = 0;
    ora_round(t, tp_format_get(TP_F64), TP_RDN, TP_OVF_NONSAT, 0, &code, &f);
    ora_free(t);
    double v = fz_u2d(code);
    return v >= 0x1p79 || v < -0x1p79;
}

static void check_round(fz_in *in, const char *what, int idx, const void *acc, int narrow,
                        const ora_sum *o)
{
    tp_format_desc store;
    int ok;
    const tp_format_desc *d = fmt_arg(in, &store, &ok);
    uint8_t rb = fz_u8(in);
    tp_round rnd = (tp_round)(rb & 7);
    tp_overflow ovf = (tp_overflow)((rb >> 3) & 3);
    uint32_t w = (rnd == TP_RSR) ? fz_u32(in) : 0;
    unsigned flags0 = rb >> 5, flags = flags0, ef = 0;
    uint64_t code = 0x123456789ABCDEF0u, ec = 0;
    uint8_t before[sizeof(tp_acc)];
    size_t asz = narrow ? sizeof(tp_acc128) : sizeof(tp_acc);
    memcpy(before, acc, asz);
    tp_status st = narrow ? tp_acc128_round((const tp_acc128 *)acc, d, rnd, ovf, w, &code, &flags)
                          : tp_acc_round((const tp_acc *)acc, d, rnd, ovf, w, &code, &flags);
    FZ_CHECK(memcmp(before, acc, asz) == 0, "%s[%d] round changed the accumulator", what, idx);
    int r = ok ? ora_round(o, d, rnd, ovf, w, &ec, &ef) : -1;
    char dt[128];
    fz_trace("%s[%d] round(%s, rnd %d, ovf %d, word 0x%08x): status %d code 0x%llx flags 0x%x",
             what, idx, fz_desc_text(d, dt, sizeof dt), (int)rnd, (int)ovf, (unsigned)w, (int)st,
             (unsigned long long)code, flags);
    if (r != 0) {
        FZ_CHECK(st != TP_OK, "%s[%d] round(%s, rnd %d, ovf %d): accepted, the oracle refuses",
                 what, idx, d->name ? d->name : "user", (int)rnd, (int)ovf);
        FZ_CHECK(code == 0x123456789ABCDEF0u && flags == flags0,
                 "%s[%d] round: error %d but output or flags written", what, idx, (int)st);
        return;
    }
    FZ_CHECK(st == TP_OK && code == ec && flags == (flags0 | ef),
             "%s[%d] round(%s, rnd %d, ovf %d, word 0x%08x) over %zu terms: status %d code 0x%llx "
             "flags 0x%x, oracle 0x%llx flags 0x%x",
             what, idx, fz_desc_text(d, dt, sizeof dt), (int)rnd, (int)ovf, (unsigned)w,
             ora_count(o), (int)st, (unsigned long long)code, flags & ~flags0,
             (unsigned long long)ec, ef);
}

static void reset(void)
{
    if (!S_ready) {
        for (int i = 0; i < 2; i++) {
            S.ao[i] = ora_new();
            S.qo[i] = ora_new();
            S.qf[i] = ora_new();
        }
        S_ready = 1;
    }
    for (int i = 0; i < 2; i++) {
        FZ_CHECK(tp_acc_init(&S.a[i]) == TP_OK, "tp_acc_init");
        FZ_CHECK(tp_acc128_init(&S.q[i]) == TP_OK, "tp_acc128_init");
        ora_clear(S.ao[i]);
        ora_clear(S.qo[i]);
        ora_clear(S.qf[i]);
    }
}

/* The next pseudo-random word of an array generator. */
static uint64_t gen(uint64_t *s)
{
    uint64_t x = *s += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 31)) * UINT64_C(0xD6E8FEB86659FD93);
    return x ^ (x >> 29);
}

static void add_array(fz_in *in, int i)
{
    size_t n = fz_u16(in) % (MAX_ARRAY + 1);
    if (ora_count(S.ao[i]) + n > MAX_TERMS)
        n = 0;
    uint8_t kind = fz_u8(in);
    uint64_t seed = fz_u64(in);
    int ebase = (int)fz_u16(in) % 2047, espan = 1 + fz_u8(in) % 128;
    double *x = malloc((n + 1) * sizeof *x);
    for (size_t k = 0; k < n; k++) {
        uint64_t r = gen(&seed);
        uint64_t e = (uint64_t)((ebase + (int)(r % (uint64_t)espan)) % 2048);
        uint64_t bits = (r & UINT64_C(0x800FFFFFFFFFFFFF)) | e << 52;
        if ((kind & 1) && r % 61 == 0)
            bits = fz_d2u(value_arg(in)); /* specials, subnormals, exact ties */
        if ((kind & 2) && k % 2 == 1)
            bits = fz_d2u(-x[k - 1]); /* cancellation */
        x[k] = fz_u2d(bits);
    }
    FZ_CHECK(tp_acc_add_f64_array(&S.a[i], x, n) == TP_OK, "tp_acc_add_f64_array n=%zu", n);
    for (size_t k = 0; k < n; k++)
        ora_add_f64(S.ao[i], x[k]);
    free(x);
}

static void acc128_add(fz_in *in, int i, int prod)
{
    tp_format_desc s1, s2;
    int ok1, ok2 = 1, w1, w2 = 0;
    const tp_format_desc *d1 = fmt_arg(in, &s1, &ok1), *d2 = d1;
    uint64_t c1 = code_arg(in, d1, ok1, &w1), c2 = 0;
    if (prod) {
        d2 = fmt_arg(in, &s2, &ok2);
        c2 = code_arg(in, d2, ok2, &w2);
    }
    /* binary64 codes: the product of two binary64 values is not a
     * binary64, so the window check below needs narrower formats. */
    int big = (ok1 && d1->bits > 32) || (ok2 && d2->bits > 32);
    tp_acc128 before = S.q[i];
    tp_status st = prod ? tp_acc128_add_prod_codes(&S.q[i], d1, c1, d2, c2)
                        : tp_acc128_add_code(&S.q[i], d1, c1);
    if (!ok1 || !ok2 || w1 || w2) {
        FZ_CHECK(st != TP_OK, "tp_acc128_add: bad descriptor or wide code accepted");
        FZ_CHECK(memcmp(&before, &S.q[i], sizeof before) == 0, "tp_acc128_add: error but changed");
        return;
    }
    double v1 = code_value(d1, c1), v2 = prod ? code_value(d2, c2) : 1.0;
    double t = v1 * v2; /* exact for formats of 32 bits or fewer */
    int special = isnan(v1) || isnan(v2) || isinf(v1) || isinf(v2);
    if (st == TP_ERR_RANGE) {
        FZ_CHECK(memcmp(&before, &S.q[i], sizeof before) == 0, "tp_acc128_add: TP_ERR_RANGE but changed");
        FZ_CHECK(big || (!special && (!in_window(t) || wraps(S.qf[i], NULL, t))),
                 "tp_acc128_add(%s 0x%llx, %s 0x%llx) = %a: TP_ERR_RANGE for a term in the window",
                 d1->name ? d1->name : "user", (unsigned long long)c1,
                 d2->name ? d2->name : "user", (unsigned long long)c2, t);
        return;
    }
    FZ_CHECK(st == TP_OK, "tp_acc128_add: status %d", (int)st);
    FZ_CHECK(big || special || (in_window(t) && !wraps(S.qf[i], NULL, t)),
             "tp_acc128_add(%s 0x%llx, %s 0x%llx) = %a: accepted a term outside the window/range",
             d1->name ? d1->name : "user", (unsigned long long)c1, d2->name ? d2->name : "user",
             (unsigned long long)c2, t);
    if (prod) {
        ora_add_prod_codes(S.qo[i], d1, c1, d2, c2);
        if (!special && t != 0)
            ora_add_prod_codes(S.qf[i], d1, c1, d2, c2);
    } else {
        fz_trace("acc128[%d] += %a", i, t);
        ora_add_code(S.qo[i], d1, c1);
        if (!special && t != 0)
            ora_add_code(S.qf[i], d1, c1);
    }
}

static void acc_add(fz_in *in, int i, int prod)
{
    tp_format_desc s1, s2;
    int ok1, ok2 = 1, w1, w2 = 0;
    const tp_format_desc *d1 = fmt_arg(in, &s1, &ok1), *d2 = d1;
    uint64_t c1 = code_arg(in, d1, ok1, &w1), c2 = 0;
    if (prod) {
        d2 = fmt_arg(in, &s2, &ok2);
        c2 = code_arg(in, d2, ok2, &w2);
    }
    tp_acc *before = malloc(sizeof *before);
    *before = S.a[i];
    tp_status st = prod ? tp_acc_add_prod_codes(&S.a[i], d1, c1, d2, c2)
                        : tp_acc_add_code(&S.a[i], d1, c1);
    if (!ok1 || !ok2 || w1 || w2) {
        FZ_CHECK(st != TP_OK, "tp_acc_add_code: bad descriptor or wide code accepted");
        FZ_CHECK(memcmp(before, &S.a[i], sizeof *before) == 0, "tp_acc_add_code: error but changed");
    } else {
        FZ_CHECK(st == TP_OK, "tp_acc_add_%s(%s 0x%llx): status %d", prod ? "prod_codes" : "code",
                 d1->name ? d1->name : "user", (unsigned long long)c1, (int)st);
        fz_trace("acc[%d] += %s 0x%llx * %s 0x%llx", i, d1->name ? d1->name : "user",
                 (unsigned long long)c1, prod && d2->name ? d2->name : "-",
                 (unsigned long long)(prod ? c2 : 0));
        if (prod)
            ora_add_prod_codes(S.ao[i], d1, c1, d2, c2);
        else
            ora_add_code(S.ao[i], d1, c1);
    }
    free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in;
    fz_init(&in, data, size);
    reset();
    for (int op = 0; op < MAX_OPS && in.n > 0; op++) {
        uint8_t o = fz_u8(&in);
        int i = (o >> 7) & 1, j = (o >> 6) & 1;
        fz_trace("op %d: %d (i %d j %d)", op, o % 16, i, j);
        switch (o % 16) {
        case 0: {
            double x = value_arg(&in);
            fz_trace("acc[%d] += %a", i, x);
            FZ_CHECK(tp_acc_add_f64(&S.a[i], x) == TP_OK, "tp_acc_add_f64");
            ora_add_f64(S.ao[i], x);
            break;
        }
        case 1: {
            double x = value_arg(&in), y = value_arg(&in);
            fz_trace("acc[%d] += %a * %a", i, x, y);
            FZ_CHECK(tp_acc_add_prod_f64(&S.a[i], x, y) == TP_OK, "tp_acc_add_prod_f64");
            ora_add_prod_f64(S.ao[i], x, y);
            break;
        }
        case 2: acc_add(&in, i, 0); break;
        case 3: acc_add(&in, i, 1); break;
        case 4:
            if (ora_count(S.ao[i]) + ora_count(S.ao[j]) > MAX_TERMS)
                break;
            FZ_CHECK(tp_acc_merge(&S.a[i], &S.a[j]) == TP_OK, "tp_acc_merge");
            {
                ora_sum *t = ora_new();
                ora_add_sum(t, S.ao[j], 0);
                ora_add_sum(S.ao[i], t, 0);
                ora_free(t);
            }
            break;
        case 5:
            FZ_CHECK(tp_acc_negate(&S.a[i]) == TP_OK, "tp_acc_negate");
            {
                ora_sum *t = ora_new();
                ora_add_sum(t, S.ao[i], 1);
                ora_clear(S.ao[i]);
                ora_add_sum(S.ao[i], t, 0);
                ora_free(t);
            }
            break;
        case 6: check_round(&in, "acc", i, &S.a[i], 0, S.ao[i]); break;
        case 7: {
            uint8_t b1[TP_ACC_SERIAL_BYTES], b2[TP_ACC_SERIAL_BYTES];
            tp_acc *t = malloc(sizeof *t);
            tp_acc_init(t);
            FZ_CHECK(tp_acc_serialize(&S.a[i], b1, sizeof b1) == TP_OK, "tp_acc_serialize");
            FZ_CHECK(tp_acc_deserialize(t, b1, sizeof b1) == TP_OK,
                     "tp_acc_deserialize refuses what tp_acc_serialize wrote");
            FZ_CHECK(tp_acc_serialize(t, b2, sizeof b2) == TP_OK, "tp_acc_serialize");
            FZ_CHECK(memcmp(b1, b2, sizeof b1) == 0, "serialisation does not round-trip");
            S.a[i] = *t;
            free(t);
            break;
        }
        case 8: add_array(&in, i); break;
        case 9: acc128_add(&in, i, 0); break;
        case 10: acc128_add(&in, i, 1); break;
        case 11: {
            if (ora_count(S.qo[i]) + ora_count(S.qo[j]) > MAX_TERMS)
                break;
            tp_acc128 before = S.q[i];
            tp_status st = tp_acc128_merge(&S.q[i], &S.q[j]);
            int w = wraps(S.qf[i], S.qf[j], 0);
            if (st == TP_ERR_RANGE) {
                FZ_CHECK(memcmp(&before, &S.q[i], sizeof before) == 0,
                         "tp_acc128_merge: TP_ERR_RANGE but changed");
                FZ_CHECK(w, "tp_acc128_merge: TP_ERR_RANGE for a sum in range");
            } else {
                FZ_CHECK(st == TP_OK && !w, "tp_acc128_merge: status %d, sum wraps: %d", (int)st, w);
                ora_sum *t = ora_new();
                ora_add_sum(t, S.qo[j], 0);
                ora_add_sum(S.qo[i], t, 0);
                ora_clear(t);
                ora_add_sum(t, S.qf[j], 0);
                ora_add_sum(S.qf[i], t, 0);
                ora_free(t);
            }
            break;
        }
        case 12: check_round(&in, "acc128", i, &S.q[i], 1, S.qo[i]); break;
        case 13:
            if (ora_count(S.ao[j]) + ora_count(S.qo[i]) > MAX_TERMS)
                break;
            FZ_CHECK(tp_acc128_to_acc(&S.q[i], &S.a[j]) == TP_OK, "tp_acc128_to_acc");
            ora_add_sum(S.ao[j], S.qo[i], 0);
            break;
        case 14:
            if (o & 0x20) {
                tp_acc128_init(&S.q[i]);
                ora_clear(S.qo[i]);
                ora_clear(S.qf[i]);
            } else {
                tp_acc_init(&S.a[i]);
                ora_clear(S.ao[i]);
            }
            break;
        default: {
            /* round everything to binary64 and binary32 in the given mode */
            uint8_t rb = fz_u8(&in) % 7;
            for (int k = 0; k < 2; k++) {
                uint8_t fake[3] = {TP_F64, rb, 0};
                fz_in t;
                fz_init(&t, fake, 3);
                check_round(&t, "acc", k, &S.a[k], 0, S.ao[k]);
                fake[0] = TP_F32;
                fz_init(&t, fake, 3);
                check_round(&t, "acc128", k, &S.q[k], 1, S.qo[k]);
            }
            break;
        }
        }
    }
    return 0;
}
