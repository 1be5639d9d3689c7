/*
 * testutil.c -- the helper library shared by the Check suites: banner, seed,
 * test-data generator, the suite runner and the cross-ISA re-exec harness.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define TPT_DEFAULT_SEED UINT64_C(0x7275657074696E74) /* "ruepoint" */

#if defined(__clang__) && defined(__VERSION__)
#define TPT_COMPILER "clang " __VERSION__
#elif defined(__GNUC__) && defined(__VERSION__)
#define TPT_COMPILER "gcc " __VERSION__
#elif defined(__VERSION__)
#define TPT_COMPILER __VERSION__
#else
#define TPT_COMPILER "unknown compiler"
#endif

uint64_t tpt_seed(void)
{
    const char *s = getenv("TP_TEST_SEED");
    char *end = NULL;
    unsigned long long v;
    if (s == NULL || *s == '\0')
        return TPT_DEFAULT_SEED;
    v = strtoull(s, &end, 0); /* decimal, or 0x hex */
    if (end == s || *end != '\0') {
        fprintf(stderr, "TP_TEST_SEED=\"%s\" is not a number; using the default seed\n", s);
        return TPT_DEFAULT_SEED;
    }
    return (uint64_t)v;
}

void tpt_banner(const char *suite)
{
    tp_isa isa = tp_active_isa();
    printf("# suite:    %s\n", suite != NULL ? suite : "(unnamed)");
    printf("# library:  libtruepoint %s (header %s)\n", tp_version_string(), TP_VERSION_STRING);
    printf("# isa:      %s\n", tp_isa_name(isa));
    printf("# compiler: %s\n", TPT_COMPILER);
    printf("# seed:     0x%016llx (set TP_TEST_SEED to override)\n",
           (unsigned long long)tpt_seed());
    fflush(stdout);
}

/* xorshift64* (a plain test-data generator; never zero state). */
uint64_t tpt_rand64(uint64_t *state)
{
    uint64_t x = *state;
    if (x == 0)
        x = UINT64_C(0x9E3779B97F4A7C15);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

uint64_t tpt_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001B3);
    return h;
}

int tpt_quick(void)
{
    const char *t = getenv("TP_TEST_TIER");
    return t != NULL && strcmp(t, "quick") == 0;
}

int tpt_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ------------------------------------------------------------ FP environment */

#define TPT_ENV_MXCSR "TP_TEST_MXCSR"

#if defined(__x86_64__) || (defined(__i386__) && defined(__SSE__))
#include <xmmintrin.h>
#define TPT_FPENV_X86 1
#define TPT_FTZ_DAZ 0x8040u /* MXCSR.FZ (bit 15) | MXCSR.DAZ (bit 6) */
#elif defined(__aarch64__)
#define TPT_FPENV_A64 1
#define TPT_FPCR_FZ (UINT64_C(1) << 24)
#endif

static int fpenv_mode = -1; /* -1 unread, 0 default, 1 FTZ|DAZ */
static int fpenv_in;        /* nesting of enter */
#if defined(TPT_FPENV_X86)
static unsigned fpenv_saved;
#elif defined(TPT_FPENV_A64)
static uint64_t fpenv_saved;
#endif

int tpt_fpenv_supported(void)
{
#if defined(TPT_FPENV_X86) || defined(TPT_FPENV_A64)
    return 1;
#else
    return 0;
#endif
}

static int fpenv_want(void)
{
    if (fpenv_mode < 0) {
        const char *m = getenv(TPT_ENV_MXCSR);
        fpenv_mode = m != NULL && strcmp(m, "ftz-daz") == 0 && tpt_fpenv_supported();
    }
    return fpenv_mode;
}

