/*
 * cli.h -- shared pieces of the `truepoint` command-line tool.
 *
 * Every subcommand follows the same conventions, implemented once in main.c:
 *  - exit status 0 on success, 1 for bad data (an unparsable input line, a
 *    code too wide for its format, a write error), 2 for usage errors
 *    (unknown command, option, format or mode);
 *  - messages go to stderr as "truepoint: ..." and name the input line
 *    ("truepoint: line 3: cannot parse 'xyz'");
 *  - input is read from stdin one value per line, blank lines skipped,
 *    processed line by line, stopping at the first bad line; stdout is line
 *    buffered so a script can talk to the tool through a pipe;
 *  - codes print as 0x plus 2 hex digits (formats of 8 bits or fewer), 4
 *    (9 to 16 bits), 8 (binary32) or 16 (binary64), lowercase.
 */
#ifndef TP_CLI_H
#define TP_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "truepoint.h"

#define CLI_PROG "truepoint"
#define CLI_EXIT_OK 0
#define CLI_EXIT_DATA 1
#define CLI_EXIT_USAGE 2

#if defined(__GNUC__) || defined(__clang__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* ------------------------------------------------------------ commands */

/* A subcommand: argv[0] is the command name, argv[1..argc-1] its options.
 * Returns the process exit status. */
typedef int (*cli_cmd_fn)(int argc, char **argv);

typedef struct cli_command {
    const char *name;
    cli_cmd_fn run;
    const char *synopsis; /* one line: "encode -f FMT [options] < values" */
    const char *summary;  /* one line for the command list */
    const char *help;     /* the full option text printed by `CMD --help` */
} cli_command;

/* Defined in codec_cmd.c and demo.c. */
extern const cli_command cli_cmd_formats;
extern const cli_command cli_cmd_encode;
extern const cli_command cli_cmd_decode;
extern const cli_command cli_cmd_demo;
/* Defined in block_cmd.c. */
extern const cli_command cli_cmd_quantize;
extern const cli_command cli_cmd_dequantize;
/* Defined in acc_cmd.c, dot_cmd.c, gemm_cmd.c, accuracy_cmd.c, bench_cmd.c. */
extern const cli_command cli_cmd_sum;
extern const cli_command cli_cmd_dot;
extern const cli_command cli_cmd_gemm;
extern const cli_command cli_cmd_accuracy;
extern const cli_command cli_cmd_bench;

/* The benchmark programs (bench_cmd.c; also used by demo.c).  Finds program
 * `prog` (bench/ beside the executable, TP_BENCH_DIR, or the installed
 * directory) into path, else returns nonzero with the places tried in why. */
int cli_bench_find(const char *prog, char *path, size_t size, char *why, size_t why_size);
/* Runs argv (quiet: its stdout discarded); returns its exit status, 128 + N
 * for signal N, or -1 if it could not be started. */
int cli_bench_run(char *const argv[], int quiet);
/* The whole contents of a file (malloc'ed, NUL-terminated), or NULL. */
char *cli_bench_slurp(const char *path);
/* The number under `key` of the JSON case named `name`; 0 on success. */
int cli_bench_case_num(const char *json, const char *name, const char *key, double *out);

/* Prints `truepoint CMD --help` text to `fp`. */
void cli_print_command_help(FILE *fp, const cli_command *c);

/* ------------------------------------------------------------ messages */

/* "truepoint: <msg>\n" on stderr. */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
/* "truepoint: line N: <msg>\n" on stderr. */
void cli_line_error(unsigned long line, const char *fmt, ...) CLI_PRINTF(2, 3);
/* "truepoint CMD: <msg>\n" plus a pointer to --help on stderr; returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *c, const char *fmt, ...) CLI_PRINTF(2, 3);

/* ------------------------------------------------------------ options */

/* A bad token quoted in a message, at most 60 characters of it:
 * cli_line_error(n, "cannot parse " CLI_TOKEN_FMT, CLI_TOKEN_ARG(tok)). */
#define CLI_TOKEN_FMT "'%.60s%s'"
#define CLI_TOKEN_ARG(s) (s), (strlen(s) > 60 ? "..." : "")

