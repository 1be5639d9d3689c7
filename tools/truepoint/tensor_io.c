/*
 * tensor_io.c -- .npy and .safetensors readers for `truepoint accuracy`.
 *
 * .npy (NumPy format versions 1.0, 2.0 and 3.0): the magic "\x93NUMPY", two
 * version bytes, the header length (2 bytes little-endian for version 1, 4
 * bytes for 2 and 3), then a Python dict literal with the keys 'descr'
 * ('<f4', '>f4', '<f2' or '>f2' are read), 'fortran_order' and 'shape',
 * then the values, which must fill the rest of the file exactly.
 *
 * .safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * (an object mapping each tensor name to {"dtype", "shape", "data_offsets"}
 * plus an optional "__metadata__" object), then the data buffer; offsets
 * count from the start of that buffer and the values are little-endian.
 * Dtypes F32, F16 and BF16 are read.
 */
#define _POSIX_C_SOURCE 200809L

#include "tensor_io.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "truepoint.h"

/* The largest safetensors header read (the format's own limit is 100 MB). */
#define TIO_MAX_JSON ((uint64_t)100 * 1000 * 1000)
/* The largest tensor read: 2^31 values (8 GiB as binary32). */
#define TIO_MAX_VALUES ((uint64_t)1 << 31)
#define TIO_MAX_DEPTH 64

static const char *const dtype_names[3] = {"f32", "f16", "bf16"};

const char *tio_dtype_name(tio_dtype t)
{
    return (unsigned)t < 3 ? dtype_names[t] : "?";
}

static size_t dtype_size(tio_dtype t)
{
    return t == TIO_F32 ? 4 : 2;
}

/* The error message, prefixed with the file name. */
typedef struct tio_err {
    char *buf;
    size_t size;
    const char *file;
} tio_err;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(tio_err *e, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(e->buf, e->size, "%.200s: ", e->file);
    if (n < 0 || (size_t)n >= e->size)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(e->buf + n, e->size - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int file_size(FILE *fp, uint64_t *size)
{
    if (fseek(fp, 0, SEEK_END) != 0)
        return -1;
    long end = ftell(fp);
    if (end < 0 || fseek(fp, 0, SEEK_SET) != 0)
        return -1;
    *size = (uint64_t)end;
    return 0;
}

static int read_at(FILE *fp, uint64_t off, void *buf, size_t len)
{
    if (off > (uint64_t)0x7FFFFFFFFFFFFFFF || fseek(fp, (long)off, SEEK_SET) != 0)
        return -1;
    return fread(buf, 1, len, fp) == len ? 0 : -1;
}

/* shape product, checked: -1 when it exceeds TIO_MAX_VALUES. */
static int shape_count(const size_t *shape, int ndim, uint64_t *n)
{
    uint64_t c = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] != 0 && c > TIO_MAX_VALUES / shape[i])
            return -1;
        c *= shape[i];
    }
    if (c > TIO_MAX_VALUES)
        return -1;
    *n = c;
    return 0;
}

/* Reads n values of `dt` (byte order `big` for .npy) at `off` into t->data. */
static int read_values(FILE *fp, uint64_t off, uint64_t n, tio_dtype dt, int big, tio_tensor *t,
                       tio_err *e)
{
    size_t es = dtype_size(dt);
    size_t chunk = 65536;
    uint8_t *raw = malloc(chunk * es);
    t->data = malloc(n ? (size_t)n * sizeof(float) : 1);
    if (raw == NULL || t->data == NULL) {
        free(raw);
        free(t->data);
        t->data = NULL;
        return fail(e, "not enough memory for %llu values", (unsigned long long)n);
    }
    if (fseek(fp, (long)off, SEEK_SET) != 0) {
        free(raw);
        return fail(e, "cannot seek to the data");
    }
    for (uint64_t i = 0; i < n; i += chunk) {
        size_t m = (size_t)(n - i < chunk ? n - i : chunk);
        if (fread(raw, es, m, fp) != m) {
            free(raw);
            return fail(e, "the file ends inside the data");
        }
        for (size_t j = 0; j < m; j++) {
            const uint8_t *p = raw + j * es;
            uint32_t u = 0;
            for (size_t b = 0; b < es; b++)
                u |= (uint32_t)p[big ? es - 1 - b : b] << (8 * b);
            float *dst = t->data + i + j;
            if (dt == TIO_F32) {
                memcpy(dst, &u, 4);
            } else {
                uint16_t h = (uint16_t)u;
                /* Widening binary16 and bfloat16 to binary32 is exact. */
                tp_decode_f32(dt == TIO_F16 ? TP_F16 : TP_BF16, &h, dst, 1, NULL);
            }
        }
    }
    free(raw);
    t->n = (size_t)n;
    t->dtype = dt;
    return 0;
}

