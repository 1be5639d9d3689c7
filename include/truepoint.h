/*
 * truepoint.h -- the public interface of libtruepoint.
 *
 * libtruepoint stores numbers narrow (FP8, FP6, FP4, MX, NVFP4, BFP), computes
 * exactly, and rounds once.  This header is self-contained: it includes only
 * <stddef.h> and <stdint.h>, and compiles as C99/C11 and as C++.
 *
 * Conventions for every function:
 *  - The return value is a tp_status.  On any status other than TP_OK nothing
 *    has been written to any output buffer and the flags word is unchanged.
 *  - Numeric events (inexact, overflow, underflow, invalid) are not errors.
 *    They are ORed into a caller-owned `unsigned *flags`, which may be NULL.
 *  - The rounding mode is always an explicit argument.
 *  - The library never aborts, prints, raises signals or touches errno, and
 *    every function is thread-safe.
 */
#ifndef TRUEPOINT_H
#define TRUEPOINT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(TP_BUILDING_DLL)
#define TP_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define TP_API __attribute__((visibility("default")))
#else
#define TP_API
#endif

/** @defgroup version Version
 *  The version exists in three places kept in agreement by `make check`:
 *  these macros, AC_INIT in configure.ac, and the libtool -version-info.
 *  @{ */
#define TP_VERSION_MAJOR 0
#define TP_VERSION_MINOR 2
#define TP_VERSION_PATCH 0
#define TP_VERSION_STRING "0.2.0"
/** The library's version as "MAJOR.MINOR.PATCH" (of the library that is
 *  linked, which may differ from TP_VERSION_STRING of the header). */
TP_API const char *tp_version_string(void);
/** @} */

/** @defgroup status Status codes
 *  Values are pinned: they never change and are never reused.
 *  @{ */
typedef enum tp_status {
    TP_OK = 0,               /**< success */
    TP_ERR_NULL = 1,         /**< a required pointer is NULL */
    TP_ERR_FORMAT = 2,       /**< unknown format, or a format this call does not take */
    TP_ERR_ROUND = 3,        /**< unknown rounding mode */
    TP_ERR_POLICY = 4,       /**< unknown overflow policy */
    TP_ERR_ALIAS = 5,        /**< input and output overlap in a way this call forbids */
    TP_ERR_SIZE = 6,         /**< a size computation overflows size_t */
    TP_ERR_DESCRIPTOR = 7,   /**< a user format descriptor is inconsistent */
    TP_ERR_CODE = 8,         /**< an input code has bits set beyond its format's width */
    TP_ERR_ARG = 9,          /**< another argument is out of its documented range */
    TP_ERR_NAME = 10,        /**< a name does not denote anything known */
    TP_ERR_RANGE = 11,       /**< a term lies outside an accumulator's window (nothing was added) */
    TP_ERR_DATA = 12,        /**< malformed serialized or packed data */
    TP_ERR_NOMEM = 13,       /**< memory (or a thread) could not be obtained */
    TP_ERR_MISMATCH = 14     /**< a packed operand does not match the call (role, shape, format) */
} tp_status;

/** A static English description of a status ("unknown status" for a value
 *  that is not a tp_status).  Never NULL. */
TP_API const char *tp_status_string(tp_status s);
/** @} */

/** @defgroup flags Numeric flags
 *  ORed into a caller-owned word; the library never clears it.
 *  @{ */
#define TP_FLAG_INEXACT 0x1u   /**< the result differs from the exact value */
#define TP_FLAG_UNDERFLOW 0x2u /**< nonzero exact |x| below the format's smallest normal, and inexact */
#define TP_FLAG_OVERFLOW 0x4u  /**< |x| rounded with unbounded exponent exceeds the largest finite value,
                                    or an infinite input became +-max */
#define TP_FLAG_INVALID 0x8u   /**< NaN produced from a non-NaN, NaN or Inf stored in a format without
                                    them, a negative or zero value stored in E8M0, or a UE4M3 code with
                                    its sign bit set */
/** @} */

/** @defgroup rounding Rounding modes and overflow policies
 *  @{ */
typedef enum tp_round {
    TP_RNE = 0, /**< to nearest, ties to even */
    TP_RNA = 1, /**< to nearest, ties away from zero */
    TP_RTZ = 2, /**< toward zero */
    TP_RUP = 3, /**< toward +infinity */
    TP_RDN = 4, /**< toward -infinity */
    TP_RTO = 5, /**< round to odd: truncate, then set the last bit if inexact (on the
                     code's least significant bit; see the overflow rules) */
    TP_RSR = 6  /**< stochastic: see tp_sr */
} tp_round;

/** Overflow policy of a conversion.
 *
 *  Rounding happens first, with an unbounded exponent.  If the rounded
 *  magnitude exceeds the largest finite value of the format:
 *   - TP_OVF_SAT: the result is +-max (OCP "saturating").  Infinite inputs
 *     also give +-max.  TP_FLAG_OVERFLOW | TP_FLAG_INEXACT are raised.
 *   - TP_OVF_NONSAT: IEEE 754 behaviour.  RNE, RNA, and RUP/RDN away from zero
 *     give +-Inf; RTZ, RTO and directed rounding toward zero give +-max.
 *     Where the format has no Inf, an Inf result becomes the format's NaN
 *     (OCP E4M3, FNUZ, E8M0, UE4M3: "non-saturating") with TP_FLAG_INVALID,
 *     or +-max for formats with neither Inf nor NaN (FP6, FP4, integers).
 *     TP_FLAG_OVERFLOW | TP_FLAG_INEXACT are raised in every case.
 *     Infinite inputs give +-Inf where the format has Inf (no flag), else
 *     NaN with TP_FLAG_INVALID, else +-max with TP_FLAG_OVERFLOW|TP_FLAG_INEXACT.
 *   - TP_OVF_DEFAULT: TP_OVF_SAT for the OCP narrow formats (FP8 family, FP6,
 *     FP4, E8M0, UE4M3, MXINT8) and integers; TP_OVF_NONSAT for binary64,
 *     binary32, bfloat16, binary16 and user formats.
 */
typedef enum tp_overflow {
    TP_OVF_DEFAULT = 0,
    TP_OVF_SAT = 1,
    TP_OVF_NONSAT = 2
} tp_overflow;

/** Source of randomness for TP_RSR (stochastic rounding).
 *
 *  Each element i of an array conversion draws one 32-bit word r_i:
 *   - from `bits[i]` when `bits` is not NULL (caller-supplied random bits);
 *   - otherwise from the counter-based generator
 *       r_i = tp_sr_word(seed, counter + i)
 *     (see tp_sr_word for the exact formula), so a result is reproducible
 *     bit for bit from (seed, counter) on any platform, thread count or ISA.
 *
 *  With t the input truncated toward zero to the target grid and f in [0, 1)
 *  the exact fraction of an ulp that was cut off, the magnitude is rounded
 *  away from zero iff f * 2^32 > r_i.  So an f that is a multiple of 2^-32 is
 *  rounded up with probability exactly f, and an exact input is never moved.
 */
