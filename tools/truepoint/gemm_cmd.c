/*
 * gemm_cmd.c -- `truepoint gemm`: C = A * B for binary32 matrices read from
 * stdin, A and B quantised to element or block formats as `encode` and
 * `quantize` would, the product computed by tp_gemm (exact: one rounding
 * of each output) and printed as codes of the output format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"


/* The largest number of values of A (M*K), B (K*N) and C (M*N). */
#define GEMM_MAX_VALUES (UINT64_C(1) << 24)
#define GEMM_MAX_VALUES_TEXT "16777216 (2^24)"
/* The largest --threads. */
#define GEMM_MAX_THREADS 1024

/* One operand: an element format or a block format. */
typedef struct gemm_operand {
    const char *fname; /* the name given to -a or -b */
    int is_block;
    tp_format fmt;
    tp_block_desc b;
} gemm_operand;

/* The state of `gemm` over its input lines. */
typedef struct gemm_ctx {
    gemm_operand A, B;
    int phase;         /* 0: expects the sizes, 1: rows of A, 2: rows of B, 3: done */
    size_t m, n, k;
    size_t rows;       /* rows of the current phase read so far */
    float *a, *b;      /* M x K and K x N, row-major */
    uint64_t *fields;  /* one line's values */
} gemm_ctx;

static int parse_operand(const cli_command *c, const char *name, gemm_operand *o)
{
    memset(o, 0, sizeof *o);
    o->fname = name;
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

/* A decimal size of at most GEMM_MAX_VALUES: 0, -1 for a syntax error, -2 if
 * too large. */
static int parse_size(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > GEMM_MAX_VALUES) {
            for (i++; i < len; i++) /* the rest must still be digits */
                if (s[i] < '0' || s[i] > '9')
                    return -1;
            return -2;
        }
    }
    *out = v;
    return 0;
}

/* Checks that K is a multiple of the block size of a block operand. */
static int check_block_k(const gemm_operand *o, const char *opt, uint64_t k, unsigned long lineno)
{
    if (o->is_block && k % o->b.block_size != 0) {
        cli_line_error(lineno, "K = %llu is not a multiple of %u, the block size of %s (%s)",
                       (unsigned long long)k, (unsigned)o->b.block_size, o->fname, opt);
        return -1;
    }
    return 0;
}

/* The first line: "M N K". */
static int gemm_sizes_line(gemm_ctx *x, const char *line, unsigned long lineno)
{
    uint64_t v[3];
    const char *p = line;
    int n = 0;

    while (*p != '\0') {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        size_t len = strcspn(p, " \t");
        int rc = n < 3 ? parse_size(p, len, &v[n]) : -1;
        if (rc == -1) {
            cli_line_error(lineno, "expected the sizes 'M N K' (three decimal integers), not "
                           CLI_TOKEN_FMT, CLI_TOKEN_ARG(line));
            return -1;
        }
        if (rc == -2) {
            cli_line_error(lineno, "a size is larger than " GEMM_MAX_VALUES_TEXT);
            return -1;
        }
        n++;
        p += len;
    }
    if (n != 3) {
        cli_line_error(lineno, "expected the sizes 'M N K' (three decimal integers), not "
                       CLI_TOKEN_FMT, CLI_TOKEN_ARG(line));
        return -1;
    }
    if (v[0] == 0 || v[1] == 0 || v[2] == 0) {
        cli_line_error(lineno, "M, N and K must be at least 1");
        return -1;
    }
    if (v[0] * v[2] > GEMM_MAX_VALUES || v[2] * v[1] > GEMM_MAX_VALUES ||
        v[0] * v[1] > GEMM_MAX_VALUES) {
        cli_line_error(lineno, "M*K, K*N and M*N must each be at most " GEMM_MAX_VALUES_TEXT
                       " values (M N K = %llu %llu %llu)",
                       (unsigned long long)v[0], (unsigned long long)v[1],
                       (unsigned long long)v[2]);
        return -1;
    }
    if (check_block_k(&x->A, "-a", v[2], lineno) != 0 ||
        check_block_k(&x->B, "-b", v[2], lineno) != 0)
        return -1;
    x->m = (size_t)v[0];
    x->n = (size_t)v[1];
    x->k = (size_t)v[2];
    x->a = (float *)malloc(x->m * x->k * sizeof *x->a);
    x->b = (float *)malloc(x->k * x->n * sizeof *x->b);
    x->fields = (uint64_t *)malloc((x->k > x->n ? x->k : x->n) * sizeof *x->fields);
    if (x->a == NULL || x->b == NULL || x->fields == NULL) {
        cli_line_error(lineno, "out of memory for matrices of these sizes");
        return -1;
    }
    x->phase = 1;
    x->rows = 0;
    return 0;
}

