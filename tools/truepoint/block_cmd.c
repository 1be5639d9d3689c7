/*
 * block_cmd.c -- `truepoint quantize` and `truepoint dequantize`: block
 * formats (OCP MX, NVFP4, BFP, ggml) one block per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_BS 256

/* Element code width of a block format. */
static unsigned elem_width(const tp_block_desc *b)
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
    unsigned w = elem_width(b);
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
static void pack_block(const tp_block_desc *b, unsigned sc, const uint64_t *codes, uint8_t *scale,
                       uint8_t *el)
{
    int bs = b->block_size;
    unsigned w = elem_width(b);
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

/* Splits a line into at most `max` whitespace-separated hex numbers.
 * Returns the count, or -1 after reporting a bad token. */
static int parse_hex_line(const char *line, unsigned long lineno, uint64_t *out, int max)
{
    int n = 0;
    const char *p = line;
    char tok[40];
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        size_t len = strcspn(p, " \t");
        if (len >= sizeof tok || n >= max) {
            cli_line_error(lineno, n >= max ? "too many values (a block has %d)" : "value too long",
                           max);
            return -1;
        }
        memcpy(tok, p, len);
        tok[len] = '\0';
        if (cli_parse_hex(tok, 0, &out[n]) != 0) {
            cli_line_error(lineno, "cannot parse '%s' as hex", tok);
            return -1;
        }
        n++;
        p += len;
    }
    return n;
}

/* "tensor_scale 0x..." lines: returns 1 and the value, 0 if the line is
 * something else, -1 after reporting an error. */
static int tensor_scale_line(const char *line, unsigned long lineno, float *ts)
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

static int parse_block_format(const cli_command *c, const char *name, tp_block_desc *b)
{
    if (tp_block_from_name(name, b) == TP_OK)
        return 0;
    cli_usage_error(c, "unknown block format '%s' (use mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, "
                       "mxfp6_e3m2, mxfp4, mxint8, nvfp4, nvfp4_torchao, bfpM_K, msfp12, msfp16, "
                       "ggml_mxfp4 or ggml_q8_0)", name);
    return -1;
}

static int parse_rule(const cli_command *c, const char *name, tp_scale_rule *r)
{
    static const char *const names[] = {"floor", "rceil", "ceil", "even"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0) {
            *r = (tp_scale_rule)i;
            return 0;
        }
    }
    cli_usage_error(c, "unknown scale rule '%s' (use floor, rceil, ceil or even)", name);
    return -1;
}

static void print_flags(int show, unsigned flags)
{
    char fb[48];
    if (show)
        printf(" %s", cli_flags_text(flags, fb, sizeof fb));
}

/* ============================================================ quantize */

/* Quantises and prints one block. */
static int quantize_block(const tp_block_desc *b, const float *x, float ts, tp_scale_rule rule,
                          tp_round rnd, uint64_t seed, uint64_t counter, int show_flags)
{
    uint8_t scale[1], el[2 * MAX_BS];
    tp_sr sr = {NULL, seed, counter};
    unsigned flags = 0, sc;
    uint64_t codes[MAX_BS];
    tp_status st = tp_block_quantize_f32(b, x, b->block_size, scale, el, ts, rule, rnd, &sr,
                                         &flags);
    if (st != TP_OK) {
        cli_error("quantize failed: %s", tp_status_string(st));
        return CLI_EXIT_DATA;
    }
    unpack_block(b, scale, el, &sc, codes);
    printf("0x%0*x", b->format == TP_BLOCK_GGML_Q8_0 ? 4 : 2, sc);
    int digits = elem_width(b) > 8 ? 4 : 2;
    for (int j = 0; j < b->block_size; j++)
        printf(" 0x%0*llx", digits, (unsigned long long)codes[j]);
    print_flags(show_flags, flags);
    putchar('\n');
    return CLI_EXIT_OK;
}

