/*
 * ref.h -- the scalar reference kernels: the specification of every result
 * and flag, and the fallback of every dispatch slot.
 */
#ifndef TP_REF_H
#define TP_REF_H

#include "internal.h"

/* An exact magnitude (hi * 2^64 + lo) * 2^exp, plus, if `sticky`, a nonzero
 * amount below 2^exp (then hi:lo must be nonzero and have at least 64 bits
 * below the target's rounding point: top bit at 127 suffices). */
typedef struct tpi_wide {
    uint64_t hi, lo;
    int exp;
    int sticky;
} tpi_wide;

/* Rounds sign * w to the format: the one rounding of doc/semantics.md for a
 * finite value (zero included).  Returns the code; ORs flags. */
TPI_HIDDEN uint64_t tpi_ref_round_wide(const tpi_fmt *p, int sign, const tpi_wide *w, tp_round rnd,
                                       tp_overflow ovf, uint32_t rbits, unsigned *flags);
/* The code for a NaN (payload left-aligned in 64 bits) or an infinity. */
TPI_HIDDEN uint64_t tpi_ref_round_special(const tpi_fmt *p, int sign, int is_nan, uint64_t payload,
                                          tp_overflow ovf, unsigned *flags);

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

/* The exact value of a code: cls is TPI_ZERO, TPI_FINITE (|x| = mant * 2^exp,
 * mant != 0), TPI_INF or TPI_NAN; sign is the sign bit (for NaN: of the code). */
enum { TPI_ZERO = 0, TPI_FINITE = 1, TPI_INF = 2, TPI_NAN = 3 };
typedef struct tpi_val {
    int cls;
    int sign;
    uint64_t mant;
    int exp;
} tpi_val;
/* Unpacks a code (which must fit the format's width).  UE4M3 codes >= 0x80
 * unpack as NaN and raise TP_FLAG_INVALID. */
TPI_HIDDEN void tpi_ref_unpack(const tpi_fmt *p, uint64_t code, tpi_val *v, unsigned *flags);

/* The accumulators (lib/ref/acc_ref.c; semantics in doc/accumulators.md).
 * The acc128 adds and merge return nonzero, changing nothing, for a term
 * outside the narrow window or a sum that would wrap. */
TPI_HIDDEN void tpi_ref_acc_init(tp_acc *a);
TPI_HIDDEN void tpi_ref_acc_add_f64(tp_acc *a, double x);
TPI_HIDDEN void tpi_ref_acc_add_f64_array(tp_acc *a, const double *x, size_t n);
TPI_HIDDEN void tpi_ref_acc_add_prod_f64(tp_acc *a, double x, double y);
TPI_HIDDEN void tpi_ref_acc_add_val(tp_acc *a, const tpi_val *v);
TPI_HIDDEN void tpi_ref_acc_add_prod_val(tp_acc *a, const tpi_val *x, const tpi_val *y);
TPI_HIDDEN void tpi_ref_acc_merge(tp_acc *dst, const tp_acc *src);
TPI_HIDDEN void tpi_ref_acc_negate(tp_acc *a);
TPI_HIDDEN void tpi_acc_scale(tp_acc *a, uint64_t m, int e);
TPI_HIDDEN uint64_t tpi_ref_acc_round(const tp_acc *a, const tpi_fmt *p, tp_round rnd,
                                      tp_overflow ovf, uint32_t rbits, unsigned *flags);
TPI_HIDDEN void tpi_ref_acc_serialize(const tp_acc *a, uint8_t *buf);
TPI_HIDDEN int tpi_ref_acc_deserialize(tp_acc *a, const uint8_t *buf);
TPI_HIDDEN void tpi_ref_acc128_init(tp_acc128 *a);
TPI_HIDDEN int tpi_ref_acc128_add_val(tp_acc128 *a, const tpi_val *v);
TPI_HIDDEN int tpi_ref_acc128_add_prod_val(tp_acc128 *a, const tpi_val *x, const tpi_val *y);
TPI_HIDDEN int tpi_ref_acc128_merge(tp_acc128 *dst, const tp_acc128 *src);
TPI_HIDDEN uint64_t tpi_ref_acc128_round(const tp_acc128 *a, const tpi_fmt *p, tp_round rnd,
                                         tp_overflow ovf, uint32_t rbits, unsigned *flags);
