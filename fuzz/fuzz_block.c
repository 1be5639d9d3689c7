/*
 * fuzz_block.c -- block quantisation (binary32 and bfloat16 sources) and
 * dequantisation (binary32 and binary64) of every block format, BFP widths
 * and block sizes, both NVFP4 recipes and the ggml layouts, with arbitrary
 * scale bytes, element bytes, scale rules, modes and tensor scales.
 * Quantisation is checked block by block against orb_quantize (scale code,
 * element codes, flags), dequantisation against orb_dequantize; invalid
 * arguments must give an error, write nothing and leave the flags alone.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "oracle.h"
#include "oracle_block.h"

#define MAX_BLOCKS 3

/* A block descriptor from the input; *valid tells whether it should pass
 * tp_block_check. */
static void read_desc(fz_in *in, tp_block_desc *b, int *valid)
{
    uint8_t f = fz_u8(in);
    *valid = 1;
    if ((f % TP_BLOCK_FORMAT_COUNT) == TP_BLOCK_BFP) {
        unsigned mb = 2 + fz_u8(in) % 15, bs = 8 + fz_u8(in) % 249;
        if (tp_block_bfp(mb, bs, b) != TP_OK)
            fz_fail("tp_block_bfp(%u, %u) refused", mb, bs);
    } else {
        if (tp_block_preset((tp_block_format)(f % TP_BLOCK_FORMAT_COUNT), b) != TP_OK)
            fz_fail("tp_block_preset(%d) refused", f % TP_BLOCK_FORMAT_COUNT);
        if (b->format == TP_BLOCK_NVFP4)
            b->recipe = (uint8_t)((f >> 4) & 1);
    }
    if (f & 0x80) {
        /* A perturbed descriptor: tp_block_check decides. */
        uint8_t which = fz_u8(in), v = fz_u8(in);
        switch (which % 6) {
        case 0: b->format = v; break;
        case 1: b->elem = v; break;
        case 2: b->mant_bits = v; break;
        case 3: b->recipe = v; break;
        case 4: b->block_size = (uint16_t)(v | (uint16_t)fz_u8(in) << 8); break;
        default: b->reserved = v; break;
        }
        *valid = tp_block_check(b) == TP_OK;
    }
}

static float read_value(fz_in *in, float prev)
{
    uint8_t m = fz_u8(in);
    switch (m & 3) {
    case 0: return fz_u2f(fz_u32(in));
    case 1: {
        /* a small integer times a power of two: ties and exact values */
        int v = (int8_t)fz_u8(in);
        int e = (int8_t)fz_u8(in);
        return (float)v * fz_u2f((uint32_t)((127 + (e / 2)) & 0xFF) << 23);
    }
    case 2: return (m & 4) ? -0.0f : 0.0f;
    default: return (m & 4) ? -prev : prev;
    }
}

