#ifndef SLUICE_CRC32C_H
#define SLUICE_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli) of `length` bytes, continuing from `crc` (pass 0 to start).
/// Uses the SSE4.2 / ARMv8 CRC instructions when the CPU has them, a table otherwise.
uint32_t sluice_crc32c(uint32_t crc, const void *data, size_t length);

#endif
