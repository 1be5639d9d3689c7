/*
 * codec_cmd.c -- `truepoint formats`, `truepoint encode`, `truepoint decode`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"


/* ============================================================ formats */

static void layout_text(const tp_format_desc *d, char *buf, size_t size)
{
    if (d->kind == TP_KIND_INT) {
        if (d->scale_exp != 0)
            snprintf(buf, size, "%sint%u*2^%d", d->sign ? "" : "u", (unsigned)d->bits,
                     (int)d->scale_exp);
        else
            snprintf(buf, size, "%sint%u", d->sign ? "" : "u", (unsigned)d->bits);
    } else {
        snprintf(buf, size, "%u/%u/%u", (unsigned)d->sign, (unsigned)d->exp_bits,
                 (unsigned)d->man_bits);
    }
}

static void nan_text(const tp_format_desc *d, const tp_format_limits *lim, char *buf, size_t size)
{
    unsigned digits = cli_code_digits(d);
    switch (d->nan) {
    case TP_NAN_IEEE:
        snprintf(buf, size, "ieee");
        break;
    case TP_NAN_ALLONES:
    case TP_NAN_NEGZERO:
        if (d->nan == TP_NAN_ALLONES && d->sign && !(d->flags & TP_DESC_SIGN_INVALID))
            snprintf(buf, size, "0x%0*llx,0x%0*llx", (int)digits,
                     (unsigned long long)lim->nan_code, (int)digits,
                     (unsigned long long)(lim->nan_code | (UINT64_C(1) << (d->bits - 1))));
        else
            snprintf(buf, size, "0x%0*llx", (int)digits, (unsigned long long)lim->nan_code);
        break;
    default:
        snprintf(buf, size, "none");
        break;
    }
}

/* The format table; `md` selects a markdown table (doc/formats.md). */
static void print_table(FILE *fp, int md)
{
    const char *row = md ? "| %s | %u | %s | %s | %s | %s | %s | %s | %s | %s |\n"
                         : "%-12s %4u %-10s %5s %-23s %-23s %-4s %-9s %-3s %s\n";
    if (md)
        fputs("| name | bits | layout | bias | max_finite | min_subnormal | inf | nan | -0 | overflow |\n"
              "|---|---:|---|---:|---:|---:|---|---|---|---|\n",
              fp);
    else
        fprintf(fp, "%-12s %4s %-10s %5s %-23s %-23s %-4s %-9s %-3s %s\n", "name", "bits",
                "layout", "bias", "max_finite", "min_subnormal", "inf", "nan", "-0", "overflow");
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        tp_format_limits lim;
        char layout[32], bias[16], maxf[40], mins[40], nan[40];

        if (d == NULL || tp_format_limits_of(d, &lim) != TP_OK)
            continue;
        layout_text(d, layout, sizeof layout);
        if (d->kind == TP_KIND_FLOAT)
            snprintf(bias, sizeof bias, "%d", (int)d->bias);
        else
            snprintf(bias, sizeof bias, "-");
        nan_text(d, &lim, nan, sizeof nan);
        fprintf(fp, row, d->name ? d->name : "?", (unsigned)d->bits, layout, bias,
                cli_shortest_f64(lim.max_finite, maxf, sizeof maxf),
                cli_shortest_f64(lim.min_subnormal, mins, sizeof mins),
                lim.has_inf ? "ieee" : "none", nan, lim.has_neg_zero ? "yes" : "no",
                (d->flags & TP_DESC_SAT_DEFAULT) ? "sat" : "nonsat");
    }
}

void cli_print_format_table(FILE *fp)
{
    print_table(fp, 0);
}

static int run_formats(int argc, char **argv)
{
    int md = argc == 2 && strcmp(argv[1], "--markdown") == 0;
    if (argc > 1 && !md)
        return cli_usage_error(&cli_cmd_formats, "unexpected argument '%s'", argv[1]);
    print_table(stdout, md);
    return cli_finish_stdout();
}

