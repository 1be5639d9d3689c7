/*
 * fuzz_dot.c -- exact dot products: tp_dot / tp_dot_acc over any pair of
 * formats (user descriptors included), strides and lengths that cross the
 * SIMD chunk bounds, any output format, mode and policy; and tp_block_dot /
 * tp_block_dot_acc over any pair of block formats (or block x binary32)
 * with arbitrary scale and element bytes.  The expectation is the MPFR
 * oracle's exact sum of the exact products (oracle_acc.h; block values from
 * orb_dequantize), rounded once; errors must write nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "oracle.h"
#include "oracle_acc.h"
#include "oracle_block.h"

#define MAX_N 160

static ora_sum *O;

static int sign_bad(const tp_format_desc *d, uint64_t c)
{
    if (!(d->flags & TP_DESC_SIGN_INVALID) || d->kind != TP_KIND_FLOAT)
        return 0;
    return (c >> (d->exp_bits + d->man_bits)) & 1;
}

/* Rounds O and compares with the library's (st, code, flags). */
static void compare(const char *what, tp_status st, const tp_format_desc *od, tp_round rnd,
                    tp_overflow ovf, uint32_t w, uint64_t code, unsigned flags, unsigned flags0,
                    unsigned extra)
{
    uint64_t ec = 0;
    unsigned ef = 0;
    int r = ora_round(O, od, rnd, ovf, w, &ec, &ef);
    if (r != 0) {
        FZ_CHECK(st != TP_OK, "%s: accepted an output the oracle refuses", what);
        return;
    }
    ef |= extra;
    char dt[128];
    FZ_CHECK(st == TP_OK && code == ec && flags == (flags0 | ef),
             "%s -> %s rnd %d ovf %d word 0x%08x: status %d code 0x%llx flags 0x%x, oracle 0x%llx "
             "flags 0x%x",
             what, fz_desc_text(od, dt, sizeof dt), (int)rnd, (int)ovf, (unsigned)w, (int)st,
             (unsigned long long)code, flags & ~flags0, (unsigned long long)ec, ef);
}

typedef struct outsel {
    const tp_format_desc *od;
    int ok;
    tp_round rnd;
    tp_overflow ovf;
    tp_sr sr;
    const tp_sr *srp;
    uint32_t w;
    unsigned flags0;
    int acc_form;
    tp_format_desc store;
} outsel;

static void read_out(fz_in *in, outsel *o)
{
    int user;
    o->od = fz_format(in, &o->store, &user);
    o->ok = !user || tp_format_check(o->od) == TP_OK;
    uint8_t rb = fz_u8(in);
    o->rnd = (tp_round)(rb % 7);
    o->ovf = (tp_overflow)((rb >> 3) % 3);
    o->acc_form = (rb >> 5) & 1;
    o->flags0 = (rb >> 6) & 3;
    memset(&o->sr, 0, sizeof o->sr);
    o->srp = &o->sr;
    if (rb & 0x80) {
        o->w = fz_u32(in);
        o->sr.bits = &o->w;
    } else {
        o->sr.seed = fz_u64(in);
        o->sr.counter = fz_u64(in);
        o->w = orc_sr_word(o->sr.seed, o->sr.counter);
    }
    if (o->rnd != TP_RSR)
        o->w = 0;
}

