/*
 * acc_cmd.c -- `truepoint sum`: the exact sum of codes read from stdin,
 * rounded once to an output format (tp_acc).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define TOKEN_FMT "'%.60s%s'"
#define TOKEN_ARG(s) (s), (strlen(s) > 60 ? "..." : "")

extern const cli_command cli_cmd_sum;

static int run_sum(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_sum;
    const char *fmt_name = NULL, *out_name = "f32", *val;
    tp_format fmt, outf;
    tp_round rnd = TP_RNE;
    tp_overflow ovf = TP_OVF_DEFAULT;
    uint64_t seed = 0;
    int show_flags = 0, rc;
    cli_reader rd;
    const char *tok;
    tp_acc acc;

    for (int i = 1; i < argc; i++) {
        if ((rc = cli_opt_value(c, argc, argv, &i, "-f", "--format", &val)) != 0) {
            if (rc < 0)
                return CLI_EXIT_USAGE;
            fmt_name = val;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, NULL, "--out", &val)) != 0) {
            if (rc < 0)
                return CLI_EXIT_USAGE;
            out_name = val;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, "-r", "--round", &val)) != 0) {
            if (rc < 0 || cli_parse_round(c, val, &rnd) != 0)
                return CLI_EXIT_USAGE;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, "-o", "--overflow", &val)) != 0) {
            if (rc < 0 || cli_parse_overflow(c, val, &ovf) != 0)
                return CLI_EXIT_USAGE;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, NULL, "--seed", &val)) != 0) {
            if (rc < 0 || cli_parse_u64_opt(c, "--seed", val, &seed) != 0)
                return CLI_EXIT_USAGE;
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
        return cli_usage_error(c, "the input format is missing (-f FMT)");
    if (cli_parse_format(c, fmt_name, &fmt) != 0 || cli_parse_format(c, out_name, &outf) != 0)
        return CLI_EXIT_USAGE;
    const tp_format_desc *d = tp_format_get(fmt), *od = tp_format_get(outf);

    tp_acc_init(&acc);
    cli_line_buffered_stdout();
    cli_reader_init(&rd, stdin);
    while ((rc = cli_next_token(&rd, &tok)) > 0) {
        uint64_t code;
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
        tp_status st = tp_acc_add_code(&acc, d, code);
        if (st != TP_OK) {
            cli_line_error(rd.lineno, "the library refused the code: %s", tp_status_string(st));
            goto data_error;
        }
    }
    cli_reader_free(&rd);
    if (rc < 0) {
        cli_finish_stdout();
        return CLI_EXIT_DATA;
    }
    {
        uint64_t code;
        unsigned flags = 0;
        tp_status st = tp_acc_round(&acc, od, rnd, ovf, tp_sr_word(seed, 0), &code, &flags);
        if (st != TP_OK) {
            cli_error("the library refused to round: %s", tp_status_string(st));
            cli_finish_stdout();
            return CLI_EXIT_DATA;
        }
        cli_print_code(stdout, od, code);
        if (show_flags) {
            char fb[48];
            printf(" %s", cli_flags_text(flags, fb, sizeof fb));
        }
        putchar('\n');
    }
    return cli_finish_stdout();

data_error:
    cli_reader_free(&rd);
    cli_finish_stdout();
    return CLI_EXIT_DATA;
}

const cli_command cli_cmd_sum = {
    "sum",
    run_sum,
    "sum -f FMT [--out FMT] [-r MODE] [-o POL] [--seed N] [--flags] < codes",
    "the exact sum of codes read from stdin, rounded once",
    "Reads one hex code of format FMT per line from stdin (for f32 and f64 the\n"
    "binary32 or binary64 bits; the 0x prefix is optional), adds them exactly\n"
    "(no rounding at all, whatever the order or the cancellation), and prints\n"
    "the exact sum rounded once to the output format as one code.  No input\n"
    "gives +0.  NaN or +Inf with -Inf give the format's NaN; an exact zero sum\n"
    "is -0 if every code was -0, or under -r rdn when terms cancelled.\n"
    "\n"
    "Options:\n"
    "  -f, --format FMT     the format of the input codes (required)\n"
    "      --out FMT        the output format (default f32)\n"
    "  -r, --round MODE     rne (default), rna, rtz, rup, rdn, rto, sr\n"
    "  -o, --overflow POL   sat or nonsat; by default the output format's own policy\n"
    "      --seed N         stochastic rounding (-r sr): the random word is\n"
    "                       tp_sr_word(N, 0) (default N = 0)\n"
    "      --flags          append the flags of the rounding (\"0x7f800000 inexact,\n"
    "                       overflow\"), or \"none\"\n"
    "  -h, --help           print this help\n",
};