void tpt_fpenv_enter(void)
{
    if (fpenv_in++ != 0 || !fpenv_want())
        return;
#if defined(TPT_FPENV_X86)
    fpenv_saved = _mm_getcsr();
    _mm_setcsr(fpenv_saved | TPT_FTZ_DAZ);
#elif defined(TPT_FPENV_A64)
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    fpenv_saved = v;
    v |= TPT_FPCR_FZ;
    __asm__ volatile("msr fpcr, %0" : : "r"(v));
#endif
}

void tpt_fpenv_leave(void)
{
    if (--fpenv_in != 0 || !fpenv_want())
        return;
#if defined(TPT_FPENV_X86)
    _mm_setcsr(fpenv_saved);
#elif defined(TPT_FPENV_A64)
    __asm__ volatile("msr fpcr, %0" : : "r"(fpenv_saved));
#endif
}

/* ------------------------------------------------------------ cross-ISA runs */

static const tpt_isa_suite *isa_suite; /* the suite tpt_isa_add registered */
static const char *self_path;
static char ref_path[64], refz_path[64];
static int ref_ok, refz_ok;

/* The comparisons of the loop test: the variant (isa, environment). */
static const struct {
    const char *isa;
    int level; /* tp_isa the child must report */
    int ftz;
} isa_runs[] = {
    { "avx2", TP_ISA_AVX2, 0 }, { "avx512", TP_ISA_AVX512, 0 }, { "neon", TP_ISA_NEON, 0 },
    { "ref", TP_ISA_REF, 1 },   { "avx2", TP_ISA_AVX2, 1 },     { "avx512", TP_ISA_AVX512, 1 },
    { "neon", TP_ISA_NEON, 1 },
};
#define N_RUNS (int)(sizeof isa_runs / sizeof isa_runs[0])

void tpt_isa_put(FILE *out, uint64_t h, int env_dep)
{
    h = (h & ~UINT64_C(1)) | (env_dep != 0);
    fwrite(&h, sizeof h, 1, out);
}

int tpt_isa_child(const tpt_isa_suite *s, int *status)
{
    const char *path = getenv(s->env_out);
    if (path == NULL || *path == '\0')
        return 0;
    const char *det = getenv(s->env_detail);
    FILE *out = fopen(path, "wb");
    if (out == NULL) {
        *status = 2;
        return 1;
    }
    /* the first library call, which builds the dispatch table (and the
     * kernels' tables), runs in the test environment */
    tpt_fpenv_enter();
    uint32_t hd[2] = { s->magic, (uint32_t)tp_active_isa() };
    tpt_fpenv_leave();
    fwrite(hd, sizeof hd, 1, out);
    s->sweep(out, det ? atol(det) : -1);
    *status = fclose(out) == 0 ? 0 : 2;
    return 1;
}

/* The temp file of this process for `name` ("ref", "avx2", "dref", ...). */
static void isa_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "/tmp/tp_%s_%ld_%s", isa_suite->tag, (long)getpid(), name);
}

/* Runs a child with TP_ISA=isa (under FTZ|DAZ if ftz) writing to path
 * (piece `detail` alone when detail >= 0); 0 on success. */