/* ------------------------------------------------------------ .npy */

typedef struct pyparse {
    const char *p, *end;
} pyparse;

static void py_ws(pyparse *q)
{
    while (q->p < q->end && (*q->p == ' ' || *q->p == '\t' || *q->p == '\n' || *q->p == '\r'))
        q->p++;
}

/* A quoted Python string literal without escapes into buf. */
static int py_string(pyparse *q, char *buf, size_t size)
{
    py_ws(q);
    if (q->p >= q->end || (*q->p != '\'' && *q->p != '"'))
        return -1;
    char quote = *q->p++;
    size_t n = 0;
    while (q->p < q->end && *q->p != quote) {
        if (*q->p == '\\' || n + 1 >= size)
            return -1;
        buf[n++] = *q->p++;
    }
    if (q->p >= q->end)
        return -1;
    q->p++;
    buf[n] = 0;
    return 0;
}

static int py_char(pyparse *q, char c)
{
    py_ws(q);
    if (q->p < q->end && *q->p == c) {
        q->p++;
        return 0;
    }
    return -1;
}

static int py_word(pyparse *q, const char *w)
{
    size_t n = strlen(w);
    py_ws(q);
    if ((size_t)(q->end - q->p) >= n && memcmp(q->p, w, n) == 0) {
        q->p += n;
        return 0;
    }
    return -1;
}

/* A tuple of non-negative integers: "()", "(3,)", "(3, 4)". */
static int py_shape(pyparse *q, size_t *shape, int *ndim, tio_err *e)
{
    if (py_char(q, '(') != 0)
        return fail(e, "the .npy shape is not a tuple");
    *ndim = 0;
    for (;;) {
        py_ws(q);
        if (q->p < q->end && *q->p == ')') {
            q->p++;
            return 0;
        }
        if (q->p >= q->end || *q->p < '0' || *q->p > '9')
            return fail(e, "the .npy shape holds something other than non-negative integers");
        uint64_t v = 0;
        while (q->p < q->end && *q->p >= '0' && *q->p <= '9') {
            if (v > (TIO_MAX_VALUES * 10))
                return fail(e, "the .npy shape has an absurd dimension");
            v = v * 10 + (uint64_t)(*q->p++ - '0');
        }
        if (*ndim >= TIO_MAX_DIMS)
            return fail(e, "the .npy shape has more than %d dimensions", TIO_MAX_DIMS);
        if (v > SIZE_MAX)
            return fail(e, "the .npy shape has an absurd dimension");
        shape[(*ndim)++] = (size_t)v;
        py_ws(q);
        if (q->p < q->end && *q->p == ',')
            q->p++;
        else if (q->p < q->end && *q->p != ')')
            return fail(e, "the .npy shape is not a tuple of integers");
    }
}

/* Transposes a 2-D Fortran-order array into C order. */
static int fortran_to_c(tio_tensor *t, tio_err *e)
{
    if (t->ndim <= 1)
        return 0;
    if (t->ndim > 2)
        return fail(e, "Fortran-order arrays of more than 2 dimensions are not read");
    size_t r = t->shape[0], c = t->shape[1];
    float *d = malloc(t->n ? t->n * sizeof(float) : 1);
    if (d == NULL)
        return fail(e, "not enough memory");
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++)
            d[i * c + j] = t->data[j * r + i];
    free(t->data);
    t->data = d;
    return 0;
}