/* What an option stores in its `dest`. */
typedef enum cli_opt_kind {
    CLI_OPT_STRING,     /* const char *: the value as given (a format name) */
    CLI_OPT_ROUND,      /* tp_round: rne, rna, rtz, rup, rdn, rto, sr */
    CLI_OPT_OVERFLOW,   /* tp_overflow: sat or nonsat */
    CLI_OPT_U64,        /* uint64_t: decimal or 0x hex */
    CLI_OPT_SCALE_RULE, /* tp_scale_rule: floor, rceil, ceil or even */
    CLI_OPT_F64,        /* int: 0 for "f32", 1 for "f64" */
    CLI_OPT_SWITCH      /* int: set to 1; takes no value, matched exactly */
} cli_opt_kind;

/* One option of a command.  Options with a value accept the forms of
 * cli_opt_value. */
typedef struct cli_option {
    const char *short_name; /* "-f", or NULL */
    const char *long_name;  /* "--format", or NULL */
    cli_opt_kind kind;
    void *dest; /* of the type `kind` names */
} cli_option;

/* Parses argv[1..argc-1] against `opts`, a table ended by an entry without
 * names; the first entry that matches an argument takes it.  An argument no
 * entry takes is an unknown option, or, when `input` is not NULL and the
 * argument does not start with '-', "unexpected argument 'X' (<input> are
 * read from stdin)".  Returns CLI_EXIT_OK, or CLI_EXIT_USAGE after
 * reporting. */
int cli_parse_options(const cli_command *c, int argc, char **argv, const cli_option *opts,
                      const char *input);

/* Nonzero for "--help" and "-h". */
int cli_is_help(const char *arg);

/* Matches argv[*i] against an option taking a value: "-f X", "-fX",
 * "--format X" or "--format=X" (either name may be NULL).  Returns 1 and
 * sets *val (advancing *i past a separate value), 0 if argv[*i] is another
 * option, or -1 after reporting a missing value. */
int cli_opt_value(const cli_command *c, int argc, char **argv, int *i, const char *short_name,
                  const char *long_name, const char **val);

/* Parsers for option values; on failure they report a usage error and
 * return -1, else 0. */
int cli_parse_format(const cli_command *c, const char *name, tp_format *out);
int cli_parse_round(const cli_command *c, const char *name, tp_round *out);
int cli_parse_overflow(const cli_command *c, const char *name, tp_overflow *out);
/* A 64-bit unsigned integer, decimal or 0x hex. */
int cli_parse_u64_opt(const cli_command *c, const char *opt, const char *s, uint64_t *out);

/* Names of the rounding modes indexed by tp_round ("rne" .. "sr"). */
extern const char *const cli_round_names[7];
const char *cli_overflow_name(tp_overflow o);

/* ------------------------------------------------------------ numbers */

/* Parses a hex number: an optional "0x"/"0X" prefix (mandatory when
 * `need_prefix`) then 1 or more hex digits, nothing else.  Returns 0 and the
 * value, -1 on a syntax error, -2 if the value does not fit in 64 bits. */
int cli_parse_hex(const char *s, int need_prefix, uint64_t *out);
/* Nonzero if `s` starts with 0x or 0X. */
int cli_has_hex_prefix(const char *s);

/* Number of hex digits a code of format `d` prints with: 2, 4, 8 or 16. */
unsigned cli_code_digits(const tp_format_desc *d);
/* Mask of the valid code bits of `d`. */
uint64_t cli_code_mask(const tp_format_desc *d);
/* Prints a code as "0x" + cli_code_digits hex digits. */
void cli_print_code(FILE *fp, const tp_format_desc *d, uint64_t code);
/* Parses an input line holding one code of `d` (hex, 0x prefix optional).
 * Returns 0, or -1 after reporting a syntax error or a code too wide. */
int cli_parse_code_line(const tp_format_desc *d, const char *line, unsigned long lineno,
                        uint64_t *code);
/* Splits an input line into at most `max` blank-separated hex numbers.
 * Returns the count, or -1 after reporting a bad token or too many of them
 * ("too many values (<limit_text> <max>)"). */
int cli_hex_fields(const char *line, unsigned long lineno, uint64_t *out, int max,
                   const char *limit_text);

/* Storage of codes in the library's element type (uint8_t, uint16_t, float,
 * double): element size in bytes, and load/store of element i. */
size_t cli_elem_size(const tp_format_desc *d);
uint64_t cli_code_load(const tp_format_desc *d, const void *base, size_t i);
void cli_code_store(const tp_format_desc *d, void *base, size_t i, uint64_t code);