const cli_command cli_cmd_formats = {
    "formats",
    run_formats,
    "formats [--markdown]",
    "list the built-in formats and their limits",
    "Prints one line per built-in format, after a header line, generated from the\n"
    "library's format table.  Columns (separated by blanks, no blanks inside):\n"
    "  name           the name taken by -f (lowercase)\n"
    "  bits           storage width in bits\n"
    "  layout         sign/exponent/mantissa bits; for integers intN or uintN,\n"
    "                 times 2^scale where the format is scaled (mxint8)\n"
    "  bias           exponent bias, '-' for integers\n"
    "  max_finite     largest finite value (shortest round-trip decimal)\n"
    "  min_subnormal  smallest positive value (for e8m0, 2^-127)\n"
    "  inf            'ieee' if the format has infinities, else 'none'\n"
    "  nan            'ieee' (all-ones exponent, nonzero mantissa), the NaN\n"
    "                 code(s), or 'none'\n"
    "  -0             'yes' if the format has a negative zero\n"
    "  overflow       the default overflow policy of encode: sat or nonsat\n"
    "\n"
    "\n"
    "Options:\n"
    "  --markdown  print the table as markdown (the table of doc/formats.md)\n"
    "  -h, --help  print this help\n",
};

/* ============================================================ encode */

/* The state of `encode` over its input lines. */
typedef struct encode_ctx {
    tp_format fmt;
    tp_round rnd;
    tp_overflow ovf;
    uint64_t seed, index; /* index: of the value, the SR counter */
    int f64_bits, show_flags;
} encode_ctx;

static int encode_line(void *ctx, const char *tok, unsigned long lineno)
{
    encode_ctx *e = (encode_ctx *)ctx;
    const tp_format_desc *d = tp_format_get(e->fmt);
    unsigned char out[8];
    unsigned flags = 0;
    tp_sr sr;
    tp_status st;
    uint64_t bits;

    sr.bits = NULL;
    sr.seed = e->seed;
    sr.counter = e->index;
    if (cli_has_hex_prefix(tok)) {
        int hrc = cli_parse_hex(tok, 1, &bits);
        if (hrc == -1) {
            cli_line_error(lineno, "cannot parse " CLI_TOKEN_FMT " (expected 0x and hex digits)",
                           CLI_TOKEN_ARG(tok));
            return -1;
        }
        if (hrc == -2 || strlen(tok + 2) > (e->f64_bits ? 16u : 8u)) {
            cli_line_error(lineno,
                           e->f64_bits ? CLI_TOKEN_FMT " has more than 16 hex digits"
                                       : CLI_TOKEN_FMT " has more than 8 hex digits (binary32 bits;"
                                                   " use -d for binary64 bits)",
                           CLI_TOKEN_ARG(tok));
            return -1;
        }
        if (e->f64_bits) {
            double x;
            memcpy(&x, &bits, 8);
            st = tp_encode_f64(e->fmt, &x, out, 1, e->rnd, e->ovf, &sr, &flags);
        } else {
            uint32_t b32 = (uint32_t)bits;
            float x;
            memcpy(&x, &b32, 4);
            st = tp_encode_f32(e->fmt, &x, out, 1, e->rnd, e->ovf, &sr, &flags);
        }
    } else {
        char *end;
        double x;
        /* Decimal only: hex floats ("-0x1p3") are not accepted. */
        if (strpbrk(tok, "xX") != NULL) {
            cli_line_error(lineno, "cannot parse " CLI_TOKEN_FMT " (hex bits need the 0x prefix"
                           " and no sign)", CLI_TOKEN_ARG(tok));
            return -1;
        }
        errno = 0;
        x = strtod(tok, &end);
        if (end == tok || *end != '\0') {
            cli_line_error(lineno,
                           "cannot parse " CLI_TOKEN_FMT
                           " (expected 0x hex bits or a decimal number)",
                           CLI_TOKEN_ARG(tok));
            return -1;
        }
        /* ERANGE: the value was rounded to nearest binary64 (Inf, a
         * subnormal or zero), which is the documented reading. */
        st = tp_encode_f64(e->fmt, &x, out, 1, e->rnd, e->ovf, &sr, &flags);
    }
    if (st != TP_OK) {
        cli_line_error(lineno, "the library refused the value: %s", tp_status_string(st));
        return -1;
    }
    cli_print_code(stdout, d, cli_code_load(d, out, 0));
    cli_print_flags(e->show_flags, flags);
    putchar('\n');
    e->index++;
    return 0;
}