static int load_npy(FILE *fp, uint64_t fsize, tio_tensor *t, tio_err *e)
{
    uint8_t pre[12];
    if (fsize < 10 || read_at(fp, 0, pre, 10) != 0)
        return fail(e, "truncated .npy header");
    unsigned major = pre[6];
    uint64_t hlen, start;
    if (major == 1) {
        hlen = (uint64_t)pre[8] | ((uint64_t)pre[9] << 8);
        start = 10;
    } else if (major == 2 || major == 3) {
        if (fsize < 12 || read_at(fp, 0, pre, 12) != 0)
            return fail(e, "truncated .npy header");
        hlen = (uint64_t)pre[8] | ((uint64_t)pre[9] << 8) | ((uint64_t)pre[10] << 16) |
               ((uint64_t)pre[11] << 24);
        start = 12;
    } else {
        return fail(e, "unknown .npy format version %u.%u", major, (unsigned)pre[7]);
    }
    if (hlen > fsize - start)
        return fail(e, "truncated .npy header (it claims %llu bytes, the file has %llu after "
                       "the preamble)",
                    (unsigned long long)hlen, (unsigned long long)(fsize - start));
    if (hlen > ((uint64_t)1 << 24))
        return fail(e, "the .npy header is absurdly long (%llu bytes)", (unsigned long long)hlen);
    char *h = malloc((size_t)hlen + 1);
    if (h == NULL)
        return fail(e, "not enough memory");
    if (read_at(fp, start, h, (size_t)hlen) != 0) {
        free(h);
        return fail(e, "truncated .npy header");
    }
    h[hlen] = 0;

    pyparse q = {h, h + hlen};
    char key[64], descr[64] = "";
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
    int rc = 0;
    if (py_char(&q, '{') != 0) {
        rc = fail(e, "the .npy header is not a dict");
        goto out;
    }
    for (;;) {
        if (py_char(&q, '}') == 0)
            break;
        if (py_string(&q, key, sizeof key) != 0 || py_char(&q, ':') != 0) {
            rc = fail(e, "the .npy header is not a dict of quoted keys");
            goto out;
        }
        if (strcmp(key, "descr") == 0) {
            if (py_string(&q, descr, sizeof descr) != 0) {
                rc = fail(e, "the .npy 'descr' is not a simple type string");
                goto out;
            }
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (py_word(&q, "True") == 0)
                fortran = 1;
            else if (py_word(&q, "False") != 0) {
                rc = fail(e, "the .npy 'fortran_order' is neither True nor False");
                goto out;
            }
            have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            if ((rc = py_shape(&q, t->shape, &t->ndim, e)) != 0)
                goto out;
            have_shape = 1;
        } else {
            rc = fail(e, "unexpected key '%s' in the .npy header", key);
            goto out;
        }
        if (py_char(&q, ',') != 0) {
            if (py_char(&q, '}') != 0) {
                rc = fail(e, "the .npy header is not a dict");
                goto out;
            }
            break;
        }
    }
    py_ws(&q);
    if (q.p != q.end) {
        rc = fail(e, "unexpected text after the .npy header dict");
        goto out;
    }
    if (!have_descr || !have_order || !have_shape) {
        rc = fail(e, "the .npy header lacks '%s'",
                  !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
        goto out;
    }
    tio_dtype dt;
    int big;
    if ((descr[0] == '<' || descr[0] == '>') && strcmp(descr + 1, "f4") == 0)
        dt = TIO_F32;
    else if ((descr[0] == '<' || descr[0] == '>') && strcmp(descr + 1, "f2") == 0)
        dt = TIO_F16;
    else {
        rc = fail(e, "unsupported .npy dtype '%.20s' (float32 '<f4' or float16 '<f2' are read; "
                     "bfloat16 is read from .safetensors)",
                  descr);
        goto out;
    }
    big = descr[0] == '>';
    uint64_t n;
    if (shape_count(t->shape, t->ndim, &n) != 0) {
        rc = fail(e, "absurd .npy shape (more than 2^31 values)");
        goto out;
    }
    uint64_t need = n * dtype_size(dt), have = fsize - start - hlen;
    if (need != have) {
        rc = fail(e, "the .npy shape needs %llu bytes of data, the file holds %llu",
                  (unsigned long long)need, (unsigned long long)have);
        goto out;
    }
    if ((rc = read_values(fp, start + hlen, n, dt, big, t, e)) != 0)
        goto out;
    if (fortran)
        rc = fortran_to_c(t, e);
out:
    free(h);
    return rc;
}

/* ------------------------------------------------------------ JSON */

typedef struct json {
    const char *p, *end;
    tio_err *e;
} json;

static void js_ws(json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int js_bad(json *j, const char *what)
{
    return fail(j->e, "bad safetensors header JSON: %s", what);
}

static int js_expect(json *j, char c)
{
    js_ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return 0;
    }
    char what[40];
    snprintf(what, sizeof what, "expected '%c'", c);
    return js_bad(j, what);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A JSON string; with out != NULL its UTF-8 bytes go to a malloc'd *out. */
static int js_string(json *j, char **out)
{
    js_ws(j);
    if (j->p >= j->end || *j->p != '"')
        return js_bad(j, "expected a string");
    j->p++;
    size_t cap = 32, n = 0;
    char *s = NULL;
    if (out != NULL && (s = malloc(cap)) == NULL)
        return fail(j->e, "not enough memory");
    for (;;) {
        if (j->p >= j->end) {
            free(s);
            return js_bad(j, "unterminated string");
        }
        unsigned char c = (unsigned char)*j->p++;
        uint32_t cp = c;
        if (c == '"')
            break;
        if (c < 0x20) {
            free(s);
            return js_bad(j, "control character in a string");
        }
        if (c == '\\') {
            if (j->p >= j->end) {
                free(s);
                return js_bad(j, "unterminated string");
            }
            char x = *j->p++;
            switch (x) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = 8; break;
            case 'f': cp = 12; break;
            case 'n': cp = 10; break;
            case 'r': cp = 13; break;
            case 't': cp = 9; break;
            case 'u':
                cp = 0;
                for (int k = 0; k < 4; k++) {
                    int h = j->p < j->end ? hexval(*j->p) : -1;
                    if (h < 0) {
                        free(s);
                        return js_bad(j, "bad \\u escape");
                    }
                    cp = cp * 16 + (uint32_t)h;
                    j->p++;
                }
                break;
            default: free(s); return js_bad(j, "bad escape in a string");
            }
        }
        if (s == NULL)
            continue;
        if (n + 4 >= cap) {
            char *ns = realloc(s, cap * 2);
            if (ns == NULL) {
                free(s);
                return fail(j->e, "not enough memory");
            }
            s = ns;
            cap *= 2;
        }
        if (c == '\\' && cp >= 0x80) { /* an escaped code unit as UTF-8 */
            if (cp < 0x800) {
                s[n++] = (char)(0xC0 | (cp >> 6));
            } else {
                s[n++] = (char)(0xE0 | (cp >> 12));
                s[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            }
            s[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            s[n++] = (char)cp;
        }
    }
    if (s != NULL) {
        s[n] = 0;
        *out = s;
    }
    return 0;
}

static int js_skip(json *j, int depth);

static int js_skip_number(json *j)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '.' || *j->p == 'e' ||
                             *j->p == 'E' || *j->p == '+' || *j->p == '-'))
        j->p++;
    return j->p > s ? 0 : js_bad(j, "unexpected character");
}

