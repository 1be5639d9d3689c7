/*
 * accuracy_cmd.c -- `truepoint accuracy`: how much error the storage format
 * of the operands (quantisation) and the accumulator (rounding while
 * summing) each add to a dot product, measured against the exact value.
 *
 * For each cell (format of A, format of B, input distribution, length K)
 * the tool draws `samples` pairs of binary32 vectors, quantises them, and
 * computes for each pair:
 *   E0  the exact dot product of the original binary32 vectors;
 *   Eq  the exact dot product of the quantised vectors (exact binary64
 *       values of the dequantised operands, products and sum formed
 *       exactly by tp_acc_add_prod_f64);
 *   y   the output of each accumulator, rounded to the output format:
 *       "exact" is the library's own dot product (tp_dot, tp_block_dot) of
 *       the codes, rounded once; the others are simulated here on the
 *       dequantised binary32 values.
 * and reports, against E0 and Eq, the errors defined in the help text.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tensor_io.h"


#define ACC_MAX_K ((size_t)1 << 20)
#define ACC_MAX_SAMPLES ((uint64_t)1 << 24)
#define ACC_MAX_LIST 32
#define ACC_DEFAULT_TRUNC 14

/* ------------------------------------------------------------ settings */

/* A storage format of an operand. */
typedef struct store_fmt {
    char name[32];
    int is_block;
    tp_format fmt;
    tp_block_desc b;
    int has_rule; /* "FMT@RULE": this scale rule instead of --scale-rule */
    tp_scale_rule rule;
} store_fmt;

typedef enum acc_kind {
    ACC_EXACT,
    ACC_F32SEQ,
    ACC_F32PAIR,
    ACC_F32BLK32,
    ACC_BF16,
    ACC_F16,
    ACC_TRUNC
} acc_kind;

typedef struct acc_model {
    acc_kind kind;
    int bits; /* ACC_TRUNC: significand bits kept, the leading bit included */
    char name[16];
} acc_model;

typedef enum dist_kind {
    DIST_NORMAL,
    DIST_LAPLACE,
    DIST_OUTLIER,
    DIST_LLM,
    DIST_TENSOR /* both operands from --tensor-a / --tensor-b */
} dist_kind;

static const char *const dist_names[] = {"normal", "laplace", "outlier-channels", "llm", "tensor"};

/* One sweep: every combination of its lists. */
typedef struct sweep {
    const char *name;  /* the study column and file prefix */
    const char *title; /* the report's section title */
    store_fmt a[ACC_MAX_LIST], b[ACC_MAX_LIST];
    int na, nb;
    acc_model acc[ACC_MAX_LIST];
    int nacc;
    size_t k[ACC_MAX_LIST];
    int nk;
    dist_kind dist[8];
    int nd;
    uint64_t samples;
    uint64_t max_work; /* nonzero: samples per cell capped at max(4, max_work / K) */
} sweep;

/* The options common to every sweep. */
typedef struct settings {
    uint64_t seed;
    tp_scale_rule rule;
    tp_format out;
    const tp_format_desc *outd;
    int trunc_bits;
    const char *out_dir;
    int force, per_sample;
    tio_tensor ta, tb;
    int have_ta, have_tb;
    const char *ta_spec, *tb_spec;
    size_t tk; /* K of the tensors */
    int argc;
    char **argv;
} settings;

/* The summary of one (cell, accumulator). */
typedef struct row {
    char study[24], a[32], b[32], dist[40], acc[16];
    size_t k;
    uint64_t n;
    double tot[5];   /* mean, p50, p90, p99, max of the total error in ulps */
    double rel[4];   /* mean, p50, p99, max of the relative error */
    double quant[3]; /* mean, p99, max of the quantisation error in ulps */
    double accu[3];  /* mean, p99, max of the accumulation error in ulps */
    double not_cr;   /* percentage of outputs that differ from RN(Eq) */
} row;

typedef struct rows {
    row *v;
    size_t n, cap;
} rows;

/* A row of the softmax study (defined with it). */
typedef struct smrow smrow;

/* ------------------------------------------------------------ progress */

typedef struct progress {
    int on;
    double total, done;
    int last;
} progress;

static void progress_update(progress *p, double add)
{
    p->done += add;
    if (!p->on || p->total <= 0)
        return;
    int percent = (int)(100.0 * p->done / p->total);
    if (percent > 100)
        percent = 100;
    if (percent == p->last)
        return;
    p->last = percent;
    char bar[41];
    int w = percent * 40 / 100;
    for (int i = 0; i < 40; i++)
        bar[i] = i < w ? '#' : '.';
    bar[40] = 0;
    fprintf(stderr, "\r" CLI_PROG " accuracy: [%s] %3d%%", bar, percent);
    fflush(stderr);
}

static void progress_end(progress *p)
{
    if (p->on && p->last >= 0)
        fprintf(stderr, "\r%*s\r", 70, "");
}

/* ------------------------------------------------------------ option lists */

/* Splits a comma list; calls fn on each item.  Returns 0 or -1. */
typedef int (*item_fn)(const cli_command *c, const char *item, void *ctx);

static int each_item(const cli_command *c, const char *list, item_fn fn, void *ctx)
{
    char item[64];
    const char *p = list;
    if (*p == 0) {
        cli_usage_error(c, "an empty list");
        return -1;
    }
    for (;;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == 0 || len >= sizeof item) {
            cli_usage_error(c, "bad list item in " CLI_TOKEN_FMT, CLI_TOKEN_ARG(list));
            return -1;
        }
        memcpy(item, p, len);
        item[len] = 0;
        if (fn(c, item, ctx) != 0)
            return -1;
        if (q == NULL)
            return 0;
        p = q + 1;
    }
}

typedef struct fmt_list {
    store_fmt *v;
    int *n;
} fmt_list;

static int parse_store_fmt(const cli_command *c, const char *spec, store_fmt *f)
{
    static const char *const rules[] = {"floor", "rceil", "ceil", "even"};
    char name[32];
    memset(f, 0, sizeof *f);
    if (strlen(spec) >= sizeof name) {
        cli_usage_error(c, "unknown format " CLI_TOKEN_FMT, CLI_TOKEN_ARG(spec));
        return -1;
    }
    snprintf(f->name, sizeof f->name, "%s", spec);
    snprintf(name, sizeof name, "%s", spec);
    char *at = strchr(name, '@');
    if (at != NULL) {
        *at++ = 0;
        for (int r = 0; r < 4 && !f->has_rule; r++) {
            if (strcmp(at, rules[r]) == 0) {
                f->has_rule = 1;
                f->rule = (tp_scale_rule)r;
            }
        }
        if (!f->has_rule) {
            cli_usage_error(c, "unknown scale rule '%s' in '%s' (use floor, rceil, ceil or even)",
                            at, spec);
            return -1;
        }
        if (tp_block_from_name(name, &f->b) != TP_OK) {
            cli_usage_error(c, "'%s': a scale rule goes with a block format only", spec);
            return -1;
        }
        f->is_block = 1;
        return 0;
    }
    if (tp_format_from_name(name, &f->fmt) == TP_OK) {
        if (f->fmt == TP_F64 || f->fmt == TP_E8M0 || f->fmt == TP_UE4M3) {
            cli_usage_error(c, "'%s' is not a storage format for an operand (f64 is wider than "
                               "the binary32 inputs; e8m0 and ue4m3 are scale formats)",
                            name);
            return -1;
        }
        return 0;
    }
    if (tp_block_from_name(name, &f->b) == TP_OK) {
        f->is_block = 1;
        return 0;
    }
    cli_usage_error(c, "unknown format '%s' (an element format of 'truepoint formats', or a "
                       "block format of 'truepoint quantize')",
                    name);
    return -1;
}

static int fmt_item(const cli_command *c, const char *item, void *ctx)
{
    fmt_list *l = (fmt_list *)ctx;
    if (*l->n >= ACC_MAX_LIST) {
        cli_usage_error(c, "at most %d formats per list", ACC_MAX_LIST);
        return -1;
    }
    if (parse_store_fmt(c, item, &l->v[*l->n]) != 0)
        return -1;
    (*l->n)++;
    return 0;
}

typedef struct acc_list {
    sweep *s;
    int trunc_bits;
} acc_list;

static void add_acc(sweep *s, acc_kind k, int bits)
{
    static const char *const names[] = {"exact", "f32seq", "f32pair", "f32blk32", "bf16", "f16"};
    acc_model *m = &s->acc[s->nacc++];
    m->kind = k;
    m->bits = bits;
    if (k == ACC_TRUNC)
        snprintf(m->name, sizeof m->name, "trunc%d", bits);
    else
        snprintf(m->name, sizeof m->name, "%s", names[k]);
}

static void add_all_accs(sweep *s, int trunc_bits)
{
    for (int k = ACC_EXACT; k <= ACC_F16; k++)
        add_acc(s, (acc_kind)k, 0);
    add_acc(s, ACC_TRUNC, trunc_bits);
}

static int acc_item(const cli_command *c, const char *item, void *ctx)
{
    static const char *const names[] = {"exact", "f32seq", "f32pair", "f32blk32", "bf16", "f16"};
    acc_list *l = (acc_list *)ctx;
    sweep *s = l->s;
    if (s->nacc + 7 > ACC_MAX_LIST) {
        cli_usage_error(c, "too many accumulators");
        return -1;
    }
    if (strcmp(item, "all") == 0) {
        add_all_accs(s, l->trunc_bits);
        return 0;
    }
    for (int k = 0; k < 6; k++) {
        if (strcmp(item, names[k]) == 0) {
            add_acc(s, (acc_kind)k, 0);
            return 0;
        }
    }
    if (strcmp(item, "trunc") == 0) {
        add_acc(s, ACC_TRUNC, l->trunc_bits);
        return 0;
    }
    if (strncmp(item, "trunc:", 6) == 0) {
        uint64_t v;
        if (cli_parse_u64_opt(c, "--acc", item + 6, &v) != 0)
            return -1;
        if (v < 2 || v > 24) {
            cli_usage_error(c, "trunc:B needs 2 <= B <= 24 significand bits, not %llu",
                            (unsigned long long)v);
            return -1;
        }
        add_acc(s, ACC_TRUNC, (int)v);
        return 0;
    }
    cli_usage_error(c, "unknown accumulator '%s' (use exact, f32seq, f32pair, f32blk32, bf16, "
                       "f16, trunc, trunc:B or all)",
                    item);
    return -1;
}

