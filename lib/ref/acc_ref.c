/*
 * acc_ref.c -- the exact accumulators (reference implementation).
 *
 * Full-range accumulator (tp_acc).  The value is a fixed-point two's
 * complement integer in base 2^32, held carry-save: digit i (an int64_t in
 * w[i]) weighs 2^(32 i + TPI_E0) with TPI_E0 = -2208, and a normalised digit
 * lies in [0, 2^32) except the top one, which is signed and carries the sign.
 * TPI_ND = 138 digits reach 2^2208: every product of two supported values lies
 * in [2^-2200, 2^2050) (binary64 x binary64: [2^-2148, 2^2048)), and the top
 * 2^158 leave far more than 2^64 terms of carry room.
 *
 * Every add puts less than 2^32 in magnitude into each digit it touches, so
 * after k adds since the last normalisation |digit| < (k + 1) 2^32; the
 * counter w[CNT] forces a carry propagation after TPI_CARRY_EVERY = 2^30
 * adds, far below the 2^31 - 1 that int64_t digits could take.
 *
 * Special values live in a state word (w[STATE]), never in the digits:
 *   S_NAN   a NaN term was added
 *   S_INV   a NaN was produced: +Inf and -Inf both, or 0 x Inf
 *   S_PINF, S_NINF   infinite terms (never both: that is S_INV)
 *   S_PZ, S_NZ       "a term that was not -0" / "a term that was not +0":
 *                    a +0 sets S_PZ, a -0 sets S_NZ, a nonzero term sets
 *                    both (it behaves like +0 and -0 together for the sign
 *                    of an exact zero sum).
 * An exact zero sum is -0 iff S_NZ and not S_PZ (only -0 terms), or under
 * TP_RDN iff S_NZ (terms cancelled, or +0 and -0 were mixed: IEEE 754's
 * x + (-x) and +0 + -0); +0 otherwise.
 *
 * Narrow accumulator (tp_acc128): a 128-bit two's complement integer with
 * its LSB at 2^-48, the same state word.
 */
#include <string.h>

#include "ref.h"

#define TPI_E0 (-2208)
#define TPI_ND 138
#define W_CNT 138
#define W_STATE 139
#define TPI_CARRY_EVERY (UINT64_C(1) << 30)

#define S_NAN 1u
#define S_INV 2u
#define S_PINF 4u
#define S_NINF 8u
#define S_PZ 16u
#define S_NZ 32u
#define S_SPECIAL (S_NAN | S_INV | S_PINF | S_NINF)
#define S_ALL 63u

#define SER_MAGIC "TPACC64"
#define SER_VERSION 1u
#define SER_TOP 16    /* the signed top digit, 8 bytes */
#define SER_DIGITS 24 /* digits 0 .. TPI_ND-2, 4 bytes each */

typedef char tpi_acc_fits[(TPI_ND + 2 <= TP_ACC_WORDS) ? 1 : -1];
typedef char tpi_ser_fits[(SER_DIGITS + 4 * (TPI_ND - 1) <= TP_ACC_SERIAL_BYTES) ? 1 : -1];

/* ------------------------------------------------------------ helpers */

static int64_t *digits(tp_acc *a)
{
    return (int64_t *)a->w; /* int64_t and uint64_t may alias (C11 6.5p7) */
}

static const int64_t *cdigits(const tp_acc *a)
{
    return (const int64_t *)a->w;
}


/* Carry propagation: digits 0 .. TPI_ND-2 into [0, 2^32), the rest into the
 * signed top digit.  (v - low) is a multiple of 2^32, so the division is
 * exact and needs no assumption about signed shifts. */
static void normalise(int64_t *d)
{
    int64_t carry = 0;
    for (int i = 0; i < TPI_ND - 1; i++) {
        int64_t v = d[i] + carry;
        int64_t low = (int64_t)((uint64_t)v & 0xFFFFFFFFu);
        carry = (v - low) / INT64_C(4294967296);
        d[i] = low;
    }
    d[TPI_ND - 1] = (int64_t)((uint64_t)d[TPI_ND - 1] + (uint64_t)carry);
}

static void count_add(tp_acc *a)
{
    if (++a->w[W_CNT] >= TPI_CARRY_EVERY) {
        normalise(digits(a));
        a->w[W_CNT] = 0;
    }
}

/* ------------------------------------------------------------ tp_acc */

void tpi_ref_acc_init(tp_acc *a)
{
    memset(a, 0, sizeof *a);
}