/* Skips one value of any kind. */
static int js_skip(json *j, int depth)
{
    if (depth > TIO_MAX_DEPTH)
        return js_bad(j, "nested too deeply");
    js_ws(j);
    if (j->p >= j->end)
        return js_bad(j, "the header ends early");
    char c = *j->p;
    if (c == '"')
        return js_string(j, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        js_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        for (;;) {
            if (c == '{' && (js_string(j, NULL) != 0 || js_expect(j, ':') != 0))
                return -1;
            if (js_skip(j, depth + 1) != 0)
                return -1;
            js_ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            return js_expect(j, close);
        }
    }
    if ((size_t)(j->end - j->p) >= 4 &&
        (memcmp(j->p, "true", 4) == 0 || memcmp(j->p, "null", 4) == 0)) {
        j->p += 4;
        return 0;
    }
    if ((size_t)(j->end - j->p) >= 5 && memcmp(j->p, "false", 5) == 0) {
        j->p += 5;
        return 0;
    }
    return js_skip_number(j);
}

/* An array of non-negative integers (at most `max` of them). */
static int js_uint_array(json *j, uint64_t *v, int max, int *count, const char *what)
{
    char msg[80];
    if (js_expect(j, '[') != 0)
        return -1;
    *count = 0;
    js_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return 0;
    }
    for (;;) {
        js_ws(j);
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
            snprintf(msg, sizeof msg, "'%s' must hold non-negative integers", what);
            return js_bad(j, msg);
        }
        uint64_t x = 0;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
            if (x > ((uint64_t)1 << 58)) {
                snprintf(msg, sizeof msg, "absurd value in '%s'", what);
                return js_bad(j, msg);
            }
            x = x * 10 + (uint64_t)(*j->p++ - '0');
        }
        if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E')) {
            snprintf(msg, sizeof msg, "'%s' must hold integers", what);
            return js_bad(j, msg);
        }
        if (*count >= max) {
            snprintf(msg, sizeof msg, "'%s' has too many entries", what);
            return js_bad(j, msg);
        }
        v[(*count)++] = x;
        js_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        return js_expect(j, ']');
    }
}

