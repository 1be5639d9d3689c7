/*
 * oracle_acc.h -- an independent MPFR oracle for the exact accumulators and
 * dot products: the exact sum of the terms (mpfr_sum in enough precision to
 * be exact), with IEEE 754 special values and signed zeros, rounded once to
 * a format as include/truepoint.h ("Exact accumulators") and
 * doc/semantics.md say.  Shares no code with lib/.
 */
#ifndef TP_ORACLE_ACC_H
#define TP_ORACLE_ACC_H

#include <stddef.h>
#include <stdint.h>

#include "truepoint.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A list of exact terms. */
typedef struct ora_sum ora_sum;

ora_sum *ora_new(void);
void ora_free(ora_sum *s);
/* Forgets every term. */
void ora_clear(ora_sum *s);
/* Appends one binary64 value / the exact product of two binary64 values. */
void ora_add_f64(ora_sum *s, double x);
void ora_add_prod_f64(ora_sum *s, double x, double y);
/* Appends the exact value of one code / the product of two codes (decoded
 * through orc_decode_f64, which is exact).  Returns 0, or -1 for a bad code. */
int ora_add_code(ora_sum *s, const tp_format_desc *d, uint64_t code);
int ora_add_prod_codes(ora_sum *s, const tp_format_desc *da, uint64_t ca,
                       const tp_format_desc *db, uint64_t cb);
/* Appends every term of `src` (negated if `neg`). */
void ora_add_sum(ora_sum *s, const ora_sum *src, int neg);
/* Number of terms. */
size_t ora_count(const ora_sum *s);

/* The exact sum rounded once to `out`: the code and the flags (ORed).
 * NaN (a NaN term, +Inf and -Inf, 0 x Inf) rounds as a positive quiet NaN
 * with an empty payload, and raises TP_FLAG_INVALID when it was produced
 * (+Inf with -Inf, or 0 x Inf) rather than propagated.  Returns 0, or -1
 * for arguments the library would reject. */
int ora_round(const ora_sum *s, const tp_format_desc *out, tp_round rnd, tp_overflow ovf,
              uint32_t rbits, uint64_t *code, unsigned *flags);

/* The exact sum as a binary64 if it is one (finite, exactly representable):
 * returns 1 and sets *x; 0 otherwise. */
int ora_exact_f64(const ora_sum *s, double *x);

#ifdef __cplusplus
}
#endif

#endif /* TP_ORACLE_ACC_H */