/* A row of A (K values) or of B (N values), as binary32 hex bits. */
static int gemm_row_line(gemm_ctx *x, const char *line, unsigned long lineno)
{
    int of_a = x->phase == 1;
    size_t want = of_a ? x->k : x->n;
    const char *what = of_a ? "a row of A has" : "a row of B has";
    float *dst = of_a ? x->a + x->rows * x->k : x->b + x->rows * x->n;
    int n = cli_hex_fields(line, lineno, x->fields, (int)want, what);

    if (n < 0)
        return -1;
    if ((size_t)n != want) {
        cli_line_error(lineno, "%s %llu values (%s), not %d", what, (unsigned long long)want,
                       of_a ? "K" : "N", n);
        return -1;
    }
    for (size_t j = 0; j < want; j++) {
        uint32_t u;
        if (x->fields[j] > 0xFFFFFFFFu) {
            cli_line_error(lineno, "value %llu is not binary32 hex bits",
                           (unsigned long long)j + 1);
            return -1;
        }
        u = (uint32_t)x->fields[j];
        memcpy(&dst[j], &u, 4);
    }
    x->rows++;
    if (of_a && x->rows == x->m) {
        x->phase = 2;
        x->rows = 0;
    } else if (!of_a && x->rows == x->k) {
        x->phase = 3;
    }
    return 0;
}

static int gemm_line(void *ctx, const char *line, unsigned long lineno)
{
    gemm_ctx *x = (gemm_ctx *)ctx;
    switch (x->phase) {
    case 0: return gemm_sizes_line(x, line, lineno);
    case 1:
    case 2: return gemm_row_line(x, line, lineno);
    default:
        cli_line_error(lineno, "extra input after the %llu rows of B",
                       (unsigned long long)x->k);
        return -1;
    }
}

/* Reports an input that ended before the whole of A and B was read. */
static void report_short_input(const gemm_ctx *x)
{
    if (x->phase == 0)
        cli_error("the input is empty (expected a first line 'M N K')");
    else if (x->phase == 1)
        cli_error("the input ends after %llu of the %llu rows of A",
                  (unsigned long long)x->rows, (unsigned long long)x->m);
    else
        cli_error("the input ends after %llu of the %llu rows of B",
                  (unsigned long long)x->rows, (unsigned long long)x->k);
}

/* A quantised operand. */
typedef struct gemm_quant {
    void *data;
    uint8_t *scales;
    float ts;
} gemm_quant;

/* Quantises the rows x cols row-major values `src` of operand `o`: element
 * formats with tp_encode_f32 (RNE, the format's default overflow policy),
 * block formats blocked along K (`axis` 1 for A, 0 for B) with RNE and
 * `rule`, NVFP4 with the tensor scale of the whole operand. */
static int quantize_operand(const gemm_operand *o, const char *opt, const float *src, size_t rows,
                            size_t cols, int axis, tp_scale_rule rule, gemm_quant *q)
{
    size_t count = rows * cols;
    unsigned flags = 0;
    tp_status st;

    q->data = NULL;
    q->scales = NULL;
    q->ts = 1.0f;
    if (!o->is_block) {
        const tp_format_desc *d = tp_format_get(o->fmt);
        q->data = malloc(count * cli_elem_size(d));
        if (q->data == NULL) {
            cli_error("out of memory");
            return -1;
        }
        st = tp_encode_f32_desc(d, src, q->data, count, TP_RNE, TP_OVF_DEFAULT, NULL, &flags);
    } else {
        size_t sb = 0, eb = 0;
        st = tp_block_storage(&o->b, count, &sb, &eb);
        if (st == TP_OK) {
            q->scales = (uint8_t *)malloc(sb > 0 ? sb : 1);
            q->data = malloc(eb > 0 ? eb : 1);
            if (q->scales == NULL || q->data == NULL) {
                cli_error("out of memory");
                return -1;
            }
            if (o->b.format == TP_BLOCK_NVFP4)
                st = tp_nvfp4_tensor_scale(&o->b, src, count, &q->ts);
        }
        if (st == TP_OK)
            st = tp_block_quantize_2d_f32(&o->b, src, rows, cols, cols, axis, q->scales, q->data,
                                          q->ts, rule, TP_RNE, NULL, &flags);
    }
    if (st != TP_OK) {
        cli_error("quantising %s (%s) failed: %s", opt, o->fname, tp_status_string(st));
        return -1;
    }
    return 0;
}

