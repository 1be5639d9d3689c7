/*
 * dispatch.c -- CPU detection and the kernel table.
 *
 * The table is built once (pthread_once): every slot first gets the
 * reference kernel, then each ISA the CPU supports overwrites the slots it
 * implements.  TP_ISA=ref|avx2|avx512|neon caps the ISA (never above what the
 * CPU has; the name of another architecture's ISA gives ref).  This file is
 * compiled with baseline flags only.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "internal.h"
#include "ref.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TP_X86 1
#endif

static tpi_kernels tpi_table;
static pthread_once_t tpi_once = PTHREAD_ONCE_INIT;

#ifdef TP_X86
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static tp_isa cpu_best(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return TP_ISA_REF;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx)
        return TP_ISA_REF;
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) /* SSE and AVX state enabled by the OS */
        return TP_ISA_REF;
    if (__get_cpuid_max(0, NULL) < 7)
        return TP_ISA_REF;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1;
    if (!(avx2 && fma && f16c))
        return TP_ISA_REF;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    int vbmi = (c >> 1) & 1, vnni = (c >> 11) & 1;
    unsigned a1, b1, c1, d1;
    __cpuid_count(7, 1, a1, b1, c1, d1);
    int bf16 = (a1 >> 5) & 1;
    int zmm_state = (xcr0 & 0xE0) == 0xE0; /* opmask, ZMM_Hi256, Hi16_ZMM */
    if (f && dq && bw && vl && vbmi && vnni && bf16 && zmm_state)
        return TP_ISA_AVX512;
    return TP_ISA_AVX2;
}
#elif defined(__aarch64__)
/* Advanced SIMD is part of the base AArch64 ISA. */
static tp_isa cpu_best(void)
{
    return TP_ISA_NEON;
}
#else
static tp_isa cpu_best(void)
{
    return TP_ISA_REF;
}
#endif

/* The ISA the build can use: what the CPU has, capped by the kernels compiled in. */
static tp_isa built_best(tp_isa cpu)
{
#if defined(TP_HAVE_AVX512) || defined(TP_HAVE_NEON)
    return cpu;
#elif defined(TP_HAVE_AVX2)
    return cpu > TP_ISA_AVX2 ? TP_ISA_AVX2 : cpu;
#else
    (void)cpu;
    return TP_ISA_REF;
#endif
}

/* The ISA TP_ISA names, or -1 for no cap (unset, or a name this build
 * ignores). */
static int requested_cap(void)
{
    const char *s = getenv("TP_ISA");
    if (s == NULL || *s == '\0')
        return -1;
    if (strcmp(s, "ref") == 0)
        return TP_ISA_REF;
    if (strcmp(s, "avx2") == 0)
        return TP_ISA_AVX2;
    if (strcmp(s, "avx512") == 0)
        return TP_ISA_AVX512;
    if (strcmp(s, "neon") == 0)
        return TP_ISA_NEON;
    return -1;
}

/* The ISA to use: the best one isa, capped by the request cap.  The x86
 * variants are ordered ref < avx2 < avx512; neon stands alone, so a cap
 * naming the other architecture's ISA selects ref. */
static tp_isa apply_cap(tp_isa isa, int cap)
{
    if (cap < 0)
        return isa;
    if (isa == TP_ISA_NEON)
        return cap == TP_ISA_NEON ? isa : TP_ISA_REF;
    if (cap == TP_ISA_NEON)
        return TP_ISA_REF;
    return (int)isa > cap ? (tp_isa)cap : isa;
}

static void build_table(void)
{
    tpi_kernels *k = &tpi_table;
    for (int f = 0; f < TP_FORMAT_COUNT; f++) {
        tpi_fmt_init(&k->fmt[f], tp_format_get((tp_format)f));
        k->enc_f32[f] = tpi_ref_enc_f32;
        k->enc_f64[f] = tpi_ref_enc_f64;
        k->dec_f32[f] = tpi_ref_dec_f32;
        k->dec_f64[f] = tpi_ref_dec_f64;
    }
    tpi_install_ref_block(k);
    tpi_install_ref_dot(k);
    tp_isa isa = built_best(cpu_best());
    isa = apply_cap(isa, requested_cap());
    k->isa = TP_ISA_REF;
#if defined(TP_HAVE_AVX2)
    if (isa >= TP_ISA_AVX2) {
        tpi_install_avx2(k);
        tpi_install_avx2_block(k);
        tpi_install_avx2_dot(k);
        tpi_install_avx2_gemm(k);
        tpi_install_avx2_gemv(k);
        k->isa = TP_ISA_AVX2;
    }
#endif
#if defined(TP_HAVE_AVX512)
    if (isa >= TP_ISA_AVX512) {
        tpi_install_avx512(k);
        tpi_install_avx512_block(k);
        tpi_install_avx512_dot(k);
        tpi_install_avx512_gemm(k);
        tpi_install_avx512_gemv(k);
        tpi_install_avx512_fast(k);
        k->isa = TP_ISA_AVX512;
    }
#endif
#if defined(TP_HAVE_NEON)
    if (isa == TP_ISA_NEON) {
        tpi_install_neon(k);
        tpi_install_neon_dot(k);
        k->isa = TP_ISA_NEON;
    }
#endif
}

const tpi_kernels *tpi_kernels_get(void)
{
    pthread_once(&tpi_once, build_table);
    return &tpi_table;
}

tp_isa tp_active_isa(void)
{
    return tpi_kernels_get()->isa;
}