/* Flag names joined by commas in bit order ("inexact,overflow"), or "none".
 * `buf` needs 40 bytes. */
const char *cli_flags_text(unsigned flags, char *buf, size_t size);
/* With `show` (--flags), prints the flags as a last column: " inexact". */
void cli_print_flags(int show, unsigned flags);

/* Shortest decimal that reads back (strtof/strtod) to the same value, with
 * "nan", "-nan", "inf", "-inf" for the specials.  `buf` needs 40 bytes. */
const char *cli_shortest_f32(float x, char *buf, size_t size);
const char *cli_shortest_f64(double x, char *buf, size_t size);

/* ------------------------------------------------------------ input */

/* Called for each non-blank input line (trimmed) with its 1-based number;
 * returns 0 to go on, or -1 after reporting an error. */
typedef int (*cli_line_fn)(void *ctx, const char *line, unsigned long lineno);

/* Makes stdout line buffered, then passes each non-blank line of stdin to
 * `fn` until the end of the input.  Lines may be arbitrarily long; a
 * trailing "\r" (CRLF input) and surrounding blanks are removed.  Returns
 * CLI_EXIT_OK at the end of the input; CLI_EXIT_DATA, with stdout flushed,
 * at the first line `fn` refuses or after reporting a read error, a NUL
 * byte in a line, or memory exhaustion. */
int cli_each_line(cli_line_fn fn, void *ctx);

/* Makes stdout line buffered (call before the first output). */
void cli_line_buffered_stdout(void);
/* Flushes stdout; returns CLI_EXIT_OK, or CLI_EXIT_DATA after reporting a
 * write error. */
int cli_finish_stdout(void);

/* ------------------------------------------------------------ shared output */

/* The format table of `truepoint formats` (and of the demo). */
void cli_print_format_table(FILE *fp);

/* The output options of sum and dot. */
typedef struct cli_round_opts {
    const char *out_name; /* --out FMT */
    tp_round rnd;         /* -r MODE */
    tp_overflow ovf;      /* -o POL */
    uint64_t seed;        /* --seed N: tp_sr_word(N, 0) for -r sr */
    int show_flags;       /* --flags */
} cli_round_opts;

/* Parses the options of sum or dot: the command's own options `own` (a
 * table as for cli_parse_options, at most 8 entries), then --out, -r, -o,
 * --seed and --flags into *ro, which starts at the defaults (f32, rne, the
 * format's own overflow policy, seed 0, no flags).  Returns as
 * cli_parse_options (defined in acc_cmd.c). */
int cli_parse_round_options(const cli_command *c, int argc, char **argv, const cli_option *own,
                            cli_round_opts *ro);
/* Rounds the exact sum in `acc` once to `od` under `o`, ORing the flags into
 * `flags`, and prints the code (and with --flags the flags) as one line.
 * Returns the exit status, stdout flushed (defined in acc_cmd.c). */
int cli_print_acc_result(const tp_acc *acc, const tp_format_desc *od, const cli_round_opts *o,
                         unsigned flags);

/* ------------------------------------------------------------ blocks */

/* Element code width in bits of a block format (defined in block_cmd.c). */
unsigned cli_block_elem_width(const tp_block_desc *b);
/* Packs one block (scale code, element codes) into the library layout:
 * `scale` gets 1 byte, `el` the block's element bytes (ggml: the scale too). */
void cli_block_pack(const tp_block_desc *b, unsigned sc, const uint64_t *codes, uint8_t *scale,
                    uint8_t *el);
/* A "tensor_scale 0x..." line: returns 1 and the binary32 value, 0 for
 * another line, -1 after reporting an error. */
int cli_tensor_scale_line(const char *line, unsigned long lineno, float *ts);

/* The input lines of blocks; both return 0, or -1 after reporting an error.
 * `name` is the block format's name that quantize and dequantize quote in
 * their messages; NULL gives the wording of dot.
 *
 * A scale code then the element codes, checked for width and packed. */
int cli_block_code_line(const tp_block_desc *b, const char *name, const char *line,
                        unsigned long lineno, uint8_t *scale, uint8_t *el);
/* The bs binary32 values of one block, as hex bits. */
int cli_block_f32_line(int bs, const char *name, const char *line, unsigned long lineno,
                       float *x);

#endif /* TP_CLI_H */