typedef struct tp_sr {
    const uint32_t *bits; /**< n words, one per element, or NULL for the generator */
    uint64_t seed;        /**< generator seed */
    uint64_t counter;     /**< counter of element 0 */
} tp_sr;

/** The generator word for (seed, counter):
 *    mix(z) = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27;
 *             z *= 0x94D049BB133111EB; z ^= z >> 31   (64-bit wraparound)
 *    k = mix(seed + 0x9E3779B97F4A7C15)
 *    word = high 32 bits of mix(k + counter * 0x9E3779B97F4A7C15) */
TP_API uint32_t tp_sr_word(uint64_t seed, uint64_t counter);
/** @} */

/** @defgroup formats Element formats
 *
 *  Every format is one descriptor row.  Values are pinned.
 *
 *  Value of a float code with sign S, exponent field E and mantissa field M
 *  (m mantissa bits): (-1)^S 2^(E-bias) (1 + M/2^m) if E > 0, and
 *  (-1)^S 2^(1-bias) (M/2^m) if E == 0 (subnormal), except for the special
 *  codes named below.  Integer formats hold a two's complement (or unsigned)
 *  integer times 2^scale_exp.
 *
 *  Storage: a format of 8 bits or fewer takes one byte per code (sub-byte
 *  codes in the low bits, the high bits zero); 9 to 16 bits take one uint16_t;
 *  binary32 one float, binary64 one double.  See tp_pack for packed FP4/FP6.
 *
 *  | format        | S/E/M   | bias | max finite | Inf  | NaN                    | -0  |
 *  |---------------|---------|------|------------|------|------------------------|-----|
 *  | f64           | 1/11/52 | 1023 | DBL_MAX    | IEEE | IEEE                   | yes |
 *  | f32           | 1/8/23  | 127  | FLT_MAX    | IEEE | IEEE                   | yes |
 *  | bf16          | 1/8/7   | 127  | 3.39e38    | IEEE | IEEE                   | yes |
 *  | f16           | 1/5/10  | 15   | 65504      | IEEE | IEEE                   | yes |
 *  | e4m3 (OCP)    | 1/4/3   | 7    | 448        | no   | S.1111.111             | yes |
 *  | e5m2 (OCP)    | 1/5/2   | 15   | 57344      | IEEE | IEEE                   | yes |
 *  | e4m3fnuz      | 1/4/3   | 8    | 240        | no   | 0x80 only              | no  |
 *  | e5m2fnuz      | 1/5/2   | 16   | 57344      | no   | 0x80 only              | no  |
 *  | e4m3b11fnuz   | 1/4/3   | 11   | 30         | no   | 0x80 only              | no  |
 *  | e4m3ieee      | 1/4/3   | 7    | 240        | IEEE | IEEE                   | yes |
 *  | e3m4          | 1/3/4   | 3    | 15.5       | IEEE | IEEE                   | yes |
 *  | e2m3 (FP6)    | 1/2/3   | 1    | 7.5        | no   | no                     | yes |
 *  | e3m2 (FP6)    | 1/3/2   | 3    | 28         | no   | no                     | yes |
 *  | e2m1 (FP4)    | 1/2/1   | 1    | 6          | no   | no                     | yes |
 *  | e8m0          | 0/8/0   | 127  | 2^127      | no   | 0xFF; no zero, 0x00 = 2^-127 | no |
 *  | ue4m3         | 0/4/3   | 7    | 448        | no   | 0x7F; codes >= 0x80 invalid | no |
 *  | mxint8        | int8 x 2^-6 |  | 127/64     | no   | no                     | no  |
 *  | int8          | int8    |      | 127        | no   | no                     | no  |
 *  | int4          | int4    |      | 7          | no   | no                     | no  |
 *  | uint4         | uint4   |      | 15         | no   | no                     | no  |
 *
 *  Encoding rules fixed by the library (see doc/semantics.md for the
 *  reasoning and how the anchors differ):
 *   - A result that rounds to zero keeps its sign where the format has -0;
 *     FNUZ formats and integers give +0.
 *   - NaN input: IEEE-style formats give a quiet NaN with the input's sign and
 *     the top payload bits (all-ones exponent, mantissa MSB set, then the
 *     next m-1 payload bits); OCP e4m3 gives 0x7F|sign; FNUZ gives 0x80;
 *     e8m0 0xFF (with TP_FLAG_INVALID, like
 *     every value that is no valid scale); ue4m3 0x7F; no flag otherwise.  Formats without NaN (FP6, FP4,
 *     integers) give +0 with TP_FLAG_INVALID.
 *   - Infinite input: see tp_overflow.
 *   - e8m0: +-0, negative input and NaN give 0xFF with TP_FLAG_INVALID.
 *     Positive values below 2^-127 give 0x00 with UNDERFLOW|INEXACT in every
 *     mode.  Round to nearest compares with the linear midpoint 1.5*2^k;
 *     RNE ties go to the even code, RNA ties up; TP_RUP is the usual choice
 *     for block scales.
 *   - ue4m3: negative nonzero input gives 0x7F (NaN) with TP_FLAG_INVALID;
 *     -0 gives 0x00.  Decoding a code >= 0x80 gives NaN with TP_FLAG_INVALID.
 *   - mxint8 saturates symmetrically to +-127/64: the code 0x80 (-2) is
 *     decoded but never produced.  int8 uses -128..127, int4 -8..7, uint4
 *     0..15; out-of-range values saturate (under either policy) with
 *     OVERFLOW|INEXACT, never wrap.
 *   - TP_FLAG_UNDERFLOW uses tininess before rounding: the exact nonzero
 *     |x| is below the smallest normal (2^(1-bias); 2^-127 for e8m0) and the
 *     result is inexact.  Integer formats never raise it.
 *   - Round to odd (TP_RTO) never overflows to Inf: it gives +-max.
 *
 *  Decoding to binary32/binary64 is exact.  A NaN code decodes to a quiet
 *  NaN: IEEE-style and OCP e4m3 codes keep their sign and put their
 *  mantissa bits at the top of the payload, with the quiet bit set; FNUZ,
 *  e8m0 and ue4m3 NaNs decode to the positive quiet NaN with an empty
 *  payload (0x7FC00000).  Decoding never raises a flag except for ue4m3
 *  codes >= 0x80.
 *  @{ */
typedef enum tp_format {
    TP_F64 = 0,
    TP_F32 = 1,
    TP_BF16 = 2,
    TP_F16 = 3,
    TP_E4M3 = 4,
    TP_E5M2 = 5,
    TP_E4M3FNUZ = 6,
    TP_E5M2FNUZ = 7,
    TP_E4M3B11FNUZ = 8,
    TP_E4M3IEEE = 9,
    TP_E3M4 = 10,
    TP_E2M3 = 11,
    TP_E3M2 = 12,
    TP_E2M1 = 13,
    TP_E8M0 = 14,
    TP_UE4M3 = 15,
    TP_MXINT8 = 16,
    TP_INT8 = 17,
    TP_INT4 = 18,
    TP_UINT4 = 19
} tp_format;
/** Number of built-in formats (their values are 0 .. TP_FORMAT_COUNT-1). */
#define TP_FORMAT_COUNT 20

