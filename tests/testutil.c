/*
 * testutil.c -- the helper library shared by the Check suites: banner, seed,
 * test-data generator and the suite runner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int tpt_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
