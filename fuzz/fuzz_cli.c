/*
 * fuzz_cli.c -- the command-line tool's parsers: option parsing and the
 * line readers of every stdin-driven command (encode, decode, quantize,
 * dequantize, sum, dot, formats, help).
 *
 * The input's first line is the command line (split at blanks); the rest is
 * the command's stdin.  The tool's sources are compiled with main renamed
 * (fuzz/local.mk) and run in-process with stdin and stdout redirected to
 * temporary files.  Checked: the exit status is 0, 1 or 2, nothing crashes
 * or overruns (sanitizers), and for the plain command lines "encode -f FMT"
 * and "decode -f FMT" the whole output against an independent reading of
 * the input (its own line splitting and number parsing, the MPFR oracle for
 * the codes and values): which inputs are accepted, and every output line.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "oracle.h"

/* The tool's main(), renamed when its sources are compiled for the fuzz
 * targets (fuzz/local.mk: -Dmain=tp_cli_main). */
int tp_cli_main(int argc, char **argv);

#define MAX_ARGS 16

static char in_path[64], out_path[64];
static int devnull_fd = -1, saved_err = -1;

static void remove_files(void)
{
    if (in_path[0])
        unlink(in_path);
    if (out_path[0])
        unlink(out_path);
}

static void setup(void)
{
    if (in_path[0])
        return;
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || strlen(tmp) > 32)
        tmp = "/tmp";
    snprintf(in_path, sizeof in_path, "%s/tpfuzz_in_XXXXXX", tmp);
    snprintf(out_path, sizeof out_path, "%s/tpfuzz_out_XXXXXX", tmp);
    int f1 = mkstemp(in_path), f2 = mkstemp(out_path);
    if (f1 < 0 || f2 < 0)
        fz_fail("cannot create temporary files in %s", tmp);
    close(f1);
    close(f2);
    atexit(remove_files);
    /* Under libFuzzer the tool's messages are silenced (TP_FUZZ_VERBOSE=1
     * keeps them); the replay driver shows them. */
    if (fz_current_input == NULL && getenv("TP_FUZZ_VERBOSE") == NULL) {
        devnull_fd = open("/dev/null", O_WRONLY);
        saved_err = dup(2);
    }
}

static int is_blank_ch(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Independent reading of a hex code: optional 0x, 1+ hex digits, value
 * below 2^bits.  Returns 0 or -1. */
static int read_hex(const char *s, unsigned bits, unsigned max_digits, uint64_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    size_t len = strlen(s);
    if (len == 0)
        return -1; /* any number of leading zeros is accepted */
    uint64_t v = 0;
    int over = 0;
    for (size_t i = 0; i < len; i++) {
        int c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        if (v >> 60)
            over = 1;
        v = v << 4 | (unsigned)d;
    }
    if (over || (max_digits && len > max_digits))
        return -2;
    if (bits < 64 && (v >> bits) != 0)
        return -2;
    *out = v;
    return 0;
}

/* The expected output of "encode -f FMT" / "decode -f FMT" for `input`:
 * returns 0 and fills `exp` if every line is accepted, else 1 (the tool
 * must exit with status 1). */
static int expected_output(int decode, const tp_format_desc *d, const char *input, size_t len,
                           char *exp, size_t cap)
{
    size_t pos = 0, o = 0;
    exp[0] = '\0';
    while (pos < len) {
        const char *nl = memchr(input + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (input + pos)) : len - pos;
        char *line = malloc(l + 1);
        memcpy(line, input + pos, l);
        line[l] = '\0';
        pos += l + 1;
        if (strlen(line) != l) { /* a NUL byte */
            free(line);
            return 1;
        }
        char *s = line;
        while (l > 0 && is_blank_ch((unsigned char)s[l - 1]))
            s[--l] = '\0';
        while (is_blank_ch((unsigned char)*s))
            s++;
        if (*s == '\0') {
            free(line);
            continue;
        }
        char buf[64];
        if (decode) {
            uint64_t code;
            uint32_t bits = 0;
            unsigned f = 0;
            if (read_hex(s, d->bits, 0, &code) != 0 || orc_decode_f32(d, code, &bits, &f) != 0) {
                free(line);
                return 1;
            }
            snprintf(buf, sizeof buf, "0x%08lx\n", (unsigned long)bits);
        } else {
            double x;
            if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                uint64_t b;
                if (read_hex(s, 64, 8, &b) != 0) {
                    free(line);
                    return 1;
                }
                x = (double)fz_u2f((uint32_t)b);
            } else {
                char *end;
                if (strpbrk(s, "xX") != NULL) {
                    free(line);
                    return 1;
                }
                x = strtod(s, &end);
                if (end == s || *end != '\0') {
                    free(line);
                    return 1;
                }
            }
            uint64_t code = 0;
            unsigned f = 0;
            orc_encode(d, x, TP_RNE, TP_OVF_DEFAULT, 0, &code, &f);
            snprintf(buf, sizeof buf, "0x%0*llx\n", (int)(2 * fz_code_size(d)),
                     (unsigned long long)code);
        }
        free(line);
        size_t bl = strlen(buf);
        if (o + bl + 1 > cap)
            return 2; /* too long to compare */
        memcpy(exp + o, buf, bl + 1);
        o += bl;
    }
    return 0;
}