/** Kind of a format. */
typedef enum tp_kind {
    TP_KIND_FLOAT = 0, /**< sign / exponent / mantissa */
    TP_KIND_INT = 1    /**< integer times 2^scale_exp */
} tp_kind;

/** Where a float format keeps its infinities. */
typedef enum tp_inf_policy {
    TP_INF_NONE = 0, /**< no infinities */
    TP_INF_IEEE = 1  /**< all-ones exponent with a zero mantissa */
} tp_inf_policy;

/** Where a float format keeps its NaNs. */
typedef enum tp_nan_policy {
    TP_NAN_NONE = 0,    /**< no NaN */
    TP_NAN_IEEE = 1,    /**< all-ones exponent with a nonzero mantissa (needs TP_INF_IEEE) */
    TP_NAN_ALLONES = 2, /**< only the all-ones exponent and mantissa (OCP E4M3, E8M0, UE4M3) */
    TP_NAN_NEGZERO = 3  /**< only the negative-zero code; the format has no -0 (FNUZ) */
} tp_nan_policy;

/** Descriptor flags. */
#define TP_DESC_NO_ZERO 0x1u       /**< exponent field 0 is a normal binade, no zero, no subnormals (E8M0) */
#define TP_DESC_SIGN_INVALID 0x2u  /**< unsigned format stored with a sign bit that must be clear (UE4M3) */
#define TP_DESC_SAT_DEFAULT 0x4u   /**< TP_OVF_DEFAULT means TP_OVF_SAT */
#define TP_DESC_SYMMETRIC 0x8u     /**< integer format that never produces its most negative code (MXINT8) */

/** A format descriptor: one row of the format table.  Built-in rows come from
 *  tp_format_get(); a user format is any descriptor accepted by
 *  tp_format_check(). */
typedef struct tp_format_desc {
    const char *name;      /**< lowercase name ("e4m3"); may be NULL for user formats */
    uint8_t kind;          /**< tp_kind */
    uint8_t bits;          /**< storage width in bits: 1..16, 32 or 64 */
    uint8_t sign;          /**< 1 if the format has a sign bit (two's complement for integers) */
    uint8_t exp_bits;      /**< exponent field width (floats) */
    uint8_t man_bits;      /**< mantissa field width (floats) */
    uint8_t inf;           /**< tp_inf_policy */
    uint8_t nan;           /**< tp_nan_policy */
    uint8_t flags;         /**< TP_DESC_* */
    int32_t bias;          /**< exponent bias (floats) */
    int32_t scale_exp;     /**< integers: value = integer * 2^scale_exp */
} tp_format_desc;

/** The descriptor of a built-in format, or NULL if `f` is not one. */
TP_API const tp_format_desc *tp_format_get(tp_format f);

/** Looks a built-in format up by its lowercase name ("e4m3", "bf16", ...). */
TP_API tp_status tp_format_from_name(const char *name, tp_format *out);

/** Checks a user descriptor: a float format of at most 16 bits with
 *  sign in {0,1}, exp_bits 1..8, man_bits 0..15, bits = sign+exp_bits+man_bits
 *  (+1 with TP_DESC_SIGN_INVALID), consistent Inf/NaN policies (a format
 *  with TP_DESC_NO_ZERO needs a NaN code: zero, negative and NaN inputs
 *  encode to it), and every finite value exactly representable in
 *  binary32; or an integer format of
 *  2..16 bits with |scale_exp| <= 64.  Built-in rows pass.
 *  Returns TP_OK or TP_ERR_NULL / TP_ERR_DESCRIPTOR. */
TP_API tp_status tp_format_check(const tp_format_desc *d);

/** Limits of a format, as exact binary64 values. */
typedef struct tp_format_limits {
    double max_finite;    /**< largest finite value */
    double min_normal;    /**< smallest positive normal (floats; 2^-127 for e8m0) */
    double min_subnormal; /**< smallest positive value */
    double lowest;        /**< most negative finite value that encoding can produce */
    uint64_t max_code;    /**< code of max_finite */
    uint64_t nan_code;    /**< the canonical NaN code (positive where signed), or 0 if none */
    int has_inf, has_nan, has_neg_zero;
} tp_format_limits;

/** Fills `out` with the limits of `d` (which must pass tp_format_check). */
TP_API tp_status tp_format_limits_of(const tp_format_desc *d, tp_format_limits *out);
/** @} */

/** @defgroup convert Conversions
 *
 *  Encoding rounds the exact input once to the format (binary64 input is
 *  never rounded through binary32).  Decoding is exact.
 *
 *  src and dst must not overlap, except that they may be the same pointer
 *  when the source and code element sizes are equal (TP_ERR_ALIAS otherwise).
 *  NULL src or dst with n > 0 gives TP_ERR_NULL; n = 0 is a no-op.  `sr` is
 *  read only for TP_RSR, where it must not be NULL.  Decoding checks every
 *  code first: a code with bits set beyond the format's width gives
 *  TP_ERR_CODE and nothing is written.
 *
 *  Every entry point has an enum form and a `_desc` form for user formats;
 *  both give the same bits.  The kernel used (reference or SIMD) never
 *  changes a result or a flag.
 *  @{ */
TP_API tp_status tp_encode_f32(tp_format f, const float *src, void *dst, size_t n,
                               tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags);
TP_API tp_status tp_encode_f64(tp_format f, const double *src, void *dst, size_t n,
                               tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags);
/** Decoding to binary32 rejects binary64 (TP_ERR_FORMAT): it would round. */
TP_API tp_status tp_decode_f32(tp_format f, const void *src, float *dst, size_t n, unsigned *flags);
TP_API tp_status tp_decode_f64(tp_format f, const void *src, double *dst, size_t n, unsigned *flags);

TP_API tp_status tp_encode_f32_desc(const tp_format_desc *d, const float *src, void *dst, size_t n,
                                    tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags);
TP_API tp_status tp_encode_f64_desc(const tp_format_desc *d, const double *src, void *dst, size_t n,
                                    tp_round rnd, tp_overflow ovf, const tp_sr *sr, unsigned *flags);
TP_API tp_status tp_decode_f32_desc(const tp_format_desc *d, const void *src, float *dst, size_t n,
                                    unsigned *flags);
TP_API tp_status tp_decode_f64_desc(const tp_format_desc *d, const void *src, double *dst, size_t n,
                                    unsigned *flags);

/** Scalar helpers.  `rbits` is the random word for TP_RSR (ignored
 *  otherwise).  Codes travel in a uint64_t (binary64 bits for TP_F64). */
TP_API tp_status tp_encode1(const tp_format_desc *d, double x, tp_round rnd, tp_overflow ovf,
                            uint32_t rbits, uint64_t *code, unsigned *flags);
TP_API tp_status tp_decode1(const tp_format_desc *d, uint64_t code, double *x, unsigned *flags);

