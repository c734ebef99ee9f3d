/*
 * small_gemm.c: deterministic small SGEMM, C = A·op(B) (+ C), for skinny shapes
 * (small k and n, large m) such as the dense layers of tabular MLPs.
 *
 * Needs no compiler flags: the SIMD functions carry
 * __attribute__((target(...))) and the entry points choose a path at run time
 * with __builtin_cpu_supports. There is no mutable global state.
 *
 * DETERMINISM RULE (see CKernels.h). Every C[i][j] is one FMA chain over
 * p = 0..k-1 ascending, started from the old C[i][j] (accumulate), the bias
 * bias[j] or +0.0f, and stored as is or, with relu, as max(s, +0):
 *     s = fma(A[i][p], opB[p][j], s)
 * Every code path below — AVX-512 and AVX2 micro-tiles, their row tails, their
 * column tails, and the n == 1 (dot product) path — evaluates exactly this chain,
 * one element per SIMD lane:
 *   - k is never split into partial sums; latency is hidden by having many
 *     independent output elements (several rows × several vectors) in flight;
 *   - column tails are handled by masked loads/stores of full vectors (padding
 *     lanes compute on zeros and are never stored), so there are no scalar
 *     tails, and a lane computes the same IEEE fma as a scalar fmaf would;
 *   - row tails use the same chain with fewer rows per tile.
 * Hence a row gives bit-identical results alone (m = 1) or inside any batch,
 * and AVX-512 and AVX2 agree bit for bit. (No a*b+c is written in plain C, so
 * -ffp-contract cannot change anything either.)
 *
 * BLOCKING (general path, n >= 2):
 *   1. op(B) (k×n, small) is packed once per call into column panels of width
 *      W (64 floats = 4 zmm for AVX-512, 16 floats = 2 ymm for AVX2), each panel
 *      stored as k consecutive rows of its (vector-padded) width, zero-padded
 *      and 64-byte aligned. Transposed B (PyTorch weight [n×k]) is transposed
 *      during this packing, so the kernel only ever sees one layout.
 *   2. Rows of A are taken in chunks of MC rows (so the chunk of A stays in
 *      L2 while all panels are swept), then, per panel, in micro-tiles of MR
 *      rows (MR chosen so that MR × NV accumulators fill the register file).
 *   3. Micro-tile (MR rows × NV vectors): for each p, load NV vectors of the
 *      packed B row, broadcast A[i][p] for each of the MR rows and do MR×NV
 *      FMAs into register accumulators; finally store with the column mask.
 *      Rows left over (< MR) use the same micro-tile with MR = 1.
 *
 * n == 1 path: a dot product per row. To keep the one-chain-per-element rule
 * while still using SIMD, lanes run across ROWS: a vector holds 16 (8) rows'
 * running sums and each step FMAs the column (A[i..i+15][p]) with the broadcast
 * B[p]. The columns are produced 4 at a time by an in-register transpose of 128-bit
 * row pieces (see columns512); hardware gathers (vgatherdps) measured 2-3x slower
 * on the target machine. Two vectors of rows are kept in flight to hide the FMA
 * latency.
 */
#include "CKernels.h"

#include <immintrin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define T512 __attribute__((target("avx512f,avx2,fma")))
#define T256 __attribute__((target("avx2,fma")))
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Fully unroll a loop with a compile-time trip count (micro-tile rows/vectors), so
   the accumulators are kept in registers. */
#if defined(__clang__)
#define UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define UNROLL _Pragma("GCC unroll 16")
#else
#define UNROLL
#endif

/* Rows of A per outer chunk; a multiple of every micro-tile height used below
   (6, 8, 12) so that only the last chunk can have a row tail. */
#define MC 192

/* Packed B up to this many floats lives on the stack (16 KiB), else the heap. */
#define STACK_FLOATS 4096

/* ------------------------------------------------------------------------- */
/* CPU level                                                                 */
/* ------------------------------------------------------------------------- */