/* One entry of the safetensors header. */
typedef struct st_entry {
    char *name;
    char *dtype;
    uint64_t shape[TIO_MAX_DIMS];
    int ndim;
    uint64_t off[2];
} st_entry;

static int js_entry(json *j, st_entry *en)
{
    int have_dt = 0, have_shape = 0, have_off = 0, noff = 0;
    if (js_expect(j, '{') != 0)
        return -1;
    js_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
    } else {
        for (;;) {
            char *key = NULL;
            int rc;
            if (js_string(j, &key) != 0 || js_expect(j, ':') != 0) {
                free(key);
                return -1;
            }
            if (strcmp(key, "dtype") == 0 && !have_dt) {
                js_ws(j);
                rc = js_string(j, &en->dtype);
                have_dt = 1;
            } else if (strcmp(key, "shape") == 0 && !have_shape) {
                rc = js_uint_array(j, en->shape, TIO_MAX_DIMS, &en->ndim, "shape");
                have_shape = 1;
            } else if (strcmp(key, "data_offsets") == 0 && !have_off) {
                rc = js_uint_array(j, en->off, 2, &noff, "data_offsets");
                have_off = 1;
            } else {
                rc = js_skip(j, 2);
            }
            free(key);
            if (rc != 0)
                return -1;
            js_ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (js_expect(j, '}') != 0)
                return -1;
            break;
        }
    }
    if (!have_dt || !have_shape || !have_off)
        return js_bad(j, !have_dt      ? "a tensor lacks \"dtype\""
                         : !have_shape ? "a tensor lacks \"shape\""
                                       : "a tensor lacks \"data_offsets\"");
    if (noff != 2)
        return js_bad(j, "\"data_offsets\" must hold two integers");
    return 0;
}

static void free_entries(st_entry *en, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(en[i].name);
        free(en[i].dtype);
    }
    free(en);
}

