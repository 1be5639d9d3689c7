/*
 * fuzz_codec.c -- encode and decode (array, scalar and _desc forms) over
 * every built-in format, fuzzed user descriptors, every rounding mode and
 * overflow policy, checked value by value against the MPFR oracle
 * (orc_encode / orc_decode_*), plus the error contract: an invalid
 * argument gives its status, writes nothing and leaves the flags alone.
 *
 * Input: op, format (fz_format), mode byte, initial flags, n, the SR source,
 * then the values (fz_near_grid) or the raw codes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "oracle.h"

#define MAX_N 64

typedef struct args {
    const tp_format_desc *d;
    int fmt_ok;       /* the descriptor / enum is valid */
    int use_enum;
    int fenum;        /* the enum value passed (may be invalid) */
    tp_round rnd;
    tp_overflow ovf;
    const tp_sr *sr;
    const uint32_t *bits;
    uint64_t seed, counter;
} args;

/* The tp_format of a built-in row. */
static int fmt_index(const tp_format_desc *d)
{
    for (int f = 0; f < TP_FORMAT_COUNT; f++)
        if (tp_format_get((tp_format)f) == d)
            return f;
    return 0;
}

static int round_ok(tp_round r)
{
    return (unsigned)r <= TP_RSR;
}
static int ovf_ok(tp_overflow o)
{
    return (unsigned)o <= TP_OVF_NONSAT;
}

static uint32_t word_of(const args *a, size_t i)
{
    if (a->rnd != TP_RSR || a->sr == NULL)
        return 0;
    return a->bits ? a->bits[i] : orc_sr_word(a->seed, a->counter + i);
}

/* The status expected when some argument is bad (TP_OK if none is); *any
 * is set when several are bad and the order is not documented. */
static tp_status expect_status(const args *a, int decode, int to_f32, int *any)
{
    int nbad = 0;
    tp_status st = TP_OK;
    if (!a->fmt_ok) {
        st = a->use_enum ? TP_ERR_FORMAT : TP_ERR_DESCRIPTOR;
        nbad++;
    } else if (decode && to_f32 && a->d->bits == 64) {
        st = TP_ERR_FORMAT;
        nbad++;
    }
    if (!decode) {
        if (!round_ok(a->rnd)) {
            st = TP_ERR_ROUND;
            nbad++;
        }
        if (!ovf_ok(a->ovf)) {
            st = TP_ERR_POLICY;
            nbad++;
        }
        if (a->rnd == TP_RSR && a->sr == NULL) {
            /* the status of a missing tp_sr is not pinned (any error) */
            st = TP_ERR_NULL;
            nbad += 2;
        }
    }
    *any = nbad > 1;
    return st;
}

static void check_error(const char *what, tp_status st, tp_status exp, int any, size_t n,
                        const uint8_t *dst, const uint8_t *before, size_t bytes, unsigned flags,
                        unsigned flags0)
{
    if (n == 0) {
        /* n = 0 is a no-op; which argument checks still run is not pinned. */
        FZ_CHECK(st == TP_OK || st == exp || any, "%s n=0: status %d", what, (int)st);
    } else if (any) {
        FZ_CHECK(st != TP_OK, "%s: bad arguments accepted", what);
    } else {
        FZ_CHECK(st == exp, "%s: status %d, expected %d", what, (int)st, (int)exp);
    }
    if (st != TP_OK) {
        FZ_CHECK(bytes == 0 || memcmp(dst, before, bytes) == 0, "%s: status %d but output written",
                 what, (int)st);
        FZ_CHECK(flags == flags0, "%s: status %d but flags 0x%x -> 0x%x", what, (int)st, flags0,
                 flags);
    }
}