int iw_small_gemm_level(void) {
    __builtin_cpu_init(); /* idempotent; needed only if called from a constructor */
    if (__builtin_cpu_supports("avx512f"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 1;
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Packing of op(B)                                                          */
/* ------------------------------------------------------------------------- */

/*
 * Packs op(B) (k×n) into column panels of width W (a multiple of the vector
 * length L). The panel starting at column j0 has width w = min(W, n - j0) and
 * is stored as k rows of pw = roundup(w, L) floats (lanes w..pw-1 are zero).
 * Every panel before the last is full, so panel j0 starts at out + j0·k, and
 * the whole buffer holds roundup(n, L)·k floats. With out 64-byte aligned,
 * every packed row is vector aligned.
 *   transpose_b == 0: opB[p][j] = b[p·ldb + j]
 *   transpose_b != 0: opB[p][j] = b[j·ldb + p]    (B stored [n×k])
 */
static void pack_b(int transpose_b, long n, long k, const float *b, long ldb,
                   long W, long L, float *out) {
    for (long j0 = 0; j0 < n; j0 += W) {
        const long w = (n - j0 < W) ? n - j0 : W;
        const long pw = (w + L - 1) / L * L;
        float *panel = out + j0 * k;
        for (long p = 0; p < k; p++) {
            float *row = panel + p * pw;
            if (!transpose_b) {
                memcpy(row, b + p * ldb + j0, (size_t)w * sizeof(float));
            } else {
                for (long jj = 0; jj < w; jj++)
                    row[jj] = b[(j0 + jj) * ldb + p];
            }
            for (long jj = w; jj < pw; jj++)
                row[jj] = 0.0f;
        }
    }
}

/* ------------------------------------------------------------------------- */
/* AVX-512 path: L = 16 floats per vector, panels of W = 64 columns (NV <= 4) */
/* ------------------------------------------------------------------------- */

/*
 * One micro-tile: C[0..MR)[0..16·NV) for a panel whose packed rows are 16·NV
 * floats. `last` masks the columns of the last vector (the column tail); the
 * other vectors are full. MR and NV are compile-time constants at every call
 * site, so the loops unroll and the accumulators live in registers
 * (MR·NV + NV + 1 <= 32 zmm).
 */
ALWAYS_INLINE T512 void tile512(const int MR, const int NV, long k,
                                const float *a, long lda, const float *bp,
                                float *c, long ldc, __mmask16 last, iw_gemm_ends ends) {
    __m512 acc[12][4];
    __mmask16 mask[4];
    UNROLL
    for (int v = 0; v < NV; v++)
        mask[v] = (v == NV - 1) ? last : (__mmask16)0xFFFF;

    /* Start of each chain: old C or the bias row (masked, never reads past column n),
       or +0. */
    UNROLL
    for (int r = 0; r < MR; r++)
        UNROLL
        for (int v = 0; v < NV; v++)
            acc[r][v] = ends.accumulate ? _mm512_maskz_loadu_ps(mask[v], c + r * ldc + 16 * v)
                        : ends.bias     ? _mm512_maskz_loadu_ps(mask[v], ends.bias + 16 * v)
                                        : _mm512_setzero_ps();

    /* The chain: p ascending, one FMA per step per element. */
    for (long p = 0; p < k; p++) {
        const float *brow = bp + p * (16 * NV);
        __m512 bv[4];
        UNROLL
        for (int v = 0; v < NV; v++)
            bv[v] = _mm512_load_ps(brow + 16 * v);
        UNROLL
        for (int r = 0; r < MR; r++) {
            const __m512 av = _mm512_set1_ps(a[r * lda + p]);
            UNROLL
            for (int v = 0; v < NV; v++)
                acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }

    UNROLL
    for (int r = 0; r < MR; r++)
        UNROLL
        for (int v = 0; v < NV; v++)
            _mm512_mask_storeu_ps(c + r * ldc + 16 * v, mask[v],
                                  ends.relu ? _mm512_max_ps(acc[r][v], _mm512_setzero_ps()) : acc[r][v]);
}

/* All rows of a chunk against one panel of NV vectors: MR-row tiles, then the
   leftover rows one at a time (same chain, so same bits). */
#define DEFINE_ROWS512(NV, MR)                                                          \
    static T512 void rows512_##NV(long mc, long k, const float *a, long lda,            \
                                  const float *bp, float *c, long ldc, __mmask16 last,  \
                                  iw_gemm_ends ends) {                                  \
        long i = 0;                                                                     \
        for (; i + (MR) <= mc; i += (MR))                                               \
            tile512((MR), (NV), k, a + i * lda, lda, bp, c + i * ldc, ldc, last,        \
                    ends);                                                              \
        for (; i < mc; i++)                                                             \
            tile512(1, (NV), k, a + i * lda, lda, bp, c + i * ldc, ldc, last,           \
                    ends);                                                              \
    }

/* The ends of a panel's chains: the bias row moved to the panel's first column. */
ALWAYS_INLINE iw_gemm_ends panel_ends(iw_gemm_ends ends, long j0) {
    if (ends.bias)
        ends.bias += j0;
    return ends;
}

/* MR·NV accumulators: 6×4 = 24, 8×3 = 24, 12×2 = 24, 12×1 = 12. */
DEFINE_ROWS512(4, 6)
DEFINE_ROWS512(3, 8)
DEFINE_ROWS512(2, 12)
DEFINE_ROWS512(1, 12)

static T512 void gemm512(long m, long n, long k, const float *a, long lda,
                         const float *bp, float *c, long ldc, iw_gemm_ends ends) {
    for (long i0 = 0; i0 < m; i0 += MC) {
        const long mc = (m - i0 < MC) ? m - i0 : MC;
        for (long j0 = 0; j0 < n; j0 += 64) {
            const long w = (n - j0 < 64) ? n - j0 : 64;
            const int nv = (int)((w + 15) / 16);
            const __mmask16 last = (__mmask16)(0xFFFFu >> (16 * nv - w));
            const float *ab = a + i0 * lda;
            const float *panel = bp + j0 * k;
            float *cb = c + i0 * ldc + j0;
            const iw_gemm_ends e = panel_ends(ends, j0);
            switch (nv) {
            case 4: rows512_4(mc, k, ab, lda, panel, cb, ldc, last, e); break;
            case 3: rows512_3(mc, k, ab, lda, panel, cb, ldc, last, e); break;
            case 2: rows512_2(mc, k, ab, lda, panel, cb, ldc, last, e); break;
            default: rows512_1(mc, k, ab, lda, panel, cb, ldc, last, e); break;
            }
        }
    }
}

/*
 * n == 1 (one dot product per row), AVX-512. Lane r of an accumulator is row r's
 * chain, so each step needs a COLUMN of a 16-row block of A: (A[0][p], ...,
 * A[15][p]). columns512 makes 4 such columns (p..p+3) at once:
 *   - vector v_e (e = 0..3) gets in its 128-bit lane g (g = 0..3) the 4 floats
 *     A[4g+e][p..p+3] (one 128-bit load per row, inserted into lane g);
 *   - the classic 4×4 transpose inside every 128-bit lane (unpacklo/hi, then
 *     shuffle) turns v_0..v_3 into col_c (c = 0..3) whose lane 4g+e holds
 *     A[4g+e][p+c], i.e. lane index = row index.
 * Row r of the block starts at base + r·stride.
 */
ALWAYS_INLINE T512 void columns512(const float *base, long stride, __m512 col[4]) {
    UNROLL
    for (int e = 0; e < 4; e++) {
        __m512 v = _mm512_castps128_ps512(_mm_loadu_ps(base + e * stride));
        v = _mm512_insertf32x4(v, _mm_loadu_ps(base + (4 + e) * stride), 1);
        v = _mm512_insertf32x4(v, _mm_loadu_ps(base + (8 + e) * stride), 2);
        v = _mm512_insertf32x4(v, _mm_loadu_ps(base + (12 + e) * stride), 3);
        col[e] = v;
    }
    const __m512 t0 = _mm512_unpacklo_ps(col[0], col[1]); /* a0 b0 a1 b1 per lane */
    const __m512 t1 = _mm512_unpackhi_ps(col[0], col[1]); /* a2 b2 a3 b3 */
    const __m512 t2 = _mm512_unpacklo_ps(col[2], col[3]); /* c0 d0 c1 d1 */
    const __m512 t3 = _mm512_unpackhi_ps(col[2], col[3]); /* c2 d2 c3 d3 */
    col[0] = _mm512_shuffle_ps(t0, t2, 0x44);             /* a0 b0 c0 d0 */
    col[1] = _mm512_shuffle_ps(t0, t2, 0xEE);             /* a1 b1 c1 d1 */
    col[2] = _mm512_shuffle_ps(t1, t3, 0x44);             /* a2 b2 c2 d2 */
    col[3] = _mm512_shuffle_ps(t1, t3, 0xEE);             /* a3 b3 c3 d3 */
}

/* s = fma chain over kc (1..4) columns p..p+3 of 16 rows (row r at base + r·stride);
   bb[c] = broadcast B[p+c]. */
ALWAYS_INLINE T512 __m512 dot512_step(__m512 s, const float *base, long stride,
                                      const __m512 bb[4], long kc) {
    __m512 col[4];
    columns512(base, stride, col);
    s = _mm512_fmadd_ps(col[0], bb[0], s);
    if (kc > 1) s = _mm512_fmadd_ps(col[1], bb[1], s);
    if (kc > 2) s = _mm512_fmadd_ps(col[2], bb[2], s);
    if (kc > 3) s = _mm512_fmadd_ps(col[3], bb[3], s);
    return s;
}

/* Same for a piece cut by the last rows (hr < 16) and/or the last columns (kc < 4):
   it is copied into a zero-padded 16×4 array first. Padding rows are never stored
   and padding columns are never FMA'd (an FMA with 0 would turn -0 into +0, or
   0·inf into NaN), so the chain is unchanged. */
static T512 __m512 dot512_step_partial(__m512 s, const float *blk, long lda, long hr,
                                       const __m512 bb[4], long kc) {
    float st[16 * 4] = {0};
    for (long r = 0; r < hr; r++)
        for (long q = 0; q < kc; q++)
            st[r * 4 + q] = blk[r * lda + q];
    return dot512_step(s, st, 4, bb, kc);
}

/* Broadcasts B[p..p+kc) (B[p] at b[p·bs]). */
ALWAYS_INLINE T512 void bcast512(__m512 bb[4], const float *b, long bs, long p, long kc) {
    for (long q = 0; q < 4; q++)
        bb[q] = _mm512_set1_ps(q < kc ? b[(p + q) * bs] : 0.0f);
}

/* Start / end of the chains of `rows` (<= 16) rows: C goes through a small array so
   any ldc works; without accumulate C is not read (the start is the bias or +0). */
ALWAYS_INLINE T512 __m512 cload512(const float *c, long ldc, long rows, iw_gemm_ends ends) {
    if (!ends.accumulate)
        return ends.bias ? _mm512_set1_ps(ends.bias[0]) : _mm512_setzero_ps();
    float buf[16] = {0};
    for (long r = 0; r < rows; r++)
        buf[r] = c[r * ldc];
    return _mm512_loadu_ps(buf);
}
ALWAYS_INLINE T512 void cstore512(float *c, long ldc, long rows, __m512 s, iw_gemm_ends ends) {
    float buf[16];
    _mm512_storeu_ps(buf, ends.relu ? _mm512_max_ps(s, _mm512_setzero_ps()) : s);
    for (long r = 0; r < rows; r++)
        c[r * ldc] = buf[r];
}

/*
 * n == 1, AVX-512. Full blocks of 32 rows keep two independent 16-row chains in
 * flight (the FMA latency would otherwise dominate); the rest goes 16 rows at a
 * time. Columns go 4 at a time, the last 1..3 through the staging path.
 */
static T512 void dot512(long m, long k, const float *a, long lda, const float *b,
                        long bs, float *c, long ldc, iw_gemm_ends ends) {
    const long k4 = k / 4 * 4;
    __m512 bb[4];
    long i = 0;
    for (; i + 32 <= m; i += 32) {
        const float *a0 = a + i * lda, *a1 = a0 + 16 * lda;
        __m512 s0 = cload512(c + i * ldc, ldc, 16, ends);
        __m512 s1 = cload512(c + (i + 16) * ldc, ldc, 16, ends);
        for (long p = 0; p < k4; p += 4) {
            bcast512(bb, b, bs, p, 4);
            s0 = dot512_step(s0, a0 + p, lda, bb, 4);
            s1 = dot512_step(s1, a1 + p, lda, bb, 4);
        }
        if (k4 < k) {
            bcast512(bb, b, bs, k4, k - k4);
            s0 = dot512_step_partial(s0, a0 + k4, lda, 16, bb, k - k4);
            s1 = dot512_step_partial(s1, a1 + k4, lda, 16, bb, k - k4);
        }
        cstore512(c + i * ldc, ldc, 16, s0, ends);
        cstore512(c + (i + 16) * ldc, ldc, 16, s1, ends);
    }
    for (; i < m; i += 16) {
        const long hr = (m - i < 16) ? m - i : 16;
        const float *a0 = a + i * lda;
        __m512 s0 = cload512(c + i * ldc, ldc, hr, ends);
        for (long p = 0; p < k; p += 4) {
            const long kc = (k - p < 4) ? k - p : 4;
            bcast512(bb, b, bs, p, kc);
            if (hr == 16 && kc == 4)
                s0 = dot512_step(s0, a0 + p, lda, bb, 4);
            else
                s0 = dot512_step_partial(s0, a0 + p, lda, hr, bb, kc);
        }
        cstore512(c + i * ldc, ldc, hr, s0, ends);
    }
}

/* ------------------------------------------------------------------------- */
/* AVX2 path: L = 8 floats per vector, panels of W = 16 columns (NV <= 2)     */
/* ------------------------------------------------------------------------- */

/* Lane mask with the first `count` (0..8) lanes set, for maskload/maskstore. */
ALWAYS_INLINE T256 __m256i lanes256(long count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Same micro-tile as tile512 with 8-float vectors (MR·NV + NV + 1 <= 16 ymm). */
ALWAYS_INLINE T256 void tile256(const int MR, const int NV, long k,
                                const float *a, long lda, const float *bp,
                                float *c, long ldc, __m256i last, iw_gemm_ends ends) {
    __m256 acc[12][2];
    __m256i mask[2];
    UNROLL
    for (int v = 0; v < NV; v++)
        mask[v] = (v == NV - 1) ? last : _mm256_set1_epi32(-1);

    UNROLL
    for (int r = 0; r < MR; r++)
        UNROLL
        for (int v = 0; v < NV; v++)
            acc[r][v] = ends.accumulate ? _mm256_maskload_ps(c + r * ldc + 8 * v, mask[v])
                        : ends.bias     ? _mm256_maskload_ps(ends.bias + 8 * v, mask[v])
                                        : _mm256_setzero_ps();

    for (long p = 0; p < k; p++) {
        const float *brow = bp + p * (8 * NV);
        __m256 bv[2];
        UNROLL
        for (int v = 0; v < NV; v++)
            bv[v] = _mm256_load_ps(brow + 8 * v);
        UNROLL
        for (int r = 0; r < MR; r++) {
            const __m256 av = _mm256_broadcast_ss(a + r * lda + p);
            UNROLL
            for (int v = 0; v < NV; v++)
                acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }

    UNROLL
    for (int r = 0; r < MR; r++)
        UNROLL
        for (int v = 0; v < NV; v++)
            _mm256_maskstore_ps(c + r * ldc + 8 * v, mask[v],
                                ends.relu ? _mm256_max_ps(acc[r][v], _mm256_setzero_ps()) : acc[r][v]);
}

#define DEFINE_ROWS256(NV, MR)                                                          \
    static T256 void rows256_##NV(long mc, long k, const float *a, long lda,            \
                                  const float *bp, float *c, long ldc, __m256i last,    \
                                  iw_gemm_ends ends) {                                  \
        long i = 0;                                                                     \
        for (; i + (MR) <= mc; i += (MR))                                               \
            tile256((MR), (NV), k, a + i * lda, lda, bp, c + i * ldc, ldc, last,        \
                    ends);                                                              \
        for (; i < mc; i++)                                                             \
            tile256(1, (NV), k, a + i * lda, lda, bp, c + i * ldc, ldc, last,           \
                    ends);                                                              \
    }

/* 6×2 = 12 and 12×1 = 12 accumulators. */
DEFINE_ROWS256(2, 6)
DEFINE_ROWS256(1, 12)

static T256 void gemm256(long m, long n, long k, const float *a, long lda,
                         const float *bp, float *c, long ldc, iw_gemm_ends ends) {
    for (long i0 = 0; i0 < m; i0 += MC) {
        const long mc = (m - i0 < MC) ? m - i0 : MC;
        for (long j0 = 0; j0 < n; j0 += 16) {
            const long w = (n - j0 < 16) ? n - j0 : 16;
            const int nv = (int)((w + 7) / 8);
            const __m256i last = lanes256(w - 8 * (nv - 1));
            const float *ab = a + i0 * lda;
            const float *panel = bp + j0 * k;
            float *cb = c + i0 * ldc + j0;
            if (nv == 2)
                rows256_2(mc, k, ab, lda, panel, cb, ldc, last, panel_ends(ends, j0));
            else
                rows256_1(mc, k, ab, lda, panel, cb, ldc, last, panel_ends(ends, j0));
        }
    }
}

/* n == 1, AVX2: as columns512 with 8-row vectors (two 128-bit lanes). */
ALWAYS_INLINE T256 void columns256(const float *base, long stride, __m256 col[4]) {
    UNROLL
    for (int e = 0; e < 4; e++)
        col[e] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(base + e * stride)),
                                      _mm_loadu_ps(base + (4 + e) * stride), 1);
    const __m256 t0 = _mm256_unpacklo_ps(col[0], col[1]);
    const __m256 t1 = _mm256_unpackhi_ps(col[0], col[1]);
    const __m256 t2 = _mm256_unpacklo_ps(col[2], col[3]);
    const __m256 t3 = _mm256_unpackhi_ps(col[2], col[3]);
    col[0] = _mm256_shuffle_ps(t0, t2, 0x44);
    col[1] = _mm256_shuffle_ps(t0, t2, 0xEE);
    col[2] = _mm256_shuffle_ps(t1, t3, 0x44);
    col[3] = _mm256_shuffle_ps(t1, t3, 0xEE);
}

/* The AVX2 counterparts of dot512_step, dot512_step_partial, bcast512, cload512,
   cstore512 and dot512, with 8-row vectors (blocks of 16 rows, then 8). */
ALWAYS_INLINE T256 __m256 dot256_step(__m256 s, const float *base, long stride,
                                      const __m256 bb[4], long kc) {
    __m256 col[4];
    columns256(base, stride, col);
    s = _mm256_fmadd_ps(col[0], bb[0], s);
    if (kc > 1) s = _mm256_fmadd_ps(col[1], bb[1], s);
    if (kc > 2) s = _mm256_fmadd_ps(col[2], bb[2], s);
    if (kc > 3) s = _mm256_fmadd_ps(col[3], bb[3], s);
    return s;
}

static T256 __m256 dot256_step_partial(__m256 s, const float *blk, long lda, long hr,
                                       const __m256 bb[4], long kc) {
    float st[8 * 4] = {0};
    for (long r = 0; r < hr; r++)
        for (long q = 0; q < kc; q++)
            st[r * 4 + q] = blk[r * lda + q];
    return dot256_step(s, st, 4, bb, kc);
}

ALWAYS_INLINE T256 void bcast256(__m256 bb[4], const float *b, long bs, long p, long kc) {
    for (long q = 0; q < 4; q++)
        bb[q] = _mm256_set1_ps(q < kc ? b[(p + q) * bs] : 0.0f);
}

ALWAYS_INLINE T256 __m256 cload256(const float *c, long ldc, long rows, iw_gemm_ends ends) {
    if (!ends.accumulate)
        return ends.bias ? _mm256_set1_ps(ends.bias[0]) : _mm256_setzero_ps();
    float buf[8] = {0};
    for (long r = 0; r < rows; r++)
        buf[r] = c[r * ldc];
    return _mm256_loadu_ps(buf);
}
ALWAYS_INLINE T256 void cstore256(float *c, long ldc, long rows, __m256 s, iw_gemm_ends ends) {
    float buf[8];
    _mm256_storeu_ps(buf, ends.relu ? _mm256_max_ps(s, _mm256_setzero_ps()) : s);
    for (long r = 0; r < rows; r++)
        c[r * ldc] = buf[r];
}

static T256 void dot256(long m, long k, const float *a, long lda, const float *b,
                        long bs, float *c, long ldc, iw_gemm_ends ends) {
    const long k4 = k / 4 * 4;
    __m256 bb[4];
    long i = 0;
    for (; i + 16 <= m; i += 16) {
        const float *a0 = a + i * lda, *a1 = a0 + 8 * lda;
        __m256 s0 = cload256(c + i * ldc, ldc, 8, ends);
        __m256 s1 = cload256(c + (i + 8) * ldc, ldc, 8, ends);
        for (long p = 0; p < k4; p += 4) {
            bcast256(bb, b, bs, p, 4);
            s0 = dot256_step(s0, a0 + p, lda, bb, 4);
            s1 = dot256_step(s1, a1 + p, lda, bb, 4);
        }
        if (k4 < k) {
            bcast256(bb, b, bs, k4, k - k4);
            s0 = dot256_step_partial(s0, a0 + k4, lda, 8, bb, k - k4);
            s1 = dot256_step_partial(s1, a1 + k4, lda, 8, bb, k - k4);
        }
        cstore256(c + i * ldc, ldc, 8, s0, ends);
        cstore256(c + (i + 8) * ldc, ldc, 8, s1, ends);
    }
    for (; i < m; i += 8) {
        const long hr = (m - i < 8) ? m - i : 8;
        const float *a0 = a + i * lda;
        __m256 s0 = cload256(c + i * ldc, ldc, hr, ends);
        for (long p = 0; p < k; p += 4) {
            const long kc = (k - p < 4) ? k - p : 4;
            bcast256(bb, b, bs, p, kc);
            if (hr == 8 && kc == 4)
                s0 = dot256_step(s0, a0 + p, lda, bb, 4);
            else
                s0 = dot256_step_partial(s0, a0 + p, lda, hr, bb, kc);
        }
        cstore256(c + i * ldc, ldc, hr, s0, ends);
    }
}

/* ------------------------------------------------------------------------- */
/* Entry points                                                              */
/* ------------------------------------------------------------------------- */

static int level_supported(int level) {
    __builtin_cpu_init();
    if (level == 2)
        return __builtin_cpu_supports("avx512f");
    if (level == 1)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return 0;
}

int iw_sgemm_small_ends(int level, int transpose_b, long m, long n, long k,
                        const float *a, long lda, const float *b, long ldb,
                        float *c, long ldc, iw_gemm_ends ends) {
    if (level == 0)
        level = iw_small_gemm_level();
    if ((level != 1 && level != 2) || !level_supported(level))
        return 0;
    if (m < 0 || n < 1 || k < 1 || n > IW_SMALL_GEMM_MAX_N || k > IW_SMALL_GEMM_MAX_K)
        return 0;
    if (lda < k || ldc < n || ldb < (transpose_b ? k : n))
        return 0;
    if (m == 0)
        return 1;

    /* n == 1: rows-across-lanes dot products, no packing. */
    if (n == 1) {
        const long bs = transpose_b ? 1 : ldb; /* stride of op(B)[p][0] */
        if (level == 2)
            dot512(m, k, a, lda, b, bs, c, ldc, ends);
        else
            dot256(m, k, a, lda, b, bs, c, ldc, ends);
        return 1;
    }

    const long L = (level == 2) ? 16 : 8;  /* floats per vector */
    const long W = (level == 2) ? 64 : 16; /* panel width */
    const size_t count = (size_t)((n + L - 1) / L * L) * (size_t)k;
    _Alignas(64) float stack_buf[STACK_FLOATS];
    float *bp = stack_buf;
    if (count > STACK_FLOATS) {
        const size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
        bp = aligned_alloc(64, bytes);
        if (!bp)
            return 0;
    }
    pack_b(transpose_b, n, k, b, ldb, W, L, bp);
    if (level == 2)
        gemm512(m, n, k, a, lda, bp, c, ldc, ends);
    else
        gemm256(m, n, k, a, lda, bp, c, ldc, ends);
    if (bp != stack_buf)
        free(bp);
    return 1;
}

int iw_sgemm_small_level(int level, int transpose_b, long m, long n, long k,
                         const float *a, long lda, const float *b, long ldb,
                         float *c, long ldc, int accumulate) {
    if (level == 0)
        return 0;
    const iw_gemm_ends ends = {accumulate, NULL, 0};
    return iw_sgemm_small_ends(level, transpose_b, m, n, k, a, lda, b, ldb, c, ldc, ends);
}

int iw_sgemm_small(int transpose_b, long m, long n, long k, const float *a, long lda,
                   const float *b, long ldb, float *c, long ldc, int accumulate) {
    const iw_gemm_ends ends = {accumulate, NULL, 0};
    return iw_sgemm_small_ends(0, transpose_b, m, n, k, a, lda, b, ldb, c, ldc, ends);
}
