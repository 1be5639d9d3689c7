/*
 * replay.c -- a plain main() for the fuzz targets: runs
 * LLVMFuzzerTestOneInput once on every file named on the command line, or
 * on every regular file of a directory (in name order).  `make check` uses
 * it to replay the stored corpora with any compiler; a failing check aborts
 * with the name of the input.
 *
 *   replay_<target> [-q] FILE|DIR...
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static int quiet;
static unsigned long n_inputs;

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            fclose(fp);
            fprintf(stderr, "replay: out of memory reading %s\n", path);
            return -1;
        }
        len += fread(buf + len, 1, cap - len, fp);
        if (len < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (nb == NULL)
            free(buf);
        buf = nb;
    }
    int err = ferror(fp);
    fclose(fp);
    if (err) {
        free(buf);
        fprintf(stderr, "replay: error reading %s\n", path);
        return -1;
    }
    /* An exact-size copy, so that ASan sees reads past the input. */
    uint8_t *data = malloc(len ? len : 1);
    if (data == NULL) {
        free(buf);
        return -1;
    }
    if (len)
        memcpy(data, buf, len);
    free(buf);
    fz_current_input = path;
    if (!quiet)
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(data, len);
    fz_current_input = NULL;
    free(data);
    n_inputs++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int run_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    if (dp == NULL) {
        fprintf(stderr, "replay: cannot open directory %s\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (nn == NULL) {
                rc = -1;
                break;
            }
            names = nn;
            cap = ncap;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (names[n] == NULL) {
            rc = -1;
            break;
        }
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(dp);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = run_file(names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0, files = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        struct stat st;
        if (strcmp(argv[i], "-q") == 0) {
            quiet = 1;
            continue;
        }
        files++;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: cannot find %s\n", argv[i]);
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = run_dir(argv[i]);
        } else {
            rc = run_file(argv[i]);
        }
    }
    if (files == 0) {
        fprintf(stderr, "usage: %s [-q] FILE|DIR...\n", argv[0]);
        return 2;
    }
    fprintf(stderr, "replay: %lu inputs, %s\n", n_inputs, rc == 0 ? "all passed" : "error");
    return rc == 0 ? 0 : 1;
}
