/*
 * quantize_gemv.c -- the user guide's example: quantise a weight matrix to
 * MXFP4, pack it once, and run exact GEMVs with binary32 activations.
 *
 *   cc quantize_gemv.c $(pkg-config --cflags --libs truepoint) -o quantize_gemv
 */
#include <stdio.h>
#include <stdlib.h>

#include <truepoint.h>

#define ROWS 64
#define COLS 256 /* k: a multiple of the MXFP4 block size, 32 */

static int fail(const char *what, tp_status st)
{
    fprintf(stderr, "quantize_gemv: %s: %s\n", what, tp_status_string(st));
    return 1;
}

int main(void)
{
    static float w[ROWS * COLS], x[COLS], y[ROWS];
    for (int i = 0; i < ROWS * COLS; i++) /* some weights */
        w[i] = (float)((i * 37 % 101) - 50) / 64.0f;
    for (int k = 0; k < COLS; k++)
        x[k] = (float)(k % 7) - 3.0f;

    /* 1. Quantise: every row is blocked along k (axis 1). */
    tp_block_desc mxfp4;
    tp_status st = tp_block_from_name("mxfp4", &mxfp4);
    if (st != TP_OK)
        return fail("block format", st);
    size_t scale_bytes, elem_bytes;
    st = tp_block_storage(&mxfp4, (size_t)ROWS * COLS, &scale_bytes, &elem_bytes);
    if (st != TP_OK)
        return fail("storage", st);
    uint8_t *scales = malloc(scale_bytes), *elems = malloc(elem_bytes);
    if (scales == NULL || elems == NULL)
        return fail("malloc", TP_ERR_NOMEM);
    unsigned flags = 0;
    st = tp_block_quantize_2d_f32(&mxfp4, w, ROWS, COLS, COLS, 1, scales, elems, 0.0f,
                                  TP_SCALE_FLOOR, TP_RNE, NULL, &flags);
    if (st != TP_OK)
        return fail("quantize", st);

    /* 2. Pack the weights once (64-byte aligned buffer). */
    tp_operand wop = {NULL, &mxfp4, elems, scales, 0.0f, TP_NO_TRANS, COLS, NULL};
    size_t bytes;
    st = tp_pack_operand_size(TP_ROW_MAJOR, TP_PACK_A, ROWS, COLS, &wop, &bytes);
    if (st != TP_OK)
        return fail("pack size", st);
    void *packed = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (packed == NULL)
        return fail("aligned_alloc", TP_ERR_NOMEM);
    st = tp_pack_operand(TP_ROW_MAJOR, TP_PACK_A, ROWS, COLS, &wop, packed, bytes);
    if (st != TP_OK)
        return fail("pack", st);
    tp_operand wp = {0};
    wp.packed = packed;

    /* 3. y = W x, exact, rounded once to binary32 (call it as often as needed). */
    tp_operand xop = {tp_format_get(TP_F32), NULL, x, NULL, 0.0f, TP_NO_TRANS, 1, NULL};
    flags = 0;
    st = tp_gemv(TP_ROW_MAJOR, ROWS, COLS, 1.0, &wp, &xop, 0.0, tp_format_get(TP_F32), y, 1,
                 NULL, &flags);
    if (st != TP_OK)
        return fail("gemv", st);

    /* Each y[i] is the exact dot product of row i with x, rounded once: the
     * same bits as the single-row exact dot product. */
    for (int i = 0; i < ROWS; i++) {
        uint64_t code;
        st = tp_block_dot(&mxfp4, scales + i * (COLS / 32), elems + i * (COLS / 2), 0.0f, NULL,
                          NULL, x, 0.0f, COLS, tp_format_get(TP_F32), TP_RNE, TP_OVF_DEFAULT,
                          NULL, &code, NULL);
        double d;
        if (st == TP_OK)
            st = tp_decode1(tp_format_get(TP_F32), code, &d, NULL);
        if (st != TP_OK)
            return fail("block dot", st);
        if (d != (double)y[i]) {
            fprintf(stderr, "quantize_gemv: row %d differs\n", i);
            return 1;
        }
    }
    printf("y[0..3] = %g %g %g %g (flags 0x%x)\n", y[0], y[1], y[2], y[3], flags);
    free(packed);
    free(elems);
    free(scales);
    return 0;
}
