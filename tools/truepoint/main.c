/*
 * main.c -- `truepoint`: command dispatch, help, and the parsing and printing
 * helpers every subcommand shares (declared in cli.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"


static const cli_command *const commands[] = {
    &cli_cmd_formats,
    &cli_cmd_encode,
    &cli_cmd_decode,
    &cli_cmd_quantize,
    &cli_cmd_dequantize,
    &cli_cmd_demo,
    &cli_cmd_sum,
    &cli_cmd_dot,
    &cli_cmd_gemm,
    &cli_cmd_accuracy,
    &cli_cmd_bench,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* ------------------------------------------------------------ messages */

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs(CLI_PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_line_error(unsigned long line, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, CLI_PROG ": line %lu: ", line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const cli_command *c, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    if (c != NULL)
        fprintf(stderr, CLI_PROG " %s: ", c->name);
    else
        fputs(CLI_PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (c != NULL)
        fprintf(stderr, "\nTry '" CLI_PROG " %s --help'.\n", c->name);
    else
        fputs("\nTry '" CLI_PROG " --help'.\n", stderr);
    return CLI_EXIT_USAGE;
}

/* ------------------------------------------------------------ options */

int cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_opt_value(const cli_command *c, int argc, char **argv, int *i, const char *short_name,
                  const char *long_name, const char **val)
{
    const char *a = argv[*i];
    const char *name = NULL;
    size_t len;

    if (short_name != NULL && strncmp(a, short_name, strlen(short_name)) == 0) {
        name = short_name;
        len = strlen(short_name);
        if (a[len] != '\0') { /* "-fe4m3" */
            *val = a + len;
            return 1;
        }
    } else if (long_name != NULL && strncmp(a, long_name, strlen(long_name)) == 0) {
        name = long_name;
        len = strlen(long_name);
        if (a[len] == '=') { /* "--format=e4m3" */
            *val = a + len + 1;
            return 1;
        }
        if (a[len] != '\0') /* "--formatx": another option */
            return 0;
    } else {
        return 0;
    }
    if (*i + 1 >= argc) {
        cli_usage_error(c, "option '%s' needs a value", name);
        return -1;
    }
    *i += 1;
    *val = argv[*i];
    return 1;
}

/* Scale rules indexed by tp_scale_rule. */
static int parse_scale_rule(const cli_command *c, const char *name, tp_scale_rule *r)
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

/* Stores the value of option o; 0, or -1 after reporting a bad value. */
static int store_option(const cli_command *c, const cli_option *o, const char *val)
{
    switch (o->kind) {
    case CLI_OPT_STRING:
        *(const char **)o->dest = val;
        return 0;
    case CLI_OPT_ROUND: return cli_parse_round(c, val, (tp_round *)o->dest);
    case CLI_OPT_OVERFLOW: return cli_parse_overflow(c, val, (tp_overflow *)o->dest);
    case CLI_OPT_U64: return cli_parse_u64_opt(c, o->long_name, val, (uint64_t *)o->dest);
    case CLI_OPT_SCALE_RULE: return parse_scale_rule(c, val, (tp_scale_rule *)o->dest);
    case CLI_OPT_F64:
        if (strcmp(val, "f32") == 0) {
            *(int *)o->dest = 0;
            return 0;
        }
        if (strcmp(val, "f64") == 0) {
            *(int *)o->dest = 1;
            return 0;
        }
        cli_usage_error(c, "%s takes f32 or f64, not '%s'", o->long_name, val);
        return -1;
    default: return -1; /* CLI_OPT_SWITCH takes no value */
    }
}

/* Nonzero if `arg` is one of the names of a switch. */
static int is_switch(const cli_option *o, const char *arg)
{
    return (o->short_name != NULL && strcmp(arg, o->short_name) == 0) ||
           (o->long_name != NULL && strcmp(arg, o->long_name) == 0);
}

int cli_parse_options(const cli_command *c, int argc, char **argv, const cli_option *opts,
                      const char *input)
{
    for (int i = 1; i < argc; i++) {
        const cli_option *o;
        const char *val;
        int rc = 0;
        for (o = opts; rc == 0 && (o->short_name != NULL || o->long_name != NULL); o++) {
            if (o->kind == CLI_OPT_SWITCH) {
                if (is_switch(o, argv[i])) {
                    *(int *)o->dest = 1;
                    rc = 1;
                }
                continue;
            }
            rc = cli_opt_value(c, argc, argv, &i, o->short_name, o->long_name, &val);
            if (rc < 0 || (rc > 0 && store_option(c, o, val) != 0))
                return CLI_EXIT_USAGE;
        }
        if (rc != 0)
            continue;
        if (input == NULL || argv[i][0] == '-')
            return cli_usage_error(c, "unknown option '%s'", argv[i]);
        return cli_usage_error(c, "unexpected argument '%s' (%s are read from stdin)", argv[i],
                               input);
    }
    return CLI_EXIT_OK;
}

int cli_parse_format(const cli_command *c, const char *name, tp_format *out)
{
    if (tp_format_from_name(name, out) == TP_OK)
        return 0;
    fflush(stdout);
    fprintf(stderr, CLI_PROG " %s: unknown format '%s'; formats are:", c->name, name);
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        if (d != NULL && d->name != NULL)
            fprintf(stderr, " %s", d->name);
    }
    fprintf(stderr, "\nTry '" CLI_PROG " formats'.\n");
    return -1;
}

const char *const cli_round_names[7] = {"rne", "rna", "rtz", "rup", "rdn", "rto", "sr"};

int cli_parse_round(const cli_command *c, const char *name, tp_round *out)
{
    for (int r = 0; r < 7; r++) {
        if (strcmp(name, cli_round_names[r]) == 0) {
            *out = (tp_round)r;
            return 0;
        }
    }
    cli_usage_error(c, "unknown rounding mode '%s' (use rne, rna, rtz, rup, rdn, rto or sr)", name);
    return -1;
}

const char *cli_overflow_name(tp_overflow o)
{
    switch (o) {
    case TP_OVF_SAT: return "sat";
    case TP_OVF_NONSAT: return "nonsat";
    default: return "default";
    }
}

int cli_parse_overflow(const cli_command *c, const char *name, tp_overflow *out)
{
    if (strcmp(name, "sat") == 0) {
        *out = TP_OVF_SAT;
        return 0;
    }
    if (strcmp(name, "nonsat") == 0) {
        *out = TP_OVF_NONSAT;
        return 0;
    }
    cli_usage_error(c, "unknown overflow policy '%s' (use sat or nonsat)", name);
    return -1;
}

static int parse_dec_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        unsigned dgt;
        if (*s < '0' || *s > '9')
            return -1;
        dgt = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            return -2;
        v = v * 10 + dgt;
    }
    *out = v;
    return 0;
}

