/*
 * ref.h -- the scalar reference kernels: the specification of every result
 * and flag, and the fallback of every dispatch slot.
 */
#ifndef TP_REF_H
#define TP_REF_H

#include "internal.h"

/* Rounds sign * mant * 2^exp (mant < 2^64, exact) to the format.  `nan` and
 * `inf` select a NaN (with its sign and a 64-bit left-aligned payload in
 * mant) or an infinity instead.  Returns the code; ORs flags. */
TPI_HIDDEN uint64_t tpi_ref_round(const tpi_fmt *p, int sign, uint64_t mant, int exp,
                                  int is_nan, int is_inf, tp_round rnd, tp_overflow ovf,
                                  uint32_t rbits, unsigned *flags);
TPI_HIDDEN uint64_t tpi_ref_encode1_f64(const tpi_fmt *p, double x, tp_round rnd, tp_overflow ovf,
                                        uint32_t rbits, unsigned *flags);
TPI_HIDDEN uint64_t tpi_ref_encode1_f32(const tpi_fmt *p, float x, tp_round rnd, tp_overflow ovf,
                                        uint32_t rbits, unsigned *flags);
TPI_HIDDEN double tpi_ref_decode1(const tpi_fmt *p, uint64_t code, unsigned *flags);
TPI_HIDDEN float tpi_ref_decode1_f32(const tpi_fmt *p, uint64_t code, unsigned *flags);

/* Code storage helpers (1, 2, 4 or 8 bytes per code). */
TPI_HIDDEN uint64_t tpi_load_code(const void *src, size_t i, size_t size);
TPI_HIDDEN void tpi_store_code(void *dst, size_t i, size_t size, uint64_t c);

TPI_HIDDEN void tpi_ref_enc_f32(const tpi_fmt *p, const float *src, void *dst, size_t n,
                                tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags);
TPI_HIDDEN void tpi_ref_enc_f64(const tpi_fmt *p, const double *src, void *dst, size_t n,
                                tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags);
TPI_HIDDEN void tpi_ref_dec_f32(const tpi_fmt *p, const void *src, float *dst, size_t n,
                                unsigned *flags);
TPI_HIDDEN void tpi_ref_dec_f64(const tpi_fmt *p, const void *src, double *dst, size_t n,
                                unsigned *flags);

#endif /* TP_REF_H */