void tpi_acc_add_wide(tp_acc *a, int sign, uint64_t hi, uint64_t lo, int exp)
{
    if ((hi | lo) == 0) {
        a->w[W_STATE] |= sign ? S_NZ : S_PZ;
        return;
    }
    a->w[W_STATE] |= S_PZ | S_NZ;
    int rel = exp - TPI_E0; /* >= 8 for exp >= -2200 */
    int i = rel >> 5, s = rel & 31;
    uint64_t w0 = lo << s;
    uint64_t w1 = s ? (hi << s) | (lo >> (64 - s)) : hi;
    uint64_t w2 = s ? hi >> (64 - s) : 0;
    uint64_t c[5] = {w0 & 0xFFFFFFFFu, w0 >> 32, w1 & 0xFFFFFFFFu, w1 >> 32, w2};
    int64_t *d = digits(a);
    /* The term is below 2^2050 < 2^(32 (TPI_ND-2) + TPI_E0): chunks that
     * would land beyond the top digit are zero. */
    int k = TPI_ND - i < 5 ? TPI_ND - i : 5;
    if (sign) {
        for (int j = 0; j < k; j++)
            d[i + j] -= (int64_t)c[j];
    } else {
        for (int j = 0; j < k; j++)
            d[i + j] += (int64_t)c[j];
    }
    count_add(a);
}

void tpi_acc_add_special(tp_acc *a, int kind)
{
    uint64_t *st = &a->w[W_STATE];
    switch (kind) {
    case TPI_ACC_NAN: *st |= S_NAN; break;
    case TPI_ACC_PINF: *st |= (*st & S_NINF) ? S_INV : S_PINF; break;
    case TPI_ACC_NINF: *st |= (*st & S_PINF) ? S_INV : S_NINF; break;
    case TPI_ACC_PZERO: *st |= S_PZ; break;
    case TPI_ACC_NZERO: *st |= S_NZ; break;
    default: *st |= S_INV; break; /* TPI_ACC_INVALID: a NaN produced by 0 x Inf */
    }
    if (*st & S_INV)
        *st &= ~(uint64_t)(S_PINF | S_NINF);
}

/* Splits binary64 bits: returns the TPI_* class; sets sign, mant, exp. */
static int split_f64(double x, int *sign, uint64_t *mant, int *exp)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    *sign = (int)(b >> 63);
    int e = (int)((b >> 52) & 0x7FF);
    uint64_t f = b & ((UINT64_C(1) << 52) - 1);
    if (e == 0x7FF)
        return f ? TPI_NAN : TPI_INF;
    if (e == 0) {
        *mant = f;
        *exp = -1074;
        return f ? TPI_FINITE : TPI_ZERO;
    }
    *mant = f | (UINT64_C(1) << 52);
    *exp = e - 1075;
    return TPI_FINITE;
}

static void add_class(tp_acc *a, int cls, int sign, uint64_t mant, int exp)
{
    switch (cls) {
    case TPI_NAN: tpi_acc_add_special(a, TPI_ACC_NAN); break;
    case TPI_INF: tpi_acc_add_special(a, sign ? TPI_ACC_NINF : TPI_ACC_PINF); break;
    case TPI_ZERO: tpi_acc_add_special(a, sign ? TPI_ACC_NZERO : TPI_ACC_PZERO); break;
    default: tpi_acc_add_wide(a, sign, 0, mant, exp); break;
    }
}

void tpi_ref_acc_add_f64(tp_acc *a, double x)
{
    int sign, exp = 0;
    uint64_t mant = 0;
    int cls = split_f64(x, &sign, &mant, &exp);
    add_class(a, cls, sign, mant, exp);
}

/* The product of two classified values. */
static void add_prod_class(tp_acc *a, int ca, int sa, uint64_t ma, int ea, int cb, int sb,
                           uint64_t mb, int eb)
{
    int sign = sa ^ sb;
    if (ca == TPI_NAN || cb == TPI_NAN) {
        tpi_acc_add_special(a, TPI_ACC_NAN);
    } else if (ca == TPI_INF || cb == TPI_INF) {
        if (ca == TPI_ZERO || cb == TPI_ZERO)
            tpi_acc_add_special(a, TPI_ACC_INVALID); /* 0 x Inf */
        else
            tpi_acc_add_special(a, sign ? TPI_ACC_NINF : TPI_ACC_PINF);
    } else if (ca == TPI_ZERO || cb == TPI_ZERO) {
        tpi_acc_add_special(a, sign ? TPI_ACC_NZERO : TPI_ACC_PZERO);
    } else {
        uint64_t hi, lo;
        tpi_mul64(ma, mb, &hi, &lo);
        tpi_acc_add_wide(a, sign, hi, lo, ea + eb);
    }
}

void tpi_ref_acc_add_prod_f64(tp_acc *a, double x, double y)
{
    int sx, sy, ex = 0, ey = 0;
    uint64_t mx = 0, my = 0;
    int cx = split_f64(x, &sx, &mx, &ex);
    int cy = split_f64(y, &sy, &my, &ey);
    add_prod_class(a, cx, sx, mx, ex, cy, sy, my, ey);
}

void tpi_ref_acc_add_val(tp_acc *a, const tpi_val *v)
{
    add_class(a, v->cls, v->sign, v->mant, v->exp);
}

void tpi_ref_acc_add_prod_val(tp_acc *a, const tpi_val *x, const tpi_val *y)
{
    add_prod_class(a, x->cls, x->sign, x->mant, x->exp, y->cls, y->sign, y->mant, y->exp);
}

