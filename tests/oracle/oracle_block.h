/*
 * oracle_block.h -- an independent MPFR implementation of the block formats
 * (include/truepoint.h "Block formats", doc/blocks.md): scale rules, element
 * quantisation through orc_encode on the exactly scaled value, the NVFP4
 * two-level recipes, BFP and the ggml byte layouts.  Shares no code with lib/.
 */
#ifndef TP_ORACLE_BLOCK_H
#define TP_ORACLE_BLOCK_H

#include <stdint.h>

#include "truepoint.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Quantises one block of b->block_size binary32 values.  `rbits[j]` is the
 * TP_RSR word of element j (may be NULL otherwise).  Writes the scale code
 * (E8M0 / UE4M3 byte, or binary16 bits for ggml_q8_0) and the unpacked
 * element codes (low bits; BFP/int8 two's complement masked to the width),
 * and ORs the flags.  Returns 0, or -1 for arguments the library rejects. */
int orb_quantize(const tp_block_desc *b, const float *x, float tensor_scale, tp_scale_rule rule,
                 tp_round rnd, const uint32_t *rbits, uint32_t *scale, uint64_t *codes,
                 unsigned *flags);

/* Dequantises one block given as (scale code, unpacked codes): binary64 bits
 * (exact) and binary32 bits (one RNE rounding), ORing the flags of the
 * binary32 rounding into *flags32 (NULL allowed).  Returns 0 or -1. */
int orb_dequantize(const tp_block_desc *b, uint32_t scale, const uint64_t *codes,
                   float tensor_scale, uint64_t *bits64, uint32_t *bits32, unsigned *flags32);

/* The NVFP4 per-tensor decode scale of a recipe from amax (finite, >= 0). */
float orb_nvfp4_tensor_scale(int recipe, float amax);

/* The shared exponent (before the code offset 127) of a block whose amax is
 * the finite nonzero `amax`, for an E8M0-scaled format.  Returns 0 / -1. */
int orb_shared_exp(const tp_block_desc *b, float amax, tp_scale_rule rule, int *e);

/* Serialises one block to ggml bytes: block_mxfp4 (17 bytes) or block_q8_0
 * (34 bytes).  Returns the byte count, or -1 for other formats. */
int orb_ggml_bytes(const tp_block_desc *b, uint32_t scale, const uint64_t *codes, uint8_t *out);

/* The element descriptor the oracle uses for `b` (BFP, q8_0: its own). */
const tp_format_desc *orb_elem_desc(const tp_block_desc *b, tp_format_desc *store);

#ifdef __cplusplus
}
#endif

#endif /* TP_ORACLE_BLOCK_H */
