/*
 * testutil.h -- the small helper library shared by the Check suites.
 */
#ifndef TP_TESTUTIL_H
#define TP_TESTUTIL_H

#include <stdint.h>

#include <check.h>

#include "truepoint.h"

/* Prints the suite name, library version, active ISA, compiler and seed.
 * Every suite calls it first. */
void tpt_banner(const char *suite);
/* The seed: TP_TEST_SEED if set (decimal or 0x hex), else a fixed default. */
uint64_t tpt_seed(void);
/* xorshift-style generator for test data (not the library's SR generator). */
uint64_t tpt_rand64(uint64_t *state);
/* Runs a suite (CK_NORMAL) and returns the process exit status. */
int tpt_run(Suite *s);

#endif /* TP_TESTUTIL_H */