/* Fills a tp_operand from a quantised operand. */
static void make_operand(const gemm_operand *o, const gemm_quant *q, tp_trans trans, size_t ld,
                         tp_operand *op)
{
    memset(op, 0, sizeof *op);
    if (o->is_block)
        op->blk = &o->b;
    else
        op->fmt = tp_format_get(o->fmt);
    op->data = q->data;
    op->scales = q->scales;
    op->tensor_scale = q->ts;
    op->trans = trans;
    op->ld = ld;
}

/* Quantises A and B, multiplies, prints C.  Returns the exit status. */
static int compute_and_print(const gemm_ctx *x, const tp_format_desc *od, tp_scale_rule rule,
                             const tp_gemm_opts *go)
{
    gemm_quant qa = {NULL, NULL, 1.0f}, qb = {NULL, NULL, 1.0f};
    tp_operand oa, ob;
    unsigned flags = 0;
    void *c = NULL;
    int status = CLI_EXIT_DATA;
    tp_status st;

    if (quantize_operand(&x->A, "-a", x->a, x->m, x->k, 1, rule, &qa) != 0 ||
        quantize_operand(&x->B, "-b", x->b, x->k, x->n, 0, rule, &qb) != 0)
        goto done;
    make_operand(&x->A, &qa, TP_NO_TRANS, x->k, &oa);
    /* A block B is stored column after column (K contiguous): B^T row-major. */
    if (x->B.is_block)
        make_operand(&x->B, &qb, TP_TRANS, x->k, &ob);
    else
        make_operand(&x->B, &qb, TP_NO_TRANS, x->n, &ob);
    c = calloc(x->m * x->n, cli_elem_size(od));
    if (c == NULL) {
        cli_error("out of memory");
        goto done;
    }
    st = tp_gemm(TP_ROW_MAJOR, x->m, x->n, x->k, 1.0, &oa, &ob, 0.0, od, c, x->n, go, &flags);
    if (st != TP_OK) {
        cli_error("the library refused the product: %s", tp_status_string(st));
        goto done;
    }
    for (size_t i = 0; i < x->m; i++) {
        for (size_t j = 0; j < x->n; j++) {
            if (j > 0)
                putchar(' ');
            cli_print_code(stdout, od, cli_code_load(od, c, i * x->n + j));
        }
        putchar('\n');
    }
    status = CLI_EXIT_OK;
done:
    free(qa.data);
    free(qa.scales);
    free(qb.data);
    free(qb.scales);
    free(c);
    return status;
}

static int run_gemm(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_gemm;
    const char *an = NULL, *bn = NULL, *out_name = "f32", *mode_name = "exact";
    tp_round rnd = TP_RNE;
    tp_overflow ovf = TP_OVF_DEFAULT;
    tp_scale_rule rule = TP_SCALE_FLOOR;
    uint64_t seed = 0, threads = 0;
    const cli_option opts[] = {
        {"-a", NULL, CLI_OPT_STRING, &an},
        {"-b", NULL, CLI_OPT_STRING, &bn},
        {NULL, "--out", CLI_OPT_STRING, &out_name},
        {"-r", "--round", CLI_OPT_ROUND, &rnd},
        {"-o", "--overflow", CLI_OPT_OVERFLOW, &ovf},
        {NULL, "--seed", CLI_OPT_U64, &seed},
        {NULL, "--scale-rule", CLI_OPT_SCALE_RULE, &rule},
        {NULL, "--threads", CLI_OPT_U64, &threads},
        {NULL, "--mode", CLI_OPT_STRING, &mode_name},
        {NULL, NULL, CLI_OPT_SWITCH, NULL},
    };
    tp_format outf;
    const tp_format_desc *od;
    tp_gemm_opts go;
    tp_sr sr;
    gemm_ctx x;
    int rc;

    memset(&x, 0, sizeof x);
    if ((rc = cli_parse_options(c, argc, argv, opts, "matrices")) != CLI_EXIT_OK)
        return rc;
    if (an == NULL || bn == NULL)
        return cli_usage_error(c, "both input formats are required (-a FMT -b FMT)");
    if (parse_operand(c, an, &x.A) != 0 || parse_operand(c, bn, &x.B) != 0 ||
        cli_parse_format(c, out_name, &outf) != 0)
        return CLI_EXIT_USAGE;
    od = tp_format_get(outf);
    if (od->bits > 32)
        return cli_usage_error(c, "the output format must have at most 32 bits, not %s (%u)",
                               od->name, (unsigned)od->bits);
    if ((!x.A.is_block && x.A.fmt == TP_F64) || (!x.B.is_block && x.B.fmt == TP_F64))
        return cli_usage_error(c, "f64 operands are not supported (the input is binary32: "
                                  "use f32)");
    memset(&go, 0, sizeof go);
    if (strcmp(mode_name, "exact") == 0)
        go.mode = TP_MODE_EXACT;
    else if (strcmp(mode_name, "fast") == 0)
        go.mode = TP_MODE_FAST;
    else
        return cli_usage_error(c, "unknown mode '%s' (use exact or fast)", mode_name);
    if (threads > GEMM_MAX_THREADS)
        return cli_usage_error(c, "--threads takes 0 (the pool's size) to %d, not %llu",
                               GEMM_MAX_THREADS, (unsigned long long)threads);
    sr.bits = NULL;
    sr.seed = seed;
    sr.counter = 0;
    go.rnd = rnd;
    go.ovf = ovf;
    go.sr = &sr;
    go.threads = (unsigned)threads;

    rc = cli_each_line(gemm_line, &x);
    if (rc == CLI_EXIT_OK && x.phase != 3) {
        report_short_input(&x);
        rc = CLI_EXIT_DATA;
    }
    if (rc == CLI_EXIT_OK)
        rc = compute_and_print(&x, od, rule, &go);
    free(x.a);
    free(x.b);
    free(x.fields);
    if (rc != CLI_EXIT_OK) {
        cli_finish_stdout();
        return rc;
    }
    return cli_finish_stdout();
}

