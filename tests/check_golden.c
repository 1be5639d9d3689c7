/*
 * check_golden.c -- the cross-platform golden hash: a fixed sweep over every
 * operation of the library gives the same bytes on every platform and ISA
 * (x86-64 with each ISA variant, aarch64, s390x, i386).
 *
 * The sweep draws its inputs from a fixed integer generator (splitmix64, no
 * libm, no rand(), no seed from the environment), calls every operation --
 * encode/decode of every format in every rounding mode and overflow policy,
 * pack/unpack of FP4/FP6, block quantisation and dequantisation of every
 * block format and scale rule (the ggml layouts included), the accumulators
 * (adds, merge, negate, round, serialisation), element and block dot
 * products, and tp_gemm / tp_gemv on small shapes -- and hashes every byte
 * produced, together with each status and flags word.  Multi-byte codes,
 * binary32/binary64 results, statuses and flags are hashed as little-endian
 * integers, so the hash is the same on big-endian hosts; opaque host-order
 * objects (tp_acc, tp_acc128, packed operands) are never hashed directly,
 * only what the library defines as portable (serialisation bytes, results).
 * The hash is FNV-1a 64, one sub-hash per operation group, and the total is
 * the FNV-1a 64 of the sub-hashes (little-endian) in order.
 *
 * The expected values below are a consistency check, not an oracle: they
 * were recorded on x86-64 and confirmed with every x86-64 ISA variant, on
 * aarch64 (NEON and ref) and s390x under qemu-user, and on i386 (see
 * doc/PORTING.md and ci/cross.sh).  Whenever the
 * sweep itself changes (new operations, other inputs), or a documented
 * result changes on purpose, the constants must be recorded again: run
 *     TP_GOLDEN_VERBOSE=1 tests/check_golden
 * on x86-64 and copy the printed table into `golden[]` below.  A platform
 * that disagrees prints the first differing operation group; that is a
 * portability bug, not a reason to change the constants.
 * TP_GOLDEN_VERBOSE=2 also prints the running hash after every call: diff
 * the output of two platforms to find the first call that differs.  The
 * one thing left out is the sign and payload of NaNs that TP_MODE_FAST's
 * hardware arithmetic makes (see h_out).
 *
 * The sweep is the same in every test tier (it takes well under a second
 * natively and a few seconds under qemu-user).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ------------------------------------------------------------ hashing */

static uint64_t g_hash; /* the running hash of the current group */

static void h_bytes(const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++)
        g_hash = (g_hash ^ b[i]) * UINT64_C(0x100000001B3);
}

static void h_u64(uint64_t v, int bytes)
{
    unsigned char b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    h_bytes(b, (size_t)bytes);
}

static void h_u32(uint32_t v)
{
    h_u64(v, 4);
}

static long g_ok, g_err; /* statuses seen in the current group */

/* a status (and, with h_status, the flags word that came with it) */
static void h_st(tp_status st)
{
    if (st == TP_OK)
        g_ok++;
    else
        g_err++;
    h_u32((uint32_t)st);
}

static int g_trace; /* TP_GOLDEN_VERBOSE=2: the running hash after every call */
static long g_calls;

static void h_status(tp_status st, unsigned flags)
{
    if (g_trace)
        printf("#   call %ld: 0x%016llx\n", g_calls, (unsigned long long)g_hash);
    g_calls++;
    h_st(st);
    h_u32(flags);
}

/* n codes of `size` bytes each (1, 2, 4, 8), host order -> little-endian */
static void h_codes(const void *p, size_t n, size_t size)
{
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 0;
        if (size == 1) {
            v = b[i];
        } else if (size == 2) {
            uint16_t t;
            memcpy(&t, b + 2 * i, 2);
            v = t;
        } else if (size == 4) {
            uint32_t t;
            memcpy(&t, b + 4 * i, 4);
            v = t;
        } else {
            memcpy(&v, b + 8 * i, 8);
        }
        h_u64(v, (int)size);
    }
}

static void h_f64(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    h_u64(u, 8);
}

/* ------------------------------------------------------------ inputs */

static uint64_t g_rng;