int cli_parse_u64_opt(const cli_command *c, const char *opt, const char *s, uint64_t *out)
{
    int rc = cli_has_hex_prefix(s) ? cli_parse_hex(s, 1, out) : parse_dec_u64(s, out);
    if (rc == 0)
        return 0;
    cli_usage_error(c, "%s needs an integer from 0 to 2^64-1 (decimal or 0x hex), not '%s'", opt, s);
    return -1;
}

/* ------------------------------------------------------------ numbers */

int cli_has_hex_prefix(const char *s)
{
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int cli_parse_hex(const char *s, int need_prefix, uint64_t *out)
{
    uint64_t v = 0;
    int too_wide = 0;

    if (cli_has_hex_prefix(s))
        s += 2;
    else if (need_prefix)
        return -1;
    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        int dgt = hex_digit(*s);
        if (dgt < 0)
            return -1;
        if (v >> 60 != 0)
            too_wide = 1;
        v = (v << 4) | (unsigned)dgt;
    }
    if (too_wide)
        return -2;
    *out = v;
    return 0;
}

unsigned cli_code_digits(const tp_format_desc *d)
{
    return 2 * (unsigned)cli_elem_size(d); /* two hex digits a byte */
}

uint64_t cli_code_mask(const tp_format_desc *d)
{
    return d->bits >= 64 ? UINT64_MAX : (UINT64_C(1) << d->bits) - 1;
}

void cli_print_code(FILE *fp, const tp_format_desc *d, uint64_t code)
{
    fprintf(fp, "0x%0*llx", (int)cli_code_digits(d), (unsigned long long)code);
}

