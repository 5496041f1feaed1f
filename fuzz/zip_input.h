// Structure-aware inputs for the .npz and model.npz harnesses: the fuzz bytes describe the
// members, and the harness writes a well-formed zip around them (libzip computes sizes and
// CRCs), so mutations reach the .npy and model checks instead of dying at the zip's CRC.
//
// Input layout:
//   byte 0      flags: bit 0 deflate the members (else store); bit 1 and 2 for the harness;
//               bit 7 write the remaining bytes as the file itself (the zip reader's own
//               checks: seeds in corpus/npz hold real numpy files this way)
//   then        members separated by the line "@@\n"; a member is `name\n` followed by
//               either raw .npy bytes (starting "\x93NUMPY"), or a typed description
//               `DTYPE SHAPE\n<data bytes>` (e.g. "<f4 50,4,11\n" or "<U5 ()\n"), from which a
//               correct header is made and the data bytes are repeated to the declared size
//               (cut when that is over kMaxFill; then the sizes disagree), or, for a member
//               named `architecture`, plain text stored as a 0-d "<U" string; a member named
//               `#comment` is not a member but the archive comment (model.npz's architecture).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lb::fuzz {

inline constexpr std::size_t kMaxFill = std::size_t{1} << 20;

/// Writes the zip described by `input` to `path`; returns the flags byte (0 for empty input).
std::uint8_t write_zip_input(std::string_view input, const std::string& path);

}  // namespace lb::fuzz
