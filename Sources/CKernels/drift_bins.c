#include "DriftBins.h"

/*
 * Rows per block: every pass runs over one block while it is in L1. A contiguous column (stride
 * 1: the scores) is read in place; a strided one (a feature of a row-major batch) is copied first.
 */
enum { BLOCK = 512 };

static inline __attribute__((always_inline)) const float *block(const float *base, long stride, long start, long rows,
                                                               float *copy, long *count) {
    long n = rows - start < BLOCK ? rows - start : BLOCK;
    *count = n;
    if (stride == 1) return base + start;
    for (long i = 0; i < n; i++) copy[i] = base[(start + i) * stride];
    return copy;
}

/* Each kernel is built twice, plain (SSE2) and for AVX2, and runs the one this CPU has. */
static int has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

typedef float v8f __attribute__((ext_vector_type(8)));
typedef int v8i __attribute__((ext_vector_type(8)));
typedef double v4d __attribute__((ext_vector_type(4)));

/* Lanes of `a` where `mask` is set (all ones), else of `b`. (A macro: an 8-lane vector passed to
 * a function in the plain build would change the ABI, and the compiler warns.) */
#define pick(mask, a, b) ((v8f)(((v8i)(a) & (mask)) | ((v8i)(b) & ~(mask))))

/* Eight lanes: one AVX2 register of floats, two SSE2 ones in the plain build. */
static inline __attribute__((always_inline)) iw_column_stats column_stats(const float *base, long stride, long rows,
                                                                          double shift, uint32_t *buckets) {
    float copy[BLOCK];
    const v8f inf = (v8f)__builtin_inff(), shifts = (v8f)(float)shift;
    v8f low = inf, high = -inf;
    v8i present = 0;
    v4d sum0 = 0, sum1 = 0, squares0 = 0, squares1 = 0;
    long tail_missing = 0, full_rows = 0;
    for (long start = 0; start < rows; start += BLOCK) {
        long n;
        const float *column = block(base, stride, start, rows, copy, &n);
        long full = n & ~7L;
        full_rows += full;
        for (long i = 0; i < full; i += 8) {
            v8f v;
            __builtin_memcpy(&v, column + i, sizeof v);
            v8i ok = v == v; /* all ones where the value is present */
            present -= ok;
            v8f lows = pick(ok, v, inf), highs = pick(ok, v, -inf);
            low = pick(lows < low, lows, low);
            high = pick(highs > high, highs, high);
            /* A missing value stands in as the shift itself: a deviation of 0 (shift is a float). */
            v8f clean = pick(ok, v, shifts);
            v4d a = __builtin_convertvector(clean.lo, v4d) - shift, b = __builtin_convertvector(clean.hi, v4d) - shift;
            sum0 += a;
            sum1 += b;
            squares0 += a * a;
            squares1 += b * b;
        }
        for (long i = full; i < n; i++) {
            float v = column[i];
            if (v != v) {
                tail_missing += 1;
                continue;
            }
            low[0] = v < low[0] ? v : low[0];
            high[0] = v > high[0] ? v : high[0];
            double d = (double)v - shift;
            sum0[0] += d;
            squares0[0] += d * d;
        }
        for (long i = 0; i < n; i += 4) {
            float v = column[i];
            uint32_t bits;
            __builtin_memcpy(&bits, &v, 4);
            buckets[bits >> 21] += v == v;
        }
    }
    iw_column_stats result;
    long counted = 0;
    for (int l = 0; l < 8; l++) counted += present[l];
    result.missing = full_rows - counted + tail_missing;
    result.low = low[0];
    result.high = high[0];
    for (int l = 1; l < 8; l++) {
        result.low = low[l] < result.low ? low[l] : result.low;
        result.high = high[l] > result.high ? high[l] : result.high;
    }
    v4d sums = sum0 + sum1, squares = squares0 + squares1;
    result.sum = (sums[0] + sums[1]) + (sums[2] + sums[3]);
    result.sum_of_squares = (squares[0] + squares[1]) + (squares[2] + squares[3]);
    return result;
}

/*
 * Counted edge by edge rather than value by value: for each edge, how many values are at or above
 * it (one compare per value, vectorized over the contiguous copy). Bin k then holds
 * ge[k-1] - ge[k]: exactly the values v with e[k-1] <= v < e[k] (NaN is at or above no edge and
 * is counted apart).
 */
static inline __attribute__((always_inline)) void drift_bins(const float *base, long stride, long rows, const float edges[9],
                                                             float low, float high, long counts[11], long *outside) {
    float copy[BLOCK];
    for (long start = 0; start < rows; start += BLOCK) {
        long n;
        const float *column = block(base, stride, start, rows, copy, &n);
        int missing = 0, out = 0;
        for (long i = 0; i < n; i++) missing += column[i] != column[i];
        for (long i = 0; i < n; i++) out += (column[i] < low) | (column[i] > high);
        int ge[9];
        for (int k = 0; k < 9; k++) {
            float edge = edges[k];
            int at_or_above = 0;
            for (long i = 0; i < n; i++) at_or_above += column[i] >= edge;
            ge[k] = at_or_above;
        }
        counts[0] += (n - missing) - ge[0];
        for (int k = 1; k < 9; k++) counts[k] += ge[k - 1] - ge[k];
        counts[9] += ge[8];
        counts[10] += missing;
        *outside += out;
    }
}

__attribute__((target("avx2"))) static iw_column_stats column_stats_avx2(const float *base, long stride, long rows,
                                                                          double shift, uint32_t *buckets) {
    return column_stats(base, stride, rows, shift, buckets);
}

iw_column_stats iw_column_stats_f32_plain(const float *base, long stride, long rows, double shift, uint32_t *buckets) {
    return column_stats(base, stride, rows, shift, buckets);
}

iw_column_stats iw_column_stats_f32(const float *base, long stride, long rows, double shift, uint32_t *buckets) {
    return has_avx2() ? column_stats_avx2(base, stride, rows, shift, buckets)
                      : iw_column_stats_f32_plain(base, stride, rows, shift, buckets);
}

__attribute__((target("avx2"))) static void drift_bins_avx2(const float *base, long stride, long rows, const float edges[9],
                                                            float low, float high, long counts[11], long *outside) {
    drift_bins(base, stride, rows, edges, low, high, counts, outside);
}

void iw_drift_bins_f32_plain(const float *base, long stride, long rows, const float edges[9], float low, float high,
                             long counts[11], long *outside) {
    drift_bins(base, stride, rows, edges, low, high, counts, outside);
}

void iw_drift_bins_f32(const float *base, long stride, long rows, const float edges[9], float low, float high,
                       long counts[11], long *outside) {
    if (has_avx2()) {
        drift_bins_avx2(base, stride, rows, edges, low, high, counts, outside);
    } else {
        iw_drift_bins_f32_plain(base, stride, rows, edges, low, high, counts, outside);
    }
}
