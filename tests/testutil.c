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

int tpt_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ------------------------------------------------------------ cross-ISA runs */

static const tpt_isa_suite *isa_suite; /* the suite tpt_isa_main runs */
static const char *self_path;
static const char *isa_names[] = { "ref", "avx2", "avx512" };
static char ref_path[64];
static int ref_ok;

/* Child mode: writes the header, then the sweep's output, to path. */
static int isa_child(const tpt_isa_suite *s, const char *path)
{
    const char *det = getenv(s->env_detail);
    FILE *out = fopen(path, "wb");
    if (out == NULL)
        return 2;
    uint32_t hd[2] = { s->magic, (uint32_t)tp_active_isa() };
    fwrite(hd, sizeof hd, 1, out);
    s->sweep(out, det ? atol(det) : -1);
    return fclose(out) == 0 ? 0 : 2;
}

/* The temp file of this process for `name` ("ref", "avx2", "dref", ...). */
static void isa_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "/tmp/tp_%s_%ld_%s", isa_suite->tag, (long)getpid(), name);
}

/* Runs a child with TP_ISA=isa writing to path (piece `detail` alone when
 * detail >= 0); 0 on success. */
static int spawn(const char *isa, const char *path, long detail)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char dbuf[32];
        setenv("TP_ISA", isa, 1);
        setenv(isa_suite->env_out, path, 1);
        if (detail >= 0) {
            snprintf(dbuf, sizeof dbuf, "%ld", detail);
            setenv(isa_suite->env_detail, dbuf, 1);
        } else {
            unsetenv(isa_suite->env_detail);
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

/* Reruns the ref and isa children in detail mode for piece k and lets the
 * suite explain the difference. */
static void explain(const char *isa, long k)
{
    char pa[64], pb[64], db[16];
    size_t la = 0, lb = 0;
    isa_path(pa, sizeof pa, "dref");
    snprintf(db, sizeof db, "d%s", isa);
    isa_path(pb, sizeof pb, db);
    if (spawn("ref", pa, k) != 0 || spawn(isa, pb, k) != 0) {
        printf("  (detail run failed)\n");
        return;
    }
    unsigned char *a = slurp(pa, &la), *b = slurp(pb, &lb);
    unlink(pa);
    unlink(pb);
    isa_suite->explain(isa, a != NULL && la >= 8 ? a + 8 : NULL, la >= 8 ? la - 8 : 0,
                       b != NULL && lb >= 8 ? b + 8 : NULL, lb >= 8 ? lb - 8 : 0);
    free(a);
    free(b);
}

static void make_ref(void)
{
    isa_path(ref_path, sizeof ref_path, "ref");
    ref_ok = spawn("ref", ref_path, -1) == 0;
}

static void drop_ref(void)
{
    unlink(ref_path);
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
    printf("# ref: %zu pieces\n", (len - 8) / 8);
    free(b);
}
END_TEST

START_TEST(test_isa_equal)
{
    const char *isa = isa_names[_i];
    char path[64];
    size_t la = 0, lb = 0;
    isa_path(path, sizeof path, isa);
    ck_assert_msg(spawn(isa, path, -1) == 0, "the TP_ISA=%s child failed", isa);
    unsigned char *a = slurp(ref_path, &la), *b = slurp(path, &lb);
    unlink(path);
    ck_assert_msg(a != NULL && b != NULL && la > 8 && lb > 8, "missing child output");
    uint32_t ha[2], hb[2];
    memcpy(ha, a, sizeof ha);
    memcpy(hb, b, sizeof hb);
    if ((int)hb[1] < _i) {
        printf("# %s: SKIPPED (this CPU or build provides only %s)\n", isa,
               tp_isa_name((tp_isa)hb[1]));
        free(a);
        free(b);
        return;
    }
    ck_assert_uint_eq(la, lb);
    for (size_t off = 8; off < la; off += 8) {
        if (memcmp(a + off, b + off, 8) != 0) {
            long k = (long)((off - 8) / 8);
            printf("# %s differs from ref at piece %ld\n", isa, k);
            explain(isa, k);
            fflush(stdout);
            free(a);
            free(b);
            ck_abort_msg("%s differs from the reference at piece %ld (details above)", isa, k);
        }
    }
    printf("# %s: %zu pieces bit-identical to ref (%s)\n", isa, (la - 8) / 8,
           isa_suite->compared);
    free(a);
    free(b);
}
END_TEST

int tpt_isa_main(const tpt_isa_suite *s, int argc, char **argv)
{
    const char *out = getenv(s->env_out);
    (void)argc;
    if (out != NULL && *out != '\0')
        return isa_child(s, out);
    isa_suite = s;
    self_path = access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : argv[0];
    tpt_banner(s->program);
    Suite *su = suite_create(s->suite);
    TCase *tc = tcase_create("equivalence");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, make_ref, drop_ref);
    tcase_add_test(tc, test_ref_child);
    tcase_add_loop_test(tc, test_isa_equal, TP_ISA_AVX2, TP_ISA_AVX512 + 1);
    suite_add_tcase(su, tc);
    return tpt_run(su);
}
