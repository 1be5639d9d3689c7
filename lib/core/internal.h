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

/* The index of the highest set bit of x != 0 (portable; no builtins). */
static inline int tpi_top_bit(uint64_t x)
{
    int n = 0;
    for (int s = 32; s > 0; s >>= 1) {
        if (x >> s) {
            x >>= s;
            n += s;
        }
    }
    return n;
}

/* 64 x 64 -> 128-bit unsigned product, portable (no __int128). */
static inline void tpi_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    *lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* Exact accumulation shared by the accumulators and the dot kernels
 * (lib/ref/acc_ref.c).  tpi_acc_add_wide adds sign * (hi*2^64 + lo) * 2^exp
 * for any exp >= -2200 and value < 2^2050 (every product of two supported
 * values).  tpi_acc_add_special records a term that is not finite-nonzero:
 * TPI_ACC_NAN, TPI_ACC_PINF, TPI_ACC_NINF, TPI_ACC_PZERO, TPI_ACC_NZERO or
 * TPI_ACC_INVALID. */
enum { TPI_ACC_NAN, TPI_ACC_PINF, TPI_ACC_NINF, TPI_ACC_PZERO, TPI_ACC_NZERO,
       TPI_ACC_INVALID /* a NaN made by an invalid operation (0 x Inf): rounds with TP_FLAG_INVALID */ };
TPI_HIDDEN void tpi_acc_add_wide(tp_acc *a, int sign, uint64_t hi, uint64_t lo, int exp);
TPI_HIDDEN void tpi_acc_add_special(tp_acc *a, int kind);

/* Block kernels over nblk whole blocks (struct tpi_blk: lib/ref/ref.h). */
struct tpi_blk;
typedef void (*tpi_blk_quant_fn)(const struct tpi_blk *k, const float *src, size_t nblk,
                                 float tensor_scale, uint8_t *scales, void *elems,
                                 tp_scale_rule rule, tp_round rnd, const tp_sr *sr,
                                 unsigned *flags);
typedef void (*tpi_blk_dequant_fn)(const struct tpi_blk *k, const uint8_t *scales,
                                   const void *elems, size_t nblk, float tensor_scale, float *dst,
                                   unsigned *flags);
/* Exact dot product of two arrays of built-in formats, added into acc. */
typedef void (*tpi_dot_fn)(const tpi_fmt *pa, const void *a, size_t inca, const tpi_fmt *pb,
                           const void *b, size_t incb, size_t n, tp_acc *acc);

/* Exact dot product of two block vectors (kb == NULL: eb is binary32), added
 * into acc; flags get TP_FLAG_INVALID for UE4M3 codes >= 0x80. */
typedef void (*tpi_blk_dot_fn)(const struct tpi_blk *ka, const uint8_t *sa, const void *ea,
                               float tsa, const struct tpi_blk *kb, const uint8_t *sb,
                               const void *eb, float tsb, size_t n, tp_acc *acc, unsigned *flags);


/* ------------------------------------------------------------ GEMM / GEMV
 * lib/core/gemm.c checks the arguments and describes each operand as a set
 * of vectors along k (rows of op(A) or op(W), columns of op(B), the vector x)
 * and the output; kernels compute tiles of exact dot products and hand each
 * exact result to tpi_mm_put_acc or tpi_mm_put_f64, which apply alpha and
 * beta, round once and store. */

/* Per-vector metadata of a packed operand (16 bytes, host byte order, at a
 * 64-byte aligned offset of the buffer).  For E8M0-scaled block formats smin/smax are
 * the smallest and largest scale codes of the vector's blocks; `special` is
 * nonzero if the vector holds a NaN scale or a NaN/Inf element code. */
typedef struct tpi_vmeta {
    int16_t smin, smax;
    uint8_t special;
    uint8_t pad[11];
} tpi_vmeta;

typedef struct tpi_vecs {
    int is_block;
    const tpi_fmt *f;          /* element operand: parameters of its format */
    int fidx;                  /* element operand: built-in index, or -1 */
    size_t size;               /* element operand: bytes per code */
    const struct tpi_blk *kb;  /* block operand */
    const uint8_t *data;       /* vector 0, element 0 */
    const uint8_t *scales;     /* block operand: scales of vector 0 (NULL for ggml) */
    float ts;                  /* NVFP4 tensor scale */
    size_t vstride;            /* element operand: elements between vectors */
    size_t kstride;            /* element operand: elements between k and k + 1 */
    size_t vbytes, sbytes;     /* block operand: bytes between vectors (elements, scales) */
    const tpi_vmeta *meta;     /* packed operand: one per vector, else NULL */
} tpi_vecs;

typedef struct tpi_mm {
    tpi_vecs a, b;             /* m vectors and n vectors of k values (GEMV: b is x, n = 1) */
    size_t m, n, k;
    double alpha, beta;
    const tpi_fmt *cf;         /* output format */
    size_t csize;              /* bytes per output code */
    uint8_t *c;                /* output (0, 0) */
    size_t c_is, c_js;         /* elements between (i, j) and (i + 1, j) / (i, j + 1) */
    tp_round rnd;
    tp_overflow ovf;           /* resolved */
    const tp_sr *sr;
    tp_mode mode;
} tpi_mm;