/*
 * Arrays of binary64: per-call exponent bins (after xsum's large
 * superaccumulator; our own code).
 *
 * Hot loop.  bin[l][sign << 11 | e] (lane l = element index & 1, two lanes so
 * that runs of equal exponents form two independent add chains) sums the
 * 53-bit significands, implicit bit included, of the values with biased
 * exponent e: bin[l][b >> 52] += (b & (2^52 - 1)) | 2^52.  The loop does no
 * test and no branch; it only ORs and ANDs the raw bit patterns, so that
 * [AND's exponent field, OR's exponent field] contains every exponent seen.
 *
 * Bounds.  A chunk has at most CHUNK = 2 * 2047 elements, so a lane bin gets
 * at most 2047 adds per chunk.  Every bin starts a chunk below 2^32, so it
 * ends it below 2^32 + 2047 (2^53 - 1) < 2^64: no wrap.  After each chunk the
 * bins of the touched exponents are cut: the bits from 2^32 up move, signed
 * (sign 0 bins add, sign 1 bins subtract), into hib[e], and the bins keep
 * their low 32 bits.  Per chunk |change of hib[e]| < 2 * (2^64 / 2^32) =
 * 2^33, so after the at most 2^30 / 4094 < 2^19 chunks of a SUPER block
 * (2^30 elements) |hib[e]| < 2^52, far below 2^63.  At the end of a block the
 * value of exponent e, hib[e] 2^32 + bin[0][e] + bin[1][e] - bin[0][e|2048] -
 * bin[1][e|2048], lies strictly within +-2^86 and is one exact add into the
 * digits (tpi_acc_add_wide).
 *
 * Exponent range.  The AND/OR range is tight when the exponents share their
 * high bits but can span everything (values on both sides of 2.0 give
 * [0, 2047]).  When it is wider than WIDE exponents, a second pass over the
 * (cache-hot) chunk builds a bitmap of the groups of 32 exponents really
 * used and only those groups are cut, and the next chunk runs a loop that
 * tracks the exact minimum and maximum exponents instead (a few more
 * operations per element, no second pass); it cuts its exact range, however
 * wide, and returns to the AND/OR loop when that range is narrow again.
 *
 * Specials.  Zeros, subnormals (e = 0), Inf and NaN (e = 2047) add at least
 * 2^52 to bin 0, 2047, 2048 or 4095 of a lane, so those eight bins are
 * nonzero after a chunk iff the chunk had such an element; they are then
 * cleared and the chunk's elements of those classes are added one by one.
 * Arrays shorter than SMALL_N are added one value at a time.
 */
#define LANE_ADDS 2047 /* adds per lane bin per chunk: 2047 (2^53 - 1) + 2^32 < 2^64 */
#define CHUNK (2 * LANE_ADDS)
#define SUPER (UINT64_C(1) << 30)
#define SMALL_N 256
#define WIDE 64
#define NBIN 4096

typedef struct {
    uint64_t bin[2][NBIN]; /* lane bins, sign << 11 | e */
    int64_t hib[2048];     /* signed high parts, units of 2^32 */
    int gmin, gmax;        /* hib[gmin..gmax] are in use (cleared lazily) */
} f64_bins;

/* Cuts the bins of exponents lo..hi (1 <= lo <= hi <= 2046) into hib. */
static void cut_range(f64_bins *t, int lo, int hi)
{
    if (t->gmax < t->gmin) {
        t->gmin = lo;
        t->gmax = lo - 1;
    }
    for (int e = lo; e < t->gmin; e++)
        t->hib[e] = 0;
    for (int e = t->gmax + 1; e <= hi; e++)
        t->hib[e] = 0;
    t->gmin = lo < t->gmin ? lo : t->gmin;
    t->gmax = hi > t->gmax ? hi : t->gmax;
    uint64_t *b0 = t->bin[0], *b1 = t->bin[1];
    const uint64_t lo32 = 0xFFFFFFFFu;
    for (int e = lo; e <= hi; e++) {
        int n = e | 2048;
        uint64_t p = (b0[e] >> 32) + (b1[e] >> 32); /* each < 2^32 */
        uint64_t m = (b0[n] >> 32) + (b1[n] >> 32);
        t->hib[e] += (int64_t)p - (int64_t)m;
        b0[e] &= lo32;
        b1[e] &= lo32;
        b0[n] &= lo32;
        b1[n] &= lo32;
    }
}

/* One chunk (len <= CHUNK); returns whether it had a normal value.  *wide
 * selects the hot loop: 0, the AND/OR range (fewest operations); 1, exact
 * min/max exponents (for data whose AND/OR range is wide: it saves the
 * second pass).  It is updated from the chunk's range. */