static int run_encode(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_encode;
    const char *fmt_name = NULL;
    encode_ctx e = {TP_F32, TP_RNE, TP_OVF_DEFAULT, 0, 0, 0, 0};
    const cli_option opts[] = {
        {"-f", "--format", CLI_OPT_STRING, &fmt_name},
        {"-r", "--round", CLI_OPT_ROUND, &e.rnd},
        {"-o", "--overflow", CLI_OPT_OVERFLOW, &e.ovf},
        {NULL, "--seed", CLI_OPT_U64, &e.seed},
        {"-d", "--double", CLI_OPT_SWITCH, &e.f64_bits},
        {NULL, "--flags", CLI_OPT_SWITCH, &e.show_flags},
        {NULL, NULL, CLI_OPT_SWITCH, NULL},
    };
    int rc;

    if ((rc = cli_parse_options(c, argc, argv, opts, "values")) != CLI_EXIT_OK)
        return rc;
    if (fmt_name == NULL)
        return cli_usage_error(c, "the target format is missing (-f FMT)");
    if (cli_parse_format(c, fmt_name, &e.fmt) != 0)
        return CLI_EXIT_USAGE;
    if ((rc = cli_each_line(encode_line, &e)) != CLI_EXIT_OK)
        return rc;
    return cli_finish_stdout();
}

const cli_command cli_cmd_encode = {
    "encode",
    run_encode,
    "encode -f FMT [-r MODE] [-o POL] [--seed N] [-d] [--flags] < values",
    "round numbers read from stdin to codes of a format",
    "Reads one number per line from stdin and prints the code of format FMT it\n"
    "rounds to, one per line: 0x and 2 hex digits for formats of 8 bits or fewer,\n"
    "4 for 16-bit formats, 8 for f32, 16 for f64 (lowercase).\n"
    "\n"
    "Options:\n"
    "  -f, --format FMT     the target format (required); names as listed by\n"
    "                       'truepoint formats'\n"
    "  -r, --round MODE     rne (default: to nearest, ties to even), rna (ties away),\n"
    "                       rtz (toward zero), rup (toward +inf), rdn (toward -inf),\n"
    "                       rto (round to odd), sr (stochastic)\n"
    "  -o, --overflow POL   sat or nonsat; by default each format's own policy\n"
    "                       (the overflow column of 'truepoint formats': sat for\n"
    "                       the OCP narrow formats and integers, IEEE behaviour\n"
    "                       for f64, f32, bf16 and f16)\n"
    "      --seed N         seed of the stochastic-rounding generator, decimal or\n"
    "                       0x hex (default 0); used by -r sr only\n"
    "  -d, --double         hex input is the bits of a binary64 (up to 16 hex\n"
    "                       digits) instead of a binary32 (up to 8)\n"
    "      --flags          append the flags each value raised as a second column:\n"
    "                       inexact, underflow, overflow, invalid joined by commas\n"
    "                       (\"0x7e inexact,overflow\"), or \"none\"\n"
    "  -h, --help           print this help\n"
    "\n"
    "Input, one value per line (blank lines are skipped):\n"
    "  0x3f800000           with the 0x prefix: the bits of a binary32, 1 to 8 hex\n"
    "                       digits, encoded exactly; with -d the bits of a\n"
    "                       binary64, 1 to 16 hex digits\n"
    "  1.5  -2e-3  inf  -inf  nan\n"
    "                       without it: a decimal number, read as the nearest\n"
    "                       binary64 (strtod), then rounded once to FMT (never\n"
    "                       through binary32)\n"
    "\n"
    "Stochastic rounding (-r sr): the i-th value (0-based, counting non-blank\n"
    "lines, i.e. the output line index) uses the library generator with seed N and\n"
    "counter i (tp_sr with bits NULL): the same seed gives the same output on every\n"
    "machine and kernel.\n"
    "\n"
    "Exit status: 0 success; 1 at the first bad line (a message names its number;\n"
    "the lines before it have been answered); 2 usage error.\n",
};

/* ============================================================ decode */

/* The state of `decode` over its input lines. */
typedef struct decode_ctx {
    tp_format fmt;
    int to_f64, decimal, show_flags;
} decode_ctx;

