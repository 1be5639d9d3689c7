/*
 * dot_cmd.c -- `truepoint dot`: the exact dot product of pairs of codes (or
 * of block pairs) read from stdin, rounded once (tp_dot_acc /
 * tp_block_dot_acc, then tp_acc_round).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define MAX_BS 256


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

/* The state of `dot` over its input lines. */
typedef struct dot_ctx {
    operand A, B;
    const tp_format_desc *da, *db; /* element formats, or NULL */
    tp_acc acc;
    int side; /* blocks: 0 expects A, 1 expects B */
    uint8_t sa[1], sb[1], ea[2 * MAX_BS + 2], eb[2 * MAX_BS + 2];
    float fb[MAX_BS];
    unsigned flags;
} dot_ctx;

/* A line of two element codes: adds their product. */
static int dot_codes_line(dot_ctx *x, const char *line, unsigned long lineno)
{
    const tp_format_desc *da = x->da, *db = x->db;
    uint64_t v[2];
    int n = cli_hex_fields(line, lineno, v, 2, "expected");
    if (n < 0)
        return -1;
    if (n != 2) {
        cli_line_error(lineno, "expected two hex codes (a then b), not %d values", n);
        return -1;
    }
    if ((v[0] & ~cli_code_mask(da)) || (v[1] & ~cli_code_mask(db))) {
        cli_line_error(lineno, "a code is too wide for its format (%s: %u bits, %s: %u bits)",
                       da->name, (unsigned)da->bits, db->name, (unsigned)db->bits);
        return -1;
    }
    uint64_t xa = 0, xb = 0;
    cli_code_store(da, &xa, 0, v[0]);
    cli_code_store(db, &xb, 0, v[1]);
    tp_status st = tp_dot_acc(da, &xa, 1, db, &xb, 1, 1, &x->acc);
    if (st != TP_OK) {
        cli_line_error(lineno, "the library refused the codes: %s", tp_status_string(st));
        return -1;
    }
    return 0;
}

/* A line of an A block or a B block (or an nvfp4 tensor scale); after a B
 * block adds the product of the pair. */
static int dot_block_line(dot_ctx *x, const char *line, unsigned long lineno)
{
    operand *o = x->side == 0 ? &x->A : &x->B;
    if (o->is_block && o->b.format == TP_BLOCK_NVFP4) {
        int t = cli_tensor_scale_line(line, lineno, &o->ts);
        if (t != 0)
            return t < 0 ? -1 : 0;
    }
    if (!o->is_block) { /* binary32 values, one block of A */
        if (cli_block_f32_line(x->A.b.block_size, NULL, line, lineno, x->fb) != 0)
            return -1;
    } else if (cli_block_code_line(&o->b, NULL, line, lineno, x->side == 0 ? x->sa : x->sb,
                                   x->side == 0 ? x->ea : x->eb) != 0) {
        return -1;
    }
    if (x->side == 0) {
        x->side = 1;
        return 0;
    }
    x->side = 0;
    size_t n = x->A.b.block_size;
    tp_status st;
    if (x->B.is_block)
        st = tp_block_dot_acc(&x->A.b, x->sa, x->ea, x->A.ts, &x->B.b, x->sb, x->eb, x->B.ts, n,
                              &x->acc);
    else
        st = tp_block_dot_acc(&x->A.b, x->sa, x->ea, x->A.ts, NULL, NULL, x->fb, 1.0f, n, &x->acc);
    if (st == TP_OK && x->A.b.format == TP_BLOCK_NVFP4 && x->sa[0] >= 0x80)
        x->flags |= TP_FLAG_INVALID; /* as tp_block_dot: a UE4M3 scale with its sign set */
    if (st == TP_OK && x->B.is_block && x->B.b.format == TP_BLOCK_NVFP4 && x->sb[0] >= 0x80)
        x->flags |= TP_FLAG_INVALID;
    if (st != TP_OK) {
        cli_line_error(lineno, "the library refused the blocks: %s", tp_status_string(st));
        return -1;
    }
    return 0;
}

static int dot_line(void *ctx, const char *line, unsigned long lineno)
{
    dot_ctx *x = (dot_ctx *)ctx;
    return x->A.is_block ? dot_block_line(x, line, lineno) : dot_codes_line(x, line, lineno);
}

static int run_dot(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_dot;
    const char *an = NULL, *bn = NULL;
    const cli_option opts[] = {
        {"-a", NULL, CLI_OPT_STRING, &an},
        {"-b", NULL, CLI_OPT_STRING, &bn},
        {NULL, NULL, CLI_OPT_SWITCH, NULL},
    };
    cli_round_opts ro;
    tp_format outf;
    dot_ctx x;
    int rc;

    memset(&x, 0, sizeof x);

    if ((rc = cli_parse_round_options(c, argc, argv, opts, &ro)) != CLI_EXIT_OK)
        return rc;
    if (an == NULL || bn == NULL)
        return cli_usage_error(c, "both input formats are required (-a FMT -b FMT)");
    if (parse_operand(c, an, &x.A) != 0 || parse_operand(c, bn, &x.B) != 0 ||
        cli_parse_format(c, ro.out_name, &outf) != 0)
        return CLI_EXIT_USAGE;
    if (x.B.is_block && !x.A.is_block)
        return cli_usage_error(c, "a block format B needs a block format A");
    if (x.A.is_block && !x.B.is_block && x.B.fmt != TP_F32)
        return cli_usage_error(c, "a block format A takes a block format B or -b f32");
    if (x.A.is_block && x.B.is_block) {
        if (x.A.b.block_size != x.B.b.block_size)
            return cli_usage_error(c, "the two block formats need the same block size (one "
                                      "block of each per pair of lines), not %u and %u",
                                   (unsigned)x.A.b.block_size, (unsigned)x.B.b.block_size);
    }
    x.da = x.A.is_block ? NULL : tp_format_get(x.A.fmt);
    x.db = x.B.is_block ? NULL : tp_format_get(x.B.fmt);
    tp_acc_init(&x.acc);
    if ((rc = cli_each_line(dot_line, &x)) != CLI_EXIT_OK)
        return rc;
    if (x.side == 1) {
        cli_error("the input ends after an A block without its B block");
        cli_finish_stdout();
        return CLI_EXIT_DATA;
    }
    return cli_print_acc_result(&x.acc, tp_format_get(outf), &ro, x.flags);
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