/* Scratch of one thread: grown on demand, kept between calls. */
typedef struct tpi_ws {
    void *p;
    size_t cap;
} tpi_ws;
/* A pointer to at least `bytes` bytes of ws (64-byte aligned), or NULL. */
TPI_HIDDEN void *tpi_ws_get(tpi_ws *ws, size_t bytes);

/* Vector v of an operand: element codes / block elements / block scales. */
static inline const uint8_t *tpi_vec_data(const tpi_vecs *x, size_t v)
{
    return x->is_block ? x->data + v * x->vbytes : x->data + v * x->vstride * x->size;
}
static inline const uint8_t *tpi_vec_scales(const tpi_vecs *x, size_t v)
{
    return x->scales != NULL ? x->scales + v * x->sbytes : NULL;
}

/* Stores output (i, j) from the exact dot product S in acc (acc is
 * clobbered). */
TPI_HIDDEN void tpi_mm_put_acc(const tpi_mm *mm, size_t i, size_t j, tp_acc *acc,
                               unsigned *flags);
/* Stores output (i, j) from an exact dot product S = s that is finite and
 * nonzero (a kernel that finds S zero or not finite must use the generic
 * path, which knows the sign of zero and the special values). */
TPI_HIDDEN void tpi_mm_put_f64(const tpi_mm *mm, size_t i, size_t j, double s, unsigned *flags);
/* Stores output (i, j) of TP_MODE_FAST from the reduced binary32 lane sum
 * s: alpha and beta in binary64, then one encode (doc/gemm.md). */
TPI_HIDDEN void tpi_mm_put_fast(const tpi_mm *mm, size_t i, size_t j, float s, unsigned *flags);
/* The generic exact tile: every output by the dot kernels (any operands). */
TPI_HIDDEN void tpi_mm_generic(const tpi_mm *mm, size_t i0, size_t i1, size_t j0, size_t j1,
                               tpi_ws *ws, unsigned *flags);

/* A fast tile kernel: returns 1 after computing the tile [i0,i1) x [j0,j1),
 * or 0 (having written nothing) if it does not handle these operands. */
typedef int (*tpi_mm_fn)(const tpi_mm *mm, size_t i0, size_t i1, size_t j0, size_t j1,
                         tpi_ws *ws, unsigned *flags);

/* The dispatch table: every slot is always valid. */
typedef struct tpi_kernels {
    tp_isa isa;
    tpi_enc_f32_fn enc_f32[TP_FORMAT_COUNT];
    tpi_enc_f64_fn enc_f64[TP_FORMAT_COUNT];
    tpi_dec_f32_fn dec_f32[TP_FORMAT_COUNT];
    tpi_dec_f64_fn dec_f64[TP_FORMAT_COUNT];
    tpi_blk_quant_fn blk_quant[TP_BLOCK_FORMAT_COUNT];
    tpi_blk_dequant_fn blk_dequant[TP_BLOCK_FORMAT_COUNT];
    tpi_dot_fn dot[TP_FORMAT_COUNT][TP_FORMAT_COUNT];
    tpi_blk_dot_fn blk_dot;
    tpi_mm_fn gemm;   /* exact GEMM tiles (NULL: generic only) */
    tpi_mm_fn gemv;   /* exact GEMV rows, n = 1 (NULL: generic only) */
    tpi_mm_fn fast;   /* TP_MODE_FAST tiles, GEMM and GEMV (NULL: generic only) */
    tpi_fmt fmt[TP_FORMAT_COUNT]; /* the parameters of every built-in format */
} tpi_kernels;

TPI_HIDDEN const tpi_kernels *tpi_kernels_get(void);

/* Installers.  The reference ones fill every slot of their group; the
 * per-ISA ones overwrite the slots they implement. */
TPI_HIDDEN void tpi_install_ref_block(tpi_kernels *k);   /* lib/ref/block_ref.c */
TPI_HIDDEN void tpi_install_ref_dot(tpi_kernels *k);     /* lib/ref/dot_ref.c */
TPI_HIDDEN void tpi_install_avx2(tpi_kernels *k);        /* codecs */
TPI_HIDDEN void tpi_install_avx512(tpi_kernels *k);
TPI_HIDDEN void tpi_install_avx2_block(tpi_kernels *k);
TPI_HIDDEN void tpi_install_avx512_block(tpi_kernels *k);
TPI_HIDDEN void tpi_install_avx2_dot(tpi_kernels *k);
TPI_HIDDEN void tpi_install_avx512_dot(tpi_kernels *k);
TPI_HIDDEN void tpi_install_avx2_gemm(tpi_kernels *k);   /* lib/x86/avx2/gemm_avx2.c */
TPI_HIDDEN void tpi_install_avx2_gemv(tpi_kernels *k);   /* lib/x86/avx2/gemv_avx2.c */
TPI_HIDDEN void tpi_install_avx512_gemm(tpi_kernels *k); /* lib/x86/avx512/gemm_avx512.c */
TPI_HIDDEN void tpi_install_avx512_gemv(tpi_kernels *k); /* lib/x86/avx512/gemv_avx512.c */
TPI_HIDDEN void tpi_install_avx512_fast(tpi_kernels *k); /* lib/x86/avx512/fast_avx512.c */
TPI_HIDDEN void tpi_install_neon(tpi_kernels *k);        /* lib/arm/neon/codec_neon.c */
TPI_HIDDEN void tpi_install_neon_dot(tpi_kernels *k);    /* lib/arm/neon/dot_neon.c */

#endif /* TP_INTERNAL_H */
