/*
 * block_cmd.c -- `truepoint quantize` and `truepoint dequantize`: block
 * formats (OCP MX, NVFP4, BFP, ggml) one block per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_BS 256

unsigned cli_block_elem_width(const tp_block_desc *b)
{
    if (b->format == TP_BLOCK_BFP)
        return b->mant_bits;
    if (b->format == TP_BLOCK_GGML_Q8_0)
        return 8;
    return tp_format_get((tp_format)b->elem)->bits;
}

/* Bytes of one block in the library's layout (elements; scale separate
 * except for ggml). */
static size_t block_bytes(const tp_block_desc *b)
{
    size_t sb = 0, eb = 0;
    tp_block_storage(b, b->block_size, &sb, &eb);
    return eb;
}

/* Reads the codes of one block out of the library's layout. */
static void unpack_block(const tp_block_desc *b, const uint8_t *scale, const uint8_t *el,
                         unsigned *sc, uint64_t *codes)
{
    int bs = b->block_size;
    unsigned w = cli_block_elem_width(b);
    if (b->format == TP_BLOCK_GGML_MXFP4) {
        *sc = el[0];
        for (int j = 0; j < 16; j++) {
            codes[j] = el[1 + j] & 0xF;
            codes[j + 16] = el[1 + j] >> 4;
        }
        return;
    }
    if (b->format == TP_BLOCK_GGML_Q8_0) {
        *sc = (unsigned)el[0] | ((unsigned)el[1] << 8);
        for (int j = 0; j < 32; j++)
            codes[j] = el[2 + j];
        return;
    }
    *sc = scale[0];
    for (int j = 0; j < bs; j++) {
        if (w == 4 && b->format != TP_BLOCK_BFP)
            codes[j] = (j % 2 == 0) ? (el[j / 2] & 0xF) : (uint64_t)(el[j / 2] >> 4);
        else if (w <= 8)
            codes[j] = el[j];
        else
            codes[j] = (uint64_t)el[2 * j] | ((uint64_t)el[2 * j + 1] << 8);
    }
}

/* The inverse of unpack_block. */
void cli_block_pack(const tp_block_desc *b, unsigned sc, const uint64_t *codes, uint8_t *scale,
                    uint8_t *el)
{
    int bs = b->block_size;
    unsigned w = cli_block_elem_width(b);
    memset(el, 0, block_bytes(b));
    if (b->format == TP_BLOCK_GGML_MXFP4) {
        el[0] = (uint8_t)sc;
        for (int j = 0; j < 16; j++)
            el[1 + j] = (uint8_t)(codes[j] | (codes[j + 16] << 4));
        return;
    }
    if (b->format == TP_BLOCK_GGML_Q8_0) {
        el[0] = (uint8_t)(sc & 0xFF);
        el[1] = (uint8_t)(sc >> 8);
        for (int j = 0; j < 32; j++)
            el[2 + j] = (uint8_t)codes[j];
        return;
    }
    scale[0] = (uint8_t)sc;
    for (int j = 0; j < bs; j++) {
        if (w == 4 && b->format != TP_BLOCK_BFP) {
            el[j / 2] |= (uint8_t)(codes[j] << (j % 2 ? 4 : 0));
        } else if (w <= 8) {
            el[j] = (uint8_t)codes[j];
        } else {
            uint16_t v = (uint16_t)codes[j];
            memcpy(el + 2 * j, &v, 2);
        }
    }
}

int cli_tensor_scale_line(const char *line, unsigned long lineno, float *ts)
{
    if (strncmp(line, "tensor_scale", 12) != 0)
        return 0;
    uint64_t v;
    const char *p = line + 12;
    while (*p == ' ' || *p == '\t')
        p++;
    if (cli_parse_hex(p, 1, &v) != 0 || v > 0xFFFFFFFFu) {
        cli_line_error(lineno, "tensor_scale needs binary32 hex bits");
        return -1;
    }
    uint32_t u = (uint32_t)v;
    memcpy(ts, &u, 4);
    if (!(*ts > 0.0f && *ts - *ts == 0.0f)) {
        cli_line_error(lineno, "tensor_scale must be finite and positive");
        return -1;
    }
    return 1;
}

/* Parses the options of quantize or dequantize (every stray argument is an
 * unknown option), then the required block format, whose name `opts` stores
 * in *fname.  Returns CLI_EXIT_OK, or CLI_EXIT_USAGE after reporting. */
