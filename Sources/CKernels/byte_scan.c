/*
 * byte_scan.c: counts two byte values in one pass (see ByteScan.h). The SIMD paths compare 64
 * (AVX-512BW) or 32 (AVX2) bytes at a time and add the popcounts of the match masks; the tail
 * and CPUs without AVX2 use a plain loop. No global state.
 */
#include "ByteScan.h"

#include <immintrin.h>

static void count_plain(const uint8_t *bytes, size_t count, uint8_t first, uint8_t second,
                        size_t *first_count, size_t *second_count) {
    size_t a = 0, b = 0;
    for (size_t i = 0; i < count; i++) {
        a += bytes[i] == first;
        b += bytes[i] == second;
    }
    *first_count += a;
    *second_count += b;
}

__attribute__((target("avx512f,avx512bw,popcnt")))
static void count_avx512(const uint8_t *bytes, size_t count, uint8_t first, uint8_t second,
                         size_t *first_count, size_t *second_count) {
    const __m512i wanted_first = _mm512_set1_epi8((char)first);
    const __m512i wanted_second = _mm512_set1_epi8((char)second);
    size_t a = 0, b = 0, i = 0;
    for (; i + 64 <= count; i += 64) {
        __m512i block = _mm512_loadu_si512((const void *)(bytes + i));
        a += (size_t)_mm_popcnt_u64(_mm512_cmpeq_epi8_mask(block, wanted_first));
        b += (size_t)_mm_popcnt_u64(_mm512_cmpeq_epi8_mask(block, wanted_second));
    }
    *first_count += a;
    *second_count += b;
    count_plain(bytes + i, count - i, first, second, first_count, second_count);
}

__attribute__((target("avx2,popcnt")))
static void count_avx2(const uint8_t *bytes, size_t count, uint8_t first, uint8_t second,
                       size_t *first_count, size_t *second_count) {
    const __m256i wanted_first = _mm256_set1_epi8((char)first);
    const __m256i wanted_second = _mm256_set1_epi8((char)second);
    size_t a = 0, b = 0, i = 0;
    for (; i + 32 <= count; i += 32) {
        __m256i block = _mm256_loadu_si256((const __m256i *)(bytes + i));
        a += (size_t)_mm_popcnt_u32((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(block, wanted_first)));
        b += (size_t)_mm_popcnt_u32((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(block, wanted_second)));
    }
    *first_count += a;
    *second_count += b;
    count_plain(bytes + i, count - i, first, second, first_count, second_count);
}

void iw_count_two_bytes(const uint8_t *bytes, size_t count, uint8_t first, uint8_t second,
                        size_t *first_count, size_t *second_count) {
    *first_count = 0;
    *second_count = 0;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw")) {
        count_avx512(bytes, count, first, second, first_count, second_count);
    } else if (__builtin_cpu_supports("avx2")) {
        count_avx2(bytes, count, first, second, first_count, second_count);
    } else {
        count_plain(bytes, count, first, second, first_count, second_count);
    }
}