static int k_item(const cli_command *c, const char *item, void *ctx)
{
    sweep *s = (sweep *)ctx;
    uint64_t v;
    if (cli_parse_u64_opt(c, "--k", item, &v) != 0)
        return -1;
    if (v < 1 || v > ACC_MAX_K) {
        cli_usage_error(c, "--k: %llu is out of range (1 to 1048576 = 2^20)",
                        (unsigned long long)v);
        return -1;
    }
    if (s->nk >= ACC_MAX_LIST) {
        cli_usage_error(c, "--k: at most %d lengths", ACC_MAX_LIST);
        return -1;
    }
    s->k[s->nk++] = (size_t)v;
    return 0;
}

static int dist_item(const cli_command *c, const char *item, void *ctx)
{
    sweep *s = (sweep *)ctx;
    if (strcmp(item, "all") == 0) {
        if (s->nd + 4 > 8) {
            cli_usage_error(c, "too many distributions");
            return -1;
        }
        for (int d = 0; d < 4; d++)
            s->dist[s->nd++] = (dist_kind)d;
        return 0;
    }
    for (int d = 0; d < 4; d++) {
        if (strcmp(item, dist_names[d]) == 0) {
            if (s->nd >= 8) {
                cli_usage_error(c, "too many distributions");
                return -1;
            }
            s->dist[s->nd++] = (dist_kind)d;
            return 0;
        }
    }
    cli_usage_error(c, "unknown distribution '%s' (use normal, laplace, outlier-channels, llm "
                       "or all)",
                    item);
    return -1;
}

/* ------------------------------------------------------------ inputs */

/* Stream key of (seed, distribution, K, operand): the generator words of
 * sample s, value i are tp_sr_word(key, s * 2^24 + 4 i + t), t < 4. */
static uint64_t stream_key(uint64_t seed, int dist, size_t k, int operand)
{
    uint64_t h = seed;
    h = h * 0x100000001B3u ^ (uint64_t)(dist + 1);
    h = h * 0x100000001B3u ^ (uint64_t)k;
    h = h * 0x100000001B3u ^ (uint64_t)(operand + 1);
    return h;
}

/* A uniform value in (0, 1) from two words (53 bits). */
static double uniform(uint64_t key, uint64_t ctr)
{
    uint64_t hi = tp_sr_word(key, ctr), lo = tp_sr_word(key, ctr + 1);
    uint64_t u = (hi << 21) | (lo >> 11); /* 53 bits */
    return ((double)u + 0.5) * 0x1p-53;
}