static void do_quantize(fz_in *in, const tp_block_desc *b, int valid, uint8_t op)
{
    uint8_t rb = fz_u8(in);
    tp_scale_rule rule = (tp_scale_rule)(rb % 5);     /* 4: invalid */
    tp_round rnd = (tp_round)((rb >> 3) & 7);         /* 7: invalid */
    int bf16 = (op >> 1) & 1;
    uint8_t tsb = fz_u8(in);
    float ts = 1.0f;
    if (tsb & 1)
        ts = fz_u2f(fz_u32(in));
    int ts_ok = ts > 0 && ts <= 3.4028234663852886e38f;
    size_t bs = valid ? b->block_size : 32;
    size_t nblk = fz_u8(in) % (MAX_BLOCKS + 1);
    size_t n = nblk * bs;
    int ragged = 0;
    if ((tsb & 6) == 6 && valid) {
        n += 1 + (tsb >> 3) % (bs - 1);
        ragged = 1;
    }
    uint8_t srb = fz_u8(in);
    tp_sr sr, *srp = NULL;
    uint32_t *words = calloc(n + 1, sizeof *words);
    memset(&sr, 0, sizeof sr);
    if (!(srb & 1)) {
        srp = &sr;
        if (srb & 2) {
            for (size_t i = 0; i < n; i++)
                words[i] = fz_u32(in);
            sr.bits = words;
        } else {
            sr.seed = fz_u64(in);
            sr.counter = fz_u64(in);
            for (size_t i = 0; i < n; i++)
                words[i] = orc_sr_word(sr.seed, sr.counter + i);
        }
    }
    float *x = malloc((n + 1) * sizeof *x);
    uint16_t *xb = malloc((n + 1) * sizeof *xb);
    float prev = 1.0f;
    for (size_t i = 0; i < n; i++) {
        if (bf16) {
            xb[i] = fz_u16(in);
            x[i] = fz_u2f((uint32_t)xb[i] << 16);
        } else {
            x[i] = prev = read_value(in, prev);
        }
    }
    size_t sbytes = 0, ebytes = 0;
    if (valid && !ragged && tp_block_storage(b, n, &sbytes, &ebytes) != TP_OK)
        fz_fail("tp_block_storage refused a valid descriptor");
    if (!valid || ragged) {
        sbytes = 4;
        ebytes = 64;
    }
    uint8_t *sc = malloc(sbytes + 1), *el = malloc(ebytes + 1);
    memset(sc, 0xA5, sbytes + 1);
    memset(el, 0x5A, ebytes + 1);
    unsigned flags0 = srb >> 4, flags = flags0;
    tp_status st = bf16 ? tp_block_quantize_bf16(b, xb, n, fz_block_is_ggml(b) && (srb & 4) ? NULL : sc,
                                                 el, ts, rule, rnd, srp, &flags)
                        : tp_block_quantize_f32(b, x, n, fz_block_is_ggml(b) && (srb & 4) ? NULL : sc, el,
                                                ts, rule, rnd, srp, &flags);
    int bad = !valid || ragged || rule > TP_SCALE_EVEN || (unsigned)rnd > TP_RSR ||
              (rnd == TP_RSR && srp == NULL) || (b->format == TP_BLOCK_NVFP4 && !ts_ok);
    char what[128];
    snprintf(what, sizeof what, "tp_block_quantize_%s(format %u elem %u mant %u recipe %u bs %u, n=%zu, "
             "rule %d, rnd %d, ts %a)", bf16 ? "bf16" : "f32", b->format, b->elem, b->mant_bits,
             b->recipe, b->block_size, n, (int)rule, (int)rnd, (double)ts);
    if (bad || st != TP_OK) {
        if (n > 0)
            FZ_CHECK(bad && st != TP_OK, "%s: status %d (argument error expected: %d)", what,
                     (int)st, bad);
        if (st != TP_OK) {
            int untouched = 1;
            for (size_t i = 0; i <= sbytes; i++)
                untouched &= sc[i] == 0xA5;
            for (size_t i = 0; i <= ebytes; i++)
                untouched &= el[i] == 0x5A;
            FZ_CHECK(untouched, "%s: status %d but output written", what, (int)st);
            FZ_CHECK(flags == flags0, "%s: status %d but flags changed", what, (int)st);
        }
        goto out;
    }
    FZ_CHECK(sc[sbytes] == 0xA5 && el[ebytes] == 0x5A, "%s: wrote past the storage", what);
    unsigned ef = 0;
    for (size_t k = 0; k < nblk; k++) {
        uint32_t es = 0, gs = 0;
        uint64_t ec[256], gc[256];
        unsigned f1 = 0;
        FZ_CHECK(orb_quantize(b, x + k * bs, ts, rule, rnd, srp ? words + k * bs : NULL, &es, ec,
                              &f1) == 0,
                 "%s: the oracle refuses block %zu", what, k);
        ef |= f1;
        fz_block_load(b, sc, el, k, &gs, gc);
        FZ_CHECK(gs == es, "%s: block %zu scale 0x%x, oracle 0x%x", what, k, (unsigned)gs,
                 (unsigned)es);
        for (size_t j = 0; j < bs; j++)
            FZ_CHECK(gc[j] == ec[j],
                     "%s: block %zu element %zu (x=%a, word 0x%08x) code 0x%llx, oracle 0x%llx",
                     what, k, j, (double)x[k * bs + j], (unsigned)words[k * bs + j],
                     (unsigned long long)gc[j], (unsigned long long)ec[j]);
    }
    FZ_CHECK(flags == (flags0 | ef), "%s: flags 0x%x, oracle 0x%x", what, flags, flags0 | ef);
out:
    free(words);
    free(x);
    free(xb);
    free(sc);
    free(el);
}