static uint64_t gen(void)
{
    uint64_t z = (g_rng += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static unsigned gen_below(unsigned n)
{
    return (unsigned)(gen() % n);
}

static const uint32_t special32[] = {
    0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x7FA00001u,
    0xFFC12345u, 0x00000001u, 0x007FFFFFu, 0x00800000u, 0x7F7FFFFFu, 0x3F800000u,
    0x43E00000u, 0x43E08000u, 0x43E80000u, 0x47600000u, 0x47700000u, 0x40C00000u,
    0x40E00000u, 0x41F00000u, 0x3B000000u, 0x3A800000u, 0x3C000000u, 0xC3E00000u,
};
#define N_SPECIAL32 (sizeof special32 / sizeof special32[0])

/* binary32 bits: any pattern, a special value, or a value near the narrow
 * formats' ranges with a short mantissa (exact values, ties, near ties) */
static uint32_t gen_f32_bits(void)
{
    uint64_t r = gen();
    switch (r & 7) {
    case 0: return (uint32_t)(r >> 32);
    case 1: return special32[(r >> 8) % N_SPECIAL32];
    default: {
        uint32_t sign = (uint32_t)(r >> 63) << 31;
        uint32_t e = (uint32_t)(127 - 30 + (int)((r >> 8) % 52));
        unsigned keep = (unsigned)((r >> 16) % 24);
        uint32_t man = (uint32_t)(r >> 32) & 0x7FFFFFu;
        man &= ~((UINT32_C(1) << (23 - keep)) - 1u);
        return sign | (e << 23) | man;
    }
    }
}

static float gen_f32(void)
{
    uint32_t u = gen_f32_bits();
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double gen_f64(void)
{
    uint64_t r = gen(), u;
    double d;
    if ((r & 7) == 0) {
        u = gen();
    } else if ((r & 7) == 1) {
        float f = gen_f32(); /* exactly widened below, by bits */
        uint32_t b;
        memcpy(&b, &f, 4);
        uint64_t s = (uint64_t)(b >> 31) << 63, e = (b >> 23) & 0xFF, m = b & 0x7FFFFF;
        if (e == 0xFF)
            u = s | (UINT64_C(0x7FF) << 52) | (m << 29);
        else if (e == 0)
            u = s | (m << 29); /* a binary64 subnormal: still an exact value */
        else
            u = s | ((e - 127 + 1023) << 52) | (m << 29);
    } else {
        uint64_t sign = (r >> 63) << 63;
        uint64_t e = (uint64_t)(1023 - 40 + (int)((r >> 8) % 70));
        unsigned keep = (unsigned)((r >> 16) % 53);
        uint64_t man = gen() & ((UINT64_C(1) << 52) - 1);
        man &= ~((UINT64_C(1) << (52 - keep)) - 1u);
        u = sign | (e << 52) | man;
    }
    memcpy(&d, &u, 8);
    return d;
}

/* bytes per code of a format (storage size) */
static size_t code_size(const tp_format_desc *d)
{
    return d->bits <= 8 ? 1 : d->bits <= 16 ? 2 : d->bits <= 32 ? 4 : 8;
}

/* a random valid code of d */
static uint64_t gen_code(const tp_format_desc *d)
{
    uint64_t c = gen();
    if (d->bits < 64)
        c &= (UINT64_C(1) << d->bits) - 1;
    if ((c & 3) == 0 && d->bits <= 16) /* more small magnitudes */
        c &= ~(UINT64_C(0x3) << (d->bits > 3 ? d->bits - 3 : 0));
    return c;
}

static void store_code(void *p, size_t i, size_t size, uint64_t c)
{
    unsigned char *b = (unsigned char *)p + i * size;
    if (size == 1) {
        b[0] = (unsigned char)c;
    } else if (size == 2) {
        uint16_t t = (uint16_t)c;
        memcpy(b, &t, 2);
    } else if (size == 4) {
        uint32_t t = (uint32_t)c;
        memcpy(b, &t, 4);
    } else {
        memcpy(b, &c, 8);
    }
}

static void fill_codes(const tp_format_desc *d, void *p, size_t n)
{
    size_t sz = code_size(d);
    for (size_t i = 0; i < n; i++)
        store_code(p, i, sz, gen_code(d));
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        abort();
    return p;
}

/* ------------------------------------------------------------ groups */

#define NV 96 /* elements per encode call: crosses every SIMD chunk bound */

static void grp_formats(void)
{
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        tp_format_limits lim;
        tp_status st = tp_format_limits_of(d, &lim);
        h_st(st);
        h_f64(lim.max_finite);
        h_f64(lim.min_normal);
        h_f64(lim.min_subnormal);
        h_f64(lim.lowest);
        h_u64(lim.max_code, 8);
        h_u64(lim.nan_code, 8);
        h_u32((uint32_t)(lim.has_inf * 4 + lim.has_nan * 2 + lim.has_neg_zero));
    }
    for (uint64_t i = 0; i < 64; i++)
        h_u32(tp_sr_word(i * UINT64_C(0x1234567), i ^ UINT64_C(0xFEDCBA987654321)));
}

static void grp_encode(int f64)
{
    float xs[NV];
    double xd[NV];
    uint64_t out[NV];
    uint32_t bits[NV];
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        size_t sz = code_size(d);
        for (int r = 0; r <= TP_RSR; r++) {
            for (int o = 0; o <= TP_OVF_NONSAT; o++) {
                tp_sr sr = { NULL, gen(), gen() };
                if (r == TP_RSR && (o & 1)) { /* caller-supplied bits too */
                    for (int i = 0; i < NV; i++)
                        bits[i] = (uint32_t)gen();
                    sr.bits = bits;
                }
                for (int i = 0; i < NV; i++) {
                    xs[i] = gen_f32();
                    xd[i] = gen_f64();
                }
                unsigned fl = 0;
                tp_status st;
                memset(out, 0xA5, sizeof out);
                if (f64)
                    st = tp_encode_f64(f, xd, out, NV, r, o, &sr, &fl);
                else
                    st = tp_encode_f32(f, xs, out, NV, r, o, &sr, &fl);
                h_status(st, fl);
                h_codes(out, NV, sz);
                /* the scalar helper on a few of the same inputs */
                for (int i = 0; i < 8; i++) {
                    uint64_t c = 0;
                    unsigned f1 = 0;
                    st = tp_encode1(d, f64 ? xd[i] : (double)xs[i], r, o, (uint32_t)gen(), &c, &f1);
                    h_status(st, f1);
                    h_u64(c, 8);
                }
            }
        }
    }
}

static void grp_decode(void)
{
    enum { ND = 512 };
    static uint64_t codes[ND];
    static float of[ND];
    static double od[ND];
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        size_t sz = code_size(d), n = ND;
        if (d->bits <= 8) { /* every code */
            n = (size_t)1 << d->bits;
            for (size_t i = 0; i < n; i++)
                store_code(codes, i, sz, i);
        } else {
            fill_codes(d, codes, n);
        }
        unsigned fl = 0;
        tp_status st;
        if (f != TP_F64) {
            memset(of, 0x5A, sizeof of);
            st = tp_decode_f32(f, codes, of, n, &fl);
            h_status(st, fl);
            h_codes(of, n, 4);
        }
        fl = 0;
        memset(od, 0x5A, sizeof od);
        st = tp_decode_f64(f, codes, od, n, &fl);
        h_status(st, fl);
        h_codes(od, n, 8);
        for (size_t i = 0; i < 16; i++) {
            double v = 0;
            unsigned f1 = 0;
            uint64_t c = gen_code(d);
            st = tp_decode1(d, c, &v, &f1);
            h_status(st, f1);
            h_f64(v);
        }
        /* a code beyond the width: TP_ERR_CODE, nothing written */
        if (d->bits < 8) {
            uint8_t bad[4] = { 0, 1, (uint8_t)(1u << d->bits), 2 };
            fl = 0;
            st = tp_decode_f64(f, bad, od, 4, &fl);
            h_status(st, fl);
        }
    }
}

