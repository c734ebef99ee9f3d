/*
 * Counting bytes fast, for cutting CSV files into chunks (AVX-512BW or AVX2 chosen at run
 * time, a plain loop otherwise). Results never depend on the path taken.
 */
#ifndef IW_BYTE_SCAN_H
#define IW_BYTE_SCAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Counts the bytes of bytes[0..<count] equal to `first` into *first_count and those equal to
/// `second` into *second_count.
void iw_count_two_bytes(const uint8_t *bytes, size_t count, uint8_t first, uint8_t second,
                        size_t *first_count, size_t *second_count);

#ifdef __cplusplus
}
#endif

#endif /* IW_BYTE_SCAN_H */