static int add_f64_chunk(tp_acc *a, const double *c, size_t len, f64_bins *t, int *wide)
{
    const uint64_t imp = UINT64_C(1) << 52, m52 = imp - 1;
    uint64_t *b0 = t->bin[0], *b1 = t->bin[1];
    int emin, emax, exact = *wide;
    size_t j = 0;
    if (!exact) {
        uint64_t or0 = 0, or1 = 0, and0 = ~UINT64_C(0), and1 = ~UINT64_C(0);
        for (; j + 4 <= len; j += 4) {
            uint64_t u0, u1, u2, u3;
            memcpy(&u0, &c[j], 8);
            memcpy(&u1, &c[j + 1], 8);
            memcpy(&u2, &c[j + 2], 8);
            memcpy(&u3, &c[j + 3], 8);
            or0 |= u0 | u2;
            and0 &= u0 & u2;
            or1 |= u1 | u3;
            and1 &= u1 & u3;
            b0[u0 >> 52] += (u0 & m52) | imp;
            b1[u1 >> 52] += (u1 & m52) | imp;
            b0[u2 >> 52] += (u2 & m52) | imp;
            b1[u3 >> 52] += (u3 & m52) | imp;
        }
        for (; j < len; j++) { /* j & 1 keeps each lane at <= LANE_ADDS */
            uint64_t u;
            memcpy(&u, &c[j], 8);
            or0 |= u;
            and0 &= u;
            t->bin[j & 1][u >> 52] += (u & m52) | imp;
        }
        emin = (int)(((and0 & and1) >> 52) & 0x7FF);
        emax = (int)(((or0 | or1) >> 52) & 0x7FF);
    } else {
        unsigned lo = 2047, hi = 0;
        for (; j + 2 <= len; j += 2) {
            uint64_t u0, u1;
            memcpy(&u0, &c[j], 8);
            memcpy(&u1, &c[j + 1], 8);
            unsigned e0 = (unsigned)(u0 >> 52) & 0x7FF, e1 = (unsigned)(u1 >> 52) & 0x7FF;
            lo = e0 < lo ? e0 : lo;
            hi = e0 > hi ? e0 : hi;
            lo = e1 < lo ? e1 : lo;
            hi = e1 > hi ? e1 : hi;
            b0[u0 >> 52] += (u0 & m52) | imp;
            b1[u1 >> 52] += (u1 & m52) | imp;
        }
        for (; j < len; j++) {
            uint64_t u;
            memcpy(&u, &c[j], 8);
            unsigned e = (unsigned)(u >> 52) & 0x7FF;
            lo = e < lo ? e : lo;
            hi = e > hi ? e : hi;
            t->bin[j & 1][u >> 52] += (u & m52) | imp;
        }
        emin = (int)lo;
        emax = (int)hi;
    }
    /* back to the cheap loop once the exact range is narrow again */
    *wide = emax - emin >= WIDE;
    int normals = 1;
    if ((b0[0] | b0[2047] | b0[2048] | b0[4095] | b1[0] | b1[2047] | b1[2048] | b1[4095]) != 0) {
        b0[0] = b0[2047] = b0[2048] = b0[4095] = 0;
        b1[0] = b1[2047] = b1[2048] = b1[4095] = 0;
        size_t special = 0;
        for (size_t k = 0; k < len; k++) {
            uint64_t u;
            memcpy(&u, &c[k], 8);
            unsigned e = (unsigned)(u >> 52) & 0x7FF;
            if (e == 0 || e == 2047) {
                tpi_ref_acc_add_f64(a, c[k]);
                special++;
            }
        }
        normals = special < len;
    }
    emin = emin < 1 ? 1 : emin;
    emax = emax > 2046 ? 2046 : emax;
    if (!normals || emin > emax)
        return normals;
    if (exact || emax - emin < WIDE) {
        cut_range(t, emin, emax);
        return 1;
    }
    /* wide: which groups of 32 exponents were really used */
    uint64_t used = 0;
    for (size_t k = 0; k < len; k++) {
        uint64_t u;
        memcpy(&u, &c[k], 8);
        used |= UINT64_C(1) << ((u >> 57) & 63);
    }
    for (int g = 0; g < 64; g++) {
        if (!((used >> g) & 1))
            continue;
        int lo = 32 * g, hi = lo + 31;
        cut_range(t, lo < 1 ? 1 : lo, hi > 2046 ? 2046 : hi);
    }
    return 1;
}

/* Value of exponent e into the digits; clears its bins. */
static void drain_exponent(tp_acc *a, f64_bins *t, int e)
{
    int n = e | 2048;
    uint64_t *b0 = t->bin[0], *b1 = t->bin[1];
    /* lo = bin[0][e] + bin[1][e] - bin[0][n] - bin[1][n], each < 2^32 */
    int64_t low = (int64_t)(b0[e] + b1[e]) - (int64_t)(b0[n] + b1[n]);
    int64_t h = t->hib[e];
    b0[e] = b1[e] = b0[n] = b1[n] = 0;
    if ((h | low) == 0)
        return;
    /* v = h 2^32 + low as a 128-bit two's complement hi:lo */
    uint64_t vlo = (uint64_t)h << 32;
    uint64_t vhi = h < 0 ? ~(~(uint64_t)h >> 32) : (uint64_t)h >> 32; /* h >> 32, arithmetic */
    uint64_t addlo = (uint64_t)low, addhi = low < 0 ? ~UINT64_C(0) : 0;
    uint64_t rlo = vlo + addlo;
    uint64_t rhi = vhi + addhi + (rlo < vlo);
    int sign = (int)(rhi >> 63);
    if (sign) {
        rlo = ~rlo + 1;
        rhi = ~rhi + (rlo == 0);
    }
    if ((rhi | rlo) != 0)
        tpi_acc_add_wide(a, sign, rhi, rlo, e - 1075);
}

