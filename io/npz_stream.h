// An .npz written in pieces (`attribute`'s scores archive; docs/genomes.md): the members' dtypes
// and final shapes are declared up front, so the zip layout is known before any data; each
// member's bytes are then appended in order, chunk by chunk, at their place in the file, with
// memory bounded by the chunk whatever the final size. Members are stored (not deflated) with
// zip64 sizes, which numpy.load (Python's zipfile) and libzip read. Until finish() the data lives
// in a hidden temporary beside the output (io::AtomicFile): a killed run leaves no file that
// looks complete.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lb::io {

class NpzStreamWriter {
 public:
  struct Member {
    std::string name;                  // without ".npy"
    std::string dtype;                 // as NpyArray::dtype
    std::vector<std::int64_t> shape;   // the final shape
  };
  /// Creates the temporary and lays out every member. IoError naming `path` on failure.
  NpzStreamWriter(std::string path, std::vector<Member> members);
  ~NpzStreamWriter();  // without finish(): the temporary is removed
  NpzStreamWriter(const NpzStreamWriter&) = delete;
  NpzStreamWriter& operator=(const NpzStreamWriter&) = delete;

  std::size_t n_members() const;
  /// Index of the member named `name` (LB_CHECK that it exists).
  std::size_t index(const std::string& name) const;
  /// Appends raw little-endian C-order bytes to member `i` (LB_CHECK: not past its declared size).
  void append(std::size_t i, std::string_view bytes);
  /// Checks every member is complete (LB_CHECK), writes the CRCs and the central directory, and
  /// renames the file into place (fsync'd). IoError naming the path on failure.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lb::io