const cli_command cli_cmd_gemm = {
    "gemm",
    run_gemm,
    "gemm -a FMT -b FMT [--out FMT] [-r MODE] [-o sat|nonsat] [--seed S] [--scale-rule R] "
    "[--threads T] [--mode exact|fast] < matrices",
    "the matrix product of two binary32 matrices quantised to any formats",
    "Reads two binary32 matrices A (M x K) and B (K x N) from stdin, quantises A\n"
    "to format -a and B to format -b, computes C = A * B with tp_gemm and prints\n"
    "C as codes of the output format.  In exact mode (the default) each output\n"
    "is the exact sum of the exact products, rounded once.\n"
    "\n"
    "Input: a first line 'M N K' (decimal), then M lines of K values (the rows of\n"
    "A), then K lines of N values (the rows of B).  Values are binary32 bits in\n"
    "hex, the 0x prefix optional, separated by blanks.  Blank lines are skipped.\n"
    "M, N and K are at least 1, and M*K, K*N and M*N at most 16777216 (2^24).\n"
    "The whole input is read before any output.\n"
    "\n"
    "Output: M lines of N codes of the output format in hex, separated by single\n"
    "spaces.\n"
    "\n"
    "Quantisation, as 'truepoint encode' and 'truepoint quantize' do by default:\n"
    "an element format (a name of 'truepoint formats' but f64) rounds each value\n"
    "with rne and the format's default overflow policy (sat for the narrow\n"
    "formats); a block format (a name of 'truepoint quantize') is blocked along K\n"
    "(A by rows, B by columns), elements rounded with rne, shared exponents by\n"
    "--scale-rule; K must be a multiple of its block size.  nvfp4 uses the tensor\n"
    "scale of the whole operand (tp_nvfp4_tensor_scale).  A name of both kinds\n"
    "(mxint8) is the element format, as in 'truepoint dot'.\n"
    "\n"
    "Options:\n"
    "  -a FMT               format of A (required)\n"
    "  -b FMT               format of B (required)\n"
    "      --out FMT        the output format, at most 32 bits (default f32)\n"
    "  -r, --round MODE     rounding of the output: rne (default), rna, rtz, rup,\n"
    "                       rdn, rto, sr\n"
    "  -o, --overflow POL   sat or nonsat; by default the output format's own policy\n"
    "      --seed S         stochastic rounding (-r sr): output (i, j) draws the\n"
    "                       word tp_sr_word(S, i * N + j) (default S = 0)\n"
    "      --scale-rule R   shared-exponent rule of the block formats: floor\n"
    "                       (default), rceil, ceil, even\n"
    "      --threads T      at most T threads (0, the default: the pool's size;\n"
    "                       up to 1024); the output does not depend on it\n"
    "      --mode MODE      exact (default) or fast (binary32 accumulation in the\n"
    "                       documented order of tp_gemm's TP_MODE_FAST)\n"
    "  -h, --help           print this help\n"
    "\n"
    "Exit status: 0 success; 1 bad input (shape, values, sizes); 2 usage error.\n",
};