static int parse_block_options(const cli_command *c, int argc, char **argv,
                               const cli_option *opts, const char *const *fname,
                               tp_block_desc *b)
{
    int rc = cli_parse_options(c, argc, argv, opts, NULL);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (*fname == NULL)
        return cli_usage_error(c, "a block format is required (-f FMT)");
    if (tp_block_from_name(*fname, b) == TP_OK)
        return CLI_EXIT_OK;
    return cli_usage_error(c, "unknown block format '%s' (use mxfp8_e4m3, mxfp8_e5m2, "
                              "mxfp6_e2m3, mxfp6_e3m2, mxfp4, mxint8, nvfp4, nvfp4_torchao, "
                              "bfpM_K, msfp12, msfp16, ggml_mxfp4 or ggml_q8_0)",
                           *fname);
}

/* NVFP4: the first input line may be "tensor_scale 0x..." (sets *ts).
 * Returns 1 for that line, 0 for another, -1 after reporting an error. */
static int leading_tensor_scale(int *first, const tp_block_desc *b, const char *line,
                                unsigned long lineno, float *ts)
{
    int t = 0;
    if (*first && b->format == TP_BLOCK_NVFP4)
        t = cli_tensor_scale_line(line, lineno, ts);
    *first = 0;
    return t;
}

/* The wording of "too many values (... N)" for a block line. */
static const char *block_limit_text(const char *name)
{
    return name != NULL ? "a block has" : "expected";
}

int cli_block_code_line(const tp_block_desc *b, const char *name, const char *line,
                        unsigned long lineno, uint8_t *scale, uint8_t *el)
{
    int bs = b->block_size;
    unsigned w = cli_block_elem_width(b);
    uint64_t emask = (UINT64_C(1) << w) - 1;
    uint64_t smask = b->format == TP_BLOCK_GGML_Q8_0 ? 0xFFFF : 0xFF;
    uint64_t vals[MAX_BS + 2];
    int n = cli_hex_fields(line, lineno, vals, MAX_BS + 1, block_limit_text(name));
    if (n < 0)
        return -1;
    if (n != bs + 1) {
        cli_line_error(lineno, "a %s line is a scale and %d codes, not %d values",
                       name != NULL ? name : "block", bs, n);
        return -1;
    }
    if (vals[0] > smask) {
        cli_line_error(lineno, "scale code 0x%llx is too wide", (unsigned long long)vals[0]);
        return -1;
    }
    for (int j = 1; j <= bs; j++) {
        if (vals[j] > emask) {
            cli_line_error(lineno, "code 0x%llx is wider than %u bits",
                           (unsigned long long)vals[j], w);
            return -1;
        }
    }
    cli_block_pack(b, (unsigned)vals[0], vals + 1, scale, el);
    return 0;
}

int cli_block_f32_line(int bs, const char *name, const char *line, unsigned long lineno,
                       float *x)
{
    uint64_t vals[MAX_BS + 1];
    int n = cli_hex_fields(line, lineno, vals, MAX_BS, block_limit_text(name));
    if (n < 0)
        return -1;
    if (n != bs) {
        if (name != NULL)
            cli_line_error(lineno, "a %s block has %d values, not %d", name, bs, n);
        else
            cli_line_error(lineno, "a line of binary32 values has %d values, not %d", bs, n);
        return -1;
    }
    for (int j = 0; j < bs; j++) {
        if (vals[j] > 0xFFFFFFFFu) {
            cli_line_error(lineno, "value %d is not binary32 hex bits", j + 1);
            return -1;
        }
        uint32_t u = (uint32_t)vals[j];
        memcpy(&x[j], &u, 4);
    }
    return 0;
}

/* ============================================================ quantize */

/* The state of `quantize` over its input lines. */
typedef struct quant_ctx {
    tp_block_desc b;
    const char *fname;
    tp_scale_rule rule;
    tp_round rnd;
    uint64_t seed;
    int show_flags;
    int first, have_ts;
    float ts;
    float *all; /* NVFP4 without a given tensor scale: the whole input */
    size_t nall, cap;
    uint64_t blk; /* blocks quantised so far */
} quant_ctx;

static void print_tensor_scale(float ts)
{
    uint32_t u;
    memcpy(&u, &ts, 4);
    printf("tensor_scale 0x%08x\n", (unsigned)u);
}