int cli_parse_code_line(const tp_format_desc *d, const char *line, unsigned long lineno,
                        uint64_t *code)
{
    int hrc = cli_parse_hex(line, 0, code);
    if (hrc == -1) {
        cli_line_error(lineno, "cannot parse " CLI_TOKEN_FMT " (expected a hex code)",
                       CLI_TOKEN_ARG(line));
        return -1;
    }
    if (hrc == -2 || (*code & ~cli_code_mask(d)) != 0) {
        cli_line_error(lineno, "code " CLI_TOKEN_FMT " is too wide for %s (%u bits)",
                       CLI_TOKEN_ARG(line), d->name, (unsigned)d->bits);
        return -1;
    }
    return 0;
}

int cli_hex_fields(const char *line, unsigned long lineno, uint64_t *out, int max,
                   const char *limit_text)
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
        if (n >= max) {
            cli_line_error(lineno, "too many values (%s %d)", limit_text, max);
            return -1;
        }
        if (len >= sizeof tok) {
            cli_line_error(lineno, "value too long");
            return -1;
        }
        memcpy(tok, p, len);
        tok[len] = '\0';
        if (cli_parse_hex(tok, 0, &out[n]) != 0) {
            cli_line_error(lineno, "cannot parse " CLI_TOKEN_FMT " as hex", CLI_TOKEN_ARG(tok));
            return -1;
        }
        n++;
        p += len;
    }
    return n;
}

size_t cli_elem_size(const tp_format_desc *d)
{
    if (d->bits <= 8)
        return 1;
    if (d->bits <= 16)
        return 2;
    if (d->bits <= 32)
        return 4;
    return 8;
}

uint64_t cli_code_load(const tp_format_desc *d, const void *base, size_t i)
{
    const unsigned char *p = (const unsigned char *)base;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

    switch (cli_elem_size(d)) {
    case 1: memcpy(&u8, p + i, 1); return u8;
    case 2: memcpy(&u16, p + 2 * i, 2); return u16;
    case 4: memcpy(&u32, p + 4 * i, 4); return u32;
    default: memcpy(&u64, p + 8 * i, 8); return u64;
    }
}

void cli_code_store(const tp_format_desc *d, void *base, size_t i, uint64_t code)
{
    unsigned char *p = (unsigned char *)base;
    uint8_t u8 = (uint8_t)code;
    uint16_t u16 = (uint16_t)code;
    uint32_t u32 = (uint32_t)code;

    switch (cli_elem_size(d)) {
    case 1: memcpy(p + i, &u8, 1); break;
    case 2: memcpy(p + 2 * i, &u16, 2); break;
    case 4: memcpy(p + 4 * i, &u32, 4); break;
    default: memcpy(p + 8 * i, &code, 8); break;
    }
}

const char *cli_flags_text(unsigned flags, char *buf, size_t size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {TP_FLAG_INEXACT, "inexact"},
        {TP_FLAG_UNDERFLOW, "underflow"},
        {TP_FLAG_OVERFLOW, "overflow"},
        {TP_FLAG_INVALID, "invalid"},
    };
    size_t len = 0;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (flags & names[k].bit) {
            int n = snprintf(buf + len, size - len, "%s%s", len ? "," : "", names[k].name);
            if (n < 0 || (size_t)n >= size - len)
                break;
            len += (size_t)n;
        }
    }
    if (len == 0)
        snprintf(buf, size, "none");
    return buf;
}

void cli_print_flags(int show, unsigned flags)
{
    char fb[48];
    if (show)
        printf(" %s", cli_flags_text(flags, fb, sizeof fb));
}

/* The specials, or NULL for a finite value. */
static const char *special_text(int is_nan, int is_inf, int neg)
{
    if (is_nan)
        return neg ? "-nan" : "nan";
    if (is_inf)
        return neg ? "-inf" : "inf";
    return NULL;
}

/* `buf` holds x in %e notation with `digits` significant digits.  Rewrites
 * it in fixed notation when the decimal exponent is in [-4, max_exp):
 * "2.4e+02" becomes "240".  The digits are the same, so the text still
 * reads back to the same value. */
