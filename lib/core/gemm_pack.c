/*
 * gemm_pack.c -- the packed operand format.
 *
 * A packed operand is one 64-byte aligned buffer:
 *   [0, 128)          header, little-endian (below)
 *   [128, ...)        rows vectors of k values along k, each vector's
 *                     elements padded to a multiple of 64 bytes (vbytes);
 *                     element codes in the host's byte order, block elements
 *                     as tp_block_quantize_f32 stores k values
 *   scales            rows x sbytes block scales (block operands with
 *                     separate scales), unpadded
 *   meta (64-aligned) rows x 16 bytes of tpi_vmeta
 * Header fields: magic "TPPACK\0\1" (8), version u32, header size u32, role
 * u32, kind u32 (0 element, 1 block), element format u32, block descriptor
 * (8 bytes: format, elem, mant_bits, recipe, block_size u16, reserved u16),
 * tensor scale (binary32 bits) u32, rows u64, k u64, vbytes u64, sbytes u64,
 * data offset u64, scales offset u64, meta offset u64, total u64, inv u32,
 * 12 zero bytes, then at 120 an FNV-1a 64-bit hash of bytes 0..119.  The
 * reader recomputes the whole layout from (kind, format, rows, k) and
 * accepts nothing else, so a truncated, stale or foreign buffer gives
 * TP_ERR_DATA instead of a read out of bounds.
 */
#include <string.h>

#include "gemm_pack.h"
#include "ref.h"

#define PK_HDR 128
#define PK_VERSION 1u
static const uint8_t pk_magic[8] = {'T', 'P', 'P', 'A', 'C', 'K', 0, 1};

