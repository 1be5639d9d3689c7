/*
 * bench_cmd.c -- `truepoint bench`: runs the benchmark programs (bench_codec,
 * bench_block, bench_acc, bench_dot, bench_gemm) one after another, streams
 * their tables, ends with a summary of the ratios against the peers measured
 * in the same run, and with --json writes one JSON object holding each
 * program's own JSON output under its name.
 *
 * The programs are looked up in $TP_BENCH_DIR if set; else in bench/ next to
 * the executable (a build tree; also one level up when the executable is
 * libtool's .libs/ copy); else in the installed package libexec directory.
 * The same lookup and launcher serve the demo's speed headline (demo.c).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"


#define BENCH_PATH_MAX 4096

/* ------------------------------------------------------------ lookup */

/* The directories to search, in order; returns their number. */
static int bench_dirs(char dirs[][BENCH_PATH_MAX], int max)
{
    int n = 0;
    const char *env = getenv("TP_BENCH_DIR");
    if (env != NULL && env[0] != '\0') {
        snprintf(dirs[n++], BENCH_PATH_MAX, "%s", env);
        return n;
    }
    char exe[BENCH_PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0'; /* exe is now the executable's directory */
            if (n < max)
                snprintf(dirs[n++], BENCH_PATH_MAX, "%.4000s/bench", exe);
            slash = strrchr(exe, '/');
            if (slash != NULL && strcmp(slash + 1, ".libs") == 0 && n < max) {
                *slash = '\0';
                snprintf(dirs[n++], BENCH_PATH_MAX, "%.4000s/bench", exe[0] ? exe : "");
            }
        }
    }
#if defined(TP_PKGLIBEXECDIR)
    if (n < max)
        snprintf(dirs[n++], BENCH_PATH_MAX, "%s", TP_PKGLIBEXECDIR);
#endif
    return n;
}