static double gauss(uint64_t key, uint64_t ctr)
{
    double u1 = uniform(key, ctr), u2 = uniform(key, ctr + 2);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Whether channel i of the cell is an outlier channel: a share `inv` of
 * 1/inv of the channels, chosen from the words of the cell (sample-
 * independent counters 2^62 + i), plus one channel always. */
static int is_outlier_channel(uint64_t key, size_t k, size_t i, unsigned inv)
{
    uint64_t base = (uint64_t)1 << 62;
    if (i == tp_sr_word(key, base - 1) % k)
        return 1;
    return tp_sr_word(key, base + i) < 0xFFFFFFFFu / inv;
}

/* Draws the binary32 vector of operand `op` (0 = A, 1 = B) of sample s. */
static void draw(dist_kind d, uint64_t seed, size_t k, int op, uint64_t s, float *x)
{
    uint64_t key = stream_key(seed, (int)d, k, op);
    uint64_t ckey = stream_key(seed, (int)d, k, 0); /* the channels of A */
    for (size_t i = 0; i < k; i++) {
        uint64_t ctr = (s << 24) + 4 * (uint64_t)i;
        double v;
        switch (d) {
        case DIST_LAPLACE: {
            double u = uniform(key, ctr) - 0.5;
            v = (u < 0 ? 1.0 : -1.0) * log(1.0 - 2.0 * fabs(u)) / sqrt(2.0);
            break;
        }
        case DIST_OUTLIER:
            v = gauss(key, ctr);
            if (op == 0 && is_outlier_channel(ckey, k, i, 64))
                v *= 32.0;
            break;
        case DIST_LLM:
            v = gauss(key, ctr);
            if (op == 0 && is_outlier_channel(ckey, k, i, 1024)) {
                double m = ldexp(1.0, 6) * pow(2.0, 4.0 * uniform(key, ctr + 2));
                v = (tp_sr_word(key, ctr + 3) & 1) ? -m : m;
            }
            break;
        default: v = gauss(key, ctr); break;
        }
        x[i] = (float)v;
    }
}

/* ------------------------------------------------------------ quantisation */

/* An operand of one sample: originals, codes, dequantised values. */
typedef struct operand {
    float *x;       /* original binary32 values */
    uint8_t *sc;    /* block scales */
    uint8_t *el;    /* element codes or block elements */
    float ts;       /* NVFP4 tensor scale */
    float *f;       /* dequantised, binary32 (what the simulated accumulators see) */
    double *d;      /* dequantised, binary64 (exact) */
} operand;

static int operand_alloc(operand *o, size_t k)
{
    memset(o, 0, sizeof *o);
    o->x = malloc(k * sizeof(float));
    o->sc = malloc(k / 8 + 16);
    o->el = malloc(4 * k + 64);
    o->f = malloc(k * sizeof(float));
    o->d = malloc(k * sizeof(double));
    return (o->x && o->sc && o->el && o->f && o->d) ? 0 : -1;
}

static void operand_free(operand *o)
{
    free(o->x);
    free(o->sc);
    free(o->el);
    free(o->f);
    free(o->d);
}

static tp_status quantise(const store_fmt *f, tp_scale_rule rule, size_t k, operand *o)
{
    tp_status st;
    o->ts = 1.0f;
    if (!f->is_block) {
        if ((st = tp_encode_f32(f->fmt, o->x, o->el, k, TP_RNE, TP_OVF_DEFAULT, NULL, NULL)) !=
            TP_OK)
            return st;
        if ((st = tp_decode_f64(f->fmt, o->el, o->d, k, NULL)) != TP_OK)
            return st;
        return tp_decode_f32(f->fmt, o->el, o->f, k, NULL);
    }
    if (f->b.format == TP_BLOCK_NVFP4 &&
        (st = tp_nvfp4_tensor_scale(&f->b, o->x, k, &o->ts)) != TP_OK)
        return st;
    if (f->has_rule)
        rule = f->rule;
    if ((st = tp_block_quantize_f32(&f->b, o->x, k, o->sc, o->el, o->ts, rule, TP_RNE, NULL,
                                    NULL)) != TP_OK)
        return st;
    if ((st = tp_block_dequantize_f64(&f->b, o->sc, o->el, k, o->ts, o->d, NULL)) != TP_OK)
        return st;
    return tp_block_dequantize_f32(&f->b, o->sc, o->el, k, o->ts, o->f, NULL);
}

/* The library's exact dot product of the codes, rounded once to `outd`. */
static tp_status lib_dot(const store_fmt *fa, const operand *a, const store_fmt *fb,
                         const operand *b, size_t k, const tp_format_desc *outd, uint64_t *code)
{
    if (!fa->is_block && !fb->is_block)
        return tp_dot(tp_format_get(fa->fmt), a->el, 1, tp_format_get(fb->fmt), b->el, 1, k,
                      outd, TP_RNE, TP_OVF_DEFAULT, NULL, code, NULL);
    if (fa->is_block && fb->is_block)
        return tp_block_dot(&fa->b, a->sc, a->el, a->ts, &fb->b, b->sc, b->el, b->ts, k, outd,
                            TP_RNE, TP_OVF_DEFAULT, NULL, code, NULL);
    /* A block format times an element format: the element values are
     * exact in binary32 (every storage format but f64 is). */
    if (fa->is_block)
        return tp_block_dot(&fa->b, a->sc, a->el, a->ts, NULL, NULL, b->f, 1.0f, k, outd, TP_RNE,
                            TP_OVF_DEFAULT, NULL, code, NULL);
    return tp_block_dot(&fb->b, b->sc, b->el, b->ts, NULL, NULL, a->f, 1.0f, k, outd, TP_RNE,
                        TP_OVF_DEFAULT, NULL, code, NULL);
}

/* ------------------------------------------------------------ accumulators */

/* s + t rounded to binary64 with round-to-odd: correct as an intermediate
 * for one later rounding to any format of 51 bits or fewer. */
static double add_rto(double s, double t)
{
    double hi = s + t;
    if (!isfinite(hi))
        return hi;
    double bb = hi - s;
    double lo = (s - (hi - bb)) + (t - bb); /* exact: hi + lo = s + t */
    if (lo == 0)
        return hi;
    uint64_t u;
    memcpy(&u, &hi, 8);
    if (u & 1)
        return hi;
    return nextafter(hi, lo > 0 ? INFINITY : -INFINITY);
}

static double round_to(const tp_format_desc *d, double x)
{
    uint64_t c;
    double y;
    tp_encode1(d, x, TP_RNE, TP_OVF_DEFAULT, 0, &c, NULL);
    tp_decode1(d, c, &y, NULL);
    return y;
}

/* x truncated (toward zero) to `bits` significand bits on binary32's
 * exponent range: below 2^-126 the grid is that of 2^-126's binade; beyond
 * the largest such value gives +-Inf. */
static double trunc_bits(double x, int bits)
{
    if (x == 0 || !isfinite(x))
        return x;
    int ex;
    frexp(x, &ex);
    int e = ex - 1;
    if (e < -126)
        e = -126;
    int q = e - (bits - 1);
    double r = ldexp(trunc(ldexp(x, -q)), q);
    if (fabs(r) >= 0x1p128)
        return r > 0 ? INFINITY : -INFINITY;
    return r;
}

/* The simulated accumulators, on the dequantised binary32 values. */
static double simulate(const acc_model *m, const float *a, const float *b, size_t k, float *tmp)
{
    switch (m->kind) {
    case ACC_F32SEQ: {
        float s = 0.0f;
        for (size_t i = 0; i < k; i++)
            s = fmaf(a[i], b[i], s);
        return s;
    }
    case ACC_F32PAIR: {
        for (size_t i = 0; i < k; i++)
            tmp[i] = a[i] * b[i];
        size_t n = k;
        while (n > 1) {
            size_t h = n / 2;
            for (size_t i = 0; i < h; i++)
                tmp[i] = tmp[2 * i] + tmp[2 * i + 1];
            if (n % 2)
                tmp[h] = tmp[n - 1];
            n = h + n % 2;
        }
        return k ? tmp[0] : 0.0f;
    }
    case ACC_F32BLK32: {
        const tp_format_desc *f32 = tp_format_get(TP_F32);
        float s = 0.0f;
        for (size_t i = 0; i < k; i += 32) {
            size_t len = k - i < 32 ? k - i : 32;
            uint64_t c = 0;
            float blk;
            tp_dot(f32, a + i, 1, f32, b + i, 1, len, f32, TP_RNE, TP_OVF_NONSAT, NULL, &c,
                   NULL);
            uint32_t u = (uint32_t)c;
            memcpy(&blk, &u, 4);
            s = s + blk;
        }
        return s;
    }
    case ACC_BF16:
    case ACC_F16: {
        const tp_format_desc *d = tp_format_get(m->kind == ACC_BF16 ? TP_BF16 : TP_F16);
        double s = 0.0;
        for (size_t i = 0; i < k; i++)
            s = round_to(d, add_rto(s, (double)a[i] * (double)b[i]));
        return s;
    }
    case ACC_TRUNC: {
        double s = 0.0;
        for (size_t i = 0; i < k; i++)
            s = trunc_bits(add_rto(s, (double)a[i] * (double)b[i]), m->bits);
        return s;
    }
    default: return NAN;
    }
}

/* ------------------------------------------------------------ metrics */

/* The spacing of `d` at the magnitude of x (binade of x, the subnormal
 * spacing below the normal range). */
static double ulp_of(const tp_format_desc *d, double x)
{
    int emin = 1 - d->bias, e = emin, ex;
    if (x != 0 && isfinite(x)) {
        frexp(x, &ex);
        e = ex - 1 < emin ? emin : ex - 1;
    }
    return ldexp(1.0, e - d->man_bits);
}

static double acc_f64(const tp_acc *a)
{
    uint64_t c;
    double x;
    tp_acc_round(a, tp_format_get(TP_F64), TP_RNE, TP_OVF_NONSAT, 0, &c, NULL);
    memcpy(&x, &c, 8);
    return x;
}

/* |E - y|, the exact difference rounded to binary64. */
static double abs_diff(const tp_acc *e, double y, tp_acc *tmp)
{
    memcpy(tmp, e, sizeof *tmp);
    tp_acc_add_f64(tmp, -y);
    double d = fabs(acc_f64(tmp));
    return isnan(d) ? INFINITY : d;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Nearest-rank percentile of sorted v[0..n-1]: v[ceil(p n / 100) - 1]. */
static double pct(const double *v, size_t n, double p)
{
    if (n == 0)
        return NAN;
    size_t r = (size_t)ceil(p * (double)n / 100.0);
    if (r < 1)
        r = 1;
    if (r > n)
        r = n;
    return v[r - 1];
}

static double mean(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return n ? s / (double)n : NAN;
}

/* ------------------------------------------------------------ output */

static const char csv_header[] =
    "study,a,b,dist,k,acc,out,samples,tot_ulp_mean,tot_ulp_p50,tot_ulp_p90,tot_ulp_p99,"
    "tot_ulp_max,rel_mean,rel_p50,rel_p99,rel_max,quant_ulp_mean,quant_ulp_p99,quant_ulp_max,"
    "acc_ulp_mean,acc_ulp_p99,acc_ulp_max,not_cr_pct\n";

static const char sample_header[] = "study,a,b,dist,k,sample,acc,out,value,exact,exact_quant\n";

static void print_num(FILE *fp, double x)
{
    if (isnan(x))
        fputs(",nan", fp);
    else if (isinf(x))
        fputs(",inf", fp);
    else
        fprintf(fp, ",%.6g", x);
}

static void print_row(FILE *fp, const row *r, const char *out)
{
    fprintf(fp, "%s,%s,%s,%s,%zu,%s,%s,%llu", r->study, r->a, r->b, r->dist, r->k, r->acc, out,
            (unsigned long long)r->n);
    for (int i = 0; i < 5; i++)
        print_num(fp, r->tot[i]);
    for (int i = 0; i < 4; i++)
        print_num(fp, r->rel[i]);
    for (int i = 0; i < 3; i++)
        print_num(fp, r->quant[i]);
    for (int i = 0; i < 3; i++)
        print_num(fp, r->accu[i]);
    print_num(fp, r->not_cr);
    fputc('\n', fp);
}

/* A file written under a temporary name and renamed when complete. */
typedef struct outfile {
    FILE *fp;
    char tmp[4096], final[4096];
} outfile;

static int out_open(outfile *o, const char *dir, const char *name)
{
    int n1 = snprintf(o->final, sizeof o->final, "%s/%s", dir, name);
    int n2 = snprintf(o->tmp, sizeof o->tmp, "%s/.%s.tmp%ld", dir, name, (long)getpid());
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof o->final || (size_t)n2 >= sizeof o->tmp) {
        cli_error("accuracy: the output path is too long");
        o->fp = NULL;
        return -1;
    }
    o->fp = fopen(o->tmp, "w");
    if (o->fp == NULL) {
        cli_error("accuracy: cannot create '%s': %s", o->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

static int out_commit(outfile *o)
{
    int bad = ferror(o->fp);
    if (fclose(o->fp) != 0)
        bad = 1;
    o->fp = NULL;
    if (bad || rename(o->tmp, o->final) != 0) {
        cli_error("accuracy: cannot write '%s'", o->final);
        remove(o->tmp);
        return -1;
    }
    return 0;
}

static void out_abandon(outfile *o)
{
    if (o->fp != NULL) {
        fclose(o->fp);
        o->fp = NULL;
        remove(o->tmp);
    }
}

/* ------------------------------------------------------------ cells */

typedef struct cell_ctx {
    const settings *st;
    rows *rs;
    FILE *samples_fp; /* --per-sample output, or NULL */
    progress *prog;
    operand A, B;
    float *tmp;
    size_t cap;
    double *tot, *rel, *quant, *accu; /* nacc * samples (quant: samples) */
    unsigned char *ncr;
    uint64_t skipped;
} cell_ctx;

static int rows_push(rows *rs, const row *r)
{
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 64;
        row *nv = realloc(rs->v, nc * sizeof *nv);
        if (nv == NULL)
            return -1;
        rs->v = nv;
        rs->cap = nc;
    }
    rs->v[rs->n++] = *r;
    return 0;
}

static int ensure_cap(cell_ctx *x, size_t k)
{
    if (k <= x->cap)
        return 0;
    operand_free(&x->A);
    operand_free(&x->B);
    free(x->tmp);
    x->cap = 0;
    if (operand_alloc(&x->A, k) != 0 || operand_alloc(&x->B, k) != 0 ||
        (x->tmp = malloc(k * sizeof(float))) == NULL)
        return -1;
    x->cap = k;
    return 0;
}

static size_t block_size_of(const store_fmt *f)
{
    return f->is_block ? f->b.block_size : 1;
}

/* The samples of a cell. */
static uint64_t cell_samples(const sweep *sw, const settings *st, dist_kind d, size_t k)
{
    uint64_t n = sw->samples;
    if (sw->max_work) {
        uint64_t cap = sw->max_work / k;
        if (cap < 4)
            cap = 4;
        if (n > cap)
            n = cap;
    }
    if (st->have_ta) {
        uint64_t ra = st->ta.n / st->tk, rb = st->have_tb ? st->tb.n / st->tk : 0;
        if (d == DIST_TENSOR && rb > 0 && ra * rb < n)
            n = ra * rb;
    }
    return n;
}

static void dist_label(const settings *st, dist_kind d, char *buf, size_t size)
{
    if (d == DIST_TENSOR)
        snprintf(buf, size, "tensor");
    else if (st->have_ta)
        snprintf(buf, size, "tensor:%s", dist_names[d]);
    else
        snprintf(buf, size, "%s", dist_names[d]);
}

/* Runs one cell; returns 0, or -1 after reporting an error. */
static int run_cell(cell_ctx *x, const sweep *sw, const store_fmt *fa, const store_fmt *fb,
                    dist_kind d, size_t k)
{
    const settings *st = x->st;
    const tp_format_desc *outd = st->outd;
    uint64_t ns = cell_samples(sw, st, d, k);
    int nacc = sw->nacc;
    char dl[40];
    dist_label(st, d, dl, sizeof dl);
    if (ensure_cap(x, k) != 0) {
        cli_error("accuracy: not enough memory for k=%zu", k);
        return -1;
    }
    free(x->tot);
    free(x->rel);
    free(x->quant);
    free(x->accu);
    free(x->ncr);
    size_t m = (size_t)ns * (size_t)nacc;
    x->tot = malloc(m * sizeof(double) + 1);
    x->rel = malloc(m * sizeof(double) + 1);
    x->accu = malloc(m * sizeof(double) + 1);
    x->quant = malloc((size_t)ns * sizeof(double) + 1);
    x->ncr = malloc(m + 1);
    if (!x->tot || !x->rel || !x->accu || !x->quant || !x->ncr) {
        cli_error("accuracy: not enough memory for %llu samples", (unsigned long long)ns);
        return -1;
    }
    tp_acc e0, eq, tmp;
    uint64_t used = 0;
    for (uint64_t s = 0; s < ns; s++) {
        if (st->have_ta) {
            size_t ra = st->ta.n / k;
            memcpy(x->A.x, st->ta.data + (size_t)(s % ra) * k, k * sizeof(float));
            if (d == DIST_TENSOR) {
                size_t rb = st->tb.n / k;
                memcpy(x->B.x, st->tb.data + (size_t)((s / ra) % rb) * k, k * sizeof(float));
            } else {
                draw(d, st->seed, k, 1, s, x->B.x);
            }
        } else {
            draw(d, st->seed, k, 0, s, x->A.x);
            draw(d, st->seed, k, 1, s, x->B.x);
        }
        tp_status qs = quantise(fa, st->rule, k, &x->A);
        if (qs == TP_OK)
            qs = quantise(fb, st->rule, k, &x->B);
        if (qs != TP_OK) {
            cli_error("accuracy: quantising to %s/%s failed: %s", fa->name, fb->name,
                      tp_status_string(qs));
            return -1;
        }
        tp_acc_init(&e0);
        tp_acc_init(&eq);
        for (size_t i = 0; i < k; i++) {
            tp_acc_add_prod_f64(&e0, x->A.x[i], x->B.x[i]);
            tp_acc_add_prod_f64(&eq, x->A.d[i], x->B.d[i]);
        }
        double e0d = acc_f64(&e0), eqd = acc_f64(&eq);
        progress_update(x->prog, (double)k * (2 + nacc));
        if (!isfinite(e0d) || !isfinite(eqd)) {
            x->skipped++;
            continue;
        }
        uint64_t c;
        double rq;
        tp_acc_round(&eq, outd, TP_RNE, TP_OVF_DEFAULT, 0, &c, NULL);
        tp_decode1(outd, c, &rq, NULL);
        /* Quantisation error: |Eq - E0| in ulps of the output at E0. */
        memcpy(&tmp, &e0, sizeof tmp);
        tp_acc_negate(&tmp);
        tp_acc_merge(&tmp, &eq);
        double qd = fabs(acc_f64(&tmp));
        x->quant[used] = qd / ulp_of(outd, e0d);
        for (int j = 0; j < nacc; j++) {
            const acc_model *am = &sw->acc[j];
            double y;
            if (am->kind == ACC_EXACT) {
                tp_status ds = lib_dot(fa, &x->A, fb, &x->B, k, outd, &c);
                if (ds != TP_OK) {
                    cli_error("accuracy: the library's dot product of %s and %s failed: %s",
                              fa->name, fb->name, tp_status_string(ds));
                    return -1;
                }
                tp_decode1(outd, c, &y, NULL);
            } else {
                y = round_to(outd, simulate(am, x->A.f, x->B.f, k, x->tmp));
            }
            size_t at = (size_t)used * (size_t)nacc + (size_t)j;
            double dt = abs_diff(&e0, y, &tmp);
            x->tot[at] = dt / ulp_of(outd, e0d);
            x->rel[at] = e0d != 0 ? dt / fabs(e0d) : (dt == 0 ? 0 : INFINITY);
            x->ncr[at] = !(y == rq || (isnan(y) && isnan(rq)));
            double da = x->ncr[at] ? fabs(y - rq) : 0.0;
            x->accu[at] = (isnan(da) ? INFINITY : da) / ulp_of(outd, eqd);
            if (x->samples_fp != NULL)
                fprintf(x->samples_fp, "%s,%s,%s,%s,%zu,%llu,%s,%s,%.17g,%.17g,%.17g\n",
                        sw->name, fa->name, fb->name, dl, k, (unsigned long long)s, am->name,
                        outd->name, y, e0d, eqd);
        }
        used++;
    }
    /* Summaries. */
    double *v = malloc((size_t)(used ? used : 1) * sizeof(double));
    if (v == NULL) {
        cli_error("accuracy: not enough memory");
        return -1;
    }
    double qv[3];
    memcpy(v, x->quant, (size_t)used * sizeof(double));
    qsort(v, (size_t)used, sizeof(double), cmp_double);
    qv[0] = mean(v, (size_t)used);
    qv[1] = pct(v, (size_t)used, 99);
    qv[2] = pct(v, (size_t)used, 100);
    for (int j = 0; j < nacc; j++) {
        row r;
        memset(&r, 0, sizeof r);
        snprintf(r.study, sizeof r.study, "%s", sw->name);
        snprintf(r.a, sizeof r.a, "%s", fa->name);
        snprintf(r.b, sizeof r.b, "%s", fb->name);
        snprintf(r.dist, sizeof r.dist, "%s", dl);
        snprintf(r.acc, sizeof r.acc, "%s", sw->acc[j].name);
        r.k = k;
        r.n = used;
        memcpy(r.quant, qv, sizeof qv);
        uint64_t bad = 0;
        for (uint64_t s = 0; s < used; s++) {
            v[s] = x->tot[s * (uint64_t)nacc + (uint64_t)j];
            bad += x->ncr[s * (uint64_t)nacc + (uint64_t)j];
        }
        r.not_cr = used ? 100.0 * (double)bad / (double)used : NAN;
        qsort(v, (size_t)used, sizeof(double), cmp_double);
        r.tot[0] = mean(v, (size_t)used);
        r.tot[1] = pct(v, (size_t)used, 50);
        r.tot[2] = pct(v, (size_t)used, 90);
        r.tot[3] = pct(v, (size_t)used, 99);
        r.tot[4] = pct(v, (size_t)used, 100);
        for (uint64_t s = 0; s < used; s++)
            v[s] = x->rel[s * (uint64_t)nacc + (uint64_t)j];
        qsort(v, (size_t)used, sizeof(double), cmp_double);
        r.rel[0] = mean(v, (size_t)used);
        r.rel[1] = pct(v, (size_t)used, 50);
        r.rel[2] = pct(v, (size_t)used, 99);
        r.rel[3] = pct(v, (size_t)used, 100);
        for (uint64_t s = 0; s < used; s++)
            v[s] = x->accu[s * (uint64_t)nacc + (uint64_t)j];
        qsort(v, (size_t)used, sizeof(double), cmp_double);
        r.accu[0] = mean(v, (size_t)used);
        r.accu[1] = pct(v, (size_t)used, 99);
        r.accu[2] = pct(v, (size_t)used, 100);
        if (rows_push(x->rs, &r) != 0) {
            free(v);
            cli_error("accuracy: not enough memory");
            return -1;
        }
    }
    free(v);
    return 0;
}

/* Whether the cell can run (K a multiple of the block sizes); notes a
 * skipped cell once. */
static int cell_ok(const store_fmt *fa, const store_fmt *fb, size_t k, int note)
{
    size_t ba = block_size_of(fa), bb = block_size_of(fb);
    if (k % ba == 0 && k % bb == 0)
        return 1;
    if (note)
        fprintf(stderr, CLI_PROG " accuracy: note: k=%zu skipped for %s x %s (not a multiple of "
                        "the block size %zu)\n",
                k, fa->name, fb->name, (k % ba) != 0 ? ba : bb);
    return 0;
}

static int sweep_dists(const sweep *sw, const settings *st, dist_kind *d)
{
    if (st->have_ta && st->have_tb) {
        d[0] = DIST_TENSOR;
        return 1;
    }
    memcpy(d, sw->dist, (size_t)sw->nd * sizeof *d);
    return sw->nd;
}

static int run_sweep(cell_ctx *x, const sweep *sw)
{
    dist_kind ds[8];
    int nd = sweep_dists(sw, x->st, ds);
    for (int ia = 0; ia < sw->na; ia++)
        for (int ib = 0; ib < sw->nb; ib++)
            for (int id = 0; id < nd; id++)
                for (int ik = 0; ik < sw->nk; ik++) {
                    if (!cell_ok(&sw->a[ia], &sw->b[ib], sw->k[ik], id == 0))
                        continue;
                    if (run_cell(x, sw, &sw->a[ia], &sw->b[ib], ds[id], sw->k[ik]) != 0)
                        return -1;
                }
    return 0;
}

static double sweep_work(const sweep *sw, const settings *st)
{
    dist_kind ds[8];
    int nd = sweep_dists(sw, st, ds);
    double w = 0;
    for (int ia = 0; ia < sw->na; ia++)
        for (int ib = 0; ib < sw->nb; ib++)
            for (int id = 0; id < nd; id++)
                for (int ik = 0; ik < sw->nk; ik++)
                    if (cell_ok(&sw->a[ia], &sw->b[ib], sw->k[ik], 0))
                        w += (double)cell_samples(sw, st, ds[id], sw->k[ik]) *
                             (double)sw->k[ik] * (2 + sw->nacc);
    return w;
}

/* ------------------------------------------------------------ report */

static void md_num(FILE *fp, double x)
{
    if (isnan(x))
        fputs(" - |", fp);
    else if (isinf(x))
        fputs(" inf |", fp);
    else
        fprintf(fp, " %.3g |", x);
}

static void report_softmax(FILE *fp, const smrow *r, int n);

static void write_report(FILE *fp, const settings *st, const sweep *sws, int nsw, const rows *rs,
                         int plots, const smrow *sm, int nsm)
{
    fprintf(fp, "# Dot-product accuracy\n\n");
    fprintf(fp, "Produced by `" CLI_PROG);
    for (int i = 0; i < st->argc; i++)
        fprintf(fp, " %s", st->argv[i]);
    fprintf(fp, "` with libtruepoint %s (kernels: %s).\n\n", tp_version_string(),
            tp_isa_name(tp_active_isa()));
    fprintf(fp, "- seed %llu; block scale rule %s; quantisation RNE with each format's "
                "default overflow policy\n",
            (unsigned long long)st->seed,
            (const char *[]){"floor", "rceil", "ceil", "even"}[st->rule]);
    fprintf(fp, "- output format %s: every error is measured in ulps of %s at the exact "
                "value\n",
            st->outd->name, st->outd->name);
    if (st->have_ta)
        fprintf(fp, "- tensor A: `%s` (%s, %zu values, rows of %zu)\n", st->ta_spec,
                tio_dtype_name(st->ta.dtype), st->ta.n, st->tk);
    if (st->have_tb)
        fprintf(fp, "- tensor B: `%s` (%s, %zu values)\n", st->tb_spec,
                tio_dtype_name(st->tb.dtype), st->tb.n);
    fprintf(fp, "\nColumns: **total** = |y - E0| (y the output, E0 the exact dot product of "
                "the original binary32 inputs); **quant** = |Eq - E0| (Eq the exact dot product "
                "of the quantised operands); **accum** = |y - RNE(Eq)|, the error beyond the one "
                "unavoidable rounding; all in ulps of the output "
                "format at E0 (accum: at Eq).  **not CR** = share of outputs different from Eq "
                "correctly rounded (RNE).  Percentiles are nearest-rank.  See doc/accuracy.md."
                "\n");
    for (int w = 0; w < nsw; w++) {
        const sweep *sw = &sws[w];
        fprintf(fp, "\n## %s\n\n", sw->title);
        if (plots && sw->nk >= 2) /* one K value gives no curve to plot */
            fprintf(fp, "Plots of the error against K: `plots/%s_*.png` (and `.svg`).\n\n",
                    sw->name);
        fprintf(fp, "| a | b | dist | K | acc | n | total mean | total p99 | total max | rel "
                    "p99 | quant mean | accum mean | accum max | not CR %% |\n");
        fprintf(fp, "|---|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (size_t i = 0; i < rs->n; i++) {
            const row *r = &rs->v[i];
            if (strcmp(r->study, sw->name) != 0)
                continue;
            fprintf(fp, "| %s | %s | %s | %zu | %s | %llu |", r->a, r->b, r->dist, r->k, r->acc,
                    (unsigned long long)r->n);
            md_num(fp, r->tot[0]);
            md_num(fp, r->tot[3]);
            md_num(fp, r->tot[4]);
            md_num(fp, r->rel[2]);
            md_num(fp, r->quant[0]);
            md_num(fp, r->accu[0]);
            md_num(fp, r->accu[2]);
            md_num(fp, r->not_cr);
            fputc('\n', fp);
        }
    }
    if (nsm > 0)
        report_softmax(fp, sm, nsm);
}

/* ------------------------------------------------------------ plots */

static void sanitize(char *dst, size_t size, const char *src)
{
    size_t n = 0;
    for (; *src && n + 1 < size; src++)
        dst[n++] = ((*src >= 'a' && *src <= 'z') || (*src >= 'A' && *src <= 'Z') ||
                    (*src >= '0' && *src <= '9') || *src == '-' || *src == '_')
                       ? *src
                       : '_';
    dst[n] = 0;
}

static int have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* Writes plots/<study>_<a>_<b>_<dist>.{dat,gp} for every group with two or
 * more K values, then runs gnuplot on them.  Returns the number of plots,
 * or -1 after an error. */
static int write_plots(const settings *st, const sweep *sws, int nsw, const rows *rs)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/plots", st->out_dir);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        cli_error("accuracy: cannot create '%s': %s", dir, strerror(errno));
        return -1;
    }
    outfile all;
    if (out_open(&all, dir, "plots.gp") != 0)
        return -1;
    fprintf(all.fp, "# gnuplot script written by " CLI_PROG " accuracy; run in this directory\n"
                    "png_term = (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) ? 'pngcairo' : "
                    "'png'\n");
    int nplots = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const row *r = &rs->v[i];
        /* The first row of each group starts it. */
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(rs->v[j].study, r->study) && !strcmp(rs->v[j].a, r->a) &&
                   !strcmp(rs->v[j].b, r->b) && !strcmp(rs->v[j].dist, r->dist);
        if (seen)
            continue;
        const sweep *sw = NULL;
        for (int w = 0; w < nsw; w++)
            if (!strcmp(sws[w].name, r->study))
                sw = &sws[w];
        if (sw == NULL)
            continue;
        int nk = 0;
        for (size_t j = i; j < rs->n; j++)
            if (!strcmp(rs->v[j].study, r->study) && !strcmp(rs->v[j].a, r->a) &&
                !strcmp(rs->v[j].b, r->b) && !strcmp(rs->v[j].dist, r->dist) &&
                !strcmp(rs->v[j].acc, sw->acc[0].name))
                nk++;
        if (nk < 2)
            continue;
        char base[200], sa[40], sb[40], sd[48];
        sanitize(sa, sizeof sa, r->a);
        sanitize(sb, sizeof sb, r->b);
        sanitize(sd, sizeof sd, r->dist);
        snprintf(base, sizeof base, "%s_%s_%s_%s", r->study, sa, sb, sd);
        char dname[256];
        snprintf(dname, sizeof dname, "%s.dat", base);
        outfile dat;
        if (out_open(&dat, dir, dname) != 0) {
            out_abandon(&all);
            return -1;
        }
        /* One block per accumulator: K, total mean, p50, p99, accum mean. */
        int pos_tot[ACC_MAX_LIST], pos_acc[ACC_MAX_LIST];
        for (int a = 0; a < sw->nacc; a++) {
            pos_tot[a] = pos_acc[a] = 0;
            fprintf(dat.fp, "# %s: K tot_ulp_mean tot_ulp_p50 tot_ulp_p99 acc_ulp_mean\n",
                    sw->acc[a].name);
            for (size_t j = i; j < rs->n; j++) {
                const row *q = &rs->v[j];
                if (strcmp(q->study, r->study) != 0 || strcmp(q->a, r->a) != 0 ||
                    strcmp(q->b, r->b) != 0 || strcmp(q->dist, r->dist) != 0 ||
                    strcmp(q->acc, sw->acc[a].name) != 0)
                    continue;
                fprintf(dat.fp, "%zu %.6g %.6g %.6g %.6g\n", q->k, q->tot[0], q->tot[1],
                        q->tot[3], q->accu[0]);
                pos_tot[a] |= q->tot[1] > 0 && isfinite(q->tot[1]);
                pos_acc[a] |= q->accu[0] > 0 && isfinite(q->accu[0]);
            }
            fprintf(dat.fp, "\n\n");
        }
        if (out_commit(&dat) != 0) {
            out_abandon(&all);
            return -1;
        }
        static const char *const what[2] = {"total", "accum"};
        static const char *const ylab[2] = {"median total error |y - E0|",
                                            "mean accumulation error |y - RNE(Eq)|"};
        for (int t = 0; t < 2; t++) {
            int any = 0;
            for (int a = 0; a < sw->nacc; a++)
                any |= t == 0 ? pos_tot[a] : pos_acc[a];
            if (!any)
                continue;
            for (int term = 0; term < 2; term++) {
                fprintf(all.fp, "\n");
                if (term == 0)
                    fprintf(all.fp, "set terminal png_term size 900,560\nset output '%s_%s.png'\n",
                            base, what[t]);
                else
                    fprintf(all.fp, "set terminal svg size 900,560\nset output '%s_%s.svg'\n",
                            base, what[t]);
                fprintf(all.fp,
                        "set title \"%s: a=%s b=%s dist=%s\" noenhanced\n"
                        "set logscale xy\nset format x '2^{%%L}'\nset xlabel 'K (dot-product "
                        "length)'\nset ylabel '%s (ulps of %s)' noenhanced\nset key outside "
                        "right noenhanced\nset grid\n",
                        r->study, r->a, r->b, r->dist, ylab[t], st->outd->name);
                char zeros[200] = "";
                size_t zl = 0;
                for (int a = 0; a < sw->nacc && zl + 20 < sizeof zeros; a++)
                    if (!(t == 0 ? pos_tot[a] : pos_acc[a]))
                        zl += (size_t)snprintf(zeros + zl, sizeof zeros - zl, "%s%s",
                                               zl ? ", " : "", sw->acc[a].name);
                if (zl)
                    fprintf(all.fp, "set label 1 'zero at every K (not drawn): %s' at graph "
                                    "0.02, graph 0.96 noenhanced\n",
                            zeros);
                else
                    fprintf(all.fp, "unset label 1\n");
                fprintf(all.fp, "set logscale x 2\nplot ");
                int first = 1;
                for (int a = 0; a < sw->nacc; a++) {
                    if (!(t == 0 ? pos_tot[a] : pos_acc[a]))
                        continue;
                    fprintf(all.fp, "%s'%s' index %d using 1:%d with linespoints title '%s'",
                            first ? "" : ", \\\n     ", dname, a, t == 0 ? 3 : 5,
                            sw->acc[a].name);
                    first = 0;
                }
                fprintf(all.fp, "\nunset output\n");
            }
            nplots++;
        }
    }
    if (nplots == 0) { /* nothing to draw (one K per group): leave no plots/ */
        out_abandon(&all);
        rmdir(dir);
        return 0;
    }
    if (out_commit(&all) != 0)
        return -1;
    /* Run gnuplot in the plots directory, the path quoted for the shell. */
    char cmd[9000];
    size_t n = 0;
    n += (size_t)snprintf(cmd + n, sizeof cmd - n, "cd '");
    for (const char *p = dir; *p && n + 8 < sizeof cmd; p++) {
        if (*p == '\'') {
            memcpy(cmd + n, "'\\''", 4);
            n += 4;
        } else {
            cmd[n++] = *p;
        }
    }
    snprintf(cmd + n, sizeof cmd - n, "' && gnuplot plots.gp >/dev/null 2>gnuplot.log");
    if (system(cmd) != 0) {
        cli_error("accuracy: gnuplot failed (see %s/gnuplot.log); the CSV and the report are "
                  "written",
                  dir);
        return -1;
    }
    return nplots;
}