static void prefer_fixed(double x, int digits, int max_exp, char *buf, size_t size)
{
    const char *e = strchr(buf, 'e');
    int exp10;
    if (e == NULL)
        return;
    exp10 = (int)strtol(e + 1, NULL, 10);
    if (exp10 >= -4 && exp10 < max_exp) {
        int decimals = digits - 1 - exp10;
        snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, x);
    }
}

const char *cli_shortest_f32(float x, char *buf, size_t size)
{
    uint32_t bits;
    const char *sp;
    int digits;

    memcpy(&bits, &x, 4);
    sp = special_text((bits & 0x7fffffffu) > 0x7f800000u, (bits & 0x7fffffffu) == 0x7f800000u,
                      (int)(bits >> 31));
    if (sp != NULL) {
        snprintf(buf, size, "%s", sp);
        return buf;
    }
    for (digits = 1; digits <= 9; digits++) {
        float back;
        uint32_t back_bits;
        snprintf(buf, size, "%.*e", digits - 1, (double)x);
        back = strtof(buf, NULL);
        memcpy(&back_bits, &back, 4);
        if (back_bits == bits)
            break;
    }
    if (digits > 9) /* not reached: 9 digits always read back */
        digits = 9;
    prefer_fixed((double)x, digits, 9, buf, size);
    return buf;
}

const char *cli_shortest_f64(double x, char *buf, size_t size)
{
    uint64_t bits;
    const char *sp;
    int digits;

    memcpy(&bits, &x, 8);
    sp = special_text((bits & UINT64_C(0x7fffffffffffffff)) > UINT64_C(0x7ff0000000000000),
                      (bits & UINT64_C(0x7fffffffffffffff)) == UINT64_C(0x7ff0000000000000),
                      (int)(bits >> 63));
    if (sp != NULL) {
        snprintf(buf, size, "%s", sp);
        return buf;
    }
    for (digits = 1; digits <= 17; digits++) {
        double back;
        uint64_t back_bits;
        snprintf(buf, size, "%.*e", digits - 1, x);
        back = strtod(buf, NULL);
        memcpy(&back_bits, &back, 8);
        if (back_bits == bits)
            break;
    }
    if (digits > 17) /* not reached: 17 digits always read back */
        digits = 17;
    prefer_fixed(x, digits, 17, buf, size);
    return buf;
}

/* ------------------------------------------------------------ input */

/* Line reader over a stream. */
typedef struct cli_reader {
    FILE *fp;
    char *buf;
    size_t cap;
    unsigned long lineno; /* 1-based number of the line last returned */
} cli_reader;