/** Packed storage for 4- and 6-bit codes.
 *  - bits = 4: two codes per byte, code 2i in the low nibble, 2i+1 in the
 *    high nibble; an odd n leaves the last high nibble zero.  ceil(n/2) bytes.
 *  - bits = 6: four codes in three bytes; code i occupies bits 6i .. 6i+5 of
 *    the little-endian bit stream.  ceil(6n/8) bytes, unused bits zero.
 *  tp_pack gives TP_ERR_CODE (writing nothing) if a code exceeds `bits`.
 *  Other `bits` give TP_ERR_ARG.  Packed and unpacked buffers must not
 *  overlap. */
TP_API size_t tp_packed_size(unsigned bits, size_t n);
TP_API tp_status tp_pack(unsigned bits, const uint8_t *codes, size_t n, uint8_t *packed);
TP_API tp_status tp_unpack(unsigned bits, const uint8_t *packed, size_t n, uint8_t *codes);
/** @} */

/** @defgroup block Block formats (OCP MX, NVFP4, BFP, ggml)
 *
 *  A block format stores k consecutive values as one shared scale and k
 *  element codes.  Rules and their sources: doc/blocks.md and
 *  ../shared/research/formats.md sections 3 to 7.
 *
 *  | tp_block_format       | element          | k      | scale             | name            |
 *  |-----------------------|------------------|--------|-------------------|-----------------|
 *  | TP_BLOCK_MXFP8_E4M3   | e4m3             | 32     | E8M0              | mxfp8_e4m3      |
 *  | TP_BLOCK_MXFP8_E5M2   | e5m2             | 32     | E8M0              | mxfp8_e5m2      |
 *  | TP_BLOCK_MXFP6_E2M3   | e2m3             | 32     | E8M0              | mxfp6_e2m3      |
 *  | TP_BLOCK_MXFP6_E3M2   | e3m2             | 32     | E8M0              | mxfp6_e3m2      |
 *  | TP_BLOCK_MXFP4        | e2m1             | 32     | E8M0              | mxfp4           |
 *  | TP_BLOCK_MXINT8       | mxint8           | 32     | E8M0              | mxint8          |
 *  | TP_BLOCK_NVFP4        | e2m1             | 16     | UE4M3 (+ f32 per tensor) | nvfp4    |
 *  | TP_BLOCK_BFP          | int of mant_bits x 2^-(mant_bits-2) | 8..256 | E8M0 | bfpM_K    |
 *  | TP_BLOCK_GGML_MXFP4   | e2m1             | 32     | E8M0, in-block    | ggml_mxfp4      |
 *  | TP_BLOCK_GGML_Q8_0    | int8             | 32     | binary16 d, in-block | ggml_q8_0    |
 *
 *  Quantisation of an E8M0-scaled block (MX, BFP, ggml_mxfp4):
 *   - amax = max |x_i|.  The shared exponent e comes from the bits of amax
 *     (never from log2f) by the tp_scale_rule, then is clamped to
 *     [-127, 127]; the scale code is e + 127 and the scale is 2^e.
 *   - Each element is x_i / 2^e (exact: an exponent shift) rounded once to
 *     the element format in mode `rnd`, saturating to +-max (OCP: clamp to
 *     the largest normal).  An element that rounds to zero keeps the sign
 *     of x_i where the element format has -0.  MXINT8 and BFP elements are
 *     symmetric: the most negative code (0x80 = -2 for MXINT8) is decoded
 *     but never produced.  The flags are those of these element roundings
 *     (TP_FLAG_INEXACT, TP_FLAG_UNDERFLOW against the element's smallest
 *     normal, TP_FLAG_OVERFLOW when a value is clamped).
 *   - All-zero block: scale 0x00 and (signed) zero elements, no flag.
 *   - A block holding a NaN or an infinity: scale 0xFF (NaN), every element
 *     code 0; TP_FLAG_INVALID unless every value of the block is a NaN
 *     (torchao and microxcaling also make such blocks NaN; formats.md P-7).
 *   - Decoding: scale 0xFF gives NaN for the whole block (0x7FC00000 /
 *     0x7FF8000000000000), scale 0x00 means 2^-127 (not 0).
 *
 *  NVFP4 (E2M1 elements, 16-element blocks, UE4M3 block scale, binary32
 *  per-tensor decode scale `tensor_scale`: value = e2m1 * ue4m3 * tensor_scale).
 *  The block scale and the element products are binary32 operations in the
 *  order of the recipe chosen in tp_block_desc.recipe (formats.md section 4,
 *  P-20); see doc/blocks.md for the exact sequence.  NaN/Inf blocks get
 *  block scale 0x7F (NaN) and zero elements, flagged as above.  The scale
 *  rule argument is ignored.  tp_nvfp4_tensor_scale() computes the tensor
 *  scale of a whole tensor for the recipe.
 *
 *  ggml_q8_0 reproduces ggml's quantize_row_q8_0_ref: d = amax/127 (binary32),
 *  stored as binary16 (RNE), elements round(x * (1/d)) in mode `rnd`
 *  (TP_RNA gives ggml's roundf bytes), clamped to +-127.  NaN/Inf blocks get
 *  d = 0x7E00 (NaN) and zero elements.  The scale rule is ignored.
 *
 *  NVFP4 and ggml_q8_0 quantisation (and tp_nvfp4_tensor_scale()) are the
 *  anchors' binary32 operations and may differ under MXCSR FTZ/DAZ; every
 *  other block result is independent of the floating-point environment.
 *
 *  Storage (default layout): `scales` holds one byte per block (E8M0 or
 *  UE4M3).  `elems` holds the element codes of the whole tensor: e2m1 packed
 *  two per byte, element 2i in the low nibble; FP6 and 8-bit codes one per
 *  byte (FP6 in the low 6 bits); BFP codes (two's complement in the low
 *  mant_bits bits) one per byte up to 8 bits, one uint16_t above.  The
 *  ggml formats write whole blocks into `elems` (17 bytes per block for
 *  ggml_mxfp4: E8M0 byte, then qs[j] = element j | element j+16 << 4; 34
 *  bytes for ggml_q8_0: little-endian binary16 d, then 32 int8) and ignore
 *  `scales` (which may be NULL).  tp_block_storage() gives the sizes.
 *
 *  n must be a multiple of the block size: a ragged last block is rejected
 *  with TP_ERR_ARG (nothing written).  n = block size is a single block;
 *  n = 0 is a no-op.  Element i of the call draws the i-th stochastic word
 *  of `sr` (TP_RSR).  Buffers must not overlap (TP_ERR_ALIAS).
 *  Dequantisation checks every code first (TP_ERR_CODE for a code wider
 *  than its format, nothing written), multiplies exactly, and rounds once:
 *  to binary32 with RNE (beyond its range: +-Inf with
 *  TP_FLAG_OVERFLOW|TP_FLAG_INEXACT; tiny NVFP4 products may raise
 *  TP_FLAG_UNDERFLOW|TP_FLAG_INEXACT), to binary64 always exactly.
 *  @{ */