/* ------------------------------------------------------------ softmax */

/* The attention-logit study: one query against SM_KEYS keys of SM_K values
 * (bf16, as attention inputs are stored), logits = q.k / 8 (the exact
 * 1/sqrt(64)), each logit produced by an accumulator and stored in a logit
 * format, softmax in binary64 from the stored logits, against the softmax
 * of the exact logits. */
#define SM_K 64
#define SM_KEYS 256

struct smrow {
    char dist[24], logits[12], acc[16];
    uint64_t n;
    double maxabs[2], tv[2], kl[2]; /* mean, max */
};

static const char sm_header[] = "study,dist,k,keys,logits,acc,samples,maxabs_mean,maxabs_max,"
                                "tv_mean,tv_max,kl_mean,kl_max\n";

static void softmax64(const double *l, size_t n, double *p)
{
    double m = -INFINITY, s = 0;
    for (size_t i = 0; i < n; i++)
        if (l[i] > m)
            m = l[i];
    for (size_t i = 0; i < n; i++)
        s += (p[i] = exp(l[i] - m));
    for (size_t i = 0; i < n; i++)
        p[i] /= s;
}

static int run_softmax(const settings *st, uint64_t samples, smrow *out, int *nout,
                       progress *prog)
{
    static const tp_format lf[] = {TP_F32, TP_BF16, TP_F16, TP_E4M3, TP_E5M2};
    static const dist_kind qd[] = {DIST_NORMAL, DIST_LLM};
    const tp_format_desc *bf = tp_format_get(TP_BF16), *f64 = tp_format_get(TP_F64);
    enum { NL = 5, NA = 2 };
    float x[SM_K], qf[SM_K], kf[SM_KEYS][SM_K];
    uint16_t qc[SM_K], kc[SM_KEYS][SM_K];
    double ex[SM_KEYS], sq[SM_KEYS], l[SM_KEYS], pr[SM_KEYS], p[SM_KEYS];
    double *m = malloc((size_t)samples * NL * NA * 3 * sizeof(double) + 1);
    if (m == NULL) {
        cli_error("accuracy: not enough memory");
        return -1;
    }
    *nout = 0;
    for (int d = 0; d < 2; d++) {
        for (uint64_t s = 0; s < samples; s++) {
            draw(qd[d], st->seed, SM_K, 0, s, x);
            tp_encode_f32(TP_BF16, x, qc, SM_K, TP_RNE, TP_OVF_DEFAULT, NULL, NULL);
            tp_decode_f32(TP_BF16, qc, qf, SM_K, NULL);
            for (size_t j = 0; j < SM_KEYS; j++) {
                draw(DIST_NORMAL, st->seed, SM_K, 1, s * SM_KEYS + j, x);
                tp_encode_f32(TP_BF16, x, kc[j], SM_K, TP_RNE, TP_OVF_DEFAULT, NULL, NULL);
                tp_decode_f32(TP_BF16, kc[j], kf[j], SM_K, NULL);
                uint64_t c;
                tp_dot(bf, qc, 1, bf, kc[j], 1, SM_K, f64, TP_RNE, TP_OVF_DEFAULT, NULL, &c,
                       NULL);
                memcpy(&ex[j], &c, 8);
                ex[j] /= 8; /* exact: a power of two far from the limits */
                float f = 0.0f;
                for (size_t i = 0; i < SM_K; i++)
                    f = fmaf(qf[i], kf[j][i], f);
                sq[j] = (double)f / 8;
            }
            softmax64(ex, SM_KEYS, pr);
            for (int a = 0; a < NA; a++) {
                for (int li = 0; li < NL; li++) {
                    const tp_format_desc *ld = tp_format_get(lf[li]);
                    for (size_t j = 0; j < SM_KEYS; j++)
                        l[j] = round_to(ld, a == 0 ? ex[j] : sq[j]);
                    softmax64(l, SM_KEYS, p);
                    double mx = 0, tv = 0, kl = 0;
                    for (size_t j = 0; j < SM_KEYS; j++) {
                        double e = fabs(p[j] - pr[j]);
                        mx = e > mx ? e : mx;
                        tv += e;
                        if (pr[j] > 0)
                            kl += p[j] > 0 ? pr[j] * log(pr[j] / p[j]) : INFINITY;
                    }
                    double *r = m + ((size_t)s * NL * NA + (size_t)(a * NL + li)) * 3;
                    r[0] = mx;
                    r[1] = tv / 2;
                    r[2] = kl;
                }
            }
            progress_update(prog, (double)SM_K * SM_KEYS * 4);
        }
        for (int a = 0; a < NA; a++) {
            for (int li = 0; li < NL; li++) {
                smrow *r = &out[(*nout)++];
                memset(r, 0, sizeof *r);
                snprintf(r->dist, sizeof r->dist, "%s", dist_names[qd[d]]);
                snprintf(r->logits, sizeof r->logits, "%s", tp_format_get(lf[li])->name);
                snprintf(r->acc, sizeof r->acc, "%s", a == 0 ? "exact" : "f32seq");
                r->n = samples;
                for (int t = 0; t < 3; t++) {
                    double sum = 0, mx = 0;
                    for (uint64_t s = 0; s < samples; s++) {
                        double v = m[((size_t)s * NL * NA + (size_t)(a * NL + li)) * 3 + t];
                        sum += v;
                        mx = v > mx ? v : mx;
                    }
                    double *dst = t == 0 ? r->maxabs : t == 1 ? r->tv : r->kl;
                    dst[0] = samples ? sum / (double)samples : NAN;
                    dst[1] = mx;
                }
            }
        }
    }
    free(m);
    return 0;
}

