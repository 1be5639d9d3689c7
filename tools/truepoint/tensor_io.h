/*
 * tensor_io.h -- reading real tensors for `truepoint accuracy`: NumPy .npy
 * files and .safetensors files holding binary32, binary16 or bfloat16
 * values.
 *
 * Every value is widened exactly to binary32.  A malformed file (a short
 * or garbled header, an unsupported dtype, a shape that does not match the
 * bytes of the file, bad JSON) is refused with a message; nothing is read
 * beyond what the header describes, and no size is trusted before it has
 * been checked against the size of the file.
 */
#ifndef TP_TENSOR_IO_H
#define TP_TENSOR_IO_H

#include <stddef.h>

#define TIO_MAX_DIMS 8

typedef enum tio_dtype {
    TIO_F32 = 0,
    TIO_F16 = 1,
    TIO_BF16 = 2
} tio_dtype;

typedef struct tio_tensor {
    float *data;                /* n values, C (row-major) order */
    size_t n;                   /* number of values */
    int ndim;                   /* 0 (a scalar) .. TIO_MAX_DIMS */
    size_t shape[TIO_MAX_DIMS]; /* C order; shape[ndim-1] varies fastest */
    tio_dtype dtype;            /* the stored element type */
    char name[128];             /* the safetensors name ("" for .npy) */
} tio_tensor;

/* "f32", "f16" or "bf16". */
const char *tio_dtype_name(tio_dtype t);

/* Loads `spec`, "FILE" or "FILE:NAME" (NAME picks a tensor of a
 * safetensors file; a file holding one tensor needs no NAME; a FILE that
 * exists as given is never split at a colon).  The kind of file is told by
 * its first bytes, not by its name.  Returns 0 and fills *t (free it with
 * tio_free), or -1 with a one-line message in `err` (*t then holds
 * nothing to free). */
int tio_load(const char *spec, tio_tensor *t, char *err, size_t errsize);

void tio_free(tio_tensor *t);

#endif /* TP_TENSOR_IO_H */