typedef enum tp_block_format {
    TP_BLOCK_MXFP8_E4M3 = 0,
    TP_BLOCK_MXFP8_E5M2 = 1,
    TP_BLOCK_MXFP6_E2M3 = 2,
    TP_BLOCK_MXFP6_E3M2 = 3,
    TP_BLOCK_MXFP4 = 4,
    TP_BLOCK_MXINT8 = 5,
    TP_BLOCK_NVFP4 = 6,
    TP_BLOCK_BFP = 7,
    TP_BLOCK_GGML_MXFP4 = 8,
    TP_BLOCK_GGML_Q8_0 = 9
} tp_block_format;
/** Number of block formats (values 0 .. TP_BLOCK_FORMAT_COUNT-1). */
#define TP_BLOCK_FORMAT_COUNT 10

/** Shared-exponent rules (formats.md section 3.3).  With amax = s * 2^k,
 *  s in [1, 2) read from its bits, emax the exponent of the element's largest
 *  power of two and smax the significand of the element's max:
 *   - TP_SCALE_FLOOR (OCP v1.0 section 6.3): e = k - emax.
 *   - TP_SCALE_RCEIL: e = ceil(log2(amax / max_elem)) = k - emax + (s > smax)
 *     (NVIDIA / Transformer Engine round-up of amax/max, with the exact quotient).
 *   - TP_SCALE_CEIL (torchao): e = ceil(log2(amax)) - emax.
 *   - TP_SCALE_EVEN (torchao): s rounded half-up to the element's mantissa
 *     width m first: e = k - emax + (s >= 2 - 2^-(m+1)).
 *  The result is clamped to [-127, 127]. */
typedef enum tp_scale_rule {
    TP_SCALE_FLOOR = 0,
    TP_SCALE_RCEIL = 1,
    TP_SCALE_CEIL = 2,
    TP_SCALE_EVEN = 3
} tp_scale_rule;

/** NVFP4 two-level recipes (formats.md section 4). */
typedef enum tp_nvfp4_recipe {
    TP_NVFP4_TE = 0,     /**< Transformer Engine: scales may be subnormal or 0 */
    TP_NVFP4_TORCHAO = 1 /**< torchao: block scale clamped to [2^-6, 448] */
} tp_nvfp4_recipe;

/** A block format descriptor.  Fill it with tp_block_preset(), tp_block_bfp()
 *  or tp_block_from_name(); tp_block_check() validates one. */
typedef struct tp_block_desc {
    uint8_t format;      /**< tp_block_format */
    uint8_t elem;        /**< tp_format of the elements (TP_INT8 for BFP and ggml_q8_0) */
    uint8_t mant_bits;   /**< BFP: signed element width 2..16 (sign included); 0 otherwise */
    uint8_t recipe;      /**< NVFP4: tp_nvfp4_recipe; 0 otherwise */
    uint16_t block_size; /**< 32 (MX, ggml), 16 (NVFP4), 8..256 (BFP) */
    uint16_t reserved;   /**< 0 */
} tp_block_desc;

/** The descriptor of a block format with its defaults (TP_BLOCK_BFP: 8-bit
 *  elements in blocks of 16, MSFP16-style; NVFP4: TP_NVFP4_TE). */
TP_API tp_status tp_block_preset(tp_block_format f, tp_block_desc *out);
/** A BFP descriptor: mant_bits 2..16, block_size 8..256 (else TP_ERR_ARG). */
TP_API tp_status tp_block_bfp(unsigned mant_bits, unsigned block_size, tp_block_desc *out);
/** Looks a block format up by name: "mxfp8_e4m3", "mxfp8_e5m2",
 *  "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4", "mxint8", "nvfp4" (TE recipe),
 *  "nvfp4_torchao", "bfp<M>_<K>" (e.g. "bfp8_16"), "msfp12" (= bfp4_16),
 *  "msfp16" (= bfp8_16), the ONNX Runtime names "bfp_<S>_<M>_8_<K>"
 *  (case-insensitive; S sign bits 0 or 1, M mantissa bits: S+M element
 *  bits), "ggml_mxfp4", "ggml_q8_0".  TP_ERR_NAME if unknown. */
TP_API tp_status tp_block_from_name(const char *name, tp_block_desc *out);
/** TP_OK for a consistent descriptor, TP_ERR_NULL or TP_ERR_DESCRIPTOR. */
TP_API tp_status tp_block_check(const tp_block_desc *b);
/** Bytes of `scales` and `elems` for n values (n a multiple of the block
 *  size, else TP_ERR_ARG; TP_ERR_SIZE on overflow).  Either pointer may be
 *  NULL. */
TP_API tp_status tp_block_storage(const tp_block_desc *b, size_t n, size_t *scale_bytes,
                                  size_t *elem_bytes);

/** Quantises n binary32 values (see the group notes).  `tensor_scale` is the
 *  NVFP4 per-tensor decode scale (finite, > 0; ignored by other formats).
 *  TP_ERR_FORMAT/TP_ERR_DESCRIPTOR for a bad descriptor, TP_ERR_ARG for an
 *  unknown rule, a ragged n or a bad tensor scale, TP_ERR_ROUND, TP_ERR_NULL,
 *  TP_ERR_ALIAS, TP_ERR_SIZE. */
TP_API tp_status tp_block_quantize_f32(const tp_block_desc *b, const float *src, size_t n,
                                       uint8_t *scales, void *elems, float tensor_scale,
                                       tp_scale_rule rule, tp_round rnd, const tp_sr *sr,
                                       unsigned *flags);
/** As tp_block_quantize_f32 from bfloat16 bit patterns (exactly widened). */
TP_API tp_status tp_block_quantize_bf16(const tp_block_desc *b, const uint16_t *src, size_t n,
                                        uint8_t *scales, void *elems, float tensor_scale,
                                        tp_scale_rule rule, tp_round rnd, const tp_sr *sr,
                                        unsigned *flags);
/** Dequantises n values to binary32 (RNE) or binary64 (exact). */
TP_API tp_status tp_block_dequantize_f32(const tp_block_desc *b, const uint8_t *scales,
                                         const void *elems, size_t n, float tensor_scale,
                                         float *dst, unsigned *flags);
TP_API tp_status tp_block_dequantize_f64(const tp_block_desc *b, const uint8_t *scales,
                                         const void *elems, size_t n, float tensor_scale,
                                         double *dst, unsigned *flags);

/** A rows x cols binary32 matrix, row-major with leading dimension ld >= cols,
 *  blocked along `axis`: 1 blocks each row (cols a multiple of the block size),
 *  0 blocks each column (rows a multiple).  The result is exactly that of the
 *  1-D call on the blocks gathered in order: axis 1 gives the rows one after
 *  another, axis 0 the columns one after another (the transpose).  Other
 *  axis values give TP_ERR_ARG. */