static const char *const allowed[] = {"encode", "decode", "quantize", "dequantize", "sum",
                                      "dot", "formats", "help", "--help", "--version", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    const uint8_t *nl = memchr(data, '\n', size);
    size_t cl = nl ? (size_t)(nl - data) : size;
    if (cl > 400)
        return 0;
    char cmd[401];
    memcpy(cmd, data, cl);
    cmd[cl] = '\0';
    if (strlen(cmd) != cl)
        return 0; /* a NUL in the command line: not a command line */
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"truepoint";
    for (char *tok = strtok(cmd, " "); tok && argc <= MAX_ARGS; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    if (argc < 2)
        return 0;
    int ok = 0;
    for (int i = 0; allowed[i]; i++)
        ok |= strcmp(argv[1], allowed[i]) == 0;
    if (!ok)
        return 0;
    const char *input = nl ? (const char *)nl + 1 : "";
    size_t ilen = nl ? size - cl - 1 : 0;

    FILE *fp = fopen(in_path, "wb");
    if (fp == NULL || (ilen && fwrite(input, 1, ilen, fp) != ilen) || fclose(fp) != 0)
        fz_fail("cannot write %s", in_path);
    if (freopen(in_path, "rb", stdin) == NULL || freopen(out_path, "w", stdout) == NULL)
        fz_fail("cannot redirect stdin/stdout");
    if (devnull_fd >= 0) {
        fflush(stderr);
        dup2(devnull_fd, 2);
    }
    int rc = tp_cli_main(argc, argv);
    fflush(stdout);
    if (devnull_fd >= 0) {
        fflush(stderr);
        dup2(saved_err, 2);
    }
    FZ_CHECK(rc == 0 || rc == 1 || rc == 2, "exit status %d", rc);

    /* The differential check of the plain encode / decode command lines. */
    tp_format f;
    if (argc == 4 && (strcmp(argv[1], "encode") == 0 || strcmp(argv[1], "decode") == 0) &&
        strcmp(argv[2], "-f") == 0 && tp_format_from_name(argv[3], &f) == TP_OK) {
        int decode = argv[1][0] == 'd';
        const tp_format_desc *d = tp_format_get(f);
        if (decode && d->bits == 64) {
            FZ_CHECK(rc == 2, "decode -f f64 without --to f64: exit %d", rc);
            return 0;
        }
        size_t cap = 64 * (ilen + 2);
        char *exp = malloc(cap), *got = malloc(cap + 1);
        int er = expected_output(decode, d, input, ilen, exp, cap);
        FILE *op = fopen(out_path, "rb");
        size_t gl = op ? fread(got, 1, cap, op) : 0;
        if (op)
            fclose(op);
        got[gl] = '\0';
        if (er == 0) {
            FZ_CHECK(rc == 0, "%s -f %s: exit %d for input the documentation accepts", argv[1],
                     argv[3], rc);
            FZ_CHECK(strcmp(got, exp) == 0, "%s -f %s: output\n%s\nexpected\n%s", argv[1], argv[3],
                     got, exp);
        } else if (er == 1) {
            FZ_CHECK(rc == 1, "%s -f %s: exit %d for input the documentation refuses", argv[1],
                     argv[3], rc);
            FZ_CHECK(strncmp(got, exp, strlen(exp)) == 0 && strlen(got) == strlen(exp),
                     "%s -f %s: the lines before the bad one: output\n%s\nexpected\n%s", argv[1],
                     argv[3], got, exp);
        }
        free(exp);
        free(got);
    }
    return 0;
}
