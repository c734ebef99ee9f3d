/*
 * FeatureColumns: what a prediction run learns of one feature column of a batch besides
 * predicting it (docs/REPORT.md, docs/DRIFT.md), block by block over the column (read in place
 * when contiguous, stride 1, else copied), built for SSE2 and for AVX2 and chosen at run time:
 *   - statistics: missing values (NaN), min, max, and the sums of deviations from a shift and of
 *     their squares (in double, in eight independent lanes), and a histogram of the values'
 *     float bits 31...21 for every fourth row;
 *   - drift: the counts in a reference's decile bins, exactly: a value v is in bin k, the number
 *     of the nine interior edges e[0..8] at or below it (the caller passes the floats that
 *     compare as the reference's double edges do); NaN is bin 10 (missing).
 */
#ifndef IW_DRIFT_BINS_H
#define IW_DRIFT_BINS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One column's statistics of one batch. */
typedef struct {
    long missing;
    float low;  /* +inf when every value is missing */
    float high; /* -inf when every value is missing */
    double sum; /* of (v - shift) over the values present */
    double sum_of_squares;
} iw_column_stats;

/*
 * Statistics of `rows` values, `stride` floats apart from `base`, with deviations taken from
 * `shift`; `buckets[2048]` gets every fourth row's bucket (v's bits >> 21) added.
 */
iw_column_stats iw_column_stats_f32(const float *base, long stride, long rows, double shift, uint32_t *buckets);

/*
 * Adds `rows` values, `stride` floats apart from `base`, to `counts[11]` (10 bins, then missing),
 * and to `*outside` those below `low` or above `high` (the reference's range).
 */
void iw_drift_bins_f32(const float *base, long stride, long rows, const float edges[9], float low, float high,
                       long counts[11], long *outside);

/* The same kernels built for SSE2 only, whatever this CPU has: tests compare them with the above. */
iw_column_stats iw_column_stats_f32_plain(const float *base, long stride, long rows, double shift, uint32_t *buckets);
void iw_drift_bins_f32_plain(const float *base, long stride, long rows, const float edges[9], float low, float high,
                             long counts[11], long *outside);

#ifdef __cplusplus
}
#endif

#endif