static int run_quantize(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_quantize;
    const char *fname = NULL, *val;
    tp_block_desc b;
    tp_scale_rule rule = TP_SCALE_FLOOR;
    tp_round rnd = TP_RNE;
    uint64_t seed = 0;
    int show_flags = 0, rc;

    for (int i = 1; i < argc; i++) {
        if ((rc = cli_opt_value(c, argc, argv, &i, "-f", "--format", &val)) != 0) {
            if (rc < 0)
                return CLI_EXIT_USAGE;
            fname = val;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, NULL, "--scale-rule", &val)) != 0) {
            if (rc < 0 || parse_rule(c, val, &rule) != 0)
                return CLI_EXIT_USAGE;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, "-r", "--round", &val)) != 0) {
            if (rc < 0 || cli_parse_round(c, val, &rnd) != 0)
                return CLI_EXIT_USAGE;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, NULL, "--seed", &val)) != 0) {
            if (rc < 0 || cli_parse_u64_opt(c, "--seed", val, &seed) != 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--flags") == 0) {
            show_flags = 1;
        } else {
            return cli_usage_error(c, "unknown option '%s'", argv[i]);
        }
    }
    if (fname == NULL)
        return cli_usage_error(c, "a block format is required (-f FMT)");
    if (parse_block_format(c, fname, &b) != 0)
        return CLI_EXIT_USAGE;

    cli_line_buffered_stdout();
    cli_reader r;
    cli_reader_init(&r, stdin);
    const char *line;
    int bs = b.block_size, nv = b.format == TP_BLOCK_NVFP4, have_ts = 0;
    float ts = 1.0f;
    float *all = NULL; /* NVFP4 without a given tensor scale: the whole input */
    size_t nall = 0, cap = 0;
    uint64_t vals[MAX_BS + 1];
    float x[MAX_BS];
    uint64_t blk = 0;
    int status = CLI_EXIT_OK, first = 1;

    while ((rc = cli_next_token(&r, &line)) == 1) {
        if (first && nv) {
            first = 0;
            int t = tensor_scale_line(line, r.lineno, &ts);
            if (t < 0) {
                status = CLI_EXIT_DATA;
                break;
            }
            if (t > 0) {
                uint32_t u;
                memcpy(&u, &ts, 4);
                have_ts = 1;
                printf("tensor_scale 0x%08x\n", (unsigned)u);
                continue;
            }
        }
        first = 0;
        int n = parse_hex_line(line, r.lineno, vals, MAX_BS);
        if (n < 0) {
            status = CLI_EXIT_DATA;
            break;
        }
        if (n != bs) {
            cli_line_error(r.lineno, "a %s block has %d values, not %d", fname, bs, n);
            status = CLI_EXIT_DATA;
            break;
        }
        for (int j = 0; j < bs; j++) {
            if (vals[j] > 0xFFFFFFFFu) {
                cli_line_error(r.lineno, "value %d is not binary32 hex bits", j + 1);
                status = CLI_EXIT_DATA;
                break;
            }
            uint32_t u = (uint32_t)vals[j];
            memcpy(&x[j], &u, 4);
        }
        if (status != CLI_EXIT_OK)
            break;
        if (nv && !have_ts) {
            if (nall + (size_t)bs > cap) {
                size_t ncap = cap ? 2 * cap : 1024;
                float *na = realloc(all, ncap * sizeof *na);
                if (na == NULL) {
                    cli_line_error(r.lineno, "out of memory");
                    status = CLI_EXIT_DATA;
                    break;
                }
                all = na;
                cap = ncap;
            }
            memcpy(all + nall, x, (size_t)bs * sizeof *x);
            nall += (size_t)bs;
            continue;
        }
        status = quantize_block(&b, x, ts, rule, rnd, seed, blk * (uint64_t)bs, show_flags);
        if (status != CLI_EXIT_OK)
            break;
        blk++;
    }
    if (rc < 0)
        status = CLI_EXIT_DATA;
    if (status == CLI_EXIT_OK && nv && !have_ts && nall > 0) {
        uint32_t u;
        tp_nvfp4_tensor_scale(&b, all, nall, &ts);
        memcpy(&u, &ts, 4);
        printf("tensor_scale 0x%08x\n", (unsigned)u);
        for (size_t k = 0; k < nall && status == CLI_EXIT_OK; k += (size_t)bs, blk++)
            status = quantize_block(&b, all + k, ts, rule, rnd, seed, blk * (uint64_t)bs,
                                    show_flags);
    }
    free(all);
    cli_reader_free(&r);
    rc = cli_finish_stdout();
    return status != CLI_EXIT_OK ? status : rc;
}

/* ============================================================ dequantize */

