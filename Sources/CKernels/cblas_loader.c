/*
 * cblas_loader.c: OpenBLAS opened with dlopen on first use (see CBLASLoader.h for why).
 *
 * The function pointers are written exactly once, under pthread_once, before any reader can
 * see them, and never again: there is no other state.
 */
#include "CBLASLoader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

/* CBLAS enumerations (the values are fixed by the CBLAS standard, as in cblas.h). */
enum { IW_CBLAS_ROW_MAJOR = 101, IW_CBLAS_NO_TRANS = 111, IW_CBLAS_TRANS = 112 };

typedef void (*sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*set_threads_fn)(int threads);
typedef char *(*core_name_fn)(void);

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static sgemm_fn blas_sgemm;
static set_threads_fn blas_set_threads;
static core_name_fn blas_core_name;

static void load(void) {
    void *library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) return;
    sgemm_fn sgemm = (sgemm_fn)dlsym(library, "cblas_sgemm");
    set_threads_fn set_threads = (set_threads_fn)dlsym(library, "openblas_set_num_threads");
    core_name_fn core_name = (core_name_fn)dlsym(library, "openblas_get_corename");
    if (sgemm == NULL || set_threads == NULL) return;
    set_threads(1);
    blas_sgemm = sgemm;
    blas_set_threads = set_threads;
    blas_core_name = core_name;
}

static int loaded(void) {
    pthread_once(&load_once, load);
    return blas_sgemm != NULL;
}

int iw_blas_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                  const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    if (!loaded()) return 0;
    blas_sgemm(IW_CBLAS_ROW_MAJOR, transpose_a ? IW_CBLAS_TRANS : IW_CBLAS_NO_TRANS,
               transpose_b ? IW_CBLAS_TRANS : IW_CBLAS_NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return 1;
}

int iw_blas_set_threads(int threads) {
    if (!loaded()) return 0;
    blas_set_threads(threads < 1 ? 1 : threads);
    return 1;
}

const char *iw_blas_core_name(void) {
    if (!loaded() || blas_core_name == NULL) return NULL;
    return blas_core_name();
}