TPI_HIDDEN void tpi_ref_acc128_to_acc(const tp_acc128 *src, tp_acc *dst);


/* Dot products (lib/ref/dot_ref.c).  tpi_ref_dot_generic is the reference
 * element dot; tpi_dot_add_f64 / tpi_dot_add_i64 add an exact binary64
 * value / m * 2^exp; tpi_ref_block_dot is the reference block dot. */
TPI_HIDDEN void tpi_ref_dot_generic(const tpi_fmt *pa, const void *a, size_t inca,
                                    const tpi_fmt *pb, const void *b, size_t incb, size_t n,
                                    tp_acc *acc);
TPI_HIDDEN void tpi_dot_add_f64(tp_acc *acc, double x);
TPI_HIDDEN void tpi_dot_add_i64(tp_acc *acc, int64_t m, int exp);

/* The exact binary64 value of binary32 bits, independent of DAZ. */
TPI_HIDDEN double tpi_f32_bits_to_f64(uint32_t u);

/* Code storage helpers (1, 2, 4 or 8 bytes per code; any alignment). */
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


/* ---------------------------------------------------------------- blocks
 * Parameters of a block format, derived once per call (block_ref.c).  The
 * struct points into itself (ef.d may be &edesc): initialise it in place
 * with tpi_blk_init and never copy it. */
typedef struct tpi_blk {
    const tp_block_desc *b;
    int fmt;                /* tp_block_format */
    int bs;                 /* block size */
    tp_format_desc edesc;   /* element descriptor for BFP and ggml_q8_0 */
    tpi_fmt ef;             /* element parameters */
    int emax;               /* exponent of the element's largest power of two */
    int mfrac;              /* element fraction bits (EVEN rule) */
    uint32_t max_sig;       /* significand of the element max, 1.f * 2^23 */
    int ebits;              /* element storage: 4 (nibbles), 8 (bytes), 16 (uint16_t) */
} tpi_blk;

/* Fills k for a descriptor that passed tp_block_check. */
TPI_HIDDEN void tpi_blk_init(tpi_blk *k, const tp_block_desc *b);
/* Quantises block `blk` from the bs binary32 values x[0..bs-1]; element j
 * draws stochastic word blk*bs+j of sr (sr NULL unless TP_RSR). */
TPI_HIDDEN void tpi_ref_block_quant1(const tpi_blk *k, const float *x, size_t blk, uint8_t *scales,
                                     void *elems, float tensor_scale, tp_scale_rule rule,
                                     tp_round rnd, const tp_sr *sr, unsigned *flags);
/* Dequantises block `blk` exactly into out[0..bs-1] (binary64). */
TPI_HIDDEN void tpi_ref_block_dequant1(const tpi_blk *k, const uint8_t *scales, const void *elems,
                                       size_t blk, float tensor_scale, double *out,
                                       unsigned *flags);
/* Nonzero if some code of blocks [0, nblk) is wider than its format. */
TPI_HIDDEN int tpi_ref_block_bad_codes(const tpi_blk *k, const uint8_t *scales, const void *elems,
                                       size_t nblk);
/* The NVFP4 per-tensor scale of the recipe from amax (finite, >= 0). */
TPI_HIDDEN float tpi_ref_nvfp4_tensor_scale(int recipe, float amax);

TPI_HIDDEN void tpi_ref_block_dot(const tpi_blk *ka, const uint8_t *sa, const void *ea, float tsa,
                                  const tpi_blk *kb, const uint8_t *sb, const void *eb, float tsb,
                                  size_t n, tp_acc *acc, unsigned *flags);

#endif /* TP_REF_H */