static void print_smrow(FILE *fp, const smrow *r)
{
    fprintf(fp, "softmax,%s,%d,%d,%s,%s,%llu", r->dist, SM_K, SM_KEYS, r->logits, r->acc,
            (unsigned long long)r->n);
    print_num(fp, r->maxabs[0]);
    print_num(fp, r->maxabs[1]);
    print_num(fp, r->tv[0]);
    print_num(fp, r->tv[1]);
    print_num(fp, r->kl[0]);
    print_num(fp, r->kl[1]);
    fputc('\n', fp);
}

static void report_softmax(FILE *fp, const smrow *r, int n)
{
    fprintf(fp, "\n## Attention logits: binary32 against bfloat16, binary16 and FP8 logits\n\n"
                "One bf16 query (normal, or llm with its outliers) against %d bf16 keys of "
                "%d values (normal); logits q.k/8, each from the exact accumulator or f32seq "
                "and stored in the logit format (RNE); softmax in binary64 from the stored "
                "logits, against the softmax of the exact logits.  **max abs** = max_j |p_j - "
                "p*_j|; **TV** = total variation, sum_j |p_j - p*_j| / 2; **KL** = "
                "sum_j p*_j ln(p*_j / p_j).  Also in `softmax.csv`.\n\n",
            SM_KEYS, SM_K);
    fprintf(fp, "| query | logits | acc | n | max abs mean | max abs max | TV mean | TV max | "
                "KL mean | KL max |\n|---|---|---|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int i = 0; i < n; i++) {
        fprintf(fp, "| %s | %s | %s | %llu |", r[i].dist, r[i].logits, r[i].acc,
                (unsigned long long)r[i].n);
        md_num(fp, r[i].maxabs[0]);
        md_num(fp, r[i].maxabs[1]);
        md_num(fp, r[i].tv[0]);
        md_num(fp, r[i].tv[1]);
        md_num(fp, r[i].kl[0]);
        md_num(fp, r[i].kl[1]);
        fputc('\n', fp);
    }
}

