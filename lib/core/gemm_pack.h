/*
 * gemm_pack.h -- packed GEMM/GEMV operands (lib/core/gemm_pack.c).
 */
#ifndef TP_GEMM_PACK_H
#define TP_GEMM_PACK_H

#include "internal.h"

/* A validated packed buffer, as the kernels see it. */
typedef struct tpi_pack_info {
    int role;             /* tp_pack_role */
    int is_block;
    int fmt;              /* element operand: tp_format */
    int inv;              /* element operand: UE4M3 codes with the sign bit */
    tp_block_desc bd;     /* block operand */
    float ts;             /* NVFP4 tensor scale */
    size_t rows, k;
    size_t vbytes, sbytes; /* bytes between vectors: elements, scales */
    const uint8_t *data, *scales;
    const tpi_vmeta *meta;
    size_t total;         /* bytes of the whole buffer */
} tpi_pack_info;

/* The layout of a packed operand (TP_ERR_SIZE on overflow). */
TPI_HIDDEN tp_status tpi_pack_layout(tpi_pack_info *pi);
/* Writes the header of pi into buf (the layout fields must be filled). */
TPI_HIDDEN void tpi_pack_write_header(const tpi_pack_info *pi, uint8_t *buf);
/* The metadata of block vector v (tpi_vmeta). */
TPI_HIDDEN void tpi_pack_meta(const tpi_vecs *x, size_t v, size_t k, tpi_vmeta *m);
/* Reads and checks a header (TP_ERR_DATA if it is not a valid one). */
TPI_HIDDEN tp_status tpi_pack_read(const tp_packed *pk, tpi_pack_info *pi);
/* The block descriptor and tensor scale checks of GEMM (gemm.c). */
TPI_HIDDEN tp_status tpi_gemm_block_ok(const tp_block_desc *bd, float ts);

#endif /* TP_GEMM_PACK_H */