static void do_dequantize(fz_in *in, const tp_block_desc *b, int valid, uint8_t op)
{
    int f64 = (op >> 1) & 1;
    uint8_t tsb = fz_u8(in);
    float ts = 1.0f;
    if (tsb & 1)
        ts = fz_u2f(fz_u32(in));
    int ts_ok = ts > 0 && ts <= 3.4028234663852886e38f;
    size_t bs = valid ? b->block_size : 32;
    size_t nblk = fz_u8(in) % (MAX_BLOCKS + 1);
    size_t n = nblk * bs;
    size_t sbytes = 0, ebytes = 0;
    if (valid && tp_block_storage(b, n, &sbytes, &ebytes) != TP_OK)
        fz_fail("tp_block_storage refused a valid descriptor");
    if (!valid) {
        sbytes = 4;
        ebytes = 64;
    }
    uint8_t *sc = malloc(sbytes + 1), *el = malloc(ebytes + 1);
    fz_bytes(in, sc, sbytes);
    fz_bytes(in, el, ebytes);
    int wide = 0;
    uint8_t mask = fz_u8(in);
    if (valid && !fz_block_is_ggml(b)) {
        unsigned w = fz_block_elem_width(b);
        unsigned store = w <= 8 ? 8 : 16;
        uint64_t m = (UINT64_C(1) << w) - 1;
        for (size_t i = 0; i < n && !(w == 4 && b->format != TP_BLOCK_BFP); i++) {
            uint64_t c = fz_block_elem(b, el, i);
            if (mask & 1) {
                c &= m;
                if (store == 8)
                    el[i] = (uint8_t)c;
                else {
                    uint16_t v = (uint16_t)c;
                    memcpy(el + 2 * i, &v, 2);
                }
            }
            wide |= (c & ~m) != 0;
        }
    }
    size_t osz = f64 ? 8 : 4;
    uint8_t *dst = malloc(n * osz + 1);
    memset(dst, 0xC3, n * osz + 1);
    unsigned flags0 = mask >> 4, flags = flags0;
    const uint8_t *scp = fz_block_is_ggml(b) && (mask & 2) ? NULL : sc;
    tp_status st = f64 ? tp_block_dequantize_f64(b, scp, el, n, ts, (double *)(void *)dst, &flags)
                       : tp_block_dequantize_f32(b, scp, el, n, ts, (float *)(void *)dst, &flags);
    int bad = !valid || (b->format == TP_BLOCK_NVFP4 && !ts_ok);
    char what[128];
    snprintf(what, sizeof what, "tp_block_dequantize_%s(format %u elem %u mant %u bs %u, n=%zu, ts %a)",
             f64 ? "f64" : "f32", b->format, b->elem, b->mant_bits, b->block_size, n, (double)ts);
    if (bad || wide || st != TP_OK) {
        if (n > 0 && !bad)
            FZ_CHECK(st == TP_ERR_CODE, "%s: status %d, expected TP_ERR_CODE %d", what, (int)st,
                     wide);
        if (n > 0)
            FZ_CHECK(st != TP_OK, "%s: bad arguments accepted", what);
        if (st != TP_OK) {
            int untouched = 1;
            for (size_t i = 0; i <= n * osz; i++)
                untouched &= dst[i] == 0xC3;
            FZ_CHECK(untouched, "%s: status %d but output written", what, (int)st);
            FZ_CHECK(flags == flags0, "%s: status %d but flags changed", what, (int)st);
        }
        goto out;
    }
    FZ_CHECK(dst[n * osz] == 0xC3, "%s: wrote past the output", what);
    unsigned ef = 0;
    for (size_t k = 0; k < nblk; k++) {
        uint32_t s = 0, e32[256];
        uint64_t codes[256], e64[256];
        unsigned f32f = 0;
        fz_block_load(b, sc, el, k, &s, codes);
        FZ_CHECK(orb_dequantize(b, s, codes, ts, e64, e32, &f32f) == 0,
                 "%s: the oracle refuses block %zu", what, k);
        ef |= f64 ? (f32f & TP_FLAG_INVALID) : f32f;
        for (size_t j = 0; j < bs; j++) {
            size_t i = k * bs + j;
            uint64_t got = 0, exp = f64 ? e64[j] : e32[j];
            memcpy(&got, dst + i * osz, osz);
            FZ_CHECK(got == exp, "%s: block %zu (scale 0x%x) element %zu code 0x%llx: bits 0x%llx, oracle 0x%llx",
                     what, k, (unsigned)s, j, (unsigned long long)codes[j],
                     (unsigned long long)got, (unsigned long long)exp);
        }
    }
    FZ_CHECK(flags == (flags0 | ef), "%s: flags 0x%x, oracle 0x%x", what, flags, flags0 | ef);
out:
    free(sc);
    free(el);
    free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in;
    fz_init(&in, data, size);
    uint8_t op = fz_u8(&in);
    tp_block_desc b;
    int valid;
    read_desc(&in, &b, &valid);
    if (op & 1)
        do_dequantize(&in, &b, valid, op);
    else
        do_quantize(&in, &b, valid, op);
    return 0;
}