static void do_encode(fz_in *in, const args *a, size_t n, int f64, int scalar, int inplace,
                      unsigned flags0)
{
    double v[MAX_N];
    float vf[MAX_N];
    for (size_t i = 0; i < n; i++) {
        v[i] = fz_near_grid(in, a->d);
        vf[i] = (float)v[i];
        if (!f64)
            v[i] = (double)vf[i];
    }
    size_t cs = a->fmt_ok ? fz_code_size(a->d) : 1;
    size_t ssz = f64 ? 8 : 4;
    if (inplace && cs != ssz)
        inplace = 0;
    size_t bytes = n * (cs > ssz ? cs : ssz);
    uint8_t *dst = malloc(bytes ? bytes : 1), *before = malloc(bytes ? bytes : 1);
    if (inplace)
        memcpy(dst, f64 ? (const void *)v : (const void *)vf, n * ssz);
    else
        memset(dst, 0xA5, bytes);
    memcpy(before, dst, bytes);
    unsigned flags = flags0;
    const void *src = inplace ? (const void *)dst : f64 ? (const void *)v : (const void *)vf;
    tp_status st;
    if (a->use_enum)
        st = f64 ? tp_encode_f64((tp_format)a->fenum, src, dst, n, a->rnd, a->ovf, a->sr, &flags)
                 : tp_encode_f32((tp_format)a->fenum, src, dst, n, a->rnd, a->ovf, a->sr, &flags);
    else
        st = f64 ? tp_encode_f64_desc(a->d, src, dst, n, a->rnd, a->ovf, a->sr, &flags)
                 : tp_encode_f32_desc(a->d, src, dst, n, a->rnd, a->ovf, a->sr, &flags);
    int any;
    tp_status exp = expect_status(a, 0, 0, &any);
    char what[256], dt[128];
    snprintf(what, sizeof what, "tp_encode_f%s%s(%s, n=%zu, rnd=%d, ovf=%d)", f64 ? "64" : "32",
             a->use_enum ? "" : "_desc", fz_desc_text(a->d, dt, sizeof dt), n, (int)a->rnd,
             (int)a->ovf);
    if (exp != TP_OK || any || st != TP_OK) {
        check_error(what, st, exp, any, n, dst, before, bytes, flags, flags0);
        free(dst);
        free(before);
        return;
    }
    unsigned ef = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t ec = 0, got = fz_code_load(a->d, dst, i);
        uint32_t w = word_of(a, i);
        unsigned f1 = 0;
        FZ_CHECK(orc_encode(a->d, v[i], a->rnd, a->ovf, w, &ec, &f1) == 0,
                 "%s: the oracle rejects what the library accepted", what);
        ef |= f1;
        FZ_CHECK(got == ec, "%s: element %zu x=%a (bits 0x%016llx) word 0x%08x: code 0x%llx, oracle 0x%llx",
                 what, i, v[i], (unsigned long long)fz_d2u(v[i]), (unsigned)w,
                 (unsigned long long)got, (unsigned long long)ec);
        if (scalar) {
            uint64_t sc = 0;
            unsigned sf = 0;
            tp_status s1 = tp_encode1(a->d, v[i], a->rnd, a->ovf, w, &sc, &sf);
            FZ_CHECK(s1 == TP_OK && sc == ec && sf == f1,
                     "tp_encode1(%s, %a, rnd=%d, ovf=%d, word 0x%08x): status %d code 0x%llx flags 0x%x, "
                     "oracle 0x%llx flags 0x%x",
                     a->d->name ? a->d->name : "user", v[i], (int)a->rnd, (int)a->ovf,
                     (unsigned)w, (int)s1, (unsigned long long)sc, sf, (unsigned long long)ec, f1);
        }
    }
    FZ_CHECK(flags == (flags0 | ef), "%s: flags 0x%x, oracle 0x%x (initial 0x%x)", what, flags,
             flags0 | ef, flags0);
    free(dst);
    free(before);
}