/* Quantises and prints the next block. */
static int quantize_block(quant_ctx *q, const float *x)
{
    const tp_block_desc *b = &q->b;
    uint8_t scale[1], el[2 * MAX_BS];
    tp_sr sr = {NULL, q->seed, q->blk * (uint64_t)b->block_size};
    unsigned flags = 0, sc;
    uint64_t codes[MAX_BS];
    tp_status st = tp_block_quantize_f32(b, x, b->block_size, scale, el, q->ts, q->rule, q->rnd,
                                         &sr, &flags);
    if (st != TP_OK) {
        cli_error("quantize failed: %s", tp_status_string(st));
        return CLI_EXIT_DATA;
    }
    q->blk++;
    unpack_block(b, scale, el, &sc, codes);
    printf("0x%0*x", b->format == TP_BLOCK_GGML_Q8_0 ? 4 : 2, sc);
    int digits = cli_block_elem_width(b) > 8 ? 4 : 2;
    for (int j = 0; j < b->block_size; j++)
        printf(" 0x%0*llx", digits, (unsigned long long)codes[j]);
    cli_print_flags(q->show_flags, flags);
    putchar('\n');
    return CLI_EXIT_OK;
}

static int quantize_line(void *ctx, const char *line, unsigned long lineno)
{
    quant_ctx *q = (quant_ctx *)ctx;
    int bs = q->b.block_size;
    float x[MAX_BS];
    int t = leading_tensor_scale(&q->first, &q->b, line, lineno, &q->ts);
    if (t != 0) {
        if (t < 0)
            return -1;
        q->have_ts = 1;
        print_tensor_scale(q->ts);
        return 0;
    }
    if (cli_block_f32_line(bs, q->fname, line, lineno, x) != 0)
        return -1;
    if (q->b.format == TP_BLOCK_NVFP4 && !q->have_ts) {
        if (q->nall + (size_t)bs > q->cap) {
            size_t ncap = q->cap ? 2 * q->cap : 1024;
            float *na = realloc(q->all, ncap * sizeof *na);
            if (na == NULL) {
                cli_line_error(lineno, "out of memory");
                return -1;
            }
            q->all = na;
            q->cap = ncap;
        }
        memcpy(q->all + q->nall, x, (size_t)bs * sizeof *x);
        q->nall += (size_t)bs;
        return 0;
    }
    return quantize_block(q, x) == CLI_EXIT_OK ? 0 : -1;
}

static int run_quantize(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_quantize;
    quant_ctx q;
    int status, rc;

    memset(&q, 0, sizeof q);
    q.rule = TP_SCALE_FLOOR;
    q.rnd = TP_RNE;
    q.first = 1;
    q.ts = 1.0f;
    const cli_option opts[] = {
        {"-f", "--format", CLI_OPT_STRING, &q.fname},
        {NULL, "--scale-rule", CLI_OPT_SCALE_RULE, &q.rule},
        {"-r", "--round", CLI_OPT_ROUND, &q.rnd},
        {NULL, "--seed", CLI_OPT_U64, &q.seed},
        {NULL, "--flags", CLI_OPT_SWITCH, &q.show_flags},
        {NULL, NULL, CLI_OPT_SWITCH, NULL},
    };
    if ((rc = parse_block_options(c, argc, argv, opts, &q.fname, &q.b)) != CLI_EXIT_OK)
        return rc;

    if ((status = cli_each_line(quantize_line, &q)) != CLI_EXIT_OK) {
        free(q.all);
        return status;
    }
    if (q.nall > 0) { /* NVFP4 without a given tensor scale: the whole input read */
        size_t bs = q.b.block_size;
        tp_nvfp4_tensor_scale(&q.b, q.all, q.nall, &q.ts);
        print_tensor_scale(q.ts);
        for (size_t k = 0; k < q.nall && status == CLI_EXIT_OK; k += bs)
            status = quantize_block(&q, q.all + k);
    }
    free(q.all);
    rc = cli_finish_stdout();
    return status != CLI_EXIT_OK ? status : rc;
}

/* ============================================================ dequantize */

/* The state of `dequantize` over its input lines. */
typedef struct dequant_ctx {
    tp_block_desc b;
    const char *fname;
    int to_f64, show_flags, first;
    float ts;
} dequant_ctx;

