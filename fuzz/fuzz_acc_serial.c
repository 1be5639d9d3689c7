/*
 * fuzz_acc_serial.c -- tp_acc_deserialize on arbitrary bytes.
 *
 * The input is the serialisation itself (TP_ACC_SERIAL_BYTES = 1096 bytes;
 * the seeds are serialisations of real sums, which the fuzzer mutates).
 * Checked, from the layout of doc/accumulators.md:
 *  - every rule the document states for rejection (magic, version, unknown
 *    state bits, nonzero padding, top digit beyond +-2^40, digits or zero
 *    bits beside NaN/Inf, nonzero digits without PZ|NZ, +Inf with -Inf)
 *    gives TP_ERR_DATA and leaves the accumulator unchanged;
 *  - the canonical forms of zeros (no digits, state 0 / PZ / NZ / PZ|NZ) are
 *    accepted;
 *  - an accepted string serialises back to the same bytes, and its rounding
 *    to binary64 equals MPFR's rounding of the value the digits denote;
 *  - operations on whatever was accepted stay within bounds (sanitizers).
 */
#include <stdio.h>
#include <stdlib.h>

#include <gmp.h>
#include <mpfr.h>

#include "fuzz_common.h"

#define NAN_B 0x01u
#define INV_B 0x02u
#define PINF_B 0x04u
#define NINF_B 0x08u
#define PZ_B 0x10u
#define NZ_B 0x20u

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int64_t rd64s(const uint8_t *p)
{
    uint64_t v = (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
    int64_t s;
    memcpy(&s, &v, 8);
    return s;
}

static int any_nonzero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 1;
    return 0;
}

/* 1 if the document requires rejection. */
static int must_reject(const uint8_t *b)
{
    if (memcmp(b, "TPACC64", 7) != 0 || b[7] != 1)
        return 1;
    uint32_t st = rd32(b + 8);
    if (st & ~0x3Fu)
        return 1;
    if (any_nonzero(b + 12, 4) || any_nonzero(b + 572, TP_ACC_SERIAL_BYTES - 572))
        return 1;
    int64_t top = rd64s(b + 16);
    if (top > ((int64_t)1 << 40) || top < -((int64_t)1 << 40))
        return 1;
    int digits = top != 0 || any_nonzero(b + 24, 548);
    if ((st & (NAN_B | INV_B | PINF_B | NINF_B)) && (digits || (st & (PZ_B | NZ_B))))
        return 1;
    if ((st & PINF_B) && (st & NINF_B))
        return 1;
    if (digits && !(st & (PZ_B | NZ_B)))
        return 1;
    return 0;
}

/* binary64 bits of the value the digits denote, rounded to nearest even
 * (MPFR, with binary64's exponent range and subnormals). */
