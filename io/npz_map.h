// Read access to the members of a stored (not deflated) .npz without loading them: the file is
// memory-mapped and each member's .npy data located through the zip central directory (zip64
// included). For archives too large to read whole, e.g. the streamed scores of a genome-wide run
// (io/npz_stream.h), which tracks and merge read member by member.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lb::io {

class NpzMap {
 public:
  struct Member {
    std::string name;                 // without ".npy"
    std::string dtype;
    std::vector<std::int64_t> shape;
    const char* data = nullptr;       // the array's bytes (after the .npy header), C order
    std::uint64_t bytes = 0;
  };
  /// Maps `path`. IoError for a missing file; InputError "path: ..." for a file that is not a
  /// zip, a deflated member ("expected a stored archive"), or a member that is not a valid .npy.
  explicit NpzMap(std::string path);
  ~NpzMap();
  NpzMap(const NpzMap&) = delete;
  NpzMap& operator=(const NpzMap&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<Member>& members() const { return members_; }
  /// The member named `name`, or nullptr.
  const Member* find(const std::string& name) const;
  /// The member named `name` or InputError "path: missing array 'name'; expected ..., got ...".
  const Member& get(const std::string& name, const std::string& expected) const;
  /// Drops the pages read so far from this process's memory (madvise MADV_DONTNEED; they stay in
  /// the page cache and are read again on the next access), so that a pass over an archive
  /// larger than memory keeps a small resident set. The data pointers stay valid.
  void release() const;

 private:
  std::string path_;
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::vector<Member> members_;
};

}  // namespace lb::io