static void grp_pack(void)
{
    uint8_t codes[80], back[80], packed[64];
    for (unsigned bits = 3; bits <= 7; bits++) {
        for (size_t n = 0; n <= 77; n += 7) {
            for (size_t i = 0; i < n; i++)
                codes[i] = (uint8_t)(gen() & ((1u << (bits < 8 ? bits : 8)) - 1u));
            memset(packed, 0xEE, sizeof packed);
            memset(back, 0xEE, sizeof back);
            h_u64(tp_packed_size(bits, n), 8);
            tp_status st = tp_pack(bits, codes, n, packed);
            h_st(st);
            h_bytes(packed, sizeof packed);
            st = tp_unpack(bits, packed, n, back);
            h_st(st);
            h_bytes(back, sizeof back);
        }
    }
    /* a code too wide */
    codes[0] = 0x10;
    h_st(tp_pack(4, codes, 1, packed));
}

/* The block descriptors of the sweep. */
static int blk_list(tp_block_desc *out)
{
    int n = 0;
    for (int f = 0; f < TP_BLOCK_FORMAT_COUNT; f++)
        if (tp_block_preset((tp_block_format)f, &out[n]) == TP_OK)
            n++;
    tp_block_from_name("nvfp4_torchao", &out[n++]);
    tp_block_bfp(4, 16, &out[n++]);
    tp_block_bfp(12, 32, &out[n++]);
    tp_block_bfp(3, 8, &out[n++]);
    return n;
}

/* bytes per stored element code of a block format (2 for wide BFP) */
static size_t blk_elem_size(const tp_block_desc *b)
{
    return b->format == TP_BLOCK_BFP && b->mant_bits > 8 ? 2 : 1;
}

/* Random valid element storage for nval values of b (bytes eb). */
static void blk_random_elems(const tp_block_desc *b, uint8_t *e, size_t eb)
{
    for (size_t i = 0; i < eb; i++)
        e[i] = (uint8_t)gen();
    if (b->format == TP_BLOCK_BFP) {
        if (b->mant_bits > 8) {
            for (size_t i = 0; i + 2 <= eb; i += 2) {
                uint16_t v = (uint16_t)(gen() & ((1u << b->mant_bits) - 1u));
                memcpy(e + i, &v, 2);
            }
        } else {
            for (size_t i = 0; i < eb; i++)
                e[i] &= (uint8_t)((1u << b->mant_bits) - 1u);
        }
    } else if (b->format == TP_BLOCK_MXFP6_E2M3 || b->format == TP_BLOCK_MXFP6_E3M2) {
        for (size_t i = 0; i < eb; i++)
            e[i] &= 0x3F;
    }
}

#define BN 128 /* values per block call: a multiple of every block size used */