TP_API tp_status tp_block_quantize_2d_f32(const tp_block_desc *b, const float *src, size_t rows,
                                          size_t cols, size_t ld, int axis, uint8_t *scales,
                                          void *elems, float tensor_scale, tp_scale_rule rule,
                                          tp_round rnd, const tp_sr *sr, unsigned *flags);
/** The inverse of tp_block_quantize_2d_f32; writes only the rows x cols
 *  values of dst (leading dimension ld). */
TP_API tp_status tp_block_dequantize_2d_f32(const tp_block_desc *b, const uint8_t *scales,
                                            const void *elems, size_t rows, size_t cols, int axis,
                                            float tensor_scale, float *dst, size_t ld,
                                            unsigned *flags);

/** The NVFP4 per-tensor decode scale of n binary32 values for the recipe of
 *  `b`, from amax = max |x| over the finite values: TE: 1/min(2688/amax,
 *  FLT_MAX), torchao: max(amax/2688, 2^-149), each operation in binary32;
 *  1 when amax = 0.  TP_ERR_FORMAT if `b` is not NVFP4. */
TP_API tp_status tp_nvfp4_tensor_scale(const tp_block_desc *b, const float *src, size_t n,
                                       float *out);
/** @} */

/** @defgroup acc Exact accumulators
 *
 *  Sums are exact: every term (a value, or the exact product of two values)
 *  is added without any rounding, and the result is rounded once, by
 *  tp_acc_round / tp_acc128_round, to any format in any mode with the
 *  semantics of doc/semantics.md (the same answer as MPFR computing the exact
 *  value and rounding it with mpfr_subnormalize to the format).  The result
 *  does not depend on the order of the terms, on how they were split across
 *  accumulators that were merged, or on the ISA.
 *
 *  Special values follow IEEE 754: a NaN term, +Inf plus -Inf, or a product
 *  0 x Inf makes the sum NaN (rounded to the format's NaN, or as
 *  doc/semantics.md says for NaN into a format without NaN); otherwise an
 *  infinite term makes it +-Inf.  Rounding a NaN made by an invalid
 *  operation (+Inf plus -Inf, 0 x Inf) raises TP_FLAG_INVALID; a NaN that
 *  was only propagated from a NaN term raises nothing.  An exact zero sum is -0 if every term was a
 *  zero with a negative sign (so -0 + -0 = -0), -0 under TP_RDN when terms
 *  cancelled, and +0 otherwise (also for no terms at all).
 *  @{ */

/** The full-range accumulator: exact for sums of binary64 values and of
 *  products of any two supported values (binary64 x binary64 included, a
 *  window of 2^-2148 .. 2^2048 plus 64 carry bits, so at least 2^62 terms).
 *  A fixed-size value: place it on the stack, in an array or in shared
 *  memory; copy it with memcpy.  Initialise it with tp_acc_init.  Each add
 *  costs O(1) amortised. */
#define TP_ACC_WORDS 144
typedef struct tp_acc {
    uint64_t w[TP_ACC_WORDS]; /**< opaque */
} tp_acc;

/** Size in bytes of the portable serialisation of a tp_acc (the same bytes
 *  on every platform and endianness for the same exact value). */
#define TP_ACC_SERIAL_BYTES 1096

TP_API tp_status tp_acc_init(tp_acc *a);
/** Adds one binary64 value exactly. */
TP_API tp_status tp_acc_add_f64(tp_acc *a, double x);
/** Adds n binary64 values exactly (TP_ERR_NULL for NULL x with n > 0). */
TP_API tp_status tp_acc_add_f64_array(tp_acc *a, const double *x, size_t n);
/** Adds the exact product x * y of two binary64 values. */
TP_API tp_status tp_acc_add_prod_f64(tp_acc *a, double x, double y);
/** Adds the value of one code of format d (any built-in or user format). */
TP_API tp_status tp_acc_add_code(tp_acc *a, const tp_format_desc *d, uint64_t code);
/** Adds the exact product of two codes of formats da and db. */
TP_API tp_status tp_acc_add_prod_codes(tp_acc *a, const tp_format_desc *da, uint64_t ca,
                                       const tp_format_desc *db, uint64_t cb);
/** dst += src, exactly (src unchanged; dst == src is allowed and doubles it). */
TP_API tp_status tp_acc_merge(tp_acc *dst, const tp_acc *src);
/** a = -a (NaN stays NaN; +-Inf and the signs of zero swap). */
TP_API tp_status tp_acc_negate(tp_acc *a);
/** Rounds the exact value once to format `out`.  `rbits` is the random
 *  word for TP_RSR.  The code travels in a uint64_t (binary64 bits for TP_F64). */
TP_API tp_status tp_acc_round(const tp_acc *a, const tp_format_desc *out, tp_round rnd,
                              tp_overflow ovf, uint32_t rbits, uint64_t *code, unsigned *flags);
/** Writes TP_ACC_SERIAL_BYTES bytes (TP_ERR_ARG if len is smaller). */
TP_API tp_status tp_acc_serialize(const tp_acc *a, uint8_t *buf, size_t len);
/** Reads a serialisation; malformed or inconsistent bytes give TP_ERR_DATA
 *  and leave *a unchanged. */
TP_API tp_status tp_acc_deserialize(tp_acc *a, const uint8_t *buf, size_t len);

/** The narrow accumulator: the 128-bit fixed-point core, with its least
 *  significant bit at 2^-48.  It holds every value and every product of two
 *  values of the formats of 16 bits or fewer whose products lie in
 *  [2^-48, 2^32] in magnitude (binary16, the FP8 family, FP6, FP4, int8,
 *  int4, uint4, mxint8, ue4m3) exactly, with at least 2^47 terms of carry
 *  headroom at binary16's largest product and at least 2^40 for every
 *  narrower format.  A term outside the window (a bfloat16 or e8m0 value,
 *  a binary16 subnormal times a small value, ...) is never added silently
 *  wrong: the add returns TP_ERR_RANGE and changes nothing, and
 *  tp_acc128_to_acc escalates to the full-range accumulator. */
typedef struct tp_acc128 {
    uint64_t lo, hi;  /**< two's complement, LSB 2^-48 (opaque) */
    uint32_t state;   /**< special-value and signed-zero state (opaque) */
    uint32_t reserved;
} tp_acc128;

TP_API tp_status tp_acc128_init(tp_acc128 *a);
TP_API tp_status tp_acc128_add_code(tp_acc128 *a, const tp_format_desc *d, uint64_t code);
TP_API tp_status tp_acc128_add_prod_codes(tp_acc128 *a, const tp_format_desc *da, uint64_t ca,
                                          const tp_format_desc *db, uint64_t cb);
/** dst += src; TP_ERR_RANGE (dst unchanged) if the 128-bit sum would wrap. */
TP_API tp_status tp_acc128_merge(tp_acc128 *dst, const tp_acc128 *src);
TP_API tp_status tp_acc128_round(const tp_acc128 *a, const tp_format_desc *out, tp_round rnd,
                                 tp_overflow ovf, uint32_t rbits, uint64_t *code, unsigned *flags);
