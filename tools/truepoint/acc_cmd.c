/*
 * acc_cmd.c -- `truepoint sum`: the exact sum of codes read from stdin,
 * rounded once to an output format (tp_acc).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"


/* The state of `sum` over its input lines. */
typedef struct sum_ctx {
    const tp_format_desc *d;
    tp_acc acc;
} sum_ctx;

/* Adds the code of one line. */
static int sum_line(void *ctx, const char *line, unsigned long lineno)
{
    sum_ctx *s = (sum_ctx *)ctx;
    uint64_t code;
    if (cli_parse_code_line(s->d, line, lineno, &code) != 0)
        return -1;
    tp_status st = tp_acc_add_code(&s->acc, s->d, code);
    if (st != TP_OK) {
        cli_line_error(lineno, "the library refused the code: %s", tp_status_string(st));
        return -1;
    }
    return 0;
}

int cli_parse_round_options(const cli_command *c, int argc, char **argv, const cli_option *own,
                            cli_round_opts *ro)
{
    const cli_option shared[] = {
        {NULL, "--out", CLI_OPT_STRING, &ro->out_name},
        {"-r", "--round", CLI_OPT_ROUND, &ro->rnd},
        {"-o", "--overflow", CLI_OPT_OVERFLOW, &ro->ovf},
        {NULL, "--seed", CLI_OPT_U64, &ro->seed},
        {NULL, "--flags", CLI_OPT_SWITCH, &ro->show_flags},
        {NULL, NULL, CLI_OPT_SWITCH, NULL},
    };
    cli_option all[8 + sizeof shared / sizeof shared[0]];
    size_t n = 0;

    ro->out_name = "f32";
    ro->rnd = TP_RNE;
    ro->ovf = TP_OVF_DEFAULT;
    ro->seed = 0;
    ro->show_flags = 0;
    while (n < 8 && (own[n].short_name != NULL || own[n].long_name != NULL)) {
        all[n] = own[n];
        n++;
    }
    memcpy(all + n, shared, sizeof shared);
    return cli_parse_options(c, argc, argv, all, "codes");
}

int cli_print_acc_result(const tp_acc *acc, const tp_format_desc *od, const cli_round_opts *o,
                         unsigned flags)
{
    uint64_t code;
    tp_status st = tp_acc_round(acc, od, o->rnd, o->ovf, tp_sr_word(o->seed, 0), &code, &flags);
    if (st != TP_OK) {
        cli_error("the library refused to round: %s", tp_status_string(st));
        cli_finish_stdout();
        return CLI_EXIT_DATA;
    }
    cli_print_code(stdout, od, code);
    cli_print_flags(o->show_flags, flags);
    putchar('\n');
    return cli_finish_stdout();
}

static int run_sum(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_sum;
    const char *fmt_name = NULL;
    const cli_option opts[] = {
        {"-f", "--format", CLI_OPT_STRING, &fmt_name},
        {NULL, NULL, CLI_OPT_SWITCH, NULL},
    };
    cli_round_opts ro;
    tp_format fmt, outf;
    sum_ctx s;
    int rc;

    if ((rc = cli_parse_round_options(c, argc, argv, opts, &ro)) != CLI_EXIT_OK)
        return rc;
    if (fmt_name == NULL)
        return cli_usage_error(c, "the input format is missing (-f FMT)");
    if (cli_parse_format(c, fmt_name, &fmt) != 0 || cli_parse_format(c, ro.out_name, &outf) != 0)
        return CLI_EXIT_USAGE;
    s.d = tp_format_get(fmt);
    tp_acc_init(&s.acc);
    if ((rc = cli_each_line(sum_line, &s)) != CLI_EXIT_OK)
        return rc;
    return cli_print_acc_result(&s.acc, tp_format_get(outf), &ro, 0);
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