static void add_f64_block(tp_acc *a, const double *x, size_t n, f64_bins *t)
{
    int normals = 0, wide = 0;
    t->gmin = 1;
    t->gmax = 0;
    for (size_t pos = 0; pos < n; pos += CHUNK) {
        size_t len = n - pos < CHUNK ? n - pos : CHUNK;
        normals |= add_f64_chunk(a, x + pos, len, t, &wide);
    }
    if (normals)
        a->w[W_STATE] |= S_PZ | S_NZ;
    for (int e = t->gmin; e <= t->gmax; e++)
        drain_exponent(a, t, e);
}

void tpi_ref_acc_add_f64_array(tp_acc *a, const double *x, size_t n)
{
    if (n < SMALL_N) {
        for (size_t i = 0; i < n; i++)
            tpi_ref_acc_add_f64(a, x[i]);
        return;
    }
    f64_bins t;
    memset(t.bin, 0, sizeof t.bin);
    while (n > 0) {
        size_t len = n < SUPER ? n : (size_t)SUPER;
        add_f64_block(a, x, len, &t);
        x += len;
        n -= len;
    }
}

static void copy_normalised(const tp_acc *src, int64_t *d)
{
    memcpy(d, cdigits(src), TPI_ND * sizeof *d);
    if (src->w[W_CNT] != 0)
        normalise(d);
}

void tpi_ref_acc_merge(tp_acc *dst, const tp_acc *src)
{
    int64_t t[TPI_ND];
    copy_normalised(src, t); /* also makes dst == src safe */
    uint64_t sst = src->w[W_STATE];
    int64_t *d = digits(dst);
    for (int i = 0; i < TPI_ND; i++)
        d[i] = (int64_t)((uint64_t)d[i] + (uint64_t)t[i]);
    count_add(dst);
    if (sst & S_NAN)
        tpi_acc_add_special(dst, TPI_ACC_NAN);
    if (sst & S_INV)
        tpi_acc_add_special(dst, TPI_ACC_INVALID);
    if (sst & S_PINF)
        tpi_acc_add_special(dst, TPI_ACC_PINF);
    if (sst & S_NINF)
        tpi_acc_add_special(dst, TPI_ACC_NINF);
    dst->w[W_STATE] |= sst & (S_PZ | S_NZ);
}

void tpi_ref_acc_negate(tp_acc *a)
{
    int64_t *d = digits(a);
    for (int i = 0; i < TPI_ND; i++)
        d[i] = (int64_t)(0 - (uint64_t)d[i]);
    uint64_t st = a->w[W_STATE], ns = st & (S_NAN | S_INV);
    if (st & S_PINF)
        ns |= S_NINF;
    if (st & S_NINF)
        ns |= S_PINF;
    if (st & S_PZ)
        ns |= S_NZ;
    if (st & S_NZ)
        ns |= S_PZ;
    a->w[W_STATE] = ns;
    if (a->w[W_CNT] == 0) /* negative digits: no longer normalised */
        a->w[W_CNT] = 1;
}

/* a = a * m * 2^e exactly, for m < 2^53: the special and zero state is
 * kept (a positive factor changes no term's class or sign).  The caller
 * guarantees every scaled digit stays inside the window (the products of
 * lib/core/gemm.c: |a| < 2^400 with its lowest bit above 2^-400, and
 * 2^-1126 <= m 2^e < 2^1024). */
void tpi_acc_scale(tp_acc *a, uint64_t m, int e)
{
    int64_t d[TPI_ND];
    copy_normalised(a, d);
    int neg = d[TPI_ND - 1] < 0;
    if (neg) { /* the magnitude, normalised the same way */
        int64_t carry = 0;
        for (int i = 0; i < TPI_ND - 1; i++) {
            int64_t v = -d[i] + carry;
            int64_t low = (int64_t)((uint64_t)v & 0xFFFFFFFFu);
            carry = (v - low) / INT64_C(4294967296);
            d[i] = low;
        }
        d[TPI_ND - 1] = -d[TPI_ND - 1] + carry;
    }
    uint64_t st = a->w[W_STATE];
    memset(a->w, 0, TPI_ND * sizeof a->w[0]);
    a->w[W_CNT] = 0;
    for (int i = 0; i < TPI_ND; i++) {
        if (d[i] == 0)
            continue;
        uint64_t hi, lo;
        tpi_mul64((uint64_t)d[i], m, &hi, &lo); /* < 2^(32+53) (top digit: small) */
        tpi_acc_add_wide(a, neg, hi, lo, 32 * i + TPI_E0 + e);
    }
    a->w[W_STATE] = st;
}

