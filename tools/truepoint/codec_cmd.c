/*
 * codec_cmd.c -- `truepoint formats`, `truepoint encode`, `truepoint decode`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Quotes at most 60 characters of a bad token in a message. */
#define TOKEN_FMT "'%.60s%s'"
#define TOKEN_ARG(s) (s), (strlen(s) > 60 ? "..." : "")

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

void cli_print_format_table(FILE *fp)
{
    fprintf(fp, "%-12s %4s %-10s %5s %-23s %-23s %-4s %-9s %-3s %s\n", "name", "bits", "layout",
            "bias", "max_finite", "min_subnormal", "inf", "nan", "-0", "overflow");
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
        fprintf(fp, "%-12s %4u %-10s %5s %-23s %-23s %-4s %-9s %-3s %s\n",
                d->name ? d->name : "?", (unsigned)d->bits, layout, bias,
                cli_shortest_f64(lim.max_finite, maxf, sizeof maxf),
                cli_shortest_f64(lim.min_subnormal, mins, sizeof mins),
                lim.has_inf ? "ieee" : "none", nan, lim.has_neg_zero ? "yes" : "no",
                (d->flags & TP_DESC_SAT_DEFAULT) ? "sat" : "nonsat");
    }
}

static int run_formats(int argc, char **argv)
{
    if (argc > 1)
        return cli_usage_error(&cli_cmd_formats, "unexpected argument '%s'", argv[1]);
    cli_print_format_table(stdout);
    return cli_finish_stdout();
}

const cli_command cli_cmd_formats = {
    "formats",
    run_formats,
    "formats",
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
    "Options:\n"
    "  -h, --help  print this help\n",
};

/* ============================================================ encode */

static int run_encode(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_encode;
    const char *fmt_name = NULL, *val;
    tp_format fmt;
    const tp_format_desc *d;
    tp_round rnd = TP_RNE;
    tp_overflow ovf = TP_OVF_DEFAULT;
    uint64_t seed = 0, index = 0;
    int f64_bits = 0, show_flags = 0, rc;
    cli_reader rd;
    const char *tok;

    for (int i = 1; i < argc; i++) {
        if ((rc = cli_opt_value(c, argc, argv, &i, "-f", "--format", &val)) != 0) {
            if (rc < 0)
                return CLI_EXIT_USAGE;
            fmt_name = val;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, "-r", "--round", &val)) != 0) {
            if (rc < 0 || cli_parse_round(c, val, &rnd) != 0)
                return CLI_EXIT_USAGE;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, "-o", "--overflow", &val)) != 0) {
            if (rc < 0 || cli_parse_overflow(c, val, &ovf) != 0)
                return CLI_EXIT_USAGE;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, NULL, "--seed", &val)) != 0) {
            if (rc < 0 || cli_parse_u64_opt(c, "--seed", val, &seed) != 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--double") == 0) {
            f64_bits = 1;
        } else if (strcmp(argv[i], "--flags") == 0) {
            show_flags = 1;
        } else if (argv[i][0] == '-') {
            return cli_usage_error(c, "unknown option '%s'", argv[i]);
        } else {
            return cli_usage_error(c, "unexpected argument '%s' (values are read from stdin)",
                                   argv[i]);
        }
    }
    if (fmt_name == NULL)
        return cli_usage_error(c, "the target format is missing (-f FMT)");
    if (cli_parse_format(c, fmt_name, &fmt) != 0)
        return CLI_EXIT_USAGE;
    d = tp_format_get(fmt);

    cli_line_buffered_stdout();
    cli_reader_init(&rd, stdin);
    while ((rc = cli_next_token(&rd, &tok)) > 0) {
        unsigned char out[8];
        unsigned flags = 0;
        tp_sr sr;
        tp_status st;
        uint64_t bits;

        sr.bits = NULL;
        sr.seed = seed;
        sr.counter = index;
        if (cli_has_hex_prefix(tok)) {
            int hrc = cli_parse_hex(tok, 1, &bits);
            if (hrc == -1) {
                cli_line_error(rd.lineno, "cannot parse " TOKEN_FMT " (expected 0x and hex digits)",
                               TOKEN_ARG(tok));
                goto data_error;
            }
            if (hrc == -2 || strlen(tok + 2) > (f64_bits ? 16u : 8u)) {
                cli_line_error(rd.lineno,
                               f64_bits ? TOKEN_FMT " has more than 16 hex digits"
                                        : TOKEN_FMT " has more than 8 hex digits (binary32 bits;"
                                                    " use -d for binary64 bits)",
                               TOKEN_ARG(tok));
                goto data_error;
            }
            if (f64_bits) {
                double x;
                memcpy(&x, &bits, 8);
                st = tp_encode_f64(fmt, &x, out, 1, rnd, ovf, &sr, &flags);
            } else {
                uint32_t b32 = (uint32_t)bits;
                float x;
                memcpy(&x, &b32, 4);
                st = tp_encode_f32(fmt, &x, out, 1, rnd, ovf, &sr, &flags);
            }
        } else {
            char *end;
            double x;
            /* Decimal only: hex floats ("-0x1p3") are not accepted. */
            if (strpbrk(tok, "xX") != NULL) {
                cli_line_error(rd.lineno, "cannot parse " TOKEN_FMT " (hex bits need the 0x prefix"
                               " and no sign)", TOKEN_ARG(tok));
                goto data_error;
            }
            errno = 0;
            x = strtod(tok, &end);
            if (end == tok || *end != '\0') {
                cli_line_error(rd.lineno,
                               "cannot parse " TOKEN_FMT " (expected 0x hex bits or a decimal number)",
                               TOKEN_ARG(tok));
                goto data_error;
            }
            /* ERANGE: the value was rounded to nearest binary64 (Inf, a
             * subnormal or zero), which is the documented reading. */
            st = tp_encode_f64(fmt, &x, out, 1, rnd, ovf, &sr, &flags);
        }
        if (st != TP_OK) {
            cli_line_error(rd.lineno, "the library refused the value: %s", tp_status_string(st));
            goto data_error;
        }
        cli_print_code(stdout, d, cli_code_load(d, out, 0));
        if (show_flags) {
            char fb[48];
            printf(" %s", cli_flags_text(flags, fb, sizeof fb));
        }
        putchar('\n');
        index++;
    }
    cli_reader_free(&rd);
    if (rc < 0) {
        cli_finish_stdout();
        return CLI_EXIT_DATA;
    }
    return cli_finish_stdout();