static void do_dot(fz_in *in)
{
    tp_format_desc sa, sb;
    int ua, ub;
    const tp_format_desc *da = fz_format(in, &sa, &ua), *db = fz_format(in, &sb, &ub);
    int oka = !ua || tp_format_check(da) == TP_OK, okb = !ub || tp_format_check(db) == TP_OK;
    uint8_t nb = fz_u8(in);
    size_t n = nb % (MAX_N + 1);
    uint8_t ib = fz_u8(in);
    size_t inca = ib & 3, incb = (ib >> 2) & 3;
    if (!(ib & 0x40)) {
        inca += !inca;
        incb += !incb;
    }
    int mask = !(ib & 0x80);
    outsel o;
    read_out(in, &o);
    size_t csa = oka ? fz_code_size(da) : 1, csb = okb ? fz_code_size(db) : 1;
    size_t la = n ? (n - 1) * (inca ? inca : 1) + 1 : 0, lb = n ? (n - 1) * (incb ? incb : 1) + 1 : 0;
    uint8_t *a = malloc(la * csa + 1), *b = malloc(lb * csb + 1);
    fz_bytes(in, a, la * csa);
    fz_bytes(in, b, lb * csb);
    int wide = 0;
    unsigned extra = 0;
    ora_clear(O);
    for (size_t i = 0; i < n && oka && okb; i++) {
        uint64_t ca = fz_code_load(da, a, i * inca), cb = fz_code_load(db, b, i * incb);
        if (mask) {
            if (da->bits < 64)
                ca &= (UINT64_C(1) << da->bits) - 1;
            if (db->bits < 64)
                cb &= (UINT64_C(1) << db->bits) - 1;
            fz_code_store(da, a, i * inca, ca);
            fz_code_store(db, b, i * incb, cb);
        }
        wide |= da->bits < 64 && (ca >> da->bits) != 0;
        wide |= db->bits < 64 && (cb >> db->bits) != 0;
        if (sign_bad(da, ca) || sign_bad(db, cb))
            extra = TP_FLAG_INVALID;
        ora_add_prod_codes(O, da, ca, db, cb);
    }
    int bad = !oka || !okb || inca == 0 || incb == 0 || wide;
    char what[128];
    snprintf(what, sizeof what, "tp_dot%s(%s inc %zu, %s inc %zu, n=%zu)", o.acc_form ? "_acc" : "",
             oka && da->name ? da->name : "user", inca, okb && db->name ? db->name : "user", incb, n);
    if (o.acc_form) {
        tp_acc *acc = malloc(sizeof *acc), *before = malloc(sizeof *before);
        tp_acc_init(acc);
        tp_acc_add_f64(acc, 0.75);
        *before = *acc;
        tp_status st = tp_dot_acc(da, a, inca, db, b, incb, n, acc);
        if (st != TP_OK) {
            FZ_CHECK(bad, "%s: status %d for valid arguments", what, (int)st);
            FZ_CHECK(memcmp(acc, before, sizeof *acc) == 0, "%s: error %d but acc changed", what,
                     (int)st);
        } else if (bad && n > 0) {
            fz_fail("%s: bad arguments accepted", what);
        } else if (o.ok) {
            ora_add_f64(O, 0.75);
            uint64_t code = 0;
            unsigned flags = o.flags0;
            st = tp_acc_round(acc, o.od, o.rnd, o.ovf, o.w, &code, &flags);
            compare(what, st, o.od, o.rnd, o.ovf, o.w, code, flags, o.flags0, 0);
        }
        free(acc);
        free(before);
    } else {
        uint64_t code = 0xFEEDu;
        unsigned flags = o.flags0;
        tp_status st = tp_dot(da, a, inca, db, b, incb, n, o.od, o.rnd, o.ovf, o.srp, &code, &flags);
        if (st != TP_OK) {
            FZ_CHECK(bad || !o.ok, "%s: status %d for valid arguments", what, (int)st);
            FZ_CHECK(code == 0xFEEDu && flags == o.flags0, "%s: error %d but output written",
                     what, (int)st);
        } else if ((bad && n > 0) || !o.ok) {
            fz_fail("%s: bad arguments accepted", what);
        } else {
            compare(what, st, o.od, o.rnd, o.ovf, o.w, code, flags, o.flags0, extra);
        }
    }
    free(a);
    free(b);
}

/* A block descriptor with a block size from a small set, so that two of
 * them have a small common multiple. */
static void read_block(fz_in *in, tp_block_desc *b)
{
    uint8_t f = fz_u8(in);
    if ((f % TP_BLOCK_FORMAT_COUNT) == TP_BLOCK_BFP) {
        static const unsigned sizes[8] = {8, 16, 32, 64, 24, 48, 96, 256};
        tp_block_bfp(2 + fz_u8(in) % 15, sizes[(f >> 4) & 7], b);
    } else {
        tp_block_preset((tp_block_format)(f % TP_BLOCK_FORMAT_COUNT), b);
        if (b->format == TP_BLOCK_NVFP4)
            b->recipe = (uint8_t)((f >> 4) & 1);
    }
}

typedef struct bvec {
    uint8_t *s, *e;
    float ts;
    double *v; /* exact values */
} bvec;

static void read_bvec(fz_in *in, const tp_block_desc *b, size_t n, int mask, bvec *x, int *wide,
                      unsigned *extra)
{
    size_t sbytes = 0, ebytes = 0, bs = b->block_size;
    if (tp_block_storage(b, n, &sbytes, &ebytes) != TP_OK)
        fz_fail("tp_block_storage refused n=%zu", n);
    x->s = malloc(sbytes + 1);
    x->e = malloc(ebytes + 1);
    x->v = malloc((n + 1) * sizeof *x->v);
    fz_bytes(in, x->s, sbytes);
    fz_bytes(in, x->e, ebytes);
    uint32_t tb = fz_u32(in) & 0x7FFFFFFFu;
    x->ts = (tb == 0 || tb >= 0x7F800000u) ? 1.0f : fz_u2f(tb);
    unsigned w = fz_block_elem_width(b);
    if (!fz_block_is_ggml(b) && !(w == 4 && b->format != TP_BLOCK_BFP)) {
        uint64_t m = (UINT64_C(1) << w) - 1;
        for (size_t i = 0; i < n; i++) {
            uint64_t c = fz_block_elem(b, x->e, i);
            if (mask) {
                c &= m;
                if (w <= 8) {
                    x->e[i] = (uint8_t)c;
                } else {
                    uint16_t v = (uint16_t)c;
                    memcpy(x->e + 2 * i, &v, 2);
                }
            }
            *wide |= (c & ~m) != 0;
        }
    }
    if (*wide)
        return;
    for (size_t k = 0; k < n / bs; k++) {
        uint32_t s, b32[256];
        uint64_t codes[256], b64[256];
        fz_block_load(b, x->s, x->e, k, &s, codes);
        if (b->format == TP_BLOCK_NVFP4 && s >= 0x80)
            *extra = TP_FLAG_INVALID;
        FZ_CHECK(orb_dequantize(b, s, codes, x->ts, b64, b32, NULL) == 0, "orb_dequantize refused");
        for (size_t j = 0; j < bs; j++)
            x->v[k * bs + j] = fz_u2d(b64[j]);
    }
}