static void grp_block(void)
{
    tp_block_desc bl[16];
    int nb = blk_list(bl);
    static float src[BN], dq[BN];
    static double dq64[BN];
    static uint16_t bf[BN];
    uint8_t scales[BN], scales2[BN];
    static uint8_t elems[4 * BN], elems2[4 * BN];
    for (int bi = 0; bi < nb; bi++) {
        const tp_block_desc *b = &bl[bi];
        size_t sb = 0, eb = 0, es = blk_elem_size(b);
        h_st(tp_block_storage(b, BN, &sb, &eb));
        h_u64(sb, 8);
        h_u64(eb, 8);
        float ts = 1.0f;
        for (int rule = 0; rule <= TP_SCALE_EVEN; rule++) {
            for (int r = 0; r <= TP_RSR; r++) {
                tp_sr sr = { NULL, gen(), gen() };
                for (int i = 0; i < BN; i++) {
                    src[i] = gen_f32();
                    if (r & 1) { /* finite blocks with a spread of magnitudes */
                        uint32_t u;
                        memcpy(&u, &src[i], 4);
                        if ((u & 0x7F800000u) == 0x7F800000u)
                            u &= 0xBFFFFFFFu;
                        memcpy(&src[i], &u, 4);
                    }
                }
                if (b->format == TP_BLOCK_NVFP4) {
                    h_st(tp_nvfp4_tensor_scale(b, src, BN, &ts));
                    h_codes(&ts, 1, 4);
                    if (!(ts > 0.0f && ts < 3.0e38f))
                        ts = 1.0f;
                }
                unsigned fl = 0;
                memset(scales, 0xCC, sizeof scales);
                memset(elems, 0xCC, sizeof elems);
                tp_status st =
                    tp_block_quantize_f32(b, src, BN, scales, elems, ts, rule, r, &sr, &fl);
                h_status(st, fl);
                h_bytes(scales, sizeof scales);
                h_codes(elems, sizeof elems / es, es);
                fl = 0;
                memset(dq, 0x77, sizeof dq);
                st = tp_block_dequantize_f32(b, scales, elems, BN, ts, dq, &fl);
                h_status(st, fl);
                h_codes(dq, BN, 4);
                fl = 0;
                st = tp_block_dequantize_f64(b, scales, elems, BN, ts, dq64, &fl);
                h_status(st, fl);
                h_codes(dq64, BN, 8);
                /* bfloat16 input: the top halves of the same values */
                for (int i = 0; i < BN; i++) {
                    uint32_t u;
                    memcpy(&u, &src[i], 4);
                    bf[i] = (uint16_t)(u >> 16);
                }
                fl = 0;
                memset(scales2, 0xCC, sizeof scales2);
                memset(elems2, 0xCC, sizeof elems2);
                st = tp_block_quantize_bf16(b, bf, BN, scales2, elems2, ts, rule, r, &sr, &fl);
                h_status(st, fl);
                h_bytes(scales2, sizeof scales2);
                h_codes(elems2, sizeof elems2 / es, es);
            }
        }
        /* dequantisation of random scales and codes */
        for (int rep = 0; rep < 4; rep++) {
            for (size_t i = 0; i < sizeof scales; i++)
                scales[i] = (uint8_t)gen();
            memset(elems, 0, sizeof elems);
            blk_random_elems(b, elems, eb);
            unsigned fl = 0;
            tp_status st = tp_block_dequantize_f32(b, scales, elems, BN, ts, dq, &fl);
            h_status(st, fl);
            h_codes(dq, BN, 4);
            fl = 0;
            st = tp_block_dequantize_f64(b, scales, elems, BN, ts, dq64, &fl);
            h_status(st, fl);
            h_codes(dq64, BN, 8);
        }
        /* 2-D, both axes: an 8 x (BN/8*2) matrix with padding */
        {
            enum { R = 32, C = 64, LD = 67 };
            static float m2[R * LD], back[R * LD];
            for (int i = 0; i < R * LD; i++)
                m2[i] = gen_f32();
            for (int axis = 0; axis <= 1; axis++) {
                size_t s2 = 0, e2 = 0;
                tp_block_storage(b, (size_t)R * C, &s2, &e2);
                uint8_t *sc = xcalloc(s2, 1), *el = xcalloc(e2, 1);
                unsigned fl = 0;
                tp_sr sr = { NULL, 7, 11 };
                tp_status st = tp_block_quantize_2d_f32(b, m2, R, C, LD, axis, sc, el, 1.0f,
                                                        TP_SCALE_FLOOR, TP_RNE, &sr, &fl);
                h_status(st, fl);
                h_bytes(sc, s2);
                h_codes(el, e2 / es, es);
                memset(back, 0x33, sizeof back);
                fl = 0;
                st = tp_block_dequantize_2d_f32(b, sc, el, R, C, axis, 1.0f, back, LD, &fl);
                h_status(st, fl);
                h_codes(back, R * LD, 4);
                free(sc);
                free(el);
            }
        }
    }
}

static void grp_acc(void)
{
    static const tp_format outs[] = { TP_F64, TP_F32, TP_BF16, TP_F16, TP_E4M3, TP_E5M2,
                                      TP_E2M1, TP_E8M0, TP_INT8, TP_E3M2 };
    uint8_t ser[TP_ACC_SERIAL_BYTES];
    for (int rep = 0; rep < 24; rep++) {
        tp_acc a, b;
        tp_acc128 n1, n2;
        tp_acc_init(&a);
        tp_acc_init(&b);
        tp_acc128_init(&n1);
        tp_acc128_init(&n2);
        int terms = 1 + (int)gen_below(40);
        for (int t = 0; t < terms; t++) {
            unsigned kind = gen_below(rep < 4 ? 5 : 4); /* specials in the first reps only */
            const tp_format_desc *da = tp_format_get((tp_format)gen_below(TP_FORMAT_COUNT));
            const tp_format_desc *db = tp_format_get((tp_format)gen_below(TP_FORMAT_COUNT));
            uint64_t ca = gen_code(da), cb = gen_code(db);
            double x = gen_f64(), y = gen_f64();
            if (rep >= 4) { /* finite values only, so that the sums are not all NaN */
                uint64_t u;
                memcpy(&u, &x, 8);
                if (((u >> 52) & 0x7FF) == 0x7FF)
                    x = 1.5;
                memcpy(&u, &y, 8);
                if (((u >> 52) & 0x7FF) == 0x7FF)
                    y = -0.75;
            }
            tp_status st;
            switch (kind) {
            case 0: st = tp_acc_add_f64(&a, x); break;
            case 1: st = tp_acc_add_prod_f64(&b, x, y); break;
            case 2: st = tp_acc_add_code(&a, da, ca); break;
            case 3: st = tp_acc_add_prod_codes(&b, da, ca, db, cb); break;
            default: {
                double arr[3] = { x, y, -x };
                st = tp_acc_add_f64_array(&a, arr, 3);
                break;
            }
            }
            h_st(st);
            /* the narrow accumulator: in-window and out-of-window terms */
            const tp_format_desc *na = tp_format_get((tp_format)(TP_F16 + gen_below(17)));
            const tp_format_desc *nb = tp_format_get((tp_format)(TP_F16 + gen_below(17)));
            uint64_t c1 = gen_code(na), c2 = gen_code(nb);
            if (rep >= 4) { /* no NaN/Inf codes: they would dominate */
                double v;
                unsigned fz = 0;
                if (tp_decode1(na, c1, &v, &fz) == TP_OK && !(v - v == 0.0))
                    c1 = 0;
                if (tp_decode1(nb, c2, &v, &fz) == TP_OK && !(v - v == 0.0))
                    c2 = 0;
            }
            h_st(tp_acc128_add_code(t & 1 ? &n1 : &n2, na, c1));
            h_st(tp_acc128_add_prod_codes(&n1, na, c1, nb, c2));
        }
        h_st(tp_acc128_merge(&n1, &n2));
        h_st(tp_acc_merge(&a, &b));
        if (rep & 1)
            h_st(tp_acc_negate(&a));
        if (rep == 5)
            h_st(tp_acc_merge(&a, &a));
        memset(ser, 0, sizeof ser);
        h_st(tp_acc_serialize(&a, ser, sizeof ser));
        h_bytes(ser, sizeof ser);
        tp_acc c;
        h_st(tp_acc_deserialize(&c, ser, sizeof ser));
        tp_acc128 nc = n1;
        h_st(tp_acc128_to_acc(&nc, &c));
        memset(ser, 0, sizeof ser);
        h_st(tp_acc_serialize(&c, ser, sizeof ser));
        h_bytes(ser, sizeof ser);
        for (size_t o = 0; o < sizeof outs / sizeof outs[0]; o++) {
            const tp_format_desc *d = tp_format_get(outs[o]);
            for (int r = 0; r <= TP_RSR; r++) {
                for (int ov = 0; ov <= TP_OVF_NONSAT; ov++) {
                    uint64_t code = 0;
                    unsigned fl = 0;
                    uint32_t rb = (uint32_t)gen();
                    tp_status st = tp_acc_round(&a, d, r, ov, rb, &code, &fl);
                    h_status(st, fl);
                    h_u64(code, 8);
                    code = 0;
                    fl = 0;
                    st = tp_acc128_round(&n1, d, r, ov, rb, &code, &fl);
                    h_status(st, fl);
                    h_u64(code, 8);
                }
            }
        }
    }
    /* malformed serialisations */
    tp_acc a;
    tp_acc_init(&a);
    tp_acc_add_f64(&a, 3.0);
    tp_acc_serialize(&a, ser, sizeof ser);
    for (int i = 0; i < 16; i++) {
        uint8_t bad[TP_ACC_SERIAL_BYTES];
        memcpy(bad, ser, sizeof bad);
        bad[gen_below(TP_ACC_SERIAL_BYTES)] ^= (uint8_t)(1u << gen_below(8));
        tp_acc t;
        tp_status st = tp_acc_deserialize(&t, bad, sizeof bad);
        h_st(st);
        if (st == TP_OK) {
            uint8_t again[TP_ACC_SERIAL_BYTES];
            tp_acc_serialize(&t, again, sizeof again);
            h_bytes(again, sizeof again);
        }
    }
}

