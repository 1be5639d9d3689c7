/*
 * status.c -- status strings, version, ISA names and the stochastic-rounding
 * generator word.
 */
#include "internal.h"

const char *tp_status_string(tp_status s)
{
    switch (s) {
    case TP_OK: return "success";
    case TP_ERR_NULL: return "a required pointer is NULL";
    case TP_ERR_FORMAT: return "unknown or unsupported format";
    case TP_ERR_ROUND: return "unknown rounding mode";
    case TP_ERR_POLICY: return "unknown overflow policy";
    case TP_ERR_ALIAS: return "input and output overlap";
    case TP_ERR_SIZE: return "size overflows size_t";
    case TP_ERR_DESCRIPTOR: return "inconsistent format descriptor";
    case TP_ERR_CODE: return "code has bits beyond its format's width";
    case TP_ERR_ARG: return "argument out of range";
    case TP_ERR_NAME: return "unknown name";
    case TP_ERR_RANGE: return "term outside the accumulator's window";
    case TP_ERR_DATA: return "malformed serialized or packed data";
    case TP_ERR_NOMEM: return "out of memory or threads";
    case TP_ERR_MISMATCH: return "packed operand does not match the call";
    }
    return "unknown status";
}

const char *tp_version_string(void)
{
    return TP_VERSION_STRING;
}

const char *tp_isa_name(tp_isa isa)
{
    switch (isa) {
    case TP_ISA_REF: return "ref";
    case TP_ISA_AVX2: return "avx2";
    case TP_ISA_AVX512: return "avx512";
    case TP_ISA_NEON: return "neon";
    }
    return "unknown";
}

#define TP_GOLDEN UINT64_C(0x9E3779B97F4A7C15)

static uint64_t sr_mix(uint64_t z)
{
    z ^= z >> 30;
    z *= UINT64_C(0xBF58476D1CE4E5B9);
    z ^= z >> 27;
    z *= UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return z;
}

uint32_t tp_sr_word(uint64_t seed, uint64_t counter)
{
    uint64_t k = sr_mix(seed + TP_GOLDEN);
    return (uint32_t)(sr_mix(k + counter * TP_GOLDEN) >> 32);
}
