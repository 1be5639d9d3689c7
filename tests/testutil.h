/*
 * testutil.h -- the small helper library shared by the Check suites.
 */
#ifndef TP_TESTUTIL_H
#define TP_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <check.h>

#include "truepoint.h"

/* Prints the suite name, library version, active ISA, compiler and seed.
 * Every suite calls it first. */
void tpt_banner(const char *suite);
/* The seed: TP_TEST_SEED if set (decimal or 0x hex), else a fixed default. */
uint64_t tpt_seed(void);
/* xorshift-style generator for test data (not the library's SR generator). */
uint64_t tpt_rand64(uint64_t *state);
/* Nonzero under TP_TEST_TIER=quick: the reduced tier for slow platforms
 * (emulators such as qemu-user); suites then shrink their sweeps. */
int tpt_quick(void);
/* Runs a suite (CK_NORMAL) and returns the process exit status. */
int tpt_run(Suite *s);
/* FNV-1a 64 over n bytes, continuing the hash h (start from TPT_FNV_INIT):
 * the per-piece hash of the cross-ISA suites. */
#define TPT_FNV_INIT UINT64_C(0xCBF29CE484222325)
uint64_t tpt_fnv(uint64_t h, const void *p, size_t n);

/* ------------------------------------------------------------ cross-ISA runs
 *
 * The dispatcher reads TP_ISA once per process, so a suite that compares the
 * ISA variants re-executes itself (/proc/self/exe, else argv[0]) with
 * TP_ISA=ref, avx2, avx512 and neon.  Each child runs the suite's deterministic
 * sweep and writes a header (magic, tp_active_isa()) then one 64-bit hash per
 * piece (tpt_isa_put) to a temp file /tmp/tp_<tag>_<pid>_<name>.  The parent
 * compares each variant's hashes with the ref child's.  On the first
 * differing piece both children are run again in detail mode for that piece
 * alone, and the suite's explain() prints the difference.  A variant the CPU
 * (or the build) lacks reports a lower tp_active_isa() in its child; that
 * comparison is skipped and says so.  Under an emulator that the kernel
 * does not start by itself (qemu-user without binfmt_misc), the environment
 * variable TP_TEST_EXEC_WRAPPER names the emulator that runs the children.
 *
 * Floating-point environment.  The library promises results independent of
 * the caller's MXCSR FTZ and DAZ bits (inference engines run with
 * MXCSR |= 0x8040).  The knob TP_TEST_MXCSR=ftz-daz in a child's
 * environment makes tpt_fpenv_enter() set FTZ|DAZ (on AArch64: FPCR.FZ);
 * the child enters it before its first library call (tp_active_isa(), which
 * builds the dispatch table) and the sweeps bracket every call under test
 * with tpt_fpenv_enter() / tpt_fpenv_leave(), so that the test's own input
 * generation (float conversions of doubles, ldexp) always runs in the
 * default environment and every child sees the same inputs.  The parent
 * runs, after the default comparisons, a ref child under FTZ|DAZ against the
 * default ref child (the reference itself is environment-independent) and
 * the SIMD children under FTZ|DAZ against the default ref child.  Pieces a
 * sweep marks environment-dependent (the documented exception of
 * doc/blocks.md: NVFP4 and ggml_q8_0 quantisation follow their anchors'
 * binary32 operations) are left out of the ref-vs-ref comparison, and a SIMD
 * child under FTZ|DAZ is compared on them with the ref child under FTZ|DAZ. */
typedef struct tpt_isa_suite {
    const char *program;    /* banner name: "check_isa" */
    const char *suite;      /* Check suite name: "isa" */
    const char *tag;        /* temp file names: /tmp/tp_<tag>_<pid>_<isa> */
    const char *env_out;    /* child mode: the path to write results to */
    const char *env_detail; /* child mode: the piece to dump in full */
    uint32_t magic;         /* first word of every child's output */
    const char *compared;   /* what the hashes cover, for the pass line */
    /* Child: runs the sweep, writing one 64-bit hash per piece to out
     * (tpt_isa_put), or with detail >= 0 a dump of piece `detail` alone. */
    void (*sweep)(FILE *out, long detail);
    /* Parent: prints the first difference between the ref and isa detail
     * dumps of one piece (the bytes after the header, NUL-terminated; NULL
     * when a child wrote no header). */
    void (*explain)(const char *isa, const unsigned char *ref, size_t nref,
                    const unsigned char *var, size_t nvar);
} tpt_isa_suite;

/* Writes one piece's hash h; env_dep != 0 marks a piece whose result the
 * library documents as dependent on FTZ/DAZ.  Bit 0 of the stored hash
 * carries the mark. */
void tpt_isa_put(FILE *out, uint64_t h, int env_dep);

/* Enters the child's test environment (FTZ|DAZ under TP_TEST_MXCSR=ftz-daz,
 * else nothing) / returns to the environment the process started with. */
void tpt_fpenv_enter(void);
void tpt_fpenv_leave(void);
/* Nonzero if this platform can set FTZ|DAZ (x86 SSE, AArch64). */
int tpt_fpenv_supported(void);

/* In a child (env_out set): runs the sweep, stores the exit status in
 * *status and returns 1.  Else returns 0. */
int tpt_isa_child(const tpt_isa_suite *s, int *status);
/* Adds the equivalence test case of s to su (argv0: the fallback for
 * /proc/self/exe).  One suite per process. */
void tpt_isa_add(Suite *su, const tpt_isa_suite *s, const char *argv0);

/* The main() of a cross-ISA suite: in a child (env_out set) runs the sweep
 * and returns its exit status; else prints the banner, runs the Check
 * tests (the ref child's header, then each variant against it, in the
 * default environment and under FTZ|DAZ) and returns the exit status. */
int tpt_isa_main(const tpt_isa_suite *s, int argc, char **argv);

#endif /* TP_TESTUTIL_H */