data_error:
    cli_reader_free(&rd);
    cli_finish_stdout();
    return CLI_EXIT_DATA;
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

static int run_decode(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_decode;
    const char *fmt_name = NULL, *val;
    tp_format fmt;
    const tp_format_desc *d;
    int to_f64 = 0, decimal = 0, show_flags = 0, rc;
    cli_reader rd;
    const char *tok;

    for (int i = 1; i < argc; i++) {
        if ((rc = cli_opt_value(c, argc, argv, &i, "-f", "--format", &val)) != 0) {
            if (rc < 0)
                return CLI_EXIT_USAGE;
            fmt_name = val;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, "-t", "--to", &val)) != 0) {
            if (rc < 0)
                return CLI_EXIT_USAGE;
            if (strcmp(val, "f32") == 0)
                to_f64 = 0;
            else if (strcmp(val, "f64") == 0)
                to_f64 = 1;
            else
                return cli_usage_error(c, "--to takes f32 or f64, not '%s'", val);
        } else if (strcmp(argv[i], "--decimal") == 0) {
            decimal = 1;
        } else if (strcmp(argv[i], "--flags") == 0) {
            show_flags = 1;
        } else if (argv[i][0] == '-') {
            return cli_usage_error(c, "unknown option '%s'", argv[i]);
        } else {
            return cli_usage_error(c, "unexpected argument '%s' (codes are read from stdin)",
                                   argv[i]);
        }
    }
    if (fmt_name == NULL)
        return cli_usage_error(c, "the format is missing (-f FMT)");
    if (cli_parse_format(c, fmt_name, &fmt) != 0)
        return CLI_EXIT_USAGE;
    d = tp_format_get(fmt);
    if (fmt == TP_F64 && !to_f64)
        return cli_usage_error(c, "f64 codes do not fit in binary32 exactly; use --to f64");

    cli_line_buffered_stdout();
    cli_reader_init(&rd, stdin);
    while ((rc = cli_next_token(&rd, &tok)) > 0) {
        unsigned char in[8];
        unsigned flags = 0;
        uint64_t code;
        tp_status st;
        char buf[48];
        int hrc = cli_parse_hex(tok, 0, &code);

        if (hrc == -1) {
            cli_line_error(rd.lineno, "cannot parse " TOKEN_FMT " (expected a hex code)",
                           TOKEN_ARG(tok));
            goto data_error;
        }
        if (hrc == -2 || (code & ~cli_code_mask(d)) != 0) {
            cli_line_error(rd.lineno, "code " TOKEN_FMT " is too wide for %s (%u bits)",
                           TOKEN_ARG(tok), d->name, (unsigned)d->bits);
            goto data_error;
        }
        cli_code_store(d, in, 0, code);
        if (to_f64) {
            double x;
            uint64_t b;
            st = tp_decode_f64(fmt, in, &x, 1, &flags);
            if (st == TP_OK) {
                memcpy(&b, &x, 8);
                if (decimal)
                    fputs(cli_shortest_f64(x, buf, sizeof buf), stdout);
                else
                    printf("0x%016llx", (unsigned long long)b);
            }
        } else {
            float x;
            uint32_t b;
            st = tp_decode_f32(fmt, in, &x, 1, &flags);
            if (st == TP_OK) {
                memcpy(&b, &x, 4);
                if (decimal)
                    fputs(cli_shortest_f32(x, buf, sizeof buf), stdout);
                else
                    printf("0x%08lx", (unsigned long)b);
            }
        }
        if (st != TP_OK) {
            cli_line_error(rd.lineno, "the library refused the code: %s", tp_status_string(st));
            goto data_error;
        }
        if (show_flags)
            printf(" %s", cli_flags_text(flags, buf, sizeof buf));
        putchar('\n');
    }
    cli_reader_free(&rd);
    if (rc < 0) {
        cli_finish_stdout();
        return CLI_EXIT_DATA;
    }
    return cli_finish_stdout();

data_error:
    cli_reader_free(&rd);
    cli_finish_stdout();
    return CLI_EXIT_DATA;
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
