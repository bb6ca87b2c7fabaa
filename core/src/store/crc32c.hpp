// CRC32C (Castagnoli), the checksum of the store's journal records: the hardware
// instruction where the CPU has it (SSE 4.2), a table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cwmpd::core {

// Continues `crc` (0 to start) over `size` bytes.
std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size);

}  // namespace cwmpd::core
