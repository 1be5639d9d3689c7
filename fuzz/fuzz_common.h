/*
 * fuzz_common.h -- helpers shared by the fuzz targets of libtruepoint.
 *
 * Every target defines LLVMFuzzerTestOneInput.  It is linked either with
 * libFuzzer (configure --enable-fuzzing, clang) or with the plain replay
 * driver fuzz/replay.c, which runs stored inputs under `make check` with any
 * compiler.  A target checks the library against an independent expectation
 * (the MPFR oracle of tests/oracle/, or an invariant of the contract) and
 * calls fz_fail() on any difference: it prints the message and aborts, which
 * libFuzzer reports as a crash and saves the input.
 */
#ifndef TP_FUZZ_COMMON_H
#define TP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "truepoint.h"

#if defined(__GNUC__) || defined(__clang__)
#define FZ_NORETURN __attribute__((noreturn))
#define FZ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FZ_NORETURN
#define FZ_PRINTF(a, b)
#endif

/* The entry point every target defines (libFuzzer's interface). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Name of the input being replayed (set by fuzz/replay.c; NULL under
 * libFuzzer, which names the saved input itself). */
extern const char *fz_current_input;

/* Prints "fuzz check failed: <msg>" (and the replayed file) on stderr, then
 * aborts. */
FZ_NORETURN void fz_fail(const char *fmt, ...) FZ_PRINTF(1, 2);

#define FZ_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fz_fail(__VA_ARGS__);                                                                  \
    } while (0)

/* With TP_FUZZ_TRACE set in the environment, prints to stderr (to follow
 * what a saved input does). */
void fz_trace(const char *fmt, ...) FZ_PRINTF(1, 2);

/* A cursor over the input bytes.  Reads past the end give zeros, so every
 * input, however short, is a complete test case. */
typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline void fz_init(fz_in *in, const uint8_t *data, size_t size)
{
    in->p = data;
    in->n = size;
}
static inline uint8_t fz_u8(fz_in *in)
{
    uint8_t v = 0;
    if (in->n > 0) {
        v = in->p[0];
        in->p++;
        in->n--;
    }
    return v;
}
static inline uint16_t fz_u16(fz_in *in)
{
    uint16_t v = fz_u8(in);
    return (uint16_t)(v | (uint16_t)fz_u8(in) << 8);
}
static inline uint32_t fz_u32(fz_in *in)
{
    uint32_t v = fz_u16(in);
    return v | (uint32_t)fz_u16(in) << 16;
}
static inline uint64_t fz_u64(fz_in *in)
{
    uint64_t v = fz_u32(in);
    return v | (uint64_t)fz_u32(in) << 32;
}
/* Copies up to n bytes (zeros past the end). */
static inline void fz_bytes(fz_in *in, void *dst, size_t n)
{
    size_t k = n < in->n ? n : in->n;
    if (k > 0)
        memcpy(dst, in->p, k);
    if (n > k)
        memset((uint8_t *)dst + k, 0, n - k);
    in->p += k;
    in->n -= k;
}

static inline uint32_t fz_f2u(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}
static inline float fz_u2f(uint32_t u)
{
    float x;
    memcpy(&x, &u, 4);
    return x;
}
static inline uint64_t fz_d2u(double x)
{
    uint64_t u;
    memcpy(&u, &x, 8);
    return u;
}
static inline double fz_u2d(uint64_t u)
{
    double x;
    memcpy(&x, &u, 8);
    return x;
}

/* Bytes of one stored code of d (1, 2, 4 or 8). */
size_t fz_code_size(const tp_format_desc *d);
/* Loads / stores code i of an array of codes of d. */
uint64_t fz_code_load(const tp_format_desc *d, const void *base, size_t i);
void fz_code_store(const tp_format_desc *d, void *base, size_t i, uint64_t code);
/* A descriptor from the input: a built-in row, or (when `user` is set) a
 * copy of one with fields perturbed by the input, which may or may not pass
 * tp_format_check.  *store receives the copy. */
const tp_format_desc *fz_format(fz_in *in, tp_format_desc *store, int *user);
/* "e4m3", or every field of a user descriptor; buf needs 128 bytes. */
const char *fz_desc_text(const tp_format_desc *d, char *buf, size_t size);
/* A value near the grid of d: a grid value or a midpoint (unbounded
 * exponent, from the oracle) moved by a few binary64 ulps, or raw bits. */
double fz_near_grid(fz_in *in, const tp_format_desc *d);

/* Block storage (tp_block_quantize_f32's layout): whether b is a ggml
 * layout; the width of an element code; element i of the default layout;
 * the scale code (binary16 bits for ggml_q8_0) and the block_size element
 * codes of block k. */
int fz_block_is_ggml(const tp_block_desc *b);
unsigned fz_block_elem_width(const tp_block_desc *b);
uint64_t fz_block_elem(const tp_block_desc *b, const uint8_t *e, size_t i);
void fz_block_load(const tp_block_desc *b, const uint8_t *scales, const uint8_t *elems, size_t k,
                   uint32_t *scale, uint64_t *codes);

#endif /* TP_FUZZ_COMMON_H */