static int dequantize_line(void *ctx, const char *line, unsigned long lineno)
{
    dequant_ctx *dq = (dequant_ctx *)ctx;
    int bs = dq->b.block_size;
    int t = leading_tensor_scale(&dq->first, &dq->b, line, lineno, &dq->ts);
    if (t != 0)
        return t < 0 ? -1 : 0;
    uint8_t scale[1], el[2 * MAX_BS];
    if (cli_block_code_line(&dq->b, dq->fname, line, lineno, scale, el) != 0)
        return -1;
    unsigned flags = 0;
    tp_status st;
    if (dq->to_f64) {
        double y[MAX_BS];
        st = tp_block_dequantize_f64(&dq->b, scale, el, (size_t)bs, dq->ts, y, &flags);
        for (int j = 0; st == TP_OK && j < bs; j++) {
            uint64_t u;
            memcpy(&u, &y[j], 8);
            printf("%s0x%016llx", j ? " " : "", (unsigned long long)u);
        }
    } else {
        float y[MAX_BS];
        st = tp_block_dequantize_f32(&dq->b, scale, el, (size_t)bs, dq->ts, y, &flags);
        for (int j = 0; st == TP_OK && j < bs; j++) {
            uint32_t u;
            memcpy(&u, &y[j], 4);
            printf("%s0x%08x", j ? " " : "", (unsigned)u);
        }
    }
    if (st != TP_OK) {
        cli_line_error(lineno, "%s", tp_status_string(st));
        return -1;
    }
    cli_print_flags(dq->show_flags, flags);
    putchar('\n');
    return 0;
}

static int run_dequantize(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_dequantize;
    dequant_ctx dq;
    int rc;

    memset(&dq, 0, sizeof dq);
    dq.first = 1;
    dq.ts = 1.0f;
    const cli_option opts[] = {
        {"-f", "--format", CLI_OPT_STRING, &dq.fname},
        {NULL, "--to", CLI_OPT_F64, &dq.to_f64},
        {NULL, "--flags", CLI_OPT_SWITCH, &dq.show_flags},
        {NULL, NULL, CLI_OPT_SWITCH, NULL},
    };
    if ((rc = parse_block_options(c, argc, argv, opts, &dq.fname, &dq.b)) != CLI_EXIT_OK)
        return rc;
    if ((rc = cli_each_line(dequantize_line, &dq)) != CLI_EXIT_OK)
        return rc;
    return cli_finish_stdout();
}

#define FORMATS_HELP                                                                          \
    "Block formats (-f): mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, mxfp6_e3m2, mxfp4, mxint8\n"       \
    "(32 values a block, E8M0 scale); nvfp4 (Transformer Engine recipe) and\n"                  \
    "nvfp4_torchao (16 values, UE4M3 scale, binary32 tensor scale); bfpM_K (M-bit\n"            \
    "signed mantissas 2..16, K values 8..256), msfp12, msfp16, ONNX Runtime names\n"             \
    "BFP_S_M_8_K; ggml_mxfp4 and ggml_q8_0 (32 values; q8_0's scale is binary16 bits).\n"       \
    "See doc/blocks.md.\n"

const cli_command cli_cmd_quantize = {
    "quantize",
    run_quantize,
    "quantize -f FMT [--scale-rule floor|rceil|ceil|even] [-r MODE] [--seed N] [--flags] < blocks",
    "quantize blocks of binary32 values to a block format",
    "Reads one block per line: the block's binary32 values as whitespace-separated\n"
    "hex bits.  Prints one line per block: the scale code, then the element codes,\n"
    "in hex.\n"
    "\n"
    "  -f, --format FMT     block format (required)\n"
    "      --scale-rule R   shared-exponent rule: floor (OCP, default), rceil, ceil,\n"
    "                       even (ignored by nvfp4 and ggml_q8_0)\n"
    "  -r, --round MODE     element rounding: rne (default), rna, rtz, rup, rdn, rto, sr\n"
    "      --seed N         seed of the stochastic-rounding generator (element i of\n"
    "                       the input uses counter i)\n"
    "      --flags          append the flags of each block as a last column\n"
    "  -h, --help           print this help\n"
    "\n"
    "NVFP4: a first line 'tensor_scale 0x...' sets the binary32 per-tensor decode\n"
    "scale; otherwise it is computed from the whole input (which is then read\n"
    "before any output).  Either way the output starts with that line.\n"
    "\n" FORMATS_HELP,
};

const cli_command cli_cmd_dequantize = {
    "dequantize",
    run_dequantize,
    "dequantize -f FMT [--to f32|f64] [--flags] < blocks",
    "dequantize blocks (scale and element codes) to binary32 or binary64",
    "Reads one block per line: the scale code then the element codes, in hex (the\n"
    "output of quantize).  Prints one line per block: the values as hex bits.\n"
    "\n"
    "  -f, --format FMT     block format (required)\n"
    "      --to f32|f64     binary32 (default; one RNE rounding: values beyond its\n"
    "                       range become +-Inf and raise overflow) or binary64 (exact)\n"
    "      --flags          append the flags of each block as a last column\n"
    "  -h, --help           print this help\n"
    "\n"
    "NVFP4: a first line 'tensor_scale 0x...' sets the per-tensor scale (default 1).\n"
    "\n" FORMATS_HELP,
};