/* ------------------------------------------------------------ studies */

static void set_fmts(store_fmt *v, int *n, const char *const *names)
{
    *n = 0;
    for (; *names; names++) {
        memset(&v[*n], 0, sizeof v[*n]);
        snprintf(v[*n].name, sizeof v[*n].name, "%s", *names);
        if (tp_format_from_name(*names, &v[*n].fmt) != TP_OK) {
            v[*n].is_block = 1;
            tp_block_from_name(*names, &v[*n].b);
        }
        (*n)++;
    }
}

/* The --study preset: error growth with K per accumulator, FP8 storage for
 * activations, block formats for weight matrices. */
static int study_preset(sweep *sws, int quick, uint64_t samples, int trunc_bits)
{
    static const char *const bf16[] = {"bf16", NULL};
    static const char *const acts[] = {"bf16",       "e4m3",       "e5m2", "mxfp8_e4m3",
                                       "mxfp8_e5m2", "mxfp6_e2m3", "nvfp4", NULL};
    static const char *const wts[] = {"bf16",       "bfp8_16", "msfp12", "mxint8",
                                      "mxfp6_e2m3", "mxfp4",   "nvfp4",  NULL};
    sweep *s = &sws[0];
    memset(sws, 0, 3 * sizeof *sws);

    s->name = "growth";
    s->title = "Error growth with K for each accumulator (bf16 x bf16, normal inputs)";
    set_fmts(s->a, &s->na, bf16);
    set_fmts(s->b, &s->nb, bf16);
    add_all_accs(s, trunc_bits);
    for (size_t k = 16; k <= (quick ? (size_t)4096 : ACC_MAX_K); k *= 4)
        s->k[s->nk++] = k;
    s->dist[s->nd++] = DIST_NORMAL;
    s->samples = samples;
    s->max_work = quick ? (uint64_t)1 << 14 : (uint64_t)1 << 22;

    s = &sws[1];
    s->name = "fp8act";
    s->title = "Storage of activations (A) in FP8, FP6 and FP4 against bf16, bf16 weights (B)";
    set_fmts(s->a, &s->na, acts);
    set_fmts(s->b, &s->nb, bf16);
    add_acc(s, ACC_EXACT, 0);
    add_acc(s, ACC_F32SEQ, 0);
    add_acc(s, ACC_F32BLK32, 0);
    add_acc(s, ACC_TRUNC, trunc_bits);
    s->k[s->nk++] = quick ? 256 : 4096;
    s->dist[s->nd++] = DIST_NORMAL;
    s->dist[s->nd++] = DIST_OUTLIER;
    s->dist[s->nd++] = DIST_LLM;
    s->samples = samples;

    s = &sws[2];
    s->name = "bfpweights";
    s->title = "Block formats for MoE-style weight matrices (B), bf16 activations (A)";
    set_fmts(s->a, &s->na, bf16);
    set_fmts(s->b, &s->nb, wts);
    add_acc(s, ACC_EXACT, 0);
    add_acc(s, ACC_F32SEQ, 0);
    s->k[s->nk++] = quick ? 256 : 4096;
    s->dist[s->nd++] = DIST_NORMAL;
    s->dist[s->nd++] = DIST_LAPLACE;
    s->samples = samples;
    return 3;
}

