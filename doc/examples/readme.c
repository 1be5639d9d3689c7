/*
 * readme.c -- the code snippets of README.md, as one program that checks
 * what their comments claim.  tests/check_doc_examples.sh verifies that
 * every C snippet of README.md and doc/ appears verbatim in a file of
 * doc/examples/, and make check compiles and runs each of those files.
 */
#include <stdio.h>
#include <string.h>

#include <truepoint.h>

static int check(int ok, const char *what)
{
    if (!ok)
        fprintf(stderr, "readme: %s\n", what);
    return ok ? 0 : 1;
}

static int encode_snippet(void)
{
float x[4] = {0.1f, 448.0f, 500.0f, -0.0f};
uint8_t codes[4];
unsigned flags = 0;
tp_status st = tp_encode_f32(TP_E4M3, x, codes, 4, TP_RNE, TP_OVF_DEFAULT, NULL, &flags);
/* st == TP_OK; codes = {0x1d, 0x7e, 0x7e, 0x80}; flags = TP_FLAG_INEXACT | TP_FLAG_OVERFLOW */
    static const uint8_t want[4] = {0x1d, 0x7e, 0x7e, 0x80};
    return check(st == TP_OK && memcmp(codes, want, 4) == 0
                     && flags == (TP_FLAG_INEXACT | TP_FLAG_OVERFLOW),
                 "encode snippet");
}

static int block_snippet(void)
{
    float x[64];
    size_t n = 64;
    uint8_t scales[2], elems[32];
    unsigned flags = 0;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)i / 8.0f;
tp_block_desc b;
tp_block_from_name("mxfp4", &b);
tp_block_quantize_f32(&b, x, n, scales, elems, 0.0f, TP_SCALE_FLOOR, TP_RNE, NULL, &flags);
    /* block 0: amax 31/8 -> FLOOR scale 2^(1-2) = 0x7e; block 1: amax 63/8 -> 2^(2-2) */
    return check(scales[0] == 0x7e && scales[1] == 0x7f, "block snippet");
}

static int acc_snippet(void)
{
    double x[3] = {1e308, 1.0, -1e308};
    size_t n = 3;
    uint8_t a[3] = {0x38, 0x40, 0x00}, b[3] = {0x3c, 0xc0, 0x00}; /* e4m3 {1, 2, 0}, e5m2 {1, -2, 0} */
    unsigned flags = 0;
tp_acc acc;                       /* a fixed-size value: stack, array or shared memory */
tp_acc_init(&acc);
tp_acc_add_f64_array(&acc, x, n); /* exact: no rounding at all */
uint64_t code;
tp_acc_round(&acc, tp_format_get(TP_F32), TP_RNE, TP_OVF_DEFAULT, 0, &code, &flags);

/* exact E4M3 x E5M2 dot product, rounded once to bfloat16 */
tp_dot(tp_format_get(TP_E4M3), a, 1, tp_format_get(TP_E5M2), b, 1, n,
       tp_format_get(TP_BF16), TP_RNE, TP_OVF_DEFAULT, NULL, &code, &flags);
    /* 1*1 + 2*(-2) + 0*0 = -3 = bfloat16 0xc040 */
    int bad = check(code == 0xc040u, "dot snippet");
    tp_acc_round(&acc, tp_format_get(TP_F32), TP_RNE, TP_OVF_DEFAULT, 0, &code, &flags);
    return bad | check(code == 0x3f800000u, "exact sum 1e308 + 1 - 1e308 = 1");
}

int main(void)
{
    int bad = encode_snippet() | block_snippet() | acc_snippet();
    if (!bad)
        printf("readme: every snippet gives what its comment says\n");
    return bad;
}
