// Test-only: writes ordinary (single-member, non-BGZF) gzip files with zlib, and truncates files.
#pragma once

#include <zlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace lb::testing {

inline void write_gzip(const std::string& path, const std::string& text) {
  gzFile gz = gzopen(path.c_str(), "wb9");
  if (!gz) throw std::runtime_error("gzopen failed: " + path);
  const int n = gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  if (gzclose(gz) != Z_OK || n != static_cast<int>(text.size())) throw std::runtime_error("gzwrite failed: " + path);
}

inline void truncate_file(const std::string& path, std::uintmax_t size) {
  std::filesystem::resize_file(path, size);
}

}  // namespace lb::testing