static void grp_dot(void)
{
    enum { N = 70 };
    static uint64_t a[N], b[N];
    static const tp_format outs[] = { TP_F32, TP_E4M3, TP_BF16, TP_F64 };
    for (int fa = 0; fa < TP_FORMAT_COUNT; fa++) {
        for (int fb = 0; fb < TP_FORMAT_COUNT; fb++) {
            const tp_format_desc *da = tp_format_get((tp_format)fa);
            const tp_format_desc *db = tp_format_get((tp_format)fb);
            fill_codes(da, a, N);
            fill_codes(db, b, N);
            const tp_format_desc *out = tp_format_get(outs[(fa + fb) & 3]);
            size_t n = (size_t)(fa * 7 + fb) % N + 1;
            size_t inc = (fa + fb) % 5 == 0 ? 2 : 1;
            if (inc == 2)
                n /= 2;
            uint64_t res = 0;
            unsigned fl = 0;
            tp_sr sr = { NULL, 99, (uint64_t)(fa * 31 + fb) };
            tp_round r = (tp_round)((fa + 3 * fb) % 7);
            tp_status st =
                tp_dot(da, a, inc, db, b, inc, n, out, r, TP_OVF_DEFAULT, &sr, &res, &fl);
            h_status(st, fl);
            h_u64(res, 8);
            tp_acc acc;
            uint8_t ser[TP_ACC_SERIAL_BYTES];
            tp_acc_init(&acc);
            st = tp_dot_acc(da, a, 1, db, b, 1, N, &acc);
            h_st(st);
            tp_acc_serialize(&acc, ser, sizeof ser);
            h_bytes(ser, sizeof ser);
        }
    }
    /* long E4M3 x E4M3 and binary32 dots: the SIMD chunk loops */
    for (int rep = 0; rep < 6; rep++) {
        enum { L = 1000 };
        static uint8_t x8[L], y8[L];
        static float xf[L], yf[L];
        for (int i = 0; i < L; i++) {
            x8[i] = (uint8_t)gen();
            y8[i] = (uint8_t)gen();
            if ((x8[i] & 0x7F) == 0x7F && rep > 0)
                x8[i] = 0x3F;
            xf[i] = gen_f32();
            yf[i] = gen_f32();
            if (rep > 0 && !(xf[i] - xf[i] == 0.0f))
                xf[i] = 0.25f;
            if (rep > 0 && !(yf[i] - yf[i] == 0.0f))
                yf[i] = -3.0f;
        }
        uint64_t res = 0;
        unsigned fl = 0;
        tp_status st = tp_dot(tp_format_get(TP_E4M3), x8, 1, tp_format_get(TP_E4M3), y8, 1, L,
                              tp_format_get(TP_F32), TP_RNE, TP_OVF_DEFAULT, NULL, &res, &fl);
        h_status(st, fl);
        h_u64(res, 8);
        fl = 0;
        st = tp_dot(tp_format_get(TP_F32), xf, 1, tp_format_get(TP_F32), yf, 1, L,
                    tp_format_get(TP_F64), TP_RNE, TP_OVF_DEFAULT, NULL, &res, &fl);
        h_status(st, fl);
        h_u64(res, 8);
    }
}