static int load_safetensors(FILE *fp, uint64_t fsize, const char *want, tio_tensor *t,
                            tio_err *e)
{
    uint8_t pre[8];
    if (fsize < 8 || read_at(fp, 0, pre, 8) != 0)
        return fail(e, "truncated safetensors header");
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++)
        hlen |= (uint64_t)pre[i] << (8 * i);
    if (hlen > fsize - 8)
        return fail(e, "truncated safetensors header (it claims %llu bytes, the file has %llu)",
                    (unsigned long long)hlen, (unsigned long long)(fsize - 8));
    if (hlen > TIO_MAX_JSON)
        return fail(e, "the safetensors header is absurdly long (%llu bytes)",
                    (unsigned long long)hlen);
    char *h = malloc((size_t)hlen + 1);
    if (h == NULL)
        return fail(e, "not enough memory");
    if (read_at(fp, 8, h, (size_t)hlen) != 0) {
        free(h);
        return fail(e, "truncated safetensors header");
    }
    h[hlen] = 0;
    uint64_t dbase = 8 + hlen, dlen = fsize - dbase;

    json j = {h, h + hlen, e};
    st_entry *en = NULL;
    size_t nen = 0, cap = 0;
    int rc = -1;
    if (js_expect(&j, '{') != 0)
        goto out;
    js_ws(&j);
    if (j.p < j.end && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            char *key = NULL;
            if (js_string(&j, &key) != 0 || js_expect(&j, ':') != 0) {
                free(key);
                goto out;
            }
            if (strcmp(key, "__metadata__") == 0) {
                free(key);
                if (js_skip(&j, 1) != 0)
                    goto out;
            } else {
                if (nen == cap) {
                    size_t nc = cap ? cap * 2 : 8;
                    st_entry *ne = realloc(en, nc * sizeof *en);
                    if (ne == NULL) {
                        free(key);
                        fail(e, "not enough memory");
                        goto out;
                    }
                    en = ne;
                    cap = nc;
                }
                memset(&en[nen], 0, sizeof en[nen]);
                en[nen].name = key;
                nen++;
                if (js_entry(&j, &en[nen - 1]) != 0)
                    goto out;
            }
            js_ws(&j);
            if (j.p < j.end && *j.p == ',') {
                j.p++;
                continue;
            }
            if (js_expect(&j, '}') != 0)
                goto out;
            break;
        }
    }
    js_ws(&j);
    /* The format pads the header with spaces; NUL padding is tolerated. */
    while (j.p < j.end && *j.p == 0)
        j.p++;
    if (j.p != j.end) {
        js_bad(&j, "text after the header object");
        goto out;
    }
    if (nen == 0) {
        fail(e, "the safetensors file holds no tensor");
        goto out;
    }
    /* Every tensor must lie inside the data buffer (a cut file is refused
     * even when the tensor asked for is whole). */
    for (size_t i = 0; i < nen; i++) {
        if (en[i].off[0] > en[i].off[1] || en[i].off[1] > dlen) {
            fail(e, "tensor '%.100s' has data_offsets [%llu, %llu] outside the %llu bytes of "
                    "data",
                 en[i].name, (unsigned long long)en[i].off[0], (unsigned long long)en[i].off[1],
                 (unsigned long long)dlen);
            goto out;
        }
    }
    st_entry *pick = NULL;
    if (want == NULL) {
        if (nen > 1) {
            char names[200] = "";
            size_t used = 0;
            for (size_t i = 0; i < nen && used + 4 < sizeof names; i++) {
                int w = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                 en[i].name);
                if (w < 0)
                    break;
                used += (size_t)w;
            }
            if (used >= sizeof names - 1)
                strcpy(names + sizeof names - 5, "...");
            fail(e, "the file holds %zu tensors; pick one with FILE:NAME (%s)", nen, names);
            goto out;
        }
        pick = &en[0];
    } else {
        for (size_t i = 0; i < nen && pick == NULL; i++)
            if (strcmp(en[i].name, want) == 0)
                pick = &en[i];
        if (pick == NULL) {
            fail(e, "no tensor named '%.100s' in the file", want);
            goto out;
        }
    }
    tio_dtype dt;
    if (strcmp(pick->dtype, "F32") == 0)
        dt = TIO_F32;
    else if (strcmp(pick->dtype, "F16") == 0)
        dt = TIO_F16;
    else if (strcmp(pick->dtype, "BF16") == 0)
        dt = TIO_BF16;
    else {
        fail(e, "tensor '%.100s' has dtype '%.20s'; F32, F16 and BF16 are read", pick->name,
             pick->dtype);
        goto out;
    }
    t->ndim = pick->ndim;
    for (int i = 0; i < pick->ndim; i++) {
        if (pick->shape[i] > SIZE_MAX) {
            fail(e, "absurd shape for tensor '%.100s'", pick->name);
            goto out;
        }
        t->shape[i] = (size_t)pick->shape[i];
    }
    uint64_t n;
    if (shape_count(t->shape, t->ndim, &n) != 0) {
        fail(e, "absurd shape for tensor '%.100s' (more than 2^31 values)", pick->name);
        goto out;
    }
    if (pick->off[1] - pick->off[0] != n * dtype_size(dt)) {
        fail(e, "tensor '%.100s': its shape needs %llu bytes, its data_offsets span %llu",
             pick->name, (unsigned long long)(n * dtype_size(dt)),
             (unsigned long long)(pick->off[1] - pick->off[0]));
        goto out;
    }
    snprintf(t->name, sizeof t->name, "%s", pick->name);
    rc = read_values(fp, dbase + pick->off[0], n, dt, 0, t, e);