/* ------------------------------------------------------------ run */

static int dir_nonempty(const char *path, int *exists)
{
    struct stat sb;
    *exists = stat(path, &sb) == 0;
    if (!*exists)
        return 0;
    if (!S_ISDIR(sb.st_mode))
        return -1;
    /* A directory is empty when it holds nothing but . and .. */
    char probe[4200];
    static const char *const names[] = {"accuracy.csv", "report.md", "samples.csv",
                                        "softmax.csv", "plots", NULL};
    for (int i = 0; names[i]; i++) {
        snprintf(probe, sizeof probe, "%s/%s", path, names[i]);
        if (stat(probe, &sb) == 0)
            return 1;
    }
    return 0;
}

static int load_tensor(const char *spec, tio_tensor *t)
{
    char err[512];
    if (tio_load(spec, t, err, sizeof err) != 0) {
        cli_error("accuracy: %s", err);
        return -1;
    }
    if (t->n == 0) {
        cli_error("accuracy: %s: the tensor is empty", spec);
        tio_free(t);
        return -1;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_accuracy;
    const char *a_list = NULL, *b_list = NULL, *acc_s = NULL, *k_s = NULL, *dist_s = NULL;
    const char *ta = NULL, *tb = NULL, *out_name = NULL, *out_dir = NULL;
    uint64_t seed = 1, samples = 0, tbits = ACC_DEFAULT_TRUNC;
    int quick = 0, force = 0, study = 0, per_sample = 0, quiet = 0;
    settings st;
    memset(&st, 0, sizeof st);
    st.rule = TP_SCALE_FLOOR;
    const cli_option opts[] = {
        {NULL, "--a", CLI_OPT_STRING, &a_list},
        {NULL, "--b", CLI_OPT_STRING, &b_list},
        {NULL, "--acc", CLI_OPT_STRING, &acc_s},
        {NULL, "--k", CLI_OPT_STRING, &k_s},
        {NULL, "--dist", CLI_OPT_STRING, &dist_s},
        {NULL, "--tensor-a", CLI_OPT_STRING, &ta},
        {NULL, "--tensor-b", CLI_OPT_STRING, &tb},
        {NULL, "--samples", CLI_OPT_U64, &samples},
        {NULL, "--seed", CLI_OPT_U64, &seed},
        {NULL, "--scale-rule", CLI_OPT_SCALE_RULE, &st.rule},
        {NULL, "--out", CLI_OPT_STRING, &out_name},
        {NULL, "--out-dir", CLI_OPT_STRING, &out_dir},
        {NULL, "--trunc-bits", CLI_OPT_U64, &tbits},
        {NULL, "--quick", CLI_OPT_SWITCH, &quick},
        {NULL, "--study", CLI_OPT_SWITCH, &study},
        {NULL, "--per-sample", CLI_OPT_SWITCH, &per_sample},
        {NULL, "--force", CLI_OPT_SWITCH, &force},
        {"-q", "--quiet", CLI_OPT_SWITCH, &quiet},
        {NULL, NULL, CLI_OPT_SWITCH, NULL},
    };
    int rc = cli_parse_options(c, argc, argv, opts, NULL);
    if (rc != CLI_EXIT_OK)
        return rc;
    st.seed = seed;
    st.ta_spec = ta;
    st.tb_spec = tb;
    st.argc = argc;
    st.argv = argv;
    st.out_dir = out_dir;
    st.force = force;
    st.per_sample = per_sample;
    if (tbits < 2 || tbits > 24)
        return cli_usage_error(c, "--trunc-bits needs 2 to 24 bits, not %llu",
                               (unsigned long long)tbits);
    st.trunc_bits = (int)tbits;
    if (samples > ACC_MAX_SAMPLES)
        return cli_usage_error(c, "--samples: at most 16777216 (2^24)");
    if (out_name == NULL)
        out_name = "f32";
    if (cli_parse_format(c, out_name, &st.out) != 0)
        return CLI_EXIT_USAGE;
    st.outd = tp_format_get(st.out);
    if (st.outd->kind != TP_KIND_FLOAT || !st.outd->sign || (st.outd->flags & TP_DESC_NO_ZERO))
        return cli_usage_error(c, "--out needs a signed floating-point format, not '%s'",
                               out_name);
    if (tb != NULL && ta == NULL)
        return cli_usage_error(c, "--tensor-b needs --tensor-a");
    if (study && (a_list || b_list || acc_s || k_s || dist_s || ta))
        return cli_usage_error(c, "--study sets the formats, accumulators, lengths and "
                                  "distributions itself (it takes --samples, --seed, "
                                  "--scale-rule, --out, --trunc-bits, --quick)");
    if (samples == 0)
        samples = quick ? 16 : 64;
    if (study && out_dir == NULL)
        return cli_usage_error(c, "--study writes several files: give --out-dir DIR");

    static sweep sws[4];
    int nsw = 0;
    if (study) {
        nsw = study_preset(sws, quick, samples, st.trunc_bits);
    } else {
        sweep *s = &sws[0];
        memset(s, 0, sizeof *s);
        s->name = "accuracy";
        s->title = "Results";
        s->samples = samples;
        fmt_list la = {s->a, &s->na}, lb = {s->b, &s->nb};
        acc_list al = {s, st.trunc_bits};
        if (each_item(c, a_list ? a_list : "bf16", fmt_item, &la) != 0 ||
            each_item(c, b_list ? b_list : "bf16", fmt_item, &lb) != 0 ||
            each_item(c, acc_s ? acc_s : "all", acc_item, &al) != 0 ||
            each_item(c, dist_s ? dist_s : "normal", dist_item, s) != 0)
            return CLI_EXIT_USAGE;
        if (k_s != NULL) {
            if (each_item(c, k_s, k_item, s) != 0)
                return CLI_EXIT_USAGE;
        } else if (ta == NULL) {
            each_item(c, quick ? "16,256" : "16,256,4096,65536", k_item, s);
        }
        if (ta != NULL && s->nk > 1)
            return cli_usage_error(c, "with tensors, --k takes one length (the row length)");
        nsw = 1;
    }

    /* Tensors. */
    if (ta != NULL) {
        if (load_tensor(ta, &st.ta) != 0)
            return CLI_EXIT_DATA;
        st.have_ta = 1;
        if (tb != NULL) {
            if (load_tensor(tb, &st.tb) != 0) {
                tio_free(&st.ta);
                return CLI_EXIT_DATA;
            }
            st.have_tb = 1;
        }
        size_t k = sws[0].nk ? sws[0].k[0]
                             : (st.ta.ndim ? st.ta.shape[st.ta.ndim - 1] : (size_t)1);
        const char *bad = NULL;
        if (k == 0 || k > ACC_MAX_K)
            bad = "the row length must be 1 to 2^20";
        else if (st.ta.n % k != 0)
            bad = "tensor A does not split into rows of K values";
        else if (st.have_tb && st.tb.n % k != 0)
            bad = "tensor B does not split into rows of K values";
        if (bad != NULL) {
            cli_error("accuracy: %s (K = %zu; tensor A holds %zu values%s)", bad, k, st.ta.n,
                      st.have_tb ? ", see also tensor B" : "");
            tio_free(&st.ta);
            tio_free(&st.tb);
            return CLI_EXIT_DATA;
        }
        st.tk = k;
        sws[0].k[0] = k;
        sws[0].nk = 1;
    }

    /* Output. */
    int exists = 0, status = CLI_EXIT_DATA;
    outfile csv = {0}, smp = {0}, smf = {0};
    smrow sm[32];
    int nsm = 0;
    FILE *csv_fp = stdout, *smp_fp = NULL;
    rows rs = {0};
    cell_ctx x;
    progress prog = {0, 0, 0, -1};
    memset(&x, 0, sizeof x);
    if (out_dir != NULL) {
        int ne = dir_nonempty(out_dir, &exists);
        if (ne < 0) {
            cli_error("accuracy: '%s' exists and is not a directory", out_dir);
            goto done;
        }
        if (ne > 0 && !force) {
            cli_error("accuracy: '%s' already holds results (use --force to replace them)",
                      out_dir);
            goto done;
        }
        if (!exists && mkdir(out_dir, 0777) != 0) {
            cli_error("accuracy: cannot create '%s': %s", out_dir, strerror(errno));
            goto done;
        }
        if (out_open(&csv, out_dir, "accuracy.csv") != 0)
            goto done;
        csv_fp = csv.fp;
        if (per_sample) {
            if (out_open(&smp, out_dir, "samples.csv") != 0)
                goto done;
            smp_fp = smp.fp;
        }
    } else {
        cli_line_buffered_stdout();
        if (per_sample)
            smp_fp = stdout;
    }
    if (smp_fp != NULL)
        fputs(sample_header, smp_fp);

    prog.on = !quiet && isatty(2);
    for (int w = 0; w < nsw; w++)
        prog.total += sweep_work(&sws[w], &st);
    if (study)
        prog.total += 2.0 * (double)samples * SM_K * SM_KEYS * 4;
    x.st = &st;
    x.rs = &rs;
    x.samples_fp = smp_fp;
    x.prog = &prog;
    for (int w = 0; w < nsw; w++) {
        if (run_sweep(&x, &sws[w]) != 0) {
            progress_end(&prog);
            goto done;
        }
    }
    if (study && run_softmax(&st, samples, sm, &nsm, &prog) != 0) {
        progress_end(&prog);
        goto done;
    }
    progress_end(&prog);
    if (x.skipped)
        fprintf(stderr, CLI_PROG " accuracy: note: %llu samples skipped (a non-finite exact "
                        "value: Inf or NaN in the inputs)\n",
                (unsigned long long)x.skipped);

    if (!(per_sample && out_dir == NULL)) {
        fputs(csv_header, csv_fp);
        for (size_t i = 0; i < rs.n; i++)
            print_row(csv_fp, &rs.v[i], st.outd->name);
    }
    if (out_dir == NULL) {
        status = cli_finish_stdout();
        goto done;
    }
    if (out_commit(&csv) != 0)
        goto done;
    if (per_sample && out_commit(&smp) != 0)
        goto done;
    if (nsm > 0) {
        if (out_open(&smf, out_dir, "softmax.csv") != 0)
            goto done;
        fputs(sm_header, smf.fp);
        for (int i = 0; i < nsm; i++)
            print_smrow(smf.fp, &sm[i]);
        if (out_commit(&smf) != 0)
            goto done;
    }
    int plots = 0;
    if (have_gnuplot()) {
        plots = write_plots(&st, sws, nsw, &rs);
        if (plots < 0)
            goto done;
    } else {
        fprintf(stderr, CLI_PROG " accuracy: note: gnuplot not found; no plots (the CSV and the "
                        "report are written)\n");
    }
    outfile rep;
    if (out_open(&rep, out_dir, "report.md") != 0)
        goto done;
    write_report(rep.fp, &st, sws, nsw, &rs, plots > 0, sm, nsm);
    if (out_commit(&rep) != 0)
        goto done;
    status = CLI_EXIT_OK;
done:
    out_abandon(&csv);
    out_abandon(&smp);
    out_abandon(&smf);
    operand_free(&x.A);
    operand_free(&x.B);
    free(x.tmp);
    free(x.tot);
    free(x.rel);
    free(x.quant);
    free(x.accu);
    free(x.ncr);
    free(rs.v);
    tio_free(&st.ta);
    tio_free(&st.tb);
    return status;
}

const cli_command cli_cmd_accuracy = {
    "accuracy",
    run,
    "accuracy [--a FMTS] [--b FMTS] [--acc LIST] [--k LIST] [--dist LIST] [opts]",
    "dot-product error of storage formats and accumulators against the exact value",
    "Sweeps every combination of the storage format of A (--a) and of B (--b),\n"
    "the input distribution (--dist) and the length K (--k), draws --samples\n"
    "pairs of binary32 vectors for each, quantises them (RNE, each format's\n"
    "default overflow policy; block formats with --scale-rule; NVFP4 with the\n"
    "per-vector tensor scale of its recipe) and computes each dot product with\n"
    "every accumulator (--acc).  Output: one CSV row per (cell, accumulator), on\n"
    "stdout, or with --out-dir as DIR/accuracy.csv plus DIR/report.md and\n"
    "gnuplot plots (PNG and SVG) of the error against K.\n"
    "\n"
    "Exact values.  E0 is the exact dot product of the original binary32\n"
    "vectors; Eq that of the quantised vectors.  Each output y is rounded to\n"
    "the output format (--out, RNE).\n"
    "\n"
    "Metrics (per output; ulp(x) is the spacing of the output format in the\n"
    "binade of x, its subnormal spacing below the normal range):\n"
    "  tot_ulp    |y - E0| / ulp(E0)   total error\n"
    "  rel        |y - E0| / |E0|      relative error (0/0 = 0, x/0 = inf)\n"
    "  quant_ulp  |Eq - E0| / ulp(E0)  quantisation error (no accumulator)\n"
    "  acc_ulp    |y - RNE(Eq)| / ulp(Eq)  accumulation error: what the\n"
    "             accumulator adds to the one unavoidable rounding (0 when y is\n"
    "             Eq correctly rounded)\n"
    "  not_cr_pct share of outputs y != RNE(Eq), in percent\n"
    "Differences are exact, then rounded to binary64.  Each metric is summarised\n"
    "by its mean and nearest-rank percentiles (pN = the ceil(N n / 100)-th\n"
    "smallest of n; max = p100).  Samples whose exact value is Inf or NaN are\n"
    "skipped and counted on stderr.\n"
    "\n"
    "Accumulators (all but exact see the dequantised values as binary32):\n"
    "  exact     the library's exact dot product of the codes, rounded once\n"
    "  f32seq    s = fmaf(a_i, b_i, s) for i = 0, 1, ... (one rounding per term)\n"
    "  f32pair   p_i = a_i * b_i in binary32, then adjacent pairs added level by\n"
    "            level in binary32 (an odd last element moves up unchanged)\n"
    "  f32blk32  each block of 32 terms summed exactly and rounded to binary32,\n"
    "            the block sums added in order in binary32 (as MX hardware)\n"
    "  bf16, f16 s = RNE_fmt(s + a_i * b_i), the product and the sum exact before\n"
    "            the one rounding to bfloat16 / binary16 per term\n"
    "  trunc:B   s = RTZ_B(s + a_i * b_i): the exact sum truncated to B significand\n"
    "            bits (leading bit included) on binary32's exponent range, a model\n"
    "            of the limited accumulator of FP8 tensor cores; 'trunc' uses\n"
    "            --trunc-bits\n"
    "  all       every one of the above (the default)\n"
    "\n"
    "Distributions (per vector, binary32; the inputs depend only on --seed, the\n"
    "distribution, K and the sample, so every format sees the same inputs):\n"
    "  normal            N(0, 1) (the default)\n"
    "  laplace           Laplace with unit variance (heavy-tailed)\n"
    "  outlier-channels  A: N(0, 1) with about 1/64 of the channels (at least\n"
    "                    one, fixed per K) scaled by 32; B: N(0, 1)\n"
    "  llm               A: N(0, 1) with about 1/1024 of the channels (at least\n"
    "                    one, fixed per K) replaced by +-2^(6 + 4u), u uniform in\n"
    "                    [0, 1) (huge outliers of 64 to 1024); B: N(0, 1)\n"
    "  all               the four above\n"
    "\n"
    "Real tensors (.npy float32/float16, .safetensors F32/F16/BF16): with\n"
    "--tensor-a and --tensor-b, sample s is the dot product of row s mod R_A of\n"
    "A with row (s div R_A) mod R_B of B (rows of K values, K = the last\n"
    "dimension of A unless --k gives one), at most R_A * R_B samples; with\n"
    "--tensor-a alone B is drawn from each --dist.\n"
    "\n"
    "Options:\n"
    "      --a FMTS         storage formats of A, comma-separated: element formats\n"
    "                       (f32, bf16, f16, e4m3, ...) or block formats\n"
    "                       (mxfp8_e4m3, mxfp4, nvfp4, bfp8_16, ...), a block\n"
    "                       format optionally with its scale rule, as mxfp4@rceil\n"
    "                       (default bf16)\n"
    "      --b FMTS         storage formats of B (default bf16)\n"
    "      --acc LIST       accumulators (default all)\n"
    "      --k LIST         lengths, 1 to 1048576 (default 16,256,4096,65536; with\n"
    "                       --quick 16,256); a K that is not a multiple of a block\n"
    "                       size is skipped with a note\n"
    "      --dist LIST      distributions (default normal)\n"
    "      --tensor-a FILE[:NAME]\n"
    "                       real tensor for A (NAME picks a safetensors tensor)\n"
    "      --tensor-b FILE[:NAME]\n"
    "                       real tensor for B\n"
    "      --samples N      dot products per cell (default 64; with --quick 16)\n"
    "      --seed N         seed of the inputs (default 1)\n"
    "      --scale-rule R   block scale rule of formats without @RULE: floor\n"
    "                       (default), rceil, ceil, even\n"
    "      --out FMT        output format whose ulps are counted (default f32)\n"
    "      --trunc-bits B   bits of 'trunc' (default 14; 2 to 24)\n"
    "      --out-dir DIR    write DIR/accuracy.csv, DIR/report.md and DIR/plots/;\n"
    "                       refuses a DIR that already holds results unless --force;\n"
    "                       files are written under temporary names and renamed\n"
    "      --force          replace earlier results in DIR\n"
    "      --per-sample     also write every output: DIR/samples.csv, or instead of\n"
    "                       the summary on stdout (columns study, a, b, dist, k,\n"
    "                       sample, acc, out, value = y, exact = E0 and exact_quant\n"
    "                       = Eq, each rounded to binary64, %.17g)\n"
    "      --quick          small defaults for a fast check\n"
    "      --study          the preset study (needs --out-dir): error growth with K\n"
    "                       (bf16, every accumulator, K = 16 .. 2^20, samples\n"
    "                       capped at max(4, 2^22 / K)); FP8/FP6/FP4 storage of\n"
    "                       activations; block formats for weight matrices;\n"
    "                       attention logits in f32, bf16, f16, e4m3 and e5m2\n"
    "                       judged by the softmax outputs (DIR/softmax.csv)\n"
    "  -q, --quiet          no progress bar (it is shown only when stderr is a\n"
    "                       terminal)\n"
    "  -h, --help           print this help\n"
    "\n"
    "Plots need gnuplot; without it the tool says so and writes the CSV and the\n"
    "report.  Exit status: 0, 1 for bad data (an unreadable tensor, an output\n"
    "that cannot be written), 2 for usage errors.\n",
};