static void grp_block_dot(void)
{
    tp_block_desc bl[16];
    int nb = blk_list(bl);
    enum { N = 64 };
    static float src[N], other[N];
    static uint8_t sa[16][N], ea[16][4 * N];
    float ts[16];
    for (int i = 0; i < nb; i++) {
        for (int j = 0; j < N; j++) {
            uint32_t u = gen_f32_bits();
            if ((u & 0x7F800000u) == 0x7F800000u && i > 2)
                u &= 0xBFFFFFFFu;
            memcpy(&src[j], &u, 4);
        }
        ts[i] = 1.0f;
        if (bl[i].format == TP_BLOCK_NVFP4) {
            tp_nvfp4_tensor_scale(&bl[i], src, N, &ts[i]);
            if (!(ts[i] > 0.0f && ts[i] < 3.0e38f))
                ts[i] = 1.0f;
        }
        unsigned fl = 0;
        tp_status st = tp_block_quantize_f32(&bl[i], src, N, sa[i], ea[i], ts[i], TP_SCALE_FLOOR,
                                             TP_RNE, NULL, &fl);
        h_status(st, fl);
    }
    for (int j = 0; j < N; j++)
        other[j] = gen_f32();
    for (int i = 0; i < nb; i++) {
        for (int j = 0; j <= nb; j++) {
            const tp_block_desc *bb = j < nb ? &bl[j] : NULL;
            const tp_format_desc *out = tp_format_get((i + j) & 1 ? TP_F32 : TP_E5M2);
            uint64_t res = 0;
            unsigned fl = 0;
            tp_status st = tp_block_dot(&bl[i], sa[i], ea[i], ts[i], bb, j < nb ? sa[j] : NULL,
                                        j < nb ? (const void *)ea[j] : (const void *)other,
                                        j < nb ? ts[j] : 1.0f, N, out, (tp_round)((i + j) % 6),
                                        TP_OVF_DEFAULT, NULL, &res, &fl);
            h_status(st, fl);
            h_u64(res, 8);
            tp_acc acc;
            uint8_t ser[TP_ACC_SERIAL_BYTES];
            tp_acc_init(&acc);
            st = tp_block_dot_acc(&bl[i], sa[i], ea[i], ts[i], bb, j < nb ? sa[j] : NULL,
                                  j < nb ? (const void *)ea[j] : (const void *)other,
                                  j < nb ? ts[j] : 1.0f, N, &acc);
            h_st(st);
            tp_acc_serialize(&acc, ser, sizeof ser);
            h_bytes(ser, sizeof ser);
        }
    }
}

/* ------------------------------------------------------------ GEMM / GEMV */

enum { GM = 5, GN = 3, GK = 64, GLD = 71 };

/* An operand of the sweep: element codes (stored GLD apart in either
 * orientation) or a block operand (rows of GK values, ld = GK). */
typedef struct g_opnd {
    tp_operand op;
    tp_block_desc blk;
    uint64_t codes[GLD * GLD];
    uint8_t scales[GLD * GK / 8];
    uint8_t elems[2 * GLD * GK];
} g_opnd;

/* role 0: A (rows = GM vectors), 1: B (GN vectors), 2: x of GEMV (1 vector) */
static void g_make(g_opnd *g, int kind, int role, tp_layout lay, tp_trans tr)
{
    size_t vecs = role == 0 ? GM : role == 1 ? GN : 1;
    memset(g, 0, sizeof *g);
    g->op.trans = tr;
    if (kind < TP_FORMAT_COUNT) {
        const tp_format_desc *d = tp_format_get((tp_format)kind);
        fill_codes(d, g->codes, (size_t)GLD * GLD);
        g->op.fmt = d;
        g->op.data = g->codes;
        g->op.ld = role == 2 ? 1 + (size_t)(kind % 3) : GLD;
        return;
    }
    tp_block_desc bl[16];
    blk_list(bl);
    g->blk = bl[kind - TP_FORMAT_COUNT];
    float src[GN > GM ? GN * GK : GM * GK];
    for (size_t i = 0; i < vecs * GK; i++) {
        uint32_t u = gen_f32_bits();
        if ((u & 0x7F800000u) == 0x7F800000u)
            u &= 0xBFFFFFFFu;
        memcpy(&src[i], &u, 4);
    }
    unsigned fl = 0;
    tp_status st = tp_block_quantize_f32(&g->blk, src, vecs * GK, g->scales, g->elems, 0.5f,
                                         TP_SCALE_FLOOR, TP_RNE, NULL, &fl);
    h_status(st, fl);
    g->op.blk = &g->blk;
    g->op.data = g->elems;
    g->op.scales = (g->blk.format == TP_BLOCK_GGML_MXFP4 || g->blk.format == TP_BLOCK_GGML_Q8_0)
                       ? NULL : g->scales;
    g->op.tensor_scale = 0.5f;
    g->op.ld = role == 2 ? 1 : GK;
    /* block A: (row, N) or (col, T); block B: (row, T) or (col, N) */
    if (role == 0)
        g->op.trans = lay == TP_ROW_MAJOR ? TP_NO_TRANS : TP_TRANS;
    else if (role == 1)
        g->op.trans = lay == TP_ROW_MAJOR ? TP_TRANS : TP_NO_TRANS;
}

/* n output codes of format d; with canon, every NaN code is hashed as one
 * token: TP_MODE_FAST is hardware-style, and the sign and payload of a NaN
 * made by the hardware's binary32 operations (0 x Inf, Inf - Inf) differ
 * between architectures (x86 makes the negative default NaN, AArch64 the
 * positive one), as IEEE 754 allows. */
