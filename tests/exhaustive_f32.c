/*
 * exhaustive_f32.c -- the `make check-exhaustive` tier: every binary32 input
 * to every built-in format of 8 bits or fewer, against the MPFR oracle,
 * codes and per-element flags.
 *
 * Default: all 2^32 patterns, TP_RNE under TP_OVF_DEFAULT (hours: about
 * 2^32 oracle calls per format).  Options:
 *   --stride N     test every Nth pattern (N >= 1)
 *   --start S      first pattern (default 0)
 *   --count C      stop after C patterns per format
 *   --format NAME  one format only (a built-in name)
 *   --rtz          also TP_RTZ
 *   --all-modes    every mode TP_RNE..TP_RTO and every policy
 * Exits 0 when everything agrees, 1 on any mismatch, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "testutil.h"

#define BLOCK 4096u
#define MAX_PRINTED 30

static const char *const mode_names[] = {"rne", "rna", "rtz", "rup", "rdn", "rto", "rsr"};
static const char *const ovf_names[] = {"default", "sat", "nonsat"};

static long g_mismatches;

static void report(const char *what, const tp_format_desc *d, int mode, int ovf, uint32_t in,
                   uint64_t ec, unsigned ef, uint64_t gc, unsigned gf)
{
    float x;
    g_mismatches++;
    if (g_mismatches > MAX_PRINTED)
        return;
    memcpy(&x, &in, sizeof x);
    printf("MISMATCH %s: format %s mode %s policy %s input 0x%08x (%a): expected code 0x%llx "
           "flags 0x%x, got code 0x%llx flags 0x%x\n",
           what, d->name, mode_names[mode], ovf_names[ovf], (unsigned)in, (double)x,
           (unsigned long long)ec, ef, (unsigned long long)gc, gf);
    if (g_mismatches == MAX_PRINTED)
        printf("(further mismatches are counted, not printed)\n");
    fflush(stdout);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 0);
    if (s[0] == '\0' || s[0] == '-' || end == NULL || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* One (format, mode, policy) over the selected patterns. */
static void run_one(tp_format f, int mode, int ovf, uint64_t start, uint64_t stride,
                    uint64_t count)
{
    const tp_format_desc *d = tp_format_get(f);
    static float in[BLOCK];
    static uint8_t out[BLOCK];
    uint64_t total = 0, u = start, next_report = 0, step;
    uint64_t planned = (UINT64_C(0x100000000) - start + stride - 1) / stride;
    long before = g_mismatches;

    if (count < planned)
        planned = count;
    step = planned / 50 + 1; /* progress every 2 % */
    fprintf(stderr, "%s %s %s: %llu inputs\n", d->name, mode_names[mode], ovf_names[ovf],
            (unsigned long long)planned);
    while (total < planned) {
        uint32_t n = 0, i;
        unsigned fl = 0, want = 0;
        uint32_t bits[BLOCK];
        tp_status st;
        while (n < BLOCK && total + n < planned) {
            uint32_t b = (uint32_t)u;
            bits[n] = b;
            memcpy(&in[n], &b, sizeof b);
            n++;
            u += stride;
        }
        st = tp_encode_f32(f, in, out, n, (tp_round)mode, (tp_overflow)ovf, NULL, &fl);
        if (st != TP_OK) {
            printf("tp_encode_f32(%s) returned %s\n", d->name, tp_status_string(st));
            g_mismatches++;
            return;
        }
        for (i = 0; i < n; i++) {
            uint64_t ec = 0, gc = 0;
            unsigned ef = 0, gf = 0;
            if (orc_encode(d, (double)in[i], (tp_round)mode, (tp_overflow)ovf, 0, &ec, &ef) != 0) {
                printf("the oracle refused %s\n", d->name);
                exit(2);
            }
            want |= ef;
            if (out[i] != ec)
                report("tp_encode_f32", d, mode, ovf, bits[i], ec, ef, out[i], 0);
            if (tp_encode1(d, (double)in[i], (tp_round)mode, (tp_overflow)ovf, 0, &gc, &gf) !=
                    TP_OK ||
                gc != ec || gf != ef)
                report("tp_encode1", d, mode, ovf, bits[i], ec, ef, gc, gf);
        }
        if (fl != want)
            report("tp_encode_f32 block flags", d, mode, ovf, bits[0], 0, want, 0, fl);
        total += n;
        if (total >= next_report) {
            fprintf(stderr, "  %s %s %s: %5.1f%% (%ld mismatches)\n", d->name, mode_names[mode],
                    ovf_names[ovf], 100.0 * (double)total / (double)planned,
                    g_mismatches - before);
            next_report += step;
        }
    }
    printf("%-12s %-4s %-7s %llu inputs, %ld mismatches\n", d->name, mode_names[mode],
           ovf_names[ovf], (unsigned long long)total, g_mismatches - before);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    uint64_t stride = 1, start = 0, count = UINT64_MAX;
    int only = -1, rtz = 0, all = 0, i, f;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--stride") == 0 && v != NULL) {
            if (parse_u64(v, &stride) != 0 || stride == 0)
                goto usage;
            i++;
        } else if (strcmp(a, "--start") == 0 && v != NULL) {
            if (parse_u64(v, &start) != 0 || start > UINT32_MAX)
                goto usage;
            i++;
        } else if (strcmp(a, "--count") == 0 && v != NULL) {
            if (parse_u64(v, &count) != 0)
                goto usage;
            i++;
        } else if (strcmp(a, "--format") == 0 && v != NULL) {
            tp_format tf;
            if (tp_format_from_name(v, &tf) != TP_OK)
                goto usage;
            only = (int)tf;
            i++;
        } else if (strcmp(a, "--rtz") == 0) {
            rtz = 1;
        } else if (strcmp(a, "--all-modes") == 0) {
            all = 1;
        } else {
            goto usage;
        }
    }

    tpt_banner("exhaustive_f32");
    printf("# config:   start 0x%llx stride %llu count %s%llu, modes %s\n",
           (unsigned long long)start, (unsigned long long)stride,
           count == UINT64_MAX ? "all " : "", count == UINT64_MAX ? 0ull : (unsigned long long)count,
           all ? "all x all policies" : rtz ? "rne+rtz (default policy)" : "rne (default policy)");
    fflush(stdout);

    for (f = 0; f < TP_FORMAT_COUNT; f++) {
        const tp_format_desc *d = tp_format_get((tp_format)f);
        if (d == NULL || d->bits > 8 || (only >= 0 && f != only))
            continue;
        if (all) {
            int mode, ovf;
            for (mode = TP_RNE; mode <= TP_RTO; mode++)
                for (ovf = 0; ovf < 3; ovf++)
                    run_one((tp_format)f, mode, ovf, start, stride, count);
        } else {
            run_one((tp_format)f, TP_RNE, TP_OVF_DEFAULT, start, stride, count);
            if (rtz)
                run_one((tp_format)f, TP_RTZ, TP_OVF_DEFAULT, start, stride, count);
        }
    }
    printf("# %s: %ld mismatches\n", g_mismatches == 0 ? "PASS" : "FAIL", g_mismatches);
    return g_mismatches == 0 ? 0 : 1;

usage:
    fprintf(stderr, "usage: %s [--stride N] [--start S] [--count C] [--format NAME] [--rtz] "
                    "[--all-modes]\n",
            argv[0]);
    return 2;
}