static void do_block_dot(fz_in *in)
{
    tp_block_desc ba, bb;
    read_block(in, &ba);
    uint8_t sel = fz_u8(in);
    int with_f32 = sel & 1, mask = !(sel & 2);
    if (!with_f32)
        read_block(in, &bb);
    size_t l = ba.block_size;
    if (!with_f32)
        while (l % bb.block_size)
            l += ba.block_size;
    size_t nblk = (sel >> 2) % 4;
    size_t n = l > 512 ? 0 : nblk * l;
    if (n > 512)
        n = l;
    outsel o;
    read_out(in, &o);
    int wide = 0;
    unsigned extra = 0;
    bvec A, B;
    memset(&B, 0, sizeof B);
    read_bvec(in, &ba, n, mask, &A, &wide, &extra);
    float *f = NULL;
    if (with_f32) {
        f = malloc((n + 1) * sizeof *f);
        B.v = malloc((n + 1) * sizeof *B.v);
        for (size_t i = 0; i < n; i++) {
            f[i] = fz_u2f(fz_u32(in));
            B.v[i] = (double)f[i];
        }
    } else {
        read_bvec(in, &bb, n, mask, &B, &wide, &extra);
    }
    ora_clear(O);
    for (size_t i = 0; i < n && !wide; i++)
        ora_add_prod_f64(O, A.v[i], B.v[i]);
    char what[160];
    snprintf(what, sizeof what, "tp_block_dot%s(format %u mant %u bs %u ts %a, %s%u mant %u bs %u ts %a, n=%zu)",
             o.acc_form ? "_acc" : "", ba.format, ba.mant_bits, ba.block_size, (double)A.ts,
             with_f32 ? "f32 " : "format ", with_f32 ? 0 : bb.format, with_f32 ? 0 : bb.mant_bits,
             with_f32 ? 0 : bb.block_size, (double)B.ts, n);
    const tp_block_desc *bbp = with_f32 ? NULL : &bb;
    const void *eb = with_f32 ? (const void *)f : (const void *)B.e;
    if (o.acc_form) {
        tp_acc *acc = malloc(sizeof *acc), *before = malloc(sizeof *before);
        tp_acc_init(acc);
        *before = *acc;
        tp_status st = tp_block_dot_acc(&ba, A.s, A.e, A.ts, bbp, B.s, eb, B.ts, n, acc);
        if (wide || st != TP_OK) {
            FZ_CHECK(wide && st == TP_ERR_CODE, "%s: status %d (wide codes: %d)", what, (int)st, wide);
            FZ_CHECK(memcmp(acc, before, sizeof *acc) == 0, "%s: error but acc changed", what);
        } else if (o.ok) {
            uint64_t code = 0;
            unsigned flags = o.flags0;
            st = tp_acc_round(acc, o.od, o.rnd, o.ovf, o.w, &code, &flags);
            compare(what, st, o.od, o.rnd, o.ovf, o.w, code, flags, o.flags0, 0);
        }
        free(acc);
        free(before);
    } else {
        uint64_t code = 0xFEEDu;
        unsigned flags = o.flags0;
        tp_status st = tp_block_dot(&ba, A.s, A.e, A.ts, bbp, B.s, eb, B.ts, n, o.od, o.rnd,
                                    o.ovf, o.srp, &code, &flags);
        if (wide || !o.ok || st != TP_OK) {
            FZ_CHECK(st != TP_OK, "%s: bad arguments accepted", what);
            FZ_CHECK(!wide || st == TP_ERR_CODE || !o.ok, "%s: status %d for wide codes", what,
                     (int)st);
            FZ_CHECK(code == 0xFEEDu && flags == o.flags0, "%s: error %d but output written", what,
                     (int)st);
        } else {
            compare(what, st, o.od, o.rnd, o.ovf, o.w, code, flags, o.flags0, extra);
        }
    }
    free(A.s);
    free(A.e);
    free(A.v);
    free(B.s);
    free(B.e);
    free(B.v);
    free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in;
    fz_init(&in, data, size);
    if (O == NULL)
        O = ora_new();
    uint8_t op = fz_u8(&in);
    if (op & 1)
        do_block_dot(&in);
    else
        do_dot(&in);
    return 0;
}
