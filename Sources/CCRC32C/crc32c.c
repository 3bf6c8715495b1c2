// CRC-32C for RecordBatch v2 checksums. Kafka covers every batch with it, and we check it on
// every read and on recovery, so it sits on the hot path: the hardware instruction runs at
// several GB/s, a table at about one. Swift has no portable way to reach the instruction,
// hence this one small C file.
#include "crc32c.h"
#include <string.h>

static uint32_t table[8][256];
// Built once at load time, before any thread can ask for a checksum.
__attribute__((constructor)) static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++) table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

static uint32_t crc32c_table(uint32_t crc, const uint8_t *p, size_t n) {
    uint32_t c = ~crc;
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
            table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^ table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
    return ~c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = ~crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return ~c32;
}
static int hw_available = 0;
__attribute__((constructor)) static void detect_hw(void) { hw_available = __builtin_cpu_supports("sse4.2"); }
static int has_hw(void) { return hw_available; }
#else
static int has_hw(void) { return 0; }
static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) { return crc32c_table(crc, p, n); }
#endif

uint32_t sluice_crc32c(uint32_t crc, const void *data, size_t length) {
    const uint8_t *p = (const uint8_t *)data;
    return has_hw() ? crc32c_hw(crc, p, length) : crc32c_table(crc, p, length);
}
