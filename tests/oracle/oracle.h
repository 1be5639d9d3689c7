/*
 * oracle.h -- an independent MPFR/GMP implementation of libtruepoint's
 * conversion semantics, used as the expected value of every test.
 *
 * It shares no code with lib/: it includes the public header only for the
 * enum values and the descriptor struct, and re-derives every rule from the
 * documentation (include/truepoint.h, doc/semantics.md) with MPFR.
 */
#ifndef TP_ORACLE_H
#define TP_ORACLE_H

#include <stdint.h>

#include "truepoint.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rounds the exact value of the binary64 `x` to format `d` in mode `rnd` under
 * policy `ovf` (TP_OVF_DEFAULT allowed).  `rbits` is the random word for
 * TP_RSR.  Writes the code and ORs the flags the library must raise.
 * Returns 0, or -1 for arguments the library would reject. */
int orc_encode(const tp_format_desc *d, double x, tp_round rnd, tp_overflow ovf,
               uint32_t rbits, uint64_t *code, unsigned *flags);

/* Decodes `code` of format `d` to binary64 bits / binary32 bits (binary32:
 * -1 for TP_F64).  ORs the decode flags.  Returns 0, or -1 for a code with
 * bits beyond the format's width. */
int orc_decode_f64(const tp_format_desc *d, uint64_t code, uint64_t *bits, unsigned *flags);
int orc_decode_f32(const tp_format_desc *d, uint64_t code, uint32_t *bits, unsigned *flags);

/* The value of magnitude code `mag` (the code without its sign bit; for
 * integers the integer k >= 0) on the format's grid with an unbounded
 * exponent: codes above the largest finite one continue the last binade
 * pattern (used for midpoints and overflow thresholds).  Returns 0 or -1. */
int orc_grid_value(const tp_format_desc *d, uint64_t mag, double *v);

/* The magnitude code of the largest finite value (integers: the largest k). */
int orc_max_mag(const tp_format_desc *d, uint64_t *mag);

/* The documented stochastic-rounding generator word (tp_sr_word). */
uint32_t orc_sr_word(uint64_t seed, uint64_t counter);

#ifdef __cplusplus
}
#endif

#endif /* TP_ORACLE_H */