static int is_program(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

/* Finds the benchmark program `prog` ("bench_gemm"): its path in `path`.
 * Returns 0, or -1 with the reason in `why` ("bench_gemm not found in
 * DIR1, DIR2 (...)"). */
int cli_bench_find(const char *prog, char *path, size_t size, char *why, size_t why_size)
{
    char dirs[4][BENCH_PATH_MAX];
    int n = bench_dirs(dirs, 4);
    for (int i = 0; i < n; i++) {
        snprintf(path, size, "%.4000s/%s", dirs[i], prog);
        if (is_program(path))
            return 0;
    }
    size_t used = 0;
    int w = snprintf(why, why_size, "%s not found in", prog);
    used = w > 0 ? (size_t)w : 0;
    for (int i = 0; i < n && used < why_size; i++) {
        w = snprintf(why + used, why_size - used, "%s %s", i ? "," : "", dirs[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    if (used < why_size)
        snprintf(why + used, why_size - used,
                 "%s (the benchmarks are built by 'make' on x86-64; TP_BENCH_DIR names "
                 "their directory)",
                 n == 0 ? " no directory" : "");
    return -1;
}

/* Runs argv[0] with argv, stdout inherited (or sent to /dev/null with
 * `quiet`), stderr inherited.  Returns its exit status, 128 + N when signal
 * N ended it, or -1 when it could not be started (reported). */
int cli_bench_run(char *const argv[], int quiet)
{
    struct sigaction ign, old_int, old_quit;
    int status = 0;
    fflush(stdout);
    fflush(stderr);
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    /* An interrupt from the terminal reaches the benchmark too: let it end
     * the benchmark, and this process after it has cleaned up. */
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    pid_t pid = fork();
    if (pid < 0) {
        cli_error("cannot start %s: %s", argv[0], strerror(errno));
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        return -1;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        if (quiet) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0) {
                dup2(fd, 1);
                close(fd);
            }
        }
        execv(argv[0], argv);
        fprintf(stderr, CLI_PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            cli_error("waiting for %s: %s", argv[0], strerror(errno));
            status = -1;
            break;
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (status == -1)
        return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

/* ------------------------------------------------------------ benchmarks */

typedef struct bench_def {
    const char *name;  /* --only name and JSON key */
    const char *prog;  /* program */
    const char *title; /* the heading of its tables */
    const char *peer;  /* the peer when its JSON names none per case */
    int time_ratio;    /* its ratios are our time / peer time */
} bench_def;

static const bench_def benches[] = {
    {"codec", "bench_codec",
     "codecs: binary32 <-> narrow formats, 4096 elements, vs the F16C converters", NULL, 0},
    {"block", "bench_block", "MX block quantise/dequantise, 4096 elements, vs the F16C converters",
     NULL, 0},
    {"acc", "bench_acc", "exact sum of binary64 vs a plain double loop", "double loop", 1},
    {"dot", "bench_dot", "exact dot products vs OpenBLAS cblas_sdot (binary32, 1 thread)",
     "cblas_sdot", 1},
    {"gemm", "bench_gemm", "exact GEMM vs OpenBLAS sgemm/dgemm; exact GEMV vs a bf16 GEMV", NULL,
     0},
};
#define N_BENCH ((int)(sizeof benches / sizeof benches[0]))

/* --only LIST: sets want[i] for each named benchmark; -1 on a bad name. */
static int parse_only(const cli_command *c, const char *list, int *want)
{
    char buf[256];
    if (strlen(list) >= sizeof buf) {
        cli_usage_error(c, "--only: list too long");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", list);
    for (int i = 0; i < N_BENCH; i++)
        want[i] = 0;
    int any = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int i = 0; i < N_BENCH; i++)
            if (strcmp(tok, benches[i].name) == 0 || strcmp(tok, "all") == 0) {
                want[i] = 1;
                found = 1;
            }
        if (!found) {
            cli_usage_error(c, "--only: unknown benchmark '%.60s' (names: codec, block, acc, "
                               "dot, gemm, all)",
                            tok);
            return -1;
        }
        any = 1;
    }
    if (!any) {
        cli_usage_error(c, "--only needs at least one benchmark name");
        return -1;
    }
    return 0;
}

/* The whole of a small file, NUL-terminated (NULL if unreadable); free()
 * it. */
char *cli_bench_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (n + 1024 > cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (buf != NULL)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* ------------------------------------------------------------ summary */

/* The value of "key": in `line` as a string (into buf) or a number. */
static int json_field_str(const char *line, const char *key, char *buf, size_t size)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(line, pat);
    if (p == NULL)
        return -1;
    p += strlen(pat);
    size_t n = 0;
    while (*p && *p != '"' && n + 1 < size) {
        if (*p == '\\' && p[1])
            p++;
        buf[n++] = *p++;
    }
    buf[n] = '\0';
    return 0;
}

static int json_field_num(const char *line, const char *key, double *out)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(line, pat);
    if (p == NULL)
        return -1;
    p += strlen(pat);
    char *end;
    double v = strtod(p, &end);
    if (end == p)
        return -1;
    *out = v;
    return 0;
}

/* The line of `json` holding the case object named `name`: a copy in
 * `line`; -1 if there is none. */
static int case_line(const char *json, const char *name, char *line, size_t size)
{
    char pat1[192], pat2[192];
    snprintf(pat1, sizeof pat1, "\"name\": \"%s\"", name);
    snprintf(pat2, sizeof pat2, "\"case\": \"%s\"", name);
    const char *p = strstr(json, pat1);
    if (p == NULL)
        p = strstr(json, pat2);
    if (p == NULL)
        return -1;
    const char *b = p, *e = strchr(p, '\n');
    while (b > json && b[-1] != '\n')
        b--;
    size_t len = e ? (size_t)(e - b) : strlen(b);
    if (len >= size)
        len = size - 1;
    memcpy(line, b, len);
    line[len] = '\0';
    return 0;
}

/* The number `key` ("median" for the ratio's median, "m", "k", "reps", ...)
 * of the case named `name` in a benchmark's JSON text; 0, or -1 if absent. */
int cli_bench_case_num(const char *json, const char *name, const char *key, double *out)
{
    char line[2048];
    if (case_line(json, name, line, sizeof line) != 0)
        return -1;
    return json_field_num(line, key, out);
}

/* One summary row per case line of a benchmark's JSON (every program
 * writes one case object per line). */
static void summary_rows(const bench_def *b, const char *json)
{
    const char *p = json;
    while (p != NULL && *p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[2048];
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        p = eol ? eol + 1 : NULL;

        const char *q = line;
        while (*q == ' ')
            q++;
        char name[128], peer[96], ratio_is[64];
        if (*q != '{' || (json_field_str(line, "name", name, sizeof name) != 0 &&
                          json_field_str(line, "case", name, sizeof name) != 0))
            continue;
        double r = 0, threads = 0;
        int have = json_field_num(line, "median", &r) == 0 ||
                   json_field_num(line, "ratio", &r) == 0 ||
                   json_field_num(line, "ratio_median", &r) == 0;
        double n = 0;
        size_t nl = strlen(name);
        if (json_field_num(line, "threads", &threads) == 0)
            snprintf(name + nl, sizeof name - nl, " %dT", (int)threads);
        else if (json_field_num(line, "n", &n) == 0)
            snprintf(name + nl, sizeof name - nl, " n=%.0f", n);
        if (json_field_str(line, "peer", peer, sizeof peer) != 0 || peer[0] == '\0')
            snprintf(peer, sizeof peer, "%s",
                     b->peer        ? b->peer
                     : strstr(name, "->f32") != NULL ? "vcvtph2ps"
                                                     : "vcvtps2ph");
        int time_ratio = b->time_ratio;
        if (json_field_str(line, "ratio_is", ratio_is, sizeof ratio_is) == 0)
            time_ratio = strncmp(ratio_is, "ours_time", 9) == 0;
        if (have && time_ratio && r > 0)
            r = 1.0 / r;
        if (have)
            printf("  %-6s %-44s %8.2f  %s\n", b->name, name, r, peer);
        else
            printf("  %-6s %-44s %8s  %s (no number: see its table)\n", b->name, name, "-",
                   peer);
    }
}

/* ------------------------------------------------------------ command */

static void remove_tmp(char *dir, const int *want)
{
    char path[BENCH_PATH_MAX + 64];
    for (int i = 0; i < N_BENCH; i++) {
        if (!want[i])
            continue;
        snprintf(path, sizeof path, "%s/%s.json", dir, benches[i].name);
        unlink(path);
    }
    rmdir(dir);
}

static int run_bench(int argc, char **argv)
{
    const cli_command *c = &cli_cmd_bench;
    const char *only = NULL, *json = NULL;
    uint64_t reps = UINT64_MAX; /* not given */
    int quick = 0;
    const cli_option opts[] = {
        {NULL, "--only", CLI_OPT_STRING, &only},
        {NULL, "--json", CLI_OPT_STRING, &json},
        {NULL, "--reps", CLI_OPT_U64, &reps},
        {NULL, "--quick", CLI_OPT_SWITCH, &quick},
        {NULL, NULL, CLI_OPT_SWITCH, NULL},
    };
    int rc = cli_parse_options(c, argc, argv, opts, NULL);
    if (rc != CLI_EXIT_OK)
        return rc;
    int want[N_BENCH];
    for (int i = 0; i < N_BENCH; i++)
        want[i] = 1;
    if (only != NULL && parse_only(c, only, want) != 0)
        return CLI_EXIT_USAGE;
    int have_reps = reps != UINT64_MAX;
    if (have_reps && (reps < 1 || reps > 101))
        return cli_usage_error(c, "--reps must be 1 to 101");

    /* Every program must be there before anything runs; the first one found
     * fixes the directory, so that all come from the same build. */
    char paths[N_BENCH][BENCH_PATH_MAX], why[2 * BENCH_PATH_MAX], dir[BENCH_PATH_MAX];
    dir[0] = '\0';
    for (int i = 0; i < N_BENCH; i++) {
        if (!want[i])
            continue;
        if (dir[0] == '\0') {
            if (cli_bench_find(benches[i].prog, paths[i], sizeof paths[i], why, sizeof why) != 0) {
                cli_error("bench: %s", why);
                return CLI_EXIT_DATA;
            }
            memcpy(dir, paths[i], sizeof dir < sizeof paths[i] ? sizeof dir : sizeof paths[i]);
            dir[sizeof dir - 1] = '\0';
            *strrchr(dir, '/') = '\0';
            continue;
        }
        snprintf(paths[i], sizeof paths[i], "%.4000s/%s", dir, benches[i].prog);
        if (!is_program(paths[i])) {
            cli_error("bench: %s not found in %s (the benchmarks are built by 'make' on "
                      "x86-64)",
                      benches[i].prog, dir);
            return CLI_EXIT_DATA;
        }
    }

    /* Each program writes its JSON here; the summary reads it back. */
    char tmpdir[BENCH_PATH_MAX];
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%.4000s/truepoint-bench.XXXXXX",
             t != NULL && t[0] != '\0' ? t : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        cli_error("bench: cannot create a temporary directory: %s", strerror(errno));
        return CLI_EXIT_DATA;
    }

    cli_line_buffered_stdout();
    char reps_s[24];
    snprintf(reps_s, sizeof reps_s, "%llu", (unsigned long long)reps);
    int failed[N_BENCH] = {0}, nfail = 0, nrun = 0, nwant = 0, interrupted = 0;
    for (int i = 0; i < N_BENCH; i++)
        nwant += want[i];
    printf("truepoint %s bench: libtruepoint %s, kernels %s%s\n", TP_VERSION_STRING,
           tp_version_string(), tp_isa_name(tp_active_isa()),
           quick ? " (--quick: small sizes and few repetitions; a smoke test, not the targets)"
                 : "");
    for (int i = 0; i < N_BENCH && !interrupted; i++) {
        if (!want[i])
            continue;
        char jpath[BENCH_PATH_MAX + 64];
        snprintf(jpath, sizeof jpath, "%s/%s.json", tmpdir, benches[i].name);
        char *av[12];
        int ac = 0;
        av[ac++] = paths[i];
        if (quick)
            av[ac++] = (char *)"--quick";
        if (have_reps) {
            av[ac++] = (char *)"--reps";
            av[ac++] = reps_s;
        }
        av[ac++] = (char *)"--json";
        av[ac++] = jpath;
        av[ac] = NULL;
        nrun++;
        fprintf(stderr, CLI_PROG " bench: [%d/%d] %s%s%s\n", nrun, nwant, paths[i],
                quick ? " --quick" : "", have_reps ? " --reps ..." : "");
        printf("\n==== %s: %s\n\n", benches[i].name, benches[i].title);
        int st = cli_bench_run(av, 0);
        if (st != 0) {
            failed[i] = 1;
            nfail++;
            if (st == 128 + SIGINT) {
                cli_error("bench: %s was interrupted", benches[i].prog);
                interrupted = 1;
            } else if (st > 128) {
                cli_error("bench: %s was killed by signal %d", benches[i].prog, st - 128);
            } else if (st > 0) {
                cli_error("bench: %s failed (exit status %d): see its output", benches[i].prog,
                          st);
            }
        }
    }

    /* The summary, from the programs' JSON. */
    char *texts[N_BENCH] = {NULL};
    for (int i = 0; i < N_BENCH; i++) {
        char jpath[BENCH_PATH_MAX + 64];
        if (!want[i])
            continue;
        snprintf(jpath, sizeof jpath, "%s/%s.json", tmpdir, benches[i].name);
        texts[i] = cli_bench_slurp(jpath);
        if (texts[i] != NULL) {
            char *s = texts[i];
            size_t n = strlen(s);
            while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
                s[--n] = '\0';
            const char *q = s;
            while (*q == ' ' || *q == '\n')
                q++;
            if (*q != '{') {
                free(texts[i]);
                texts[i] = NULL;
            }
        }
    }
    printf("\n==== summary: speed relative to the peer measured in the same run (median of\n"
           "     paired, interleaved ratios; > 1 means the library is faster)\n\n");
    printf("  %-6s %-44s %8s  %s\n", "bench", "case", "speed", "peer");
    for (int i = 0; i < N_BENCH; i++) {
        if (!want[i])
            continue;
        if (texts[i] != NULL)
            summary_rows(&benches[i], texts[i]);
        else
            printf("  %-6s %-44s %8s  (no results)\n", benches[i].name, "-", "-");
    }

    int status = nfail ? CLI_EXIT_DATA : CLI_EXIT_OK;
    if (json != NULL) {
        FILE *f = fopen(json, "w");
        if (f == NULL) {
            cli_error("bench: cannot write '%s': %s", json, strerror(errno));
            status = CLI_EXIT_DATA;
        } else {
            fprintf(f, "{\n\"tool\": \"truepoint bench\",\n\"version\": \"%s\",\n"
                       "\"library\": \"%s\",\n\"isa\": \"%s\",\n\"quick\": %s,\n",
                    TP_VERSION_STRING, tp_version_string(), tp_isa_name(tp_active_isa()),
                    quick ? "true" : "false");
            if (have_reps)
                fprintf(f, "\"reps\": %llu,\n", (unsigned long long)reps);
            else
                fprintf(f, "\"reps\": null,\n");
            fprintf(f, "\"failed\": [");
            for (int i = 0, k = 0; i < N_BENCH; i++)
                if (want[i] && failed[i])
                    fprintf(f, "%s\"%s\"", k++ ? ", " : "", benches[i].name);
            fprintf(f, "]");
            for (int i = 0; i < N_BENCH; i++) {
                if (!want[i])
                    continue;
                fprintf(f, ",\n\"%s\": %s", benches[i].name,
                        texts[i] != NULL ? texts[i] : "null");
            }
            fprintf(f, "\n}\n");
            if (fclose(f) != 0) {
                cli_error("bench: cannot write '%s': %s", json, strerror(errno));
                status = CLI_EXIT_DATA;
            } else {
                fprintf(stderr, CLI_PROG " bench: JSON written to %s\n", json);
            }
        }
    }
    for (int i = 0; i < N_BENCH; i++)
        free(texts[i]);
    remove_tmp(tmpdir, want);
    if (nfail)
        cli_error("bench: %d of %d benchmarks failed:%s%s%s%s%s", nfail, nwant,
                  failed[0] ? " codec" : "", failed[1] ? " block" : "", failed[2] ? " acc" : "",
                  failed[3] ? " dot" : "", failed[4] ? " gemm" : "");
    if (interrupted)
        return 130;
    int fin = cli_finish_stdout();
    return status != CLI_EXIT_OK ? status : fin;
}

const cli_command cli_cmd_bench = {
    "bench",
    run_bench,
    "bench [--quick] [--reps N] [--json FILE] [--only LIST]",
    "run the speed benchmarks: ratios against peers measured in the same run",
    "Runs the benchmark programs one after another, prints their tables as they\n"
    "go, then a summary: each case's speed relative to its peer (> 1 means the\n"
    "library is faster).  Progress goes to stderr.  The benchmarks:\n"
    "  codec  bench_codec: encode binary32 -> e4m3, e5m2, e2m1, e2m3, e3m2 (RNE,\n"
    "         SAT) and decode 15 formats -> binary32, 4096 elements in cache, one\n"
    "         thread; peers: the F16C instructions vcvtps2ph (binary32 ->\n"
    "         binary16) and vcvtph2ps (binary16 -> binary32)\n"
    "  block  bench_block: MX block quantise (MXFP4, MXFP8 E4M3/E5M2, scale\n"
    "         selection included) and dequantise, 4096 elements; peers: F16C\n"
    "         vcvtps2ph and vcvtph2ps\n"
    "  acc    bench_acc: exact sum of binary64 (tp_acc_add_f64_array, one\n"
    "         rounding), N = 1e5 and 1e7; peer: a plain ordered double loop\n"
    "  dot    bench_dot: exact dot products (f32, bf16, e4m3, MXFP4 x MXFP8,\n"
    "         MXFP8 x MXFP8, MXFP4 x MXFP4), n = 1e5 and 1e7; peer: OpenBLAS\n"
    "         cblas_sdot, one thread, on the same values as binary32 (rows say\n"
    "         so when the build has no OpenBLAS)\n"
    "  gemm   bench_gemm: exact GEMM 2048^3 (MXFP4, E4M3, bf16) vs OpenBLAS\n"
    "         cblas_sgemm and cblas_dgemm; exact GEMV 16384 x 16384 (MXFP4 x\n"
    "         MXFP8, MXFP4 x f32, E4M3 x E4M3; packed, unpacked and FAST) vs an\n"
    "         AVX-512 bfloat16-weight GEMV, and the share of the DRAM read\n"
    "         bandwidth; f32 GEMV vs cblas_sgemv; 1 and 2 threads.  Its default\n"
    "         run takes minutes and about 3.2 GiB of memory.\n"
    "\n"
    "Method.  The library and its peer are timed in the same run, on the same\n"
    "data, interleaved: each repetition times both back to back (or in\n"
    "alternating batches), so both see the same machine state, and each\n"
    "ratio is the median [min..max] of the per-repetition ratios.  Every\n"
    "result is checked bit for bit before it is timed; a wrong result gets no\n"
    "number and fails the run.  Missing a target is not an error.\n"
    "\n"
    "The programs are taken from $TP_BENCH_DIR when set, else from bench/ next\n"
    "to this executable (a build tree), else from the installed package libexec\n"
    "directory.  They are built by 'make' on x86-64 only.\n"
    "\n"
    "Options:\n"
    "      --quick       small sizes and 3 repetitions of the shortest samples: a\n"
    "                    smoke test of well under a minute, not the targets\n"
    "      --reps N      repetitions per case, 1 to 101 (default: each\n"
    "                    program's own: 7 codec and block, 9 acc, 11 dot, 5 gemm)\n"
    "      --only LIST   comma-separated benchmarks to run: codec, block, acc,\n"
    "                    dot, gemm, all (default all)\n"
    "      --json FILE   also write one JSON object to FILE:\n"
    "                    tool, version, library, isa, quick, reps, failed (the\n"
    "                    names of the benchmarks that failed), then each\n"
    "                    benchmark's own JSON output under its name (null when\n"
    "                    it wrote none)\n"
    "  -h, --help        print this help\n"
    "\n"
    "Environment: TP_BENCH_DIR (the programs' directory), TP_ISA (the kernels,\n"
    "as for every command), TMPDIR (where the programs' JSON is collected).\n"
    "\n"
    "Exit status: 0 if every benchmark ran and verified; 1 if a program is\n"
    "missing, fails or a file cannot be written; 2 usage error.\n",
};