/* Bits pos .. pos+63 of a nonnegative normalised digit vector. */
static uint64_t dig(const int64_t *d, int k)
{
    return k < 0 || k >= TPI_ND ? 0 : (uint64_t)d[k] & 0xFFFFFFFFu;
}

static uint64_t get64(const int64_t *d, int pos)
{
    int j = pos >= 0 ? pos / 32 : -((31 - pos) / 32);
    int s = pos - 32 * j;
    uint64_t x = (dig(d, j) | (dig(d, j + 1) << 32)) >> s;
    if (s)
        x |= dig(d, j + 2) << (64 - s);
    return x;
}

/* Whether any bit below position pos is set. */
static int any_below(const int64_t *d, int pos)
{
    if (pos <= 0)
        return 0;
    int j = pos / 32, s = pos - 32 * j;
    for (int k = 0; k < j && k < TPI_ND; k++)
        if (d[k])
            return 1;
    return s && j < TPI_ND && (dig(d, j) & ((UINT64_C(1) << s) - 1)) != 0;
}

/* Sign and tpi_wide of a digit vector (normalised in place). */
static void digits_to_wide(int64_t *d, int *sign, tpi_wide *w)
{
    normalise(d);
    *sign = d[TPI_ND - 1] < 0;
    if (*sign) {
        for (int i = 0; i < TPI_ND; i++)
            d[i] = (int64_t)(0 - (uint64_t)d[i]);
        normalise(d);
    }
    w->hi = w->lo = 0;
    w->exp = 0;
    w->sticky = 0;
    if ((uint64_t)d[TPI_ND - 1] >= (UINT64_C(1) << 32)) {
        /* beyond 2^2208 (only after > 2^150 maximal terms): huge */
        w->hi = UINT64_C(1) << 63;
        w->exp = 2208;
        return;
    }
    int t = TPI_ND - 1;
    while (t >= 0 && d[t] == 0)
        t--;
    if (t < 0)
        return;
    int P = 32 * t + tpi_top_bit((uint64_t)d[t]);
    w->hi = get64(d, P - 63);
    w->lo = get64(d, P - 127);
    w->exp = TPI_E0 + P - 127;
    w->sticky = any_below(d, P - 127);
}

static uint64_t round_state(uint64_t st, int sign, const tpi_wide *w, const tpi_fmt *p,
                            tp_round rnd, tp_overflow ovf, uint32_t rbits, unsigned *flags)
{
    if (st & (S_NAN | S_INV)) {
        if (st & S_INV)
            *flags |= TP_FLAG_INVALID;
        return tpi_ref_round_special(p, 0, 1, 0, ovf, flags);
    }
    if (st & (S_PINF | S_NINF))
        return tpi_ref_round_special(p, (st & S_NINF) != 0, 0, 0, ovf, flags);
    if ((w->hi | w->lo) == 0) {
        int neg = (st & S_NZ) && (!(st & S_PZ) || rnd == TP_RDN);
        return tpi_ref_round_wide(p, neg, w, rnd, ovf, rbits, flags);
    }
    return tpi_ref_round_wide(p, sign, w, rnd, ovf, rbits, flags);
}

uint64_t tpi_ref_acc_round(const tp_acc *a, const tpi_fmt *p, tp_round rnd, tp_overflow ovf,
                           uint32_t rbits, unsigned *flags)
{
    int64_t t[TPI_ND];
    memcpy(t, cdigits(a), sizeof t);
    int sign = 0;
    tpi_wide w = {0, 0, 0, 0};
    uint64_t st = a->w[W_STATE];
    if (!(st & S_SPECIAL))
        digits_to_wide(t, &sign, &w);
    return round_state(st, sign, &w, p, rnd, ovf, rbits, flags);
}

/* ------------------------------------------------------------ serialisation
 * Layout (little-endian):
 *   0..6   "TPACC64"      7      version (1)
 *   8..11  state word     12..15 zero
 *   16..23 top digit (two's complement int64)
 *   24..   digits 0 .. TPI_ND-2, 4 bytes each, normalised
 *   rest   zero
 * Canonical: with a special state the digits and the zero bits are zero. */
