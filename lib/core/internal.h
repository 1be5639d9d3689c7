/*
 * internal.h -- declarations shared by the library's own files.  Nothing here
 * is exported: every tpi_ symbol has hidden visibility.
 */
#ifndef TP_INTERNAL_H
#define TP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "truepoint.h"

#if defined(__GNUC__) || defined(__clang__)
#define TPI_HIDDEN __attribute__((visibility("hidden")))
#else
#define TPI_HIDDEN
#endif

/*
 * Parameters of a format, derived once per call from its descriptor.
 * Float magnitudes are codes without the sign bit; they are monotonic in the
 * value, so adjacent magnitudes are adjacent values.
 */
typedef struct tpi_fmt {
    const tp_format_desc *d;
    int is_int;
    int bits;             /* storage bits */
    int man;              /* mantissa bits (floats) */
    int emin;             /* exponent of the smallest normal binade: 1-bias, or -bias with NO_ZERO */
    int emax;             /* exponent of the largest finite binade */
    int sign_shift;       /* position of the sign bit (floats, sign or SIGN_INVALID) */
    uint64_t code_mask;   /* all storage bits */
    uint64_t max_mag;     /* magnitude code of the largest finite value (floats) */
    uint64_t inf_mag;     /* magnitude code of Inf, if any */
    uint64_t nan_code;    /* code produced for NaN input (positive form; sign added where signed) */
    int has_inf, has_nan, has_negzero, no_zero, sign_invalid;
    int sat_default;
    /* integers */
    int64_t imin, imax;   /* range that encoding produces */
    int64_t dmin;         /* most negative code value decoding accepts */
    int scale_exp;
} tpi_fmt;

TPI_HIDDEN void tpi_fmt_init(tpi_fmt *p, const tp_format_desc *d);
/* Resolves TP_OVF_DEFAULT for the format: returns TP_OVF_SAT or TP_OVF_NONSAT. */
TPI_HIDDEN tp_overflow tpi_resolve_ovf(const tpi_fmt *p, tp_overflow ovf);
TPI_HIDDEN size_t tpi_code_size(const tp_format_desc *d);
/* The tp_format of a built-in descriptor pointer, or -1 for a user descriptor. */
TPI_HIDDEN int tpi_builtin_index(const tp_format_desc *d);

/*
 * Kernel signatures.  `ovf` is resolved (never TP_OVF_DEFAULT); `rnd`, `ovf`
 * and `sr` have been checked.  Flags are ORed into *flags (never NULL here).
 * A kernel may handle only some (rnd, ovf) pairs and pass the rest to the
 * reference kernel; it must give the reference's bits and flags exactly.
 */
typedef void (*tpi_enc_f32_fn)(const tpi_fmt *p, const float *src, void *dst, size_t n,
                               tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags);
typedef void (*tpi_enc_f64_fn)(const tpi_fmt *p, const double *src, void *dst, size_t n,
                               tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags);
typedef void (*tpi_dec_f32_fn)(const tpi_fmt *p, const void *src, float *dst, size_t n,
                               unsigned *flags);
typedef void (*tpi_dec_f64_fn)(const tpi_fmt *p, const void *src, double *dst, size_t n,
                               unsigned *flags);

/* The dispatch table: every slot is always valid. */
typedef struct tpi_kernels {
    tp_isa isa;
    tpi_enc_f32_fn enc_f32[TP_FORMAT_COUNT];
    tpi_enc_f64_fn enc_f64[TP_FORMAT_COUNT];
    tpi_dec_f32_fn dec_f32[TP_FORMAT_COUNT];
    tpi_dec_f64_fn dec_f64[TP_FORMAT_COUNT];
} tpi_kernels;

TPI_HIDDEN const tpi_kernels *tpi_kernels_get(void);

/* Per-ISA installers: overwrite the slots they implement. */
TPI_HIDDEN void tpi_install_avx2(tpi_kernels *k);
TPI_HIDDEN void tpi_install_avx512(tpi_kernels *k);

#endif /* TP_INTERNAL_H */