/** dst += the exact value of src (escalation to the full-range accumulator). */
TP_API tp_status tp_acc128_to_acc(const tp_acc128 *src, tp_acc *dst);
/** @} */

/** @defgroup dot Exact dot products
 *
 *  The exact sum of the exact products, rounded once to `out` (see the
 *  accumulator group for NaN, Inf and signed zeros).  For TP_RSR the random
 *  word is sr->bits[0], or tp_sr_word(sr->seed, sr->counter).
 *  Strides count elements (codes of the format's storage size) and must be
 *  at least 1 (TP_ERR_ARG otherwise).  Any pair of formats may be mixed.
 *  @{ */
TP_API tp_status tp_dot(const tp_format_desc *da, const void *a, size_t inca,
                        const tp_format_desc *db, const void *b, size_t incb, size_t n,
                        const tp_format_desc *out, tp_round rnd, tp_overflow ovf,
                        const tp_sr *sr, uint64_t *result, unsigned *flags);
/** As tp_dot, adding the exact dot product into `acc` instead of rounding. */
TP_API tp_status tp_dot_acc(const tp_format_desc *da, const void *a, size_t inca,
                            const tp_format_desc *db, const void *b, size_t incb, size_t n,
                            tp_acc *acc);
/** Exact dot product of two block-format vectors of n values (n a multiple
 *  of both block sizes), in the storage of tp_block_quantize_f32; `tsa`/`tsb`
 *  are the NVFP4 tensor scales (ignored otherwise).  With bb == NULL, `eb`
 *  is a binary32 array (block format x binary32) and sb, tsb are ignored.
 *  Block scales combine as integer exponents: nothing overflows or flushes
 *  before the final rounding.  A NaN block scale makes the result NaN. */
TP_API tp_status tp_block_dot(const tp_block_desc *ba, const uint8_t *sa, const void *ea, float tsa,
                              const tp_block_desc *bb, const uint8_t *sb, const void *eb, float tsb,
                              size_t n, const tp_format_desc *out, tp_round rnd, tp_overflow ovf,
                              const tp_sr *sr, uint64_t *result, unsigned *flags);
/** As tp_block_dot, adding into `acc`. */
TP_API tp_status tp_block_dot_acc(const tp_block_desc *ba, const uint8_t *sa, const void *ea,
                                  float tsa, const tp_block_desc *bb, const uint8_t *sb,
                                  const void *eb, float tsb, size_t n, tp_acc *acc);
/** @} */

/** @defgroup gemm Matrix products: GEMM and GEMV
 *
 *  C = alpha * op(A) * op(B) + beta * C and y = alpha * op(W) * x + beta * y,
 *  with op(A) m x k, op(B) k x n, op(W) m x k.  Operands are in any element
 *  format or any block format (blocked along k), in any mix.
 *
 *  TP_MODE_EXACT (the default) computes, for each output, the exact value of
 *  an accumulator (see the accumulator group) holding the terms alpha *
 *  a_ik * b_kj for every k, each formed exactly, and the term beta * c_ij,
 *  and rounds it once to the output format in the requested mode and
 *  overflow policy.  NaN, Inf and signed zeros follow the accumulator rules
 *  (alpha < 0 flips the sign of every product term, zeros included).  Two
 *  conventions come from BLAS: with alpha == 0 no product term is formed
 *  (A and B are validated but their values do not matter), and with
 *  beta == 0 the term beta * c is omitted and C is not read (it may hold
 *  anything).  alpha and beta must be finite (TP_ERR_ARG otherwise).  The
 *  bits do not depend on threads, tiles, packing or ISA.
 *
 *  TP_MODE_FAST is hardware-style, for speed comparisons and accuracy
 *  studies.  Every value is taken as binary32 (block values as
 *  tp_block_dequantize_f32 gives them).  For output (i, j), sixteen binary32
 *  lanes start at +0; lane l takes the products for k = l, l + 16, ... in
 *  increasing k, each by one fused multiply-add (fmaf).  The lanes are then
 *  added pairwise: l += l + 8 (l < 8), then l += l + 4, l += l + 2, l += l + 1,
 *  each addition rounded to binary32.  With s the result, t = alpha * s
 *  (binary64, rounded), then t = t + beta * c (binary64, each operation
 *  rounded) when beta != 0, and t is rounded to the output format as
 *  tp_encode_f64 would (a NaN t as the positive quiet NaN with a zero
 *  payload: the sign and payload of a NaN follow the hardware's operand
 *  order).  FAST results follow the caller's floating-point
 *  environment (FTZ/DAZ) and raise only the flags of the final encode.
 *
 *  Storage.  An element operand holds codes of its format's storage size
 *  (tp_format_desc.bits rounded up to 1, 2, 4 or 8 bytes), indexed as BLAS
 *  does: with TP_ROW_MAJOR element (r, c) of the stored matrix is at
 *  r * ld + c, with TP_COL_MAJOR at c * ld + r; op(X) is X or its
 *  transpose.  A block operand is blocked along k, so k must be contiguous
 *  in it: op(A) row i (op(B) column j) is the vector of k values starting at
 *  element i * ld (j * ld), stored as tp_block_quantize_f32 stores k values
 *  (scales at block i * ld / block_size of `scales`; the ggml layouts carry
 *  them inline).  That is the storage of tp_block_quantize_2d_f32 blocked
 *  along k.  For a block A this requires (row-major, TP_NO_TRANS) or
 *  (column-major, TP_TRANS); for a block B, (row-major, TP_TRANS) or
 *  (column-major, TP_NO_TRANS); other combinations give TP_ERR_ARG.  k must
 *  be a multiple of every block operand's block size and ld a multiple of
 *  it, ld >= max(k, 1) (TP_ERR_ARG).  Element operands may be in every built-in
 *  format but binary64 (user formats and binary64 give TP_ERR_FORMAT).
 *
 *  C holds m x n codes of cfmt (binary32, bfloat16, binary16, an FP8 format
 *  or any other format of up to 32 bits) with leading dimension ldc in the
 *  call's layout.  Only the m x n codes of C are written, and no other byte
 *  of the array.  C must not overlap A, B or their scales (TP_ERR_ALIAS).
 *  On any error nothing is written and *flags is unchanged.
 *
 *  Stochastic rounding of the output draws the word for output (i, j) as
 *  sr->bits[i * n + j], or tp_sr_word(sr->seed, sr->counter + i * n + j)
 *  (GEMV: index i).
 *
 *  Threads.  Calls use an internal pool of worker threads, created at first
 *  use, whose size is set by tp_set_num_threads, else by the environment
 *  variable TP_NUM_THREADS, else the number of online processors, and is
 *  never larger than the number of online processors.  Calls may be made
 *  from any number of threads at once; nothing global is locked while a
 *  product runs.  Engines with their own threads call the _tile / _rows
 *  entry points, which compute a part of the output in the calling thread.
 *  @{ */