static int spawn(const char *isa, int ftz, const char *path, long detail)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char dbuf[32];
        setenv("TP_ISA", isa, 1);
        setenv(isa_suite->env_out, path, 1);
        if (ftz)
            setenv(TPT_ENV_MXCSR, "ftz-daz", 1);
        else
            unsetenv(TPT_ENV_MXCSR);
        if (detail >= 0) {
            snprintf(dbuf, sizeof dbuf, "%ld", detail);
            setenv(isa_suite->env_detail, dbuf, 1);
        } else {
            unsetenv(isa_suite->env_detail);
        }
        /* An emulator without binfmt_misc (qemu-user, see ci/cross.sh) runs
         * the child: TP_TEST_EXEC_WRAPPER names it, and the emulated
         * /proc/self/exe link names this program. */
        const char *wrap = getenv("TP_TEST_EXEC_WRAPPER");
        if (wrap != NULL && *wrap != '\0') {
            char me[4096];
            ssize_t len = readlink("/proc/self/exe", me, sizeof me - 1);
            if (len > 0) {
                me[len] = '\0';
                execl(wrap, wrap, me, (char *)NULL);
            }
        }
        execl(self_path, self_path, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The whole file, NUL-terminated, and its length; NULL if it cannot be
 * opened. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b = NULL;
    size_t cap = 0, n = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 20;
            b = realloc(b, cap + 1);
            if (b == NULL)
                abort();
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

static const char *env_name(int ftz)
{
    return ftz ? "FTZ|DAZ" : "default env";
}

/* Reruns the ref child (environment rftz) and the isa child (environment
 * ftz) in detail mode for piece k and lets the suite explain the
 * difference. */
static void explain(const char *isa, int ftz, int rftz, long k)
{
    char pa[64], pb[64], db[16], label[48];
    size_t la = 0, lb = 0;
    isa_path(pa, sizeof pa, "dref");
    snprintf(db, sizeof db, "d%s%s", isa, ftz ? "z" : "");
    isa_path(pb, sizeof pb, db);
    printf("  (ref side: ref in %s; variant: %s in %s)\n", env_name(rftz), isa, env_name(ftz));
    if (spawn("ref", rftz, pa, k) != 0 || spawn(isa, ftz, pb, k) != 0) {
        printf("  (detail run failed)\n");
        return;
    }
    unsigned char *a = slurp(pa, &la), *b = slurp(pb, &lb);
    unlink(pa);
    unlink(pb);
    snprintf(label, sizeof label, "%s%s", isa, ftz ? " (FTZ|DAZ)" : "");
    isa_suite->explain(label, a != NULL && la >= 8 ? a + 8 : NULL, la >= 8 ? la - 8 : 0,
                       b != NULL && lb >= 8 ? b + 8 : NULL, lb >= 8 ? lb - 8 : 0);
    free(a);
    free(b);
}

static void make_ref(void)
{
    isa_path(ref_path, sizeof ref_path, "ref");
    ref_ok = spawn("ref", 0, ref_path, -1) == 0;
    isa_path(refz_path, sizeof refz_path, "refz");
    refz_ok = tpt_fpenv_supported() && spawn("ref", 1, refz_path, -1) == 0;
}

static void drop_ref(void)
{
    unlink(ref_path);
    unlink(refz_path);
}

START_TEST(test_ref_child)
{
    size_t len = 0;
    unsigned char *b = slurp(ref_path, &len);
    ck_assert_msg(ref_ok && b != NULL && len > 8, "the TP_ISA=ref child failed");
    uint32_t hd[2];
    memcpy(hd, b, sizeof hd);
    ck_assert_uint_eq(hd[0], isa_suite->magic);
    ck_assert_uint_eq(hd[1], TP_ISA_REF);
    size_t dep = 0;
    for (size_t off = 8; off + 8 <= len; off += 8)
        dep += b[off] & 1;
    printf("# ref: %zu pieces, %zu of them environment-dependent (documented exception)\n",
           (len - 8) / 8, dep);
    free(b);
}
END_TEST

START_TEST(test_isa_equal)
{
    const char *isa = isa_runs[_i].isa;
    int ftz = isa_runs[_i].ftz, is_ref = isa_runs[_i].level == TP_ISA_REF;
    char path[64], name[16];
    size_t la = 0, lb = 0, lz = 0;
    if (ftz && !tpt_fpenv_supported()) {
        printf("# %s under FTZ|DAZ: SKIPPED (no FTZ/DAZ control on this platform)\n", isa);
        return;
    }
    snprintf(name, sizeof name, "%s%s", isa, ftz ? "z" : "");
    isa_path(path, sizeof path, name);
    if (is_ref) { /* made by the fixture */
        ck_assert_msg(refz_ok, "the TP_ISA=ref child under FTZ|DAZ failed");
    } else {
        ck_assert_msg(spawn(isa, ftz, path, -1) == 0, "the TP_ISA=%s child (%s) failed", isa,
                      env_name(ftz));
    }
    unsigned char *a = slurp(ref_path, &la), *b = slurp(is_ref ? refz_path : path, &lb);
    unsigned char *z = ftz && !is_ref ? slurp(refz_path, &lz) : NULL;
    if (!is_ref)
        unlink(path);
    ck_assert_msg(a != NULL && b != NULL && la > 8 && lb > 8, "missing child output");
    ck_assert_msg(!ftz || is_ref || (z != NULL && lz == la), "missing ref output (FTZ|DAZ)");
    uint32_t ha[2], hb[2];
    memcpy(ha, a, sizeof ha);
    memcpy(hb, b, sizeof hb);
    if ((int)hb[1] < isa_runs[_i].level) {
        printf("# %s (%s): SKIPPED (this CPU or build provides only %s)\n", isa, env_name(ftz),
               tp_isa_name((tp_isa)hb[1]));
        free(a);
        free(b);
        free(z);
        return;
    }
    ck_assert_uint_eq(la, lb);
    size_t dep = 0;
    for (size_t off = 8; off < la; off += 8) {
        const unsigned char *r = a;
        int rftz = 0;
        if (ftz && (a[off] & 1)) { /* environment-dependent piece */
            dep++;
            if (is_ref)
                continue;
            r = z;
            rftz = 1;
        }
        if (memcmp(r + off, b + off, 8) != 0) {
            long k = (long)((off - 8) / 8);
            printf("# %s (%s) differs from ref (%s) at piece %ld\n", isa, env_name(ftz),
                   env_name(rftz), k);
            explain(isa, ftz, rftz, k);
            fflush(stdout);
            free(a);
            free(b);
            free(z);
            ck_abort_msg("%s (%s) differs from the reference (%s) at piece %ld (details above)",
                         isa, env_name(ftz), env_name(rftz), k);
        }
    }
    if (!ftz)
        printf("# %s: %zu pieces bit-identical to ref (%s)\n", isa, (la - 8) / 8,
               isa_suite->compared);
    else if (is_ref)
        printf("# ref under FTZ|DAZ: %zu pieces bit-identical to ref in the default "
               "environment; %zu environment-dependent pieces (documented exception) not "
               "compared\n",
               (la - 8) / 8 - dep, dep);
    else
        printf("# %s under FTZ|DAZ: %zu pieces bit-identical to ref in the default "
               "environment, %zu environment-dependent pieces to ref under FTZ|DAZ\n",
               isa, (la - 8) / 8 - dep, dep);
    free(a);
    free(b);
    free(z);
}
END_TEST

void tpt_isa_add(Suite *su, const tpt_isa_suite *s, const char *argv0)
{
    isa_suite = s;
    /* The program's real path: under valgrind or qemu-user, /proc/self/exe
     * itself would start the emulator, while readlink names the program. */
    static char self_buf[4096];
    ssize_t len = readlink("/proc/self/exe", self_buf, sizeof self_buf - 1);
    if (len > 0) {
        self_buf[len] = '\0';
        self_path = self_buf;
    } else {
        self_path = argv0;
    }
    TCase *tc = tcase_create("equivalence");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, make_ref, drop_ref);
    tcase_add_test(tc, test_ref_child);
    tcase_add_loop_test(tc, test_isa_equal, 0, N_RUNS);
    suite_add_tcase(su, tc);
}

int tpt_isa_main(const tpt_isa_suite *s, int argc, char **argv)
{
    int status = 0;
    (void)argc;
    if (tpt_isa_child(s, &status))
        return status;
    tpt_banner(s->program);
    Suite *su = suite_create(s->suite);
    tpt_isa_add(su, s, argv[0]);
    return tpt_run(su);
}