static void do_decode(fz_in *in, const args *a, size_t n, int f64, int scalar, int inplace,
                      int mask, unsigned flags0)
{
    size_t cs = a->fmt_ok ? fz_code_size(a->d) : 1;
    size_t osz = f64 ? 8 : 4;
    uint64_t codes[MAX_N];
    int wide = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t c = 0;
        fz_bytes(in, &c, cs);
        if (a->fmt_ok && a->d->bits < 64) {
            uint64_t m = (UINT64_C(1) << a->d->bits) - 1;
            if (mask)
                c &= m;
            wide |= (c & ~m) != 0;
        }
        codes[i] = c;
    }
    if (inplace && cs != osz)
        inplace = 0;
    size_t sbytes = n * cs, obytes = n * osz;
    uint8_t *src = malloc(sbytes ? sbytes : 1);
    for (size_t i = 0; i < n; i++)
        if (a->fmt_ok)
            fz_code_store(a->d, src, i, codes[i]);
        else
            src[i] = (uint8_t)codes[i];
    uint8_t *dst = inplace ? src : malloc(obytes ? obytes : 1);
    uint8_t *before = malloc(obytes ? obytes : 1);
    if (!inplace)
        memset(dst, 0x5A, obytes);
    memcpy(before, dst, obytes);
    unsigned flags = flags0;
    tp_status st;
    if (a->use_enum)
        st = f64 ? tp_decode_f64((tp_format)a->fenum, src, (double *)(void *)dst, n, &flags)
                 : tp_decode_f32((tp_format)a->fenum, src, (float *)(void *)dst, n, &flags);
    else
        st = f64 ? tp_decode_f64_desc(a->d, src, (double *)(void *)dst, n, &flags)
                 : tp_decode_f32_desc(a->d, src, (float *)(void *)dst, n, &flags);
    int any;
    tp_status exp = expect_status(a, 1, !f64, &any);
    if (exp == TP_OK && wide)
        exp = TP_ERR_CODE;
    char what[256], dt[128];
    snprintf(what, sizeof what, "tp_decode_f%s%s(%s, n=%zu)", f64 ? "64" : "32",
             a->use_enum ? "" : "_desc", fz_desc_text(a->d, dt, sizeof dt), n);
    if (exp != TP_OK || any || st != TP_OK) {
        check_error(what, st, exp, any, n, dst, before, obytes, flags, flags0);
        if (!inplace)
            free(dst);
        free(src);
        free(before);
        return;
    }
    unsigned ef = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t eb = 0, gb;
        unsigned f1 = 0;
        int r;
        if (f64) {
            r = orc_decode_f64(a->d, codes[i], &eb, &f1);
            memcpy(&gb, dst + 8 * i, 8);
        } else {
            uint32_t e32 = 0, g32;
            r = orc_decode_f32(a->d, codes[i], &e32, &f1);
            memcpy(&g32, dst + 4 * i, 4);
            eb = e32;
            gb = g32;
        }
        FZ_CHECK(r == 0, "%s: the oracle rejects code 0x%llx the library accepted", what,
                 (unsigned long long)codes[i]);
        ef |= f1;
        FZ_CHECK(gb == eb, "%s: code 0x%llx decodes to bits 0x%llx, oracle 0x%llx", what,
                 (unsigned long long)codes[i], (unsigned long long)gb, (unsigned long long)eb);
        if (scalar) {
            double x = 0;
            unsigned sf = 0;
            uint64_t e64 = 0;
            tp_status s1 = tp_decode1(a->d, codes[i], &x, &sf);
            unsigned ef64 = 0;
            orc_decode_f64(a->d, codes[i], &e64, &ef64);
            FZ_CHECK(s1 == TP_OK && fz_d2u(x) == e64 && sf == ef64,
                     "tp_decode1(%s, 0x%llx): status %d bits 0x%llx flags 0x%x, oracle 0x%llx 0x%x",
                     a->d->name ? a->d->name : "user", (unsigned long long)codes[i], (int)s1,
                     (unsigned long long)fz_d2u(x), sf, (unsigned long long)e64, ef64);
        }
    }
    FZ_CHECK(flags == (flags0 | ef), "%s: flags 0x%x, oracle 0x%x", what, flags, flags0 | ef);
    if (!inplace)
        free(dst);
    free(src);
    free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in;
    fz_init(&in, data, size);
    uint8_t op = fz_u8(&in);
    tp_format_desc store;
    int user;
    args a;
    memset(&a, 0, sizeof a);
    a.d = fz_format(&in, &store, &user);
    a.fmt_ok = !user || tp_format_check(a.d) == TP_OK;
    a.use_enum = !user && (op & 0x04);
    a.fenum = a.use_enum ? fmt_index(a.d) : 0;
    uint8_t mb = fz_u8(&in);
    a.rnd = (tp_round)(mb & 7);       /* 7: an invalid mode */
    a.ovf = (tp_overflow)((mb >> 3) & 3); /* 3: an invalid policy */
    if (a.use_enum && (mb & 0x80)) {
        a.fenum = TP_FORMAT_COUNT + (mb & 0x3F); /* an invalid enum */
        a.fmt_ok = 0;
    }
    unsigned flags0 = fz_u8(&in) & 0x0F;
    size_t n = fz_u8(&in) % (MAX_N + 1);
    uint8_t srb = fz_u8(&in);
    tp_sr sr;
    uint32_t words[MAX_N];
    memset(&sr, 0, sizeof sr);
    if (!(srb & 1)) {
        a.sr = &sr;
        if (srb & 2) {
            for (size_t i = 0; i < n; i++)
                words[i] = fz_u32(&in);
            sr.bits = a.bits = words;
        } else {
            sr.seed = a.seed = fz_u64(&in);
            sr.counter = a.counter = fz_u64(&in);
        }
    }
    int scalar = (op >> 3) & 1, inplace = (op >> 4) & 1, mask = !((op >> 5) & 1);
    switch (op & 3) {
    case 0: do_encode(&in, &a, n, 0, scalar, inplace, flags0); break;
    case 1: do_encode(&in, &a, n, 1, scalar, inplace, flags0); break;
    case 2: do_decode(&in, &a, n, 0, scalar, inplace, mask, flags0); break;
    default: do_decode(&in, &a, n, 1, scalar, inplace, mask, flags0); break;
    }
    return 0;
}
