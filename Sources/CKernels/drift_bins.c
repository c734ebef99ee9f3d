#include "DriftBins.h"

/* Rows per block: a column's block is copied contiguous, then every pass runs over the copy. */
enum { BLOCK = 512, LANES = 8 };

static long gather(const float *base, long stride, long start, long rows, float *column) {
    long n = rows - start < BLOCK ? rows - start : BLOCK;
    for (long i = 0; i < n; i++) column[i] = base[(start + i) * stride];
    return n;
}

typedef float v4f __attribute__((ext_vector_type(4)));
typedef int v4i __attribute__((ext_vector_type(4)));
typedef double v2d __attribute__((ext_vector_type(2)));

/* Lanes of `a` where `mask` is set (all ones), else of `b`. */
static inline v4f pick(v4i mask, v4f a, v4f b) { return (v4f)(((v4i)a & mask) | ((v4i)b & ~mask)); }

iw_column_stats iw_column_stats_f32(const float *base, long stride, long rows, double shift, uint32_t *buckets) {
    float column[BLOCK];
    const v4f inf = (v4f)__builtin_inff(), shifts = (v4f)(float)shift;
    v4f low = inf, high = -inf;
    v4i present = 0;
    v2d sum0 = 0, sum1 = 0, squares0 = 0, squares1 = 0;
    long tail_missing = 0;
    for (long start = 0; start < rows; start += BLOCK) {
        long n = gather(base, stride, start, rows, column);
        long full = n & ~3L;
        for (long i = 0; i < full; i += 4) {
            v4f v;
            __builtin_memcpy(&v, column + i, sizeof v);
            v4i ok = v == v; /* all ones where the value is present */
            present -= ok;
            v4f lows = pick(ok, v, inf), highs = pick(ok, v, -inf);
            low = pick(lows < low, lows, low);
            high = pick(highs > high, highs, high);
            /* A missing value stands in as the shift itself: a deviation of 0 (shift is a float). */
            v4f clean = pick(ok, v, shifts);
            v2d a = __builtin_convertvector(clean.xy, v2d) - shift, b = __builtin_convertvector(clean.zw, v2d) - shift;
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
            low.x = v < low.x ? v : low.x;
            high.x = v > high.x ? v : high.x;
            double d = (double)v - shift;
            sum0.x += d;
            squares0.x += d * d;
        }
        for (long i = 0; i < n; i += 4) {
            float v = column[i];
            uint32_t bits;
            __builtin_memcpy(&bits, &v, 4);
            buckets[bits >> 21] += v == v;
        }
    }
    long full_rows = 0;
    for (long start = 0; start < rows; start += BLOCK) full_rows += (rows - start < BLOCK ? rows - start : BLOCK) & ~3L;
    iw_column_stats result;
    result.missing = full_rows - (present.x + present.y + present.z + present.w) + tail_missing;
    result.low = low.x;
    result.high = high.x;
    for (int l = 1; l < 4; l++) {
        result.low = low[l] < result.low ? low[l] : result.low;
        result.high = high[l] > result.high ? high[l] : result.high;
    }
    result.sum = (sum0.x + sum0.y) + (sum1.x + sum1.y);
    result.sum_of_squares = (squares0.x + squares0.y) + (squares1.x + squares1.y);
    return result;
}

/*
 * Counted edge by edge rather than value by value: for each edge, how many values are at or above
 * it (one compare per value, vectorized over the contiguous copy). Bin k then holds
 * ge[k-1] - ge[k]: exactly the values v with e[k-1] <= v < e[k] (NaN is at or above no edge and
 * is counted apart).
 */
void iw_drift_bins_f32(const float *base, long stride, long rows, const float edges[9], float low, float high,
                       long counts[11], long *outside) {
    float column[BLOCK];
    for (long start = 0; start < rows; start += BLOCK) {
        long n = gather(base, stride, start, rows, column);
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