static void put_le(uint8_t *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *b, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static uint64_t canonical_state(uint64_t st)
{
    return (st & S_SPECIAL) ? st & S_SPECIAL : st;
}

void tpi_ref_acc_serialize(const tp_acc *a, uint8_t *buf)
{
    int64_t t[TPI_ND];
    uint64_t st = canonical_state(a->w[W_STATE]);
    memset(buf, 0, TP_ACC_SERIAL_BYTES);
    memcpy(buf, SER_MAGIC, 7);
    buf[7] = SER_VERSION;
    put_le(buf + 8, st, 4);
    if (st & S_SPECIAL)
        return;
    copy_normalised(a, t);
    put_le(buf + SER_TOP, (uint64_t)t[TPI_ND - 1], 8);
    for (int i = 0; i < TPI_ND - 1; i++)
        put_le(buf + SER_DIGITS + 4 * i, (uint64_t)t[i], 4);
}

int tpi_ref_acc_deserialize(tp_acc *a, const uint8_t *buf)
{
    if (memcmp(buf, SER_MAGIC, 7) != 0 || buf[7] != SER_VERSION)
        return -1;
    uint64_t st = get_le(buf + 8, 8);
    if (st > S_ALL || canonical_state(st) != st)
        return -1;
    if ((st & S_INV) && (st & (S_PINF | S_NINF)))
        return -1;
    if ((st & S_PINF) && (st & S_NINF))
        return -1;
    for (int i = SER_DIGITS + 4 * (TPI_ND - 1); i < TP_ACC_SERIAL_BYTES; i++)
        if (buf[i])
            return -1;
    int64_t top = (int64_t)get_le(buf + SER_TOP, 8);
    if (top > (INT64_C(1) << 40) || top < -(INT64_C(1) << 40))
        return -1;
    int nonzero = top != 0;
    for (int i = 0; i < TPI_ND - 1 && !nonzero; i++)
        nonzero = get_le(buf + SER_DIGITS + 4 * i, 4) != 0;
    if ((st & S_SPECIAL) && nonzero)
        return -1;
    if (nonzero && (st & (S_PZ | S_NZ)) != (S_PZ | S_NZ))
        return -1;
    tp_acc t;
    memset(&t, 0, sizeof t);
    int64_t *d = digits(&t);
    for (int i = 0; i < TPI_ND - 1; i++)
        d[i] = (int64_t)get_le(buf + SER_DIGITS + 4 * i, 4);
    d[TPI_ND - 1] = top;
    t.w[W_STATE] = st;
    *a = t;
    return 0;
}

/* ------------------------------------------------------------ tp_acc128
 * Window: a term must be a multiple of 2^-48 of magnitude at most 2^32, that
 * is an integer k * 2^-48 with |k| <= 2^80.  The sum is a two's complement
 * value in [-2^127, 2^127) units, so at least 2^127 / 2^80 = 2^47 maximal
 * terms fit; binary16's largest product 65504^2 < 2^32 leaves 2^47 terms,
 * e5m2's 57344^2 < 2^31.62 leaves 2^47.38, and every narrower format at
 * least 2^40.  An add whose sum would leave [-2^127, 2^127) is refused
 * (TP_ERR_RANGE) as well, so nothing is ever silently wrong. */
#define A128_LSB (-48)

void tpi_ref_acc128_init(tp_acc128 *a)
{
    memset(a, 0, sizeof *a);
}

static void st128_special(tp_acc128 *a, int kind)
{
    uint32_t st = a->state;
    switch (kind) {
    case TPI_ACC_NAN: st |= S_NAN; break;
    case TPI_ACC_PINF: st |= (st & S_NINF) ? S_INV : S_PINF; break;
    case TPI_ACC_NINF: st |= (st & S_PINF) ? S_INV : S_NINF; break;
    case TPI_ACC_PZERO: st |= S_PZ; break;
    case TPI_ACC_NZERO: st |= S_NZ; break;
    default: st |= S_INV; break;
    }
    if (st & S_INV)
        st &= ~(uint32_t)(S_PINF | S_NINF);
    a->state = st;
}

/* Adds sign * (hi:lo) units with overflow detection; 0 on success. */
static int add128(tp_acc128 *a, int sign, uint64_t hi, uint64_t lo)
{
    if (sign) { /* negate hi:lo */
        lo = ~lo + 1;
        hi = ~hi + (lo == 0);
    }
    uint64_t rl = a->lo + lo;
    uint64_t rh = a->hi + hi + (rl < lo);
    /* signed overflow: operands of equal sign, result of the other */
    if (((a->hi ^ rh) & (hi ^ rh)) >> 63)
        return -1;
    a->lo = rl;
    a->hi = rh;
    return 0;
}

/* Adds sign * mant * 2^exp (mant = hi:lo != 0) if it lies in the window. */
static int add128_term(tp_acc128 *a, int sign, uint64_t hi, uint64_t lo, int exp)
{
    int s = exp - A128_LSB;
    if (s < 0) { /* must be a multiple of 2^-48: the low -s bits zero */
        int r = -s;
        if (r >= 128)
            return -1;
        if (r >= 64) {
            if (lo != 0 || (hi & ((UINT64_C(1) << (r - 64)) - 1)) != 0)
                return -1;
            lo = hi >> (r - 64);
            hi = 0;
        } else {
            if ((lo & ((UINT64_C(1) << r) - 1)) != 0)
                return -1;
            lo = (lo >> r) | (r ? hi << (64 - r) : 0);
            hi >>= r;
        }
        s = 0;
    }
    /* magnitude (hi:lo) << s must be <= 2^80: first its top bit */
    int tb = hi ? 64 + tpi_top_bit(hi) : tpi_top_bit(lo);
    if (tb + s > 80)
        return -1;
    if (s >= 64) {
        hi = lo << (s - 64);
        lo = 0;
    } else if (s > 0) {
        hi = (hi << s) | (lo >> (64 - s));
        lo <<= s;
    }
    if (hi > (UINT64_C(1) << 16) || (hi == (UINT64_C(1) << 16) && lo != 0))
        return -1; /* beyond the window's 2^32 */
    tp_acc128 t = *a;
    if (add128(&t, sign, hi, lo) != 0)
        return -1;
    t.state |= S_PZ | S_NZ;
    *a = t;
    return 0;
}

static int add128_class(tp_acc128 *a, int cls, int sign, uint64_t hi, uint64_t lo, int exp)
{
    switch (cls) {
    case TPI_NAN: st128_special(a, TPI_ACC_NAN); return 0;
    case TPI_INF: st128_special(a, sign ? TPI_ACC_NINF : TPI_ACC_PINF); return 0;
    case TPI_ZERO: st128_special(a, sign ? TPI_ACC_NZERO : TPI_ACC_PZERO); return 0;
    default: return add128_term(a, sign, hi, lo, exp);
    }
}

int tpi_ref_acc128_add_val(tp_acc128 *a, const tpi_val *v)
{
    return add128_class(a, v->cls, v->sign, 0, v->mant, v->exp);
}

int tpi_ref_acc128_add_prod_val(tp_acc128 *a, const tpi_val *x, const tpi_val *y)
{
    int sign = x->sign ^ y->sign;
    if (x->cls == TPI_NAN || y->cls == TPI_NAN)
        return add128_class(a, TPI_NAN, 0, 0, 0, 0);
    if (x->cls == TPI_INF || y->cls == TPI_INF) {
        if (x->cls == TPI_ZERO || y->cls == TPI_ZERO) {
            st128_special(a, TPI_ACC_INVALID);
            return 0;
        }
        return add128_class(a, TPI_INF, sign, 0, 0, 0);
    }
    if (x->cls == TPI_ZERO || y->cls == TPI_ZERO)
        return add128_class(a, TPI_ZERO, sign, 0, 0, 0);
    uint64_t hi, lo;
    tpi_mul64(x->mant, y->mant, &hi, &lo);
    return add128_term(a, sign, hi, lo, x->exp + y->exp);
}

int tpi_ref_acc128_merge(tp_acc128 *dst, const tp_acc128 *src)
{
    tp_acc128 t = *dst, s = *src;
    if (add128(&t, 0, s.hi, s.lo) != 0)
        return -1;
    uint32_t sst = s.state;
    if (sst & S_NAN)
        st128_special(&t, TPI_ACC_NAN);
    if (sst & S_INV)
        st128_special(&t, TPI_ACC_INVALID);
    if (sst & S_PINF)
        st128_special(&t, TPI_ACC_PINF);
    if (sst & S_NINF)
        st128_special(&t, TPI_ACC_NINF);
    t.state |= sst & (S_PZ | S_NZ);
    *dst = t;
    return 0;
}

static void acc128_wide(const tp_acc128 *a, int *sign, tpi_wide *w)
{
    uint64_t hi = a->hi, lo = a->lo;
    *sign = (int)(hi >> 63);
    if (*sign) {
        lo = ~lo + 1;
        hi = ~hi + (lo == 0);
    }
    w->hi = hi;
    w->lo = lo;
    w->exp = A128_LSB;
    w->sticky = 0;
}

uint64_t tpi_ref_acc128_round(const tp_acc128 *a, const tpi_fmt *p, tp_round rnd,
                              tp_overflow ovf, uint32_t rbits, unsigned *flags)
{
    int sign;
    tpi_wide w;
    acc128_wide(a, &sign, &w);
    return round_state(a->state, sign, &w, p, rnd, ovf, rbits, flags);
}

void tpi_ref_acc128_to_acc(const tp_acc128 *src, tp_acc *dst)
{
    int sign;
    tpi_wide w;
    acc128_wide(src, &sign, &w);
    uint32_t sst = src->state;
    if (w.hi | w.lo)
        tpi_acc_add_wide(dst, sign, w.hi, w.lo, A128_LSB);
    if (sst & S_NAN)
        tpi_acc_add_special(dst, TPI_ACC_NAN);
    if (sst & S_INV)
        tpi_acc_add_special(dst, TPI_ACC_INVALID);
    if (sst & S_PINF)
        tpi_acc_add_special(dst, TPI_ACC_PINF);
    if (sst & S_NINF)
        tpi_acc_add_special(dst, TPI_ACC_NINF);
    dst->w[W_STATE] |= sst & (S_PZ | S_NZ);
}
