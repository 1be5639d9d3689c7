/*
 * dot_cmd.c -- `truepoint dot`: the exact dot product of pairs of codes (or
 * of block pairs) read from stdin, rounded once (tp_dot_acc /
 * tp_block_dot_acc, then tp_acc_round).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define MAX_BS 256
#define TOKEN_FMT "'%.60s%s'"
#define TOKEN_ARG(s) (s), (strlen(s) > 60 ? "..." : "")

extern const cli_command cli_cmd_dot;

/* Splits a line into at most `max` whitespace-separated hex numbers.
 * Returns the count, or -1 after reporting a bad token. */
static int hex_fields(const char *line, unsigned long lineno, uint64_t *out, int max)
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
            cli_line_error(lineno, n >= max ? "too many values (expected %d)" : "value too long",
                           max);
            return -1;
        }
        memcpy(tok, p, len);
        tok[len] = '\0';
        if (cli_parse_hex(tok, 0, &out[n]) != 0) {
            cli_line_error(lineno, "cannot parse " TOKEN_FMT " as hex", TOKEN_ARG(tok));
            return -1;
        }
        n++;
        p += len;
    }
    return n;
}

/* Element code width of a block format. */
static unsigned elem_width(const tp_block_desc *b)
{
    if (b->format == TP_BLOCK_BFP)
        return b->mant_bits;
    if (b->format == TP_BLOCK_GGML_Q8_0)
        return 8;
    return tp_format_get((tp_format)b->elem)->bits;
}