static uint64_t mpfr_round_f64(const uint8_t *b)
{
    mpfr_t v, t, r;
    mpfr_inits2(4800, v, t, (mpfr_ptr)0);
    mpfr_init2(r, 53);
    mpfr_set_si_2exp(v, (long)rd64s(b + 16), 32 * 137 - 2208, MPFR_RNDN);
    for (int i = 0; i < 137; i++) {
        mpfr_set_ui_2exp(t, rd32(b + 24 + 4 * i), 32 * i - 2208, MPFR_RNDN);
        mpfr_add(v, v, t, MPFR_RNDN); /* exact at 4800 bits */
    }
    mpfr_exp_t emin = mpfr_get_emin(), emax = mpfr_get_emax();
    mpfr_set_emin(-1073);
    mpfr_set_emax(1024);
    int tern = mpfr_set(r, v, MPFR_RNDN);
    tern = mpfr_check_range(r, tern, MPFR_RNDN);
    mpfr_subnormalize(r, tern, MPFR_RNDN);
    double d = mpfr_get_d(r, MPFR_RNDN);
    mpfr_set_emin(emin);
    mpfr_set_emax(emax);
    int zero = mpfr_zero_p(v);
    mpfr_clears(v, t, r, (mpfr_ptr)0);
    uint32_t st = rd32(b + 8);
    if (zero) /* RNE: -0 only when every term was -0 */
        d = ((st & NZ_B) && !(st & PZ_B)) ? -0.0 : 0.0;
    return fz_d2u(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tp_acc *a = malloc(sizeof *a), *before = malloc(sizeof *before);
    tp_acc_init(a);
    tp_acc_add_f64(a, 1.5);
    tp_acc_add_f64(a, -0x1p-1000);
    *before = *a;
    tp_status st = tp_acc_deserialize(a, data, size);
    int reject = size < TP_ACC_SERIAL_BYTES || must_reject(data);
    if (st != TP_OK) {
        FZ_CHECK(st == TP_ERR_DATA || (size < TP_ACC_SERIAL_BYTES && st == TP_ERR_ARG),
                 "tp_acc_deserialize: status %d", (int)st);
        FZ_CHECK(memcmp(a, before, sizeof *a) == 0, "tp_acc_deserialize: refused but changed *a");
        if (!reject && size == TP_ACC_SERIAL_BYTES) {
            uint32_t s = rd32(data + 8);
            int digits = rd64s(data + 16) != 0 || any_nonzero(data + 24, 548);
            FZ_CHECK(digits || (s & ~(PZ_B | NZ_B)) != 0,
                     "tp_acc_deserialize refuses a canonical zero (state 0x%x)", (unsigned)s);
        }
        goto out;
    }
    FZ_CHECK(!reject, "tp_acc_deserialize accepted a string the format forbids (len %zu)", size);
    uint8_t back[TP_ACC_SERIAL_BYTES];
    FZ_CHECK(tp_acc_serialize(a, back, sizeof back) == TP_OK, "tp_acc_serialize");
    FZ_CHECK(memcmp(back, data, sizeof back) == 0, "accepted bytes do not serialise back");
    uint32_t s = rd32(data + 8);
    uint64_t code = 0;
    unsigned flags = 0;
    FZ_CHECK(tp_acc_round(a, tp_format_get(TP_F64), TP_RNE, TP_OVF_DEFAULT, 0, &code, &flags) ==
                 TP_OK,
             "tp_acc_round");
    if (!(s & (NAN_B | INV_B | PINF_B | NINF_B))) {
        uint64_t exp = mpfr_round_f64(data);
        FZ_CHECK(code == exp, "accepted accumulator rounds to binary64 0x%016llx, digits say 0x%016llx",
                 (unsigned long long)code, (unsigned long long)exp);
    }
    /* Whatever was accepted must be usable. */
    for (int f = 0; f < TP_FORMAT_COUNT; f++)
        for (int r = 0; r <= TP_RSR; r++)
            tp_acc_round(a, tp_format_get((tp_format)f), (tp_round)r, TP_OVF_NONSAT, 0x80000000u,
                         &code, &flags);
    tp_acc_add_f64(a, 0x1p1000);
    tp_acc_merge(a, a);
    tp_acc_negate(a);
    tp_acc_add_prod_f64(a, 0x1p-1074, 0x1p-1074);
    tp_acc_round(a, tp_format_get(TP_F64), TP_RNE, TP_OVF_DEFAULT, 0, &code, &flags);
    FZ_CHECK(tp_acc_serialize(a, back, sizeof back) == TP_OK, "tp_acc_serialize after use");
    /* A top digit near the accepted bound may have grown past it (a state no
     * real sum reaches: 2^40 units of the top digit are 2^2216); otherwise
     * the library must read its own bytes back. */
    int64_t top = rd64s(back + 16);
    FZ_CHECK(tp_acc_deserialize(before, back, sizeof back) == TP_OK ||
                 top > ((int64_t)1 << 40) || top < -((int64_t)1 << 40),
             "tp_acc_deserialize refuses a serialisation after use (top digit %lld)",
             (long long)top);
out:
    free(a);
    free(before);
    return 0;
}
