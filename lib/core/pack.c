/*
 * pack.c -- packed storage of 4- and 6-bit codes.
 *  4 bits: code 2i in the low nibble of byte i, code 2i+1 in the high nibble.
 *  6 bits: code i at bits 6i .. 6i+5 of the little-endian bit stream, so
 *          four codes fill three bytes.
 */
#include <string.h>

#include "internal.h"

size_t tp_packed_size(unsigned bits, size_t n)
{
    if (bits == 4)
        return n / 2 + (n & 1);
    if (bits == 6)
        return n / 4 * 3 + (n % 4 * 6 + 7) / 8;
    return 0;
}

static tp_status check_pack_args(unsigned bits, const void *a, const void *b, size_t n)
{
    if (bits != 4 && bits != 6)
        return TP_ERR_ARG;
    if (n == 0)
        return TP_OK;
    if (a == NULL || b == NULL)
        return TP_ERR_NULL;
    size_t ps = tp_packed_size(bits, n);
    uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    if (pa > UINTPTR_MAX - n || pb > UINTPTR_MAX - ps)
        return TP_ERR_SIZE;
    if (pa < pb + ps && pb < pa + n)
        return TP_ERR_ALIAS;
    return TP_OK;
}

tp_status tp_pack(unsigned bits, const uint8_t *codes, size_t n, uint8_t *packed)
{
    tp_status st = check_pack_args(bits, codes, packed, n);
    if (st != TP_OK || n == 0)
        return st;
    uint8_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= codes[i];
    if (any >> bits)
        return TP_ERR_CODE;
    if (bits == 4) {
        for (size_t i = 0; i + 1 < n; i += 2)
            packed[i / 2] = (uint8_t)(codes[i] | codes[i + 1] << 4);
        if (n & 1)
            packed[n / 2] = codes[n - 1];
        return TP_OK;
    }
    size_t full = n / 4, i = 0;
    for (size_t g = 0; g < full; g++, i += 4) {
        uint32_t w = (uint32_t)codes[i] | (uint32_t)codes[i + 1] << 6 |
                     (uint32_t)codes[i + 2] << 12 | (uint32_t)codes[i + 3] << 18;
        packed[3 * g] = (uint8_t)w;
        packed[3 * g + 1] = (uint8_t)(w >> 8);
        packed[3 * g + 2] = (uint8_t)(w >> 16);
    }
    if (i < n) {
        uint32_t w = 0;
        for (size_t j = 0; i + j < n; j++)
            w |= (uint32_t)codes[i + j] << (6 * j);
        size_t rest = tp_packed_size(6, n) - 3 * full;
        for (size_t b = 0; b < rest; b++)
            packed[3 * full + b] = (uint8_t)(w >> (8 * b));
    }
    return TP_OK;
}

tp_status tp_unpack(unsigned bits, const uint8_t *packed, size_t n, uint8_t *codes)
{
    tp_status st = check_pack_args(bits, codes, packed, n);
    if (st != TP_OK || n == 0)
        return st;
    if (bits == 4) {
        for (size_t i = 0; i < n; i++)
            codes[i] = (uint8_t)((packed[i / 2] >> (4 * (i & 1))) & 0xF);
        return TP_OK;
    }
    for (size_t i = 0; i < n; i++) {
        size_t bit = 6 * i, byte = bit / 8;
        unsigned sh = (unsigned)(bit % 8);
        unsigned w = packed[byte];
        if (sh > 2)
            w |= (unsigned)packed[byte + 1] << 8;
        codes[i] = (uint8_t)((w >> sh) & 0x3F);
    }
    return TP_OK;
}