static void put32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *b)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static uint64_t get64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static uint64_t fnv1a(const uint8_t *b, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static int round64(size_t x, size_t *r)
{
    if (x > SIZE_MAX - 63)
        return 1;
    *r = (x + 63) & ~(size_t)63;
    return 0;
}

static int mul_add(size_t a, size_t b, size_t c, size_t *r)
{
    if (b != 0 && a > (SIZE_MAX - c) / b)
        return 1;
    *r = a * b + c;
    return 0;
}

tp_status tpi_pack_layout(tpi_pack_info *pi)
{
    size_t eb, sb = 0;
    if (pi->is_block) {
        if (pi->k != 0) {
            tp_status st = tp_block_storage(&pi->bd, pi->k, &sb, &eb);
            if (st != TP_OK)
                return st;
        } else {
            eb = 0;
        }
    } else {
        size_t size = tpi_code_size(tp_format_get((tp_format)pi->fmt));
        if (mul_add(pi->k, size, 0, &eb))
            return TP_ERR_SIZE;
    }
    size_t vb, soff, moff, total;
    if (round64(eb, &vb) || mul_add(pi->rows, vb, PK_HDR, &soff)
        || mul_add(pi->rows, sb, soff, &moff) || round64(moff, &moff)
        || mul_add(pi->rows, sizeof(tpi_vmeta), moff, &total))
        return TP_ERR_SIZE;
    pi->vbytes = vb;
    pi->sbytes = sb;
    pi->data = (const uint8_t *)(uintptr_t)PK_HDR; /* offsets until read */
    pi->scales = sb != 0 ? (const uint8_t *)(uintptr_t)soff : NULL;
    pi->meta = (const tpi_vmeta *)(uintptr_t)moff;
    pi->total = total;
    return TP_OK;
}

void tpi_pack_write_header(const tpi_pack_info *pi, uint8_t *b)
{
    memset(b, 0, PK_HDR);
    memcpy(b, pk_magic, 8);
    put32(b + 8, PK_VERSION);
    put32(b + 12, PK_HDR);
    put32(b + 16, (uint32_t)pi->role);
    put32(b + 20, (uint32_t)pi->is_block);
    put32(b + 24, (uint32_t)pi->fmt);
    b[28] = pi->bd.format;
    b[29] = pi->bd.elem;
    b[30] = pi->bd.mant_bits;
    b[31] = pi->bd.recipe;
    b[32] = (uint8_t)pi->bd.block_size;
    b[33] = (uint8_t)(pi->bd.block_size >> 8);
    b[34] = (uint8_t)pi->bd.reserved;
    b[35] = (uint8_t)(pi->bd.reserved >> 8);
    uint32_t ts;
    memcpy(&ts, &pi->ts, sizeof ts);
    put32(b + 36, ts);
    put64(b + 40, pi->rows);
    put64(b + 48, pi->k);
    put64(b + 56, pi->vbytes);
    put64(b + 64, pi->sbytes);
    put64(b + 72, (uint64_t)(uintptr_t)pi->data);
    put64(b + 80, (uint64_t)(uintptr_t)pi->scales);
    put64(b + 88, (uint64_t)(uintptr_t)pi->meta);
    put64(b + 96, pi->total);
    put32(b + 104, (uint32_t)pi->inv);
    put64(b + 120, fnv1a(b, 120));
}

tp_status tpi_pack_read(const tp_packed *pk, tpi_pack_info *pi)
{
    const uint8_t *b = (const uint8_t *)pk;
    if (((uintptr_t)b & 63) != 0)
        return TP_ERR_ARG;
    if (memcmp(b, pk_magic, 8) != 0 || get32(b + 8) != PK_VERSION || get32(b + 12) != PK_HDR
        || get64(b + 120) != fnv1a(b, 120))
        return TP_ERR_DATA;
    for (int i = 108; i < 120; i++)
        if (b[i] != 0)
            return TP_ERR_DATA;
    tpi_pack_info w;
    memset(&w, 0, sizeof w);
    uint32_t role = get32(b + 16), kind = get32(b + 20), fmt = get32(b + 24), inv = get32(b + 104);
    uint64_t rows = get64(b + 40), k = get64(b + 48);
    if (role > TP_PACK_B || kind > 1 || inv > 1 || rows > SIZE_MAX || k > SIZE_MAX)
        return TP_ERR_DATA;
    w.role = (int)role;
    w.is_block = (int)kind;
    w.rows = (size_t)rows;
    w.k = (size_t)k;
    w.inv = (int)inv;
    if (kind == 1) {
        w.bd.format = b[28];
        w.bd.elem = b[29];
        w.bd.mant_bits = b[30];
        w.bd.recipe = b[31];
        w.bd.block_size = (uint16_t)(b[32] | (b[33] << 8));
        w.bd.reserved = (uint16_t)(b[34] | (b[35] << 8));
        uint32_t tsb = get32(b + 36);
        memcpy(&w.ts, &tsb, sizeof w.ts);
        if (fmt != 0 || inv != 0 || tpi_gemm_block_ok(&w.bd, w.ts) != TP_OK
            || w.k % w.bd.block_size != 0)
            return TP_ERR_DATA;
    } else {
        if (fmt >= TP_FORMAT_COUNT || fmt == TP_F64)
            return TP_ERR_DATA;
        for (int i = 28; i < 40; i++)
            if (b[i] != 0)
                return TP_ERR_DATA;
        w.fmt = (int)fmt;
    }
    if (tpi_pack_layout(&w) != TP_OK || get64(b + 56) != w.vbytes || get64(b + 64) != w.sbytes
        || get64(b + 72) != (uint64_t)(uintptr_t)w.data
        || get64(b + 80) != (uint64_t)(uintptr_t)w.scales
        || get64(b + 88) != (uint64_t)(uintptr_t)w.meta || get64(b + 96) != w.total
        || (uintptr_t)b > UINTPTR_MAX - w.total)
        return TP_ERR_DATA;
    w.data = b + (uintptr_t)w.data;
    w.scales = w.scales != NULL ? b + (uintptr_t)w.scales : NULL;
    w.meta = (const tpi_vmeta *)(const void *)(b + (uintptr_t)w.meta);
    *pi = w;
    return TP_OK;
}

/* The E8M0 scale code of block `blk` of a vector, or -1 if the format has
 * no E8M0 scale. */
static int e8m0_of(const tpi_vecs *x, const uint8_t *sc, const uint8_t *el, size_t blk)
{
    switch (x->kb->fmt) {
    case TP_BLOCK_NVFP4:
    case TP_BLOCK_GGML_Q8_0: return -1;
    case TP_BLOCK_GGML_MXFP4: return el[blk * 17];
    default: return sc[blk];
    }
}

void tpi_pack_meta(const tpi_vecs *x, size_t v, size_t k, tpi_vmeta *m)
{
    memset(m, 0, sizeof *m);
    if (!x->is_block)
        return;
    const uint8_t *sc = tpi_vec_scales(x, v), *el = tpi_vec_data(x, v);
    size_t bs = (size_t)x->kb->bs, nblk = k / bs;
    int lo = 255, hi = 0, special = 0;
    for (size_t blk = 0; blk < nblk; blk++) {
        int s = e8m0_of(x, sc, el, blk);
        if (s < 0)
            break;
        if (s == 0xFF)
            special = 1;
        if (s < lo)
            lo = s;
        if (s > hi)
            hi = s;
    }
    /* NaN or Inf element codes (the element formats with specials) */
    const tpi_fmt *ef = &x->kb->ef;
    if (!ef->is_int && (ef->has_inf || ef->has_nan) && x->kb->fmt != TP_BLOCK_GGML_MXFP4) {
        unsigned dummy = 0;
        for (size_t t = 0; t < k && !special; t++) {
            uint64_t c;
            if (x->kb->ebits == 4)
                c = t % 2 == 0 ? el[t / 2] & 0xFu : (uint64_t)(el[t / 2] >> 4);
            else if (x->kb->ebits == 8)
                c = el[t];
            else
                c = tpi_load_code(el, t, 2);
            tpi_val val;
            tpi_ref_unpack(ef, c, &val, &dummy);
            if (val.cls == TPI_INF || val.cls == TPI_NAN)
                special = 1;
        }
    }
    m->smin = (int16_t)(nblk != 0 && lo <= hi ? lo : 0);
    m->smax = (int16_t)(nblk != 0 && lo <= hi ? hi : 0);
    m->special = (uint8_t)special;
}