out:
    free_entries(en, nen);
    free(h);
    return rc;
}

/* ------------------------------------------------------------ entry */

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int tio_load(const char *spec, tio_tensor *t, char *err, size_t errsize)
{
    char *path = NULL;
    const char *name = NULL;
    tio_err e = {err, errsize, spec};
    memset(t, 0, sizeof *t);
    if (errsize > 0)
        err[0] = 0;
    const char *colon = strrchr(spec, ':');
    if (!is_file(spec) && colon != NULL) {
        size_t len = (size_t)(colon - spec);
        path = malloc(len + 1);
        if (path == NULL)
            return fail(&e, "not enough memory");
        memcpy(path, spec, len);
        path[len] = 0;
        name = colon + 1;
    } else {
        path = malloc(strlen(spec) + 1);
        if (path == NULL)
            return fail(&e, "not enough memory");
        strcpy(path, spec);
    }
    e.file = path;
    int rc = -1;
    FILE *fp = NULL;
    struct stat st;
    uint64_t fsize;
    if (stat(path, &st) != 0) {
        fail(&e, "cannot open: no such file");
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(&e, "not a regular file");
        goto out;
    }
    fp = fopen(path, "rb");
    if (fp == NULL || file_size(fp, &fsize) != 0) {
        fail(&e, "cannot open or read");
        goto out;
    }
    uint8_t magic[9];
    size_t got = fread(magic, 1, sizeof magic, fp);
    if (got >= 6 && memcmp(magic, "\x93NUMPY", 6) == 0) {
        if (name != NULL) {
            fail(&e, "a .npy file holds one array: no ':%s' selector", name);
            goto out;
        }
        rc = load_npy(fp, fsize, t, &e);
    } else if (got >= 9 && magic[8] == '{') {
        rc = load_safetensors(fp, fsize, name, t, &e);
    } else {
        fail(&e, "neither a .npy file (no \\x93NUMPY magic) nor a .safetensors file (no JSON "
                 "header)");
    }
out:
    if (fp != NULL)
        fclose(fp);
    free(path);
    if (rc != 0)
        tio_free(t);
    return rc;
}

void tio_free(tio_tensor *t)
{
    free(t->data);
    t->data = NULL;
    t->n = 0;
}