static int decode_line(void *ctx, const char *tok, unsigned long lineno)
{
    decode_ctx *dc = (decode_ctx *)ctx;
    const tp_format_desc *d = tp_format_get(dc->fmt);
    unsigned char in[8];
    unsigned flags = 0;
    uint64_t code;
    tp_status st;
    char buf[48];

    if (cli_parse_code_line(d, tok, lineno, &code) != 0)
        return -1;
    cli_code_store(d, in, 0, code);
    if (dc->to_f64) {
        double x;
        uint64_t b;
        st = tp_decode_f64(dc->fmt, in, &x, 1, &flags);
        if (st == TP_OK) {
            memcpy(&b, &x, 8);
            if (dc->decimal)
                fputs(cli_shortest_f64(x, buf, sizeof buf), stdout);
            else
                printf("0x%016llx", (unsigned long long)b);
        }
    } else {
        float x;
        uint32_t b;
        st = tp_decode_f32(dc->fmt, in, &x, 1, &flags);
        if (st == TP_OK) {
            memcpy(&b, &x, 4);
            if (dc->decimal)
                fputs(cli_shortest_f32(x, buf, sizeof buf), stdout);
            else
                printf("0x%08lx", (unsigned long)b);
        }
    }
    if (st != TP_OK) {
        cli_line_error(lineno, "the library refused the code: %s", tp_status_string(st));
        return -1;
    }
    cli_print_flags(dc->show_flags, flags);
    putchar('\n');
    return 0;
}

static int run_decode(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_decode;
    const char *fmt_name = NULL;
    decode_ctx dc = {TP_F32, 0, 0, 0};
    const cli_option opts[] = {
        {"-f", "--format", CLI_OPT_STRING, &fmt_name},
        {"-t", "--to", CLI_OPT_F64, &dc.to_f64},
        {NULL, "--decimal", CLI_OPT_SWITCH, &dc.decimal},
        {NULL, "--flags", CLI_OPT_SWITCH, &dc.show_flags},
        {NULL, NULL, CLI_OPT_SWITCH, NULL},
    };
    int rc;

    if ((rc = cli_parse_options(c, argc, argv, opts, "codes")) != CLI_EXIT_OK)
        return rc;
    if (fmt_name == NULL)
        return cli_usage_error(c, "the format is missing (-f FMT)");
    if (cli_parse_format(c, fmt_name, &dc.fmt) != 0)
        return CLI_EXIT_USAGE;
    if (dc.fmt == TP_F64 && !dc.to_f64)
        return cli_usage_error(c, "f64 codes do not fit in binary32 exactly; use --to f64");
    if ((rc = cli_each_line(decode_line, &dc)) != CLI_EXIT_OK)
        return rc;
    return cli_finish_stdout();
}

const cli_command cli_cmd_decode = {
    "decode",
    run_decode,
    "decode -f FMT [--to f32|f64] [--decimal] [--flags] < codes",
    "decode codes read from stdin exactly to binary32 or binary64",
    "Reads one code of format FMT per line from stdin and prints its exact value,\n"
    "one per line: the bits of a binary32 (0x and 8 hex digits), or of a binary64\n"
    "(16 hex digits) with --to f64.\n"
    "\n"
    "Options:\n"
    "  -f, --format FMT  the format of the codes (required); names as listed by\n"
    "                    'truepoint formats'\n"
    "  -t, --to TYPE     f32 (default) or f64; f64 codes need --to f64\n"
    "      --decimal     print the value as the shortest decimal that reads back\n"
    "                    to the same binary32 (binary64 with --to f64); the\n"
    "                    specials print as nan, -nan, inf, -inf\n"
    "      --flags       append the flags as a second column, or \"none\" (decoding\n"
    "                    raises only invalid, for ue4m3 codes 0x80 and above)\n"
    "  -h, --help        print this help\n"
    "\n"
    "Input, one code per line (blank lines are skipped): hex digits with or\n"
    "without the 0x prefix, any number of them: 0x7, 7, 0x0007 and 07 are the\n"
    "same code.  A code with bits set beyond the format's width is an error.\n"
    "NaN codes decode to a quiet NaN as doc/semantics.md section 3 describes.\n"
    "\n"
    "Exit status: 0 success; 1 at the first bad line (a message names its number;\n"
    "the lines before it have been answered); 2 usage error.\n",
};
