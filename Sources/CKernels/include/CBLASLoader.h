/*
 * OpenBLAS, loaded when first needed.
 *
 * The engine multiplies the small matrices of tabular models with its own kernels (CKernels.h);
 * OpenBLAS is the fallback for other shapes and for CPUs without AVX2. Linking it would start its
 * thread pool in every process, and those threads spin (sched_yield) for ~0.1 s after start-up,
 * which on a 2-core machine doubles the time of a small `predict`. So the library is opened with
 * dlopen on the first fallback call and pinned to one thread: the engine parallelises over chunks.
 */
#ifndef IW_CBLAS_LOADER_H
#define IW_CBLAS_LOADER_H

#ifdef __cplusplus
extern "C" {
#endif

/// Row-major single-precision GEMM through OpenBLAS's cblas_sgemm:
/// C[m×n] = alpha · op(A) · op(B) + beta · C, op = transpose when the flag is non-zero.
/// Leading dimensions as in CBLAS (row-major). Returns 1 when done, 0 when OpenBLAS
/// (libopenblas.so.0) cannot be loaded; then nothing was written.
int iw_blas_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                  const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// Pins OpenBLAS to `threads` threads (loading it if needed). Returns 0 if it cannot be loaded.
int iw_blas_set_threads(int threads);

/// OpenBLAS's name for the CPU kernel it chose (e.g. "Haswell", "Prescott"), or NULL when the
/// library cannot be loaded. Loads it if needed.
const char *iw_blas_core_name(void);

#ifdef __cplusplus
}
#endif

#endif /* IW_CBLAS_LOADER_H */