static void h_out(const void *p, size_t n, const tp_format_desc *d, int canon)
{
    size_t sz = code_size(d);
    if (!canon) {
        h_codes(p, n, sz);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t c = 0;
        double v = 0.0;
        unsigned fl = 0;
        if (sz == 1) {
            c = ((const unsigned char *)p)[i];
        } else if (sz == 2) {
            uint16_t t;
            memcpy(&t, (const unsigned char *)p + 2 * i, 2);
            c = t;
        } else {
            uint32_t t;
            memcpy(&t, (const unsigned char *)p + 4 * i, 4);
            c = t;
        }
        int nan = tp_decode1(d, c, &v, &fl) == TP_OK && v != v;
        h_u64((uint64_t)nan, 1);
        h_u64(nan ? 0 : c, (int)sz);
    }
}

static void grp_gemm(int fast)
{
    /* operand kinds: element formats, then block formats (blk_list index + TP_FORMAT_COUNT) */
    static const int kinds[] = { TP_E4M3, TP_BF16, TP_F32, TP_E2M1, TP_INT8, TP_E5M2, TP_F16,
                                 TP_FORMAT_COUNT + 0, TP_FORMAT_COUNT + 4, TP_FORMAT_COUNT + 6,
                                 TP_FORMAT_COUNT + 8, TP_FORMAT_COUNT + 9, TP_FORMAT_COUNT + 7 };
    static const tp_format couts[] = { TP_F32, TP_BF16, TP_E4M3, TP_F16 };
    static const double ab[][2] = { { 1.0, 0.0 }, { -0.5, 2.0 }, { 0.75, -1.0 }, { 0.0, 1.5 } };
    static g_opnd ga, gb;
    int nk = (int)(sizeof kinds / sizeof kinds[0]);
    int t = 0;
    for (int ia = 0; ia < nk; ia++) {
        for (int ib = 0; ib < nk; ib++, t++) {
            if (fast && (t % 3) != 0)
                continue;
            tp_layout lay = (tp_layout)(t & 1);
            g_make(&ga, kinds[ia], 0, lay, (tp_trans)((t >> 1) & 1));
            g_make(&gb, kinds[ib], 1, lay, (tp_trans)((t >> 2) & 1));
            const tp_format_desc *cf = tp_format_get(couts[t % 4]);
            size_t csz = code_size(cf), ldc = (lay == TP_ROW_MAJOR ? GN : GM) + 2;
            uint64_t c[(GM + 2) * (GN + 2)], c0[(GM + 2) * (GN + 2)];
            memset(c0, 0, sizeof c0);
            fill_codes(cf, c0, (GM + 2) * (GN + 2));
            memcpy(c, c0, sizeof c);
            tp_sr sr = { NULL, 5, (uint64_t)t };
            tp_gemm_opts o = { (tp_round)(t % 7), TP_OVF_DEFAULT, &sr,
                               fast ? TP_MODE_FAST : TP_MODE_EXACT, (unsigned)(t % 3) };
            const double *al = ab[t % 4];
            unsigned fl = 0;
            tp_status st =
                tp_gemm(lay, GM, GN, GK, al[0], &ga.op, &gb.op, al[1], cf, c, ldc, &o, &fl);
            h_status(st, fl);
            h_out(c, (GM + 2) * (GN + 2) * 8 / csz, cf, fast);
            if (fast || (t % 4) != 1)
                continue;
            /* the same product by tiles */
            uint64_t c2[(GM + 2) * (GN + 2)];
            memcpy(c2, c0, sizeof c2);
            fl = 0;
            st = tp_gemm_tile(lay, GM, GN, GK, al[0], &ga.op, &gb.op, al[1], cf, c2, ldc, &o, 0, 2,
                              0, GN, &fl);
            h_status(st, fl);
            st = tp_gemm_tile(lay, GM, GN, GK, al[0], &ga.op, &gb.op, al[1], cf, c2, ldc, &o, 2, GM,
                              0, GN, &fl);
            h_status(st, fl);
            h_codes(c2, (GM + 2) * (GN + 2) * 8 / csz, csz);
            /* packed operands */
            size_t pa = 0, pb = 0;
            st = tp_pack_operand_size(lay, TP_PACK_A, GM, GK, &ga.op, &pa);
            h_st(st);
            st = tp_pack_operand_size(lay, TP_PACK_B, GN, GK, &gb.op, &pb);
            h_st(st);
            if (pa && pb) {
                void *ba = aligned_alloc(64, (pa + 63) / 64 * 64);
                void *bb = aligned_alloc(64, (pb + 63) / 64 * 64);
                if (ba == NULL || bb == NULL)
                    abort();
                h_st(tp_pack_operand(lay, TP_PACK_A, GM, GK, &ga.op, ba, pa));
                h_st(tp_pack_operand(lay, TP_PACK_B, GN, GK, &gb.op, bb, pb));
                tp_operand xa = { 0 }, xb = { 0 };
                xa.packed = ba;
                xb.packed = bb;
                memcpy(c2, c0, sizeof c2);
                fl = 0;
                st = tp_gemm(lay, GM, GN, GK, al[0], &xa, &xb, al[1], cf, c2, ldc, &o, &fl);
                h_status(st, fl);
                h_codes(c2, (GM + 2) * (GN + 2) * 8 / csz, csz);
                free(ba);
                free(bb);
            }
        }
    }
    /* GEMV */
    for (int ia = 0; ia < nk; ia++) {
        for (int ix = 0; ix < nk; ix += 2, t++) {
            tp_layout lay = (tp_layout)(t & 1);
            g_make(&ga, kinds[ia], 0, lay, (tp_trans)((t >> 1) & 1));
            g_make(&gb, kinds[ix], 2, lay, TP_NO_TRANS);
            const tp_format_desc *yf = tp_format_get(couts[t % 4]);
            size_t ysz = code_size(yf), incy = 1 + (size_t)(t % 2);
            uint64_t y[2 * GM + 2];
            memset(y, 0, sizeof y);
            fill_codes(yf, y, 2 * GM + 2);
            tp_sr sr = { NULL, 6, (uint64_t)t };
            tp_gemm_opts o = { (tp_round)(t % 7), TP_OVF_DEFAULT, &sr,
                               fast ? TP_MODE_FAST : TP_MODE_EXACT, 0 };
            const double *al = ab[t % 4];
            unsigned fl = 0;
            tp_status st = tp_gemv(lay, GM, GK, al[0], &ga.op, &gb.op, al[1], yf, y, incy, &o, &fl);
            h_status(st, fl);
            h_out(y, (2 * GM + 2) * 8 / ysz, yf, fast);
        }
    }
}