/* Packs one block (scale code, element codes) into the library layout. */
static void pack_block(const tp_block_desc *b, unsigned sc, const uint64_t *codes, uint8_t *scale,
                       uint8_t *el)
{
    int bs = b->block_size;
    unsigned w = elem_width(b);
    memset(el, 0, 2 * MAX_BS + 2);
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

/* One operand: an element format, a block format, or (B only, with a block
 * A) binary32 blocks. */
typedef struct operand {
    int is_block;
    tp_format fmt;
    tp_block_desc b;
    float ts;
} operand;

static int parse_operand(const cli_command *c, const char *name, operand *o)
{
    memset(o, 0, sizeof *o);
    o->ts = 1.0f;
    if (tp_format_from_name(name, &o->fmt) == TP_OK)
        return 0;
    if (tp_block_from_name(name, &o->b) == TP_OK) {
        o->is_block = 1;
        return 0;
    }
    cli_usage_error(c, "unknown format '%s' (an element format of 'truepoint formats', or a "
                       "block format of 'truepoint quantize')", name);
    return -1;
}

/* "tensor_scale 0x..." lines: returns 1 and the value, 0 for another line,
 * -1 after reporting an error. */
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

/* Reads one block line of operand o into (scale, elems); b32 holds binary32
 * values when o is the binary32 side of a block x f32 dot. */
static int read_block(const operand *o, const operand *a, const char *line, unsigned long lineno,
                      uint8_t *scale, uint8_t *el, float *b32)
{
    uint64_t vals[MAX_BS + 2];
    if (!o->is_block) { /* binary32 values, one block of A */
        int bs = a->b.block_size;
        int n = hex_fields(line, lineno, vals, MAX_BS);
        if (n < 0)
            return -1;
        if (n != bs) {
            cli_line_error(lineno, "a line of binary32 values has %d values, not %d", bs, n);
            return -1;
        }
        for (int j = 0; j < bs; j++) {
            if (vals[j] > 0xFFFFFFFFu) {
                cli_line_error(lineno, "value %d is not binary32 hex bits", j + 1);
                return -1;
            }
            uint32_t u = (uint32_t)vals[j];
            memcpy(&b32[j], &u, 4);
        }
        return 0;
    }
    int bs = o->b.block_size;
    int n = hex_fields(line, lineno, vals, MAX_BS + 1);
    if (n < 0)
        return -1;
    if (n != bs + 1) {
        cli_line_error(lineno, "a block line is a scale and %d codes, not %d values", bs, n);
        return -1;
    }
    uint64_t smask = o->b.format == TP_BLOCK_GGML_Q8_0 ? 0xFFFF : 0xFF;
    uint64_t emask = (UINT64_C(1) << elem_width(&o->b)) - 1;
    if (vals[0] > smask) {
        cli_line_error(lineno, "scale code 0x%llx is too wide", (unsigned long long)vals[0]);
        return -1;
    }
    for (int j = 1; j <= bs; j++) {
        if (vals[j] > emask) {
            cli_line_error(lineno, "code 0x%llx is wider than %u bits",
                           (unsigned long long)vals[j], elem_width(&o->b));
            return -1;
        }
    }
    pack_block(&o->b, (unsigned)vals[0], vals + 1, scale, el);
    return 0;
}

static int run_dot(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_dot;
    const char *an = NULL, *bn = NULL, *out_name = "f32", *val;
    tp_format outf;
    tp_round rnd = TP_RNE;
    tp_overflow ovf = TP_OVF_DEFAULT;
    uint64_t seed = 0;
    int show_flags = 0, rc;
    operand A, B;

    for (int i = 1; i < argc; i++) {
        if ((rc = cli_opt_value(c, argc, argv, &i, "-a", NULL, &val)) != 0) {
            if (rc < 0)
                return CLI_EXIT_USAGE;
            an = val;
        } else if ((rc = cli_opt_value(c, argc, argv, &i, "-b", NULL, &val)) != 0) {
            if (rc < 0)
                return CLI_EXIT_USAGE;
            bn = val;
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
    if (an == NULL || bn == NULL)
        return cli_usage_error(c, "both input formats are required (-a FMT -b FMT)");
    if (parse_operand(c, an, &A) != 0 || parse_operand(c, bn, &B) != 0 ||
        cli_parse_format(c, out_name, &outf) != 0)
        return CLI_EXIT_USAGE;
    if (B.is_block && !A.is_block)
        return cli_usage_error(c, "a block format B needs a block format A");
    if (A.is_block && !B.is_block && B.fmt != TP_F32)
        return cli_usage_error(c, "a block format A takes a block format B or -b f32");
    if (A.is_block && B.is_block) {
        if (A.b.block_size != B.b.block_size)
            return cli_usage_error(c, "the two block formats need the same block size (one "
                                      "block of each per pair of lines), not %u and %u",
                                   (unsigned)A.b.block_size, (unsigned)B.b.block_size);
    }
    const tp_format_desc *od = tp_format_get(outf);
    const tp_format_desc *da = A.is_block ? NULL : tp_format_get(A.fmt);
    const tp_format_desc *db = B.is_block ? NULL : tp_format_get(B.fmt);

    tp_acc acc;
    tp_acc_init(&acc);
    cli_line_buffered_stdout();
    cli_reader rd;
    cli_reader_init(&rd, stdin);
    const char *tok;
    int status = CLI_EXIT_OK, side = 0; /* blocks: 0 expects A, 1 expects B */
    uint8_t sa[1], sb[1], ea[2 * MAX_BS + 2], eb[2 * MAX_BS + 2];
    float fb[MAX_BS];
    unsigned flags = 0;

    while ((rc = cli_next_token(&rd, &tok)) > 0) {
        if (!A.is_block) {
            uint64_t v[2];
            int n = hex_fields(tok, rd.lineno, v, 2);
            if (n < 0) {
                status = CLI_EXIT_DATA;
                break;
            }
            if (n != 2) {
                cli_line_error(rd.lineno, "expected two hex codes (a then b), not %d values", n);
                status = CLI_EXIT_DATA;
                break;
            }
            if ((v[0] & ~cli_code_mask(da)) || (v[1] & ~cli_code_mask(db))) {
                cli_line_error(rd.lineno, "a code is too wide for its format (%s: %u bits, "
                                          "%s: %u bits)",
                               da->name, (unsigned)da->bits, db->name, (unsigned)db->bits);
                status = CLI_EXIT_DATA;
                break;
            }
            uint64_t xa = 0, xb = 0;
            cli_code_store(da, &xa, 0, v[0]);
            cli_code_store(db, &xb, 0, v[1]);
            tp_status st = tp_dot_acc(da, &xa, 1, db, &xb, 1, 1, &acc);
            if (st != TP_OK) {
                cli_line_error(rd.lineno, "the library refused the codes: %s",
                               tp_status_string(st));
                status = CLI_EXIT_DATA;
                break;
            }
            continue;
        }
        operand *o = side == 0 ? &A : &B;
        if (o->is_block && o->b.format == TP_BLOCK_NVFP4) {
            int t = tensor_scale_line(tok, rd.lineno, &o->ts);
            if (t < 0) {
                status = CLI_EXIT_DATA;
                break;
            }
            if (t > 0)
                continue;
        }
        if (read_block(o, &A, tok, rd.lineno, side == 0 ? sa : sb, side == 0 ? ea : eb, fb) != 0) {
            status = CLI_EXIT_DATA;
            break;
        }
        if (side == 0) {
            side = 1;
            continue;
        }
        side = 0;
        size_t n = A.b.block_size;
        tp_status st;
        if (B.is_block)
            st = tp_block_dot_acc(&A.b, sa, ea, A.ts, &B.b, sb, eb, B.ts, n, &acc);
        else
            st = tp_block_dot_acc(&A.b, sa, ea, A.ts, NULL, NULL, fb, 1.0f, n, &acc);
        if (st == TP_OK && A.b.format == TP_BLOCK_NVFP4 && sa[0] >= 0x80)
            flags |= TP_FLAG_INVALID; /* as tp_block_dot: a UE4M3 scale with its sign set */
        if (st == TP_OK && B.is_block && B.b.format == TP_BLOCK_NVFP4 && sb[0] >= 0x80)
            flags |= TP_FLAG_INVALID;
        if (st != TP_OK) {
            cli_line_error(rd.lineno, "the library refused the blocks: %s", tp_status_string(st));
            status = CLI_EXIT_DATA;
            break;
        }
    }
    cli_reader_free(&rd);
    if (rc < 0)
        status = CLI_EXIT_DATA;
    if (status == CLI_EXIT_OK && side == 1) {
        cli_error("the input ends after an A block without its B block");
        status = CLI_EXIT_DATA;
    }
    if (status != CLI_EXIT_OK) {
        cli_finish_stdout();
        return status;
    }
    uint64_t code;
    tp_status st = tp_acc_round(&acc, od, rnd, ovf, tp_sr_word(seed, 0), &code, &flags);
    if (st != TP_OK) {
        cli_error("the library refused to round: %s", tp_status_string(st));
        cli_finish_stdout();
        return CLI_EXIT_DATA;
    }
    cli_print_code(stdout, od, code);
    if (show_flags) {
        char fbuf[48];
        printf(" %s", cli_flags_text(flags, fbuf, sizeof fbuf));
    }
    putchar('\n');
    return cli_finish_stdout();
}

const cli_command cli_cmd_dot = {
    "dot",
    run_dot,
    "dot -a FMT -b FMT [--out FMT] [-r MODE] [-o POL] [--seed N] [--flags] < pairs",
    "the exact dot product of code pairs (or block pairs) from stdin, rounded once",
    "Element formats: reads lines of two hex codes, a (format -a) then b (format\n"
    "-b; for f32 and f64 the binary32 or binary64 bits), and prints the exact sum\n"
    "of the exact products a*b rounded once to the output format as one code.\n"
    "Any two formats may be mixed.  No input gives +0.\n"
    "\n"
    "Block formats (the names of 'truepoint quantize'): reads pairs of lines, an\n"
    "A block then a B block, each as 'truepoint quantize' prints it (the scale\n"
    "code, then the element codes).  Both formats need the same block size.\n"
    "With -b f32 the B line holds the block's binary32 values instead.  For\n"
    "nvfp4, a line 'tensor_scale 0x...' sets the tensor scale of the operand\n"
    "whose block comes next (default 1).  Scales combine as exact exponents; a\n"
    "NaN scale makes the result NaN.\n"
    "\n"
    "NaN, 0 x Inf or +Inf with -Inf give the format's NaN (0 x Inf and Inf - Inf\n"
    "raise invalid); an exact zero sum is -0 if every product was -0, or under\n"
    "-r rdn when terms cancelled.\n"
    "\n"
    "Options:\n"
    "  -a FMT               format of the first operand (required)\n"
    "  -b FMT               format of the second operand (required)\n"
    "      --out FMT        the output format (default f32)\n"
    "  -r, --round MODE     rne (default), rna, rtz, rup, rdn, rto, sr\n"
    "  -o, --overflow POL   sat or nonsat; by default the output format's own policy\n"
    "      --seed N         stochastic rounding (-r sr): the random word is\n"
    "                       tp_sr_word(N, 0) (default N = 0)\n"
    "      --flags          append the flags of the rounding, or \"none\"\n"
    "  -h, --help           print this help\n",
};
