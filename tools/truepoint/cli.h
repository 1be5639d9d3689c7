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

/* Storage of codes in the library's element type (uint8_t, uint16_t, float,
 * double): element size in bytes, and load/store of element i. */
size_t cli_elem_size(const tp_format_desc *d);
uint64_t cli_code_load(const tp_format_desc *d, const void *base, size_t i);
void cli_code_store(const tp_format_desc *d, void *base, size_t i, uint64_t code);

/* Flag names joined by commas in bit order ("inexact,overflow"), or "none".
 * `buf` needs 40 bytes. */
const char *cli_flags_text(unsigned flags, char *buf, size_t size);

/* Shortest decimal that reads back (strtof/strtod) to the same value, with
 * "nan", "-nan", "inf", "-inf" for the specials.  `buf` needs 40 bytes. */
const char *cli_shortest_f32(float x, char *buf, size_t size);
const char *cli_shortest_f64(double x, char *buf, size_t size);

/* ------------------------------------------------------------ input */

/* Line reader over a stream.  Lines may be arbitrarily long; a trailing
 * "\r" (CRLF input) and surrounding blanks are removed. */
typedef struct cli_reader {
    FILE *fp;
    char *buf;
    size_t cap;
    unsigned long lineno; /* 1-based number of the line last returned */
} cli_reader;

void cli_reader_init(cli_reader *r, FILE *fp);
void cli_reader_free(cli_reader *r);
/* Returns 1 with *token set to the next non-blank line (trimmed), 0 at end
 * of input, -1 after reporting a read error, a NUL byte in a line, or memory
 * exhaustion. */
int cli_next_token(cli_reader *r, const char **token);

/* Makes stdout line buffered (call before the first output). */
void cli_line_buffered_stdout(void);
/* Flushes stdout; returns CLI_EXIT_OK, or CLI_EXIT_DATA after reporting a
 * write error. */
int cli_finish_stdout(void);

/* ------------------------------------------------------------ shared output */

/* The format table of `truepoint formats` (and of the demo). */
void cli_print_format_table(FILE *fp);

#endif /* TP_CLI_H */