static int run_dequantize(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_dequantize;
    const char *fname = NULL, *val;
    tp_block_desc b;
    int to_f64 = 0, show_flags = 0, rc;

    for (int i = 1; i < argc; i++) {
        if ((rc = cli_opt_value(c, argc, argv, &i, "-f", "--format", &val)) != 0) {
            if (rc < 0)
                return CLI_EXIT_USAGE;
            fname = val;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, NULL, "--to", &val)) != 0) {
            if (rc < 0)
                return CLI_EXIT_USAGE;
            if (strcmp(val, "f64") == 0)
                to_f64 = 1;
            else if (strcmp(val, "f32") == 0)
                to_f64 = 0;
            else
                return cli_usage_error(c, "--to takes f32 or f64, not '%s'", val);
        } else if (strcmp(argv[i], "--flags") == 0) {
            show_flags = 1;
        } else {
            return cli_usage_error(c, "unknown option '%s'", argv[i]);
        }
    }
    if (fname == NULL)
        return cli_usage_error(c, "a block format is required (-f FMT)");
    if (parse_block_format(c, fname, &b) != 0)
        return CLI_EXIT_USAGE;

    cli_line_buffered_stdout();
    cli_reader r;
    cli_reader_init(&r, stdin);
    const char *line;
    int bs = b.block_size, first = 1, status = CLI_EXIT_OK;
    unsigned w = elem_width(&b);
    uint64_t emask = (UINT64_C(1) << w) - 1;
    uint64_t smask = b.format == TP_BLOCK_GGML_Q8_0 ? 0xFFFF : 0xFF;
    float ts = 1.0f;
    uint64_t vals[MAX_BS + 2];

    while ((rc = cli_next_token(&r, &line)) == 1) {
        if (first && b.format == TP_BLOCK_NVFP4) {
            first = 0;
            int t = tensor_scale_line(line, r.lineno, &ts);
            if (t < 0) {
                status = CLI_EXIT_DATA;
                break;
            }
            if (t > 0)
                continue;
        }
        first = 0;
        int n = parse_hex_line(line, r.lineno, vals, MAX_BS + 1);
        if (n < 0) {
            status = CLI_EXIT_DATA;
            break;
        }
        if (n != bs + 1) {
            cli_line_error(r.lineno, "a %s line is a scale and %d codes, not %d values", fname, bs,
                           n);
            status = CLI_EXIT_DATA;
            break;
        }
        if (vals[0] > smask) {
            cli_line_error(r.lineno, "scale code 0x%llx is too wide", (unsigned long long)vals[0]);
            status = CLI_EXIT_DATA;
            break;
        }
        for (int j = 1; j <= bs && status == CLI_EXIT_OK; j++) {
            if (vals[j] > emask) {
                cli_line_error(r.lineno, "code 0x%llx is wider than %u bits",
                               (unsigned long long)vals[j], w);
                status = CLI_EXIT_DATA;
            }
        }
        if (status != CLI_EXIT_OK)
            break;
        uint8_t scale[1], el[2 * MAX_BS];
        pack_block(&b, (unsigned)vals[0], vals + 1, scale, el);
        unsigned flags = 0;
        tp_status st;
        if (to_f64) {
            double y[MAX_BS];
            st = tp_block_dequantize_f64(&b, scale, el, (size_t)bs, ts, y, &flags);
            for (int j = 0; st == TP_OK && j < bs; j++) {
                uint64_t u;
                memcpy(&u, &y[j], 8);
                printf("%s0x%016llx", j ? " " : "", (unsigned long long)u);
            }
        } else {
            float y[MAX_BS];
            st = tp_block_dequantize_f32(&b, scale, el, (size_t)bs, ts, y, &flags);
            for (int j = 0; st == TP_OK && j < bs; j++) {
                uint32_t u;
                memcpy(&u, &y[j], 4);
                printf("%s0x%08x", j ? " " : "", (unsigned)u);
            }
        }
        if (st != TP_OK) {
            cli_line_error(r.lineno, "%s", tp_status_string(st));
            status = CLI_EXIT_DATA;
            break;
        }
        print_flags(show_flags, flags);
        putchar('\n');
    }
    if (rc < 0)
        status = CLI_EXIT_DATA;
    cli_reader_free(&r);
    rc = cli_finish_stdout();
    return status != CLI_EXIT_OK ? status : rc;
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