/* ------------------------------------------------------------ the table */

static void grp_encode_f32(void) { grp_encode(0); }
static void grp_encode_f64(void) { grp_encode(1); }
static void grp_gemm_exact(void) { grp_gemm(0); }
static void grp_gemm_fast(void) { grp_gemm(1); }

static const struct {
    const char *name;
    void (*run)(void);
    uint64_t expect;
} golden[] = {
    { "formats", grp_formats, UINT64_C(0x8851baabd0e1a390) }, /* 20 calls TP_OK, 0 not */
    { "encode_f32", grp_encode_f32, UINT64_C(0x11d8cfea0f109f0e) }, /* 3780 calls TP_OK, 0 not */
    { "encode_f64", grp_encode_f64, UINT64_C(0x7c856d2b148e0c29) }, /* 3780 calls TP_OK, 0 not */
    { "decode", grp_decode, UINT64_C(0xde1acbebf3018d88) }, /* 359 calls TP_OK, 5 not */
    { "pack", grp_pack, UINT64_C(0xb83f1ec2560e7833) }, /* 48 calls TP_OK, 73 not */
    { "block", grp_block, UINT64_C(0xb2f457909da5932d) }, /* 1806 calls TP_OK, 0 not */
    { "acc", grp_acc, UINT64_C(0x2f9792c29d56cb80) }, /* 11475 calls TP_OK, 53 not */
    { "dot", grp_dot, UINT64_C(0x35ba304f48243dfe) }, /* 812 calls TP_OK, 0 not */
    { "block_dot", grp_block_dot, UINT64_C(0x0a6eb2bd9397d8dc) }, /* 434 calls TP_OK, 0 not */
    { "gemm_exact", grp_gemm_exact, UINT64_C(0x6b8729e49ca6189b) }, /* 791 calls TP_OK, 0 not */
    { "gemm_fast", grp_gemm_fast, UINT64_C(0x60cf46fe69a01a61) }, /* 281 calls TP_OK, 0 not */
};
#define N_GROUPS (int)(sizeof golden / sizeof golden[0])
/* FNV-1a 64 of the sub-hashes above, little-endian, in order. */
#define GOLDEN_TOTAL UINT64_C(0xd37dc4a29c78b18a)

static uint64_t got[N_GROUPS];
static uint64_t got_total;

static void run_sweep(void)
{
    const char *vs = getenv("TP_GOLDEN_VERBOSE");
    int verbose = vs != NULL && *vs != '\0' && *vs != '0';
    g_trace = verbose && strcmp(vs, "2") == 0;
    uint64_t total = TPT_FNV_INIT;
    for (int g = 0; g < N_GROUPS; g++) {
        g_rng = UINT64_C(0x676F6C64656E0000) + (uint64_t)g; /* "golden" + group */
        g_hash = TPT_FNV_INIT;
        g_ok = g_err = 0;
        g_calls = 0;
        golden[g].run();
        got[g] = g_hash;
        for (int i = 0; i < 8; i++)
            total = (total ^ (unsigned char)(got[g] >> (8 * i))) * UINT64_C(0x100000001B3);
        if (verbose)
            printf("    { \"%s\", grp_%s, UINT64_C(0x%016llx) }, /* %ld calls TP_OK, %ld not */\n",
                   golden[g].name, golden[g].name, (unsigned long long)got[g], g_ok, g_err);
    }
    got_total = total;
    if (verbose)
        printf("#define GOLDEN_TOTAL UINT64_C(0x%016llx)\n", (unsigned long long)total);
    fflush(stdout);
}

START_TEST(test_golden)
{
    run_sweep();
    for (int g = 0; g < N_GROUPS; g++) {
        if (got[g] != golden[g].expect) {
            printf("# first differing operation group: %s (got 0x%016llx, expected 0x%016llx);"
                   " TP_GOLDEN_VERBOSE=1 prints every group\n",
                   golden[g].name, (unsigned long long)got[g],
                   (unsigned long long)golden[g].expect);
            fflush(stdout);
            ck_abort_msg("golden hash of group %s differs: 0x%016llx, expected 0x%016llx",
                         golden[g].name, (unsigned long long)got[g],
                         (unsigned long long)golden[g].expect);
        }
    }
    ck_assert_msg(got_total == GOLDEN_TOTAL, "golden total 0x%016llx, expected 0x%016llx",
                  (unsigned long long)got_total, (unsigned long long)GOLDEN_TOTAL);
    printf("# golden hash 0x%016llx over %d operation groups (isa %s)\n",
           (unsigned long long)got_total, N_GROUPS, tp_isa_name(tp_active_isa()));
}
END_TEST

int main(void)
{
    tpt_banner("golden");
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("golden");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_golden);
    suite_add_tcase(s, tc);
    return tpt_run(s);
}