typedef enum tp_layout {
    TP_ROW_MAJOR = 0,
    TP_COL_MAJOR = 1
} tp_layout;
typedef enum tp_trans {
    TP_NO_TRANS = 0,
    TP_TRANS = 1
} tp_trans;
typedef enum tp_mode {
    TP_MODE_EXACT = 0, /**< exact sum, one rounding (the default) */
    TP_MODE_FAST = 1   /**< binary32 accumulation in the documented order */
} tp_mode;

/** An operand packed by tp_pack_operand (opaque). */
typedef struct tp_packed tp_packed;

/** A matrix or vector operand.  Set exactly one of `fmt` (element format)
 *  and `blk` (block format), or only `packed`.  For a vector (x of tp_gemv)
 *  `ld` is the increment between elements (>= 1; block vectors must be
 *  contiguous: ld = 1) and `trans` is ignored. */
typedef struct tp_operand {
    const tp_format_desc *fmt; /**< element format, or NULL */
    const tp_block_desc *blk;  /**< block format, or NULL */
    const void *data;          /**< element codes, or the block elements */
    const uint8_t *scales;     /**< block scales (NULL for ggml layouts) */
    float tensor_scale;        /**< NVFP4 per-tensor scale; ignored otherwise */
    tp_trans trans;            /**< op(X) = X or X^T */
    size_t ld;                 /**< leading dimension (elements), or vector increment */
    const tp_packed *packed;   /**< a packed operand: the fields above are ignored */
} tp_operand;

/** Options of a product; a NULL pointer means all fields zero: TP_RNE,
 *  TP_OVF_DEFAULT, TP_MODE_EXACT, the pool's thread count. */
typedef struct tp_gemm_opts {
    tp_round rnd;       /**< rounding of the output */
    tp_overflow ovf;    /**< overflow policy of the output */
    const tp_sr *sr;    /**< random words for TP_RSR (required then) */
    tp_mode mode;       /**< TP_MODE_EXACT or TP_MODE_FAST */
    unsigned threads;   /**< 0: the pool's size; else at most this many threads */
} tp_gemm_opts;

/** C = alpha * op(A) * op(B) + beta * C (see the group text).  Empty
 *  products (m, n or k zero) are valid; with k == 0 each output is the
 *  rounded term beta * c (or +0). */
TP_API tp_status tp_gemm(tp_layout layout, size_t m, size_t n, size_t k, double alpha,
                         const tp_operand *a, const tp_operand *b, double beta,
                         const tp_format_desc *cfmt, void *c, size_t ldc,
                         const tp_gemm_opts *opts, unsigned *flags);
/** The outputs (i, j) with i0 <= i < i1 and j0 <= j < j1 of the same
 *  tp_gemm call, computed in the calling thread (opts->threads is ignored).
 *  Any partition of the output into tiles gives the bits of one tp_gemm
 *  call.  TP_ERR_ARG unless i0 <= i1 <= m and j0 <= j1 <= n. */
TP_API tp_status tp_gemm_tile(tp_layout layout, size_t m, size_t n, size_t k, double alpha,
                              const tp_operand *a, const tp_operand *b, double beta,
                              const tp_format_desc *cfmt, void *c, size_t ldc,
                              const tp_gemm_opts *opts, size_t i0, size_t i1, size_t j0,
                              size_t j1, unsigned *flags);

/** y = alpha * op(W) * x + beta * y: op(W) is m x k (stored as an A operand
 *  of tp_gemm), x a vector of k values, y m codes of yfmt with increment
 *  incy >= 1.  A dedicated path, not tp_gemm with n = 1; the results are the
 *  same bits as tp_gemm with n = 1. */
TP_API tp_status tp_gemv(tp_layout layout, size_t m, size_t k, double alpha, const tp_operand *w,
                         const tp_operand *x, double beta, const tp_format_desc *yfmt, void *y,
                         size_t incy, const tp_gemm_opts *opts, unsigned *flags);
/** Rows r0 <= i < r1 of the same tp_gemv call, in the calling thread. */
TP_API tp_status tp_gemv_rows(tp_layout layout, size_t m, size_t k, double alpha,
                              const tp_operand *w, const tp_operand *x, double beta,
                              const tp_format_desc *yfmt, void *y, size_t incy,
                              const tp_gemm_opts *opts, size_t r0, size_t r1, unsigned *flags);

/** Which operand a packed buffer serves: op(A) of tp_gemm or op(W) of
 *  tp_gemv (rows of k values), or op(B) of tp_gemm (columns of k values). */
typedef enum tp_pack_role {
    TP_PACK_A = 0,
    TP_PACK_B = 1
} tp_pack_role;

/** Bytes needed to pack an operand of `rows` vectors of k values (m for
 *  TP_PACK_A, n for TP_PACK_B): one copy of the data, each vector padded
 *  to a multiple of 64 bytes, plus a 128-byte header and 16 bytes per
 *  vector. */
TP_API tp_status tp_pack_operand_size(tp_layout layout, tp_pack_role role, size_t rows, size_t k,
                                      const tp_operand *x, size_t *bytes);
/** Packs the operand into buf (len bytes, 64-byte aligned, else
 *  TP_ERR_ARG) in a layout the kernels read fast.  The buffer is
 *  self-describing and versioned: a product checks its role, shape and
 *  format (TP_ERR_MISMATCH), its header and the header's checksum
 *  (TP_ERR_DATA), and its codes as for an unpacked operand (TP_ERR_CODE).
 *  It holds no pointer and may be copied to another 64-byte aligned place
 *  or saved to a file (codes wider than a byte are in host byte order); the
 *  bits of a product do not change with packing. */
TP_API tp_status tp_pack_operand(tp_layout layout, tp_pack_role role, size_t rows, size_t k,
                                 const tp_operand *x, void *buf, size_t len);

/** Sets the size of the internal pool (1 .. the number of online
 *  processors; larger values are capped; 0 restores the default).  Takes
 *  effect at the next product call that starts. */
TP_API tp_status tp_set_num_threads(unsigned n);
/** The pool size the next product call will use. */
TP_API unsigned tp_get_num_threads(void);
/** @} */

/** @defgroup isa Kernel selection
 *  Kernels are chosen once, at first use: from cpuid/XGETBV on x86-64; on
 *  AArch64 Advanced SIMD (NEON) is always present.  The environment
 *  variable TP_ISA=ref|avx2|avx512|neon forces a variant, capped at what
 *  the CPU supports (a variant of another architecture gives ref).  Every
 *  variant gives the same bits.
 *  @{ */
typedef enum tp_isa {
    TP_ISA_REF = 0,
    TP_ISA_AVX2 = 1,   /**< AVX2 + FMA + F16C */
    TP_ISA_AVX512 = 2, /**< AVX-512 F/BW/VL/DQ (+ VBMI, VNNI, BF16 where used) */
    TP_ISA_NEON = 3    /**< AArch64 Advanced SIMD */
} tp_isa;
/** The variant in use. */
TP_API tp_isa tp_active_isa(void);
/** "ref", "avx2", "avx512" or "neon"; "unknown" otherwise. */
TP_API const char *tp_isa_name(tp_isa isa);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TRUEPOINT_H */
