/*
 * CKernels: small, deterministic single-precision matrix multiply for skinny
 * shapes (small k and n, any m), with run-time CPU dispatch (AVX-512F or
 * AVX2+FMA). Shapes or CPUs it does not handle are refused (return 0) so the
 * caller can fall back to BLAS.
 *
 * Determinism: every output element C[i][j] is computed as ONE fused
 * multiply-add chain over p = 0, 1, ..., k-1 in ascending order:
 *
 *     s = accumulate ? C[i][j] : bias ? bias[j] : +0.0f;
 *     for p in 0..<k: s = fma(A[i][p], opB[p][j], s);   // single rounding per step
 *     C[i][j] = relu ? (s > 0 ? s : +0.0f) : s;
 *
 * so the result depends only on row i of A, column j of op(B) and (when
 * accumulating) the old C[i][j] or the bias: never on m, n, the row's position,
 * the blocking, or the SIMD level (AVX-512 and AVX2 give bit-identical results).
 * Starting from bias[j] gives the same bits as filling C with the bias and
 * accumulating; the relu is exactly ONNX Relu (NaN and -0 become +0).
 */
#ifndef IW_CKERNELS_H
#define IW_CKERNELS_H

/* The module's other header: OpenBLAS opened on first use, the fallback. */
#include "CBLASLoader.h"
/* And byte counting for the CSV chunk reader. */
#include "ByteScan.h"
/* And drift detection's binning. */
#include "DriftBins.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Largest n accepted by iw_sgemm_small; larger n returns 0 (use BLAS).
#define IW_SMALL_GEMM_MAX_N 4096
/// Largest k accepted by iw_sgemm_small; larger k returns 0 (use BLAS).
#define IW_SMALL_GEMM_MAX_K 4096

/// Which SIMD path iw_sgemm_small would use on this CPU:
/// 2 = AVX-512F, 1 = AVX2+FMA, 0 = none (caller must use BLAS).
/// Queries the CPU on every call (no cached state); cheap.
int iw_small_gemm_level(void);

/// C[m×n] (row-major, leading dimension ldc) = A[m×k] (row-major, lda) · op(B)
/// (+ C[m×n] when accumulate != 0),
/// op(B) = B[k×n] (row-major, ldb) when transpose_b == 0, or Bᵀ where B is
/// stored [n×k] (row-major, ldb) when transpose_b != 0.
/// There is no alpha (handle alpha != 1 with BLAS); "accumulate" is beta = 1,
/// otherwise beta = 0 and C is never read (it may hold NaNs / garbage).
///
/// Supported shapes: m >= 0, 1 <= n <= IW_SMALL_GEMM_MAX_N,
/// 1 <= k <= IW_SMALL_GEMM_MAX_K, lda >= k, ldc >= n, ldb >= n (transpose_b == 0)
/// or ldb >= k (transpose_b != 0). Only the m×n block of C is written
/// (elements between n and ldc are untouched). C must not alias A or B.
/// Allocates a scratch buffer of about roundup(n,16)·k floats (on the stack when
/// small, else on the heap; always freed before returning).
///
/// Returns 1 when done (also for m == 0, which writes nothing), 0 when this CPU
/// has no SIMD path, the shape is outside what the kernel handles, or a scratch
/// allocation failed; when 0 is returned nothing was written.
int iw_sgemm_small(int transpose_b, long m, long n, long k,
                   const float *a, long lda,
                   const float *b, long ldb,
                   float *c, long ldc, int accumulate);

/// Where the chains start and what happens to their results (see above).
typedef struct {
    /// Start from the old C (beta = 1).
    int accumulate;
    /// Otherwise, when not NULL: start from bias[j], a row of n floats (Gemm's C of
    /// shape [n] or [1, n] with beta = 1).
    const float *bias;
    /// Store s > 0 ? s : +0 (a Relu fused into the layer).
    int relu;
} iw_gemm_ends;

/// iw_sgemm_small with the chains' ends spelt out; level 0 picks the best path for
/// this CPU, 1 or 2 force one as iw_sgemm_small_level does. Same shapes and return.
int iw_sgemm_small_ends(int level, int transpose_b, long m, long n, long k,
                        const float *a, long lda,
                        const float *b, long ldb,
                        float *c, long ldc, iw_gemm_ends ends);

/// Same as iw_sgemm_small but forces the SIMD path: level 2 = AVX-512F,
/// level 1 = AVX2+FMA. Returns 0 (writing nothing) when level is not 1 or 2,
/// when this CPU does not support that level, or for an unsupported shape.
/// Meant for tests (levels must agree bit for bit) and benchmarks.
int iw_sgemm_small_level(int level, int transpose_b, long m, long n, long k,
                         const float *a, long lda,
                         const float *b, long ldb,
                         float *c, long ldc, int accumulate);

#ifdef __cplusplus
}
#endif

#endif /* IW_CKERNELS_H */