static int is_blank(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Reads one physical line into r->buf (without the newline).  Returns 1,
 * 0 at end of input, -1 on error (reported). */
static int read_line(cli_reader *r, size_t *len_out)
{
    size_t len = 0;
    int ch, has_nul = 0;

    ch = getc(r->fp);
    if (ch == EOF) {
        if (ferror(r->fp)) {
            cli_error("error reading input: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    r->lineno++;
    for (; ch != EOF && ch != '\n'; ch = getc(r->fp)) {
        if (len + 1 >= r->cap) {
            size_t ncap = r->cap ? 2 * r->cap : 128;
            char *nb = (ncap > r->cap) ? (char *)realloc(r->buf, ncap) : NULL;
            if (nb == NULL) {
                cli_line_error(r->lineno, "out of memory reading the line");
                return -1;
            }
            r->buf = nb;
            r->cap = ncap;
        }
        if (ch == '\0')
            has_nul = 1;
        r->buf[len++] = (char)ch;
    }
    if (ch == EOF && ferror(r->fp)) {
        cli_error("error reading input: %s", strerror(errno));
        return -1;
    }
    if (has_nul) {
        cli_line_error(r->lineno, "the line contains a NUL byte");
        return -1;
    }
    if (r->buf == NULL) {
        r->buf = (char *)malloc(1);
        if (r->buf == NULL) {
            cli_line_error(r->lineno, "out of memory reading the line");
            return -1;
        }
        r->cap = 1;
    }
    r->buf[len] = '\0';
    *len_out = len;
    return 1;
}

/* Returns 1 with *token set to the next non-blank line (trimmed), 0 at end
 * of input, -1 after reporting a read error, a NUL byte in a line, or memory
 * exhaustion. */
static int next_token(cli_reader *r, const char **token)
{
    for (;;) {
        size_t len;
        char *s;
        int rc = read_line(r, &len);
        if (rc <= 0)
            return rc;
        s = r->buf;
        while (len > 0 && is_blank((unsigned char)s[len - 1]))
            s[--len] = '\0';
        while (is_blank((unsigned char)*s))
            s++;
        if (*s != '\0') {
            *token = s;
            return 1;
        }
    }
}

int cli_each_line(cli_line_fn fn, void *ctx)
{
    cli_reader rd = {stdin, NULL, 0, 0};
    const char *line;
    int rc;

    cli_line_buffered_stdout();
    while ((rc = next_token(&rd, &line)) > 0) {
        if (fn(ctx, line, rd.lineno) != 0) {
            rc = -1;
            break;
        }
    }
    free(rd.buf);
    if (rc < 0) {
        cli_finish_stdout();
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

void cli_line_buffered_stdout(void)
{
    setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
}

int cli_finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("error writing output: %s", strerror(errno));
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------ help */

static void print_version(FILE *fp)
{
    fprintf(fp, CLI_PROG " %s (libtruepoint %s, kernels: %s)\n", TP_VERSION_STRING,
            tp_version_string(), tp_isa_name(tp_active_isa()));
}

static void print_usage(FILE *fp)
{
    fputs("Usage: " CLI_PROG " COMMAND [OPTIONS]\n"
          "       " CLI_PROG " --help | --version\n"
          "\n"
          "Converts numbers to and from the narrow formats of libtruepoint (FP8, FP6,\n"
          "FP4, E8M0, ...): every conversion rounds the exact input once, as the library\n"
          "documents (doc/semantics.md).\n"
          "\n"
          "Commands:\n",
          fp);
    for (size_t k = 0; k < N_COMMANDS; k++)
        fprintf(fp, "  %-9s %s\n", commands[k]->name, commands[k]->summary);
    fputs("  help [COMMAND]\n"
          "            print this help, or the help of COMMAND\n"
          "\n"
          "Options:\n"
          "  -h, --help     print this help and exit\n"
          "  -V, --version  print the tool and library versions and the active kernels\n"
          "\n"
          "Input of encode and decode: one value per line on stdin.  Blank lines are\n"
          "skipped; blanks around a value are ignored.  Each line is answered by one\n"
          "output line, flushed at once; the first bad line stops the command with a\n"
          "message naming its line number.\n"
          "\n"
          "Exit status: 0 success; 1 bad input data (or a failed self-check, or a write\n"
          "error); 2 usage error (unknown command, option, format or mode).\n"
          "\n"
          "Run '" CLI_PROG " COMMAND --help' for the options of a command.\n",
          fp);
}

void cli_print_command_help(FILE *fp, const cli_command *c)
{
    fprintf(fp, "Usage: " CLI_PROG " %s\n\n%s\n", c->synopsis, c->help);
}

static const cli_command *find_command(const char *name)
{
    for (size_t k = 0; k < N_COMMANDS; k++)
        if (strcmp(commands[k]->name, name) == 0)
            return commands[k];
    return NULL;
}

int main(int argc, char **argv)
{
    const cli_command *c;

    if (argc < 2) {
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (cli_is_help(argv[1])) {
        print_usage(stdout);
        return cli_finish_stdout();
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        print_version(stdout);
        return cli_finish_stdout();
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc == 2) {
            print_usage(stdout);
            return cli_finish_stdout();
        }
        if (argc > 3)
            return cli_usage_error(NULL, "help takes at most one command name");
        c = find_command(argv[2]);
        if (c == NULL)
            return cli_usage_error(NULL, "unknown command '%s'", argv[2]);
        cli_print_command_help(stdout, c);
        return cli_finish_stdout();
    }
    c = find_command(argv[1]);
    if (c == NULL) {
        if (argv[1][0] == '-')
            return cli_usage_error(NULL, "unknown option '%s'", argv[1]);
        return cli_usage_error(NULL, "unknown command '%s'", argv[1]);
    }
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            cli_print_command_help(stdout, c);
            return cli_finish_stdout();
        }
    }
    return c->run(argc - 1, argv + 1);
}
