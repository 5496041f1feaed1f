// Atomic output files: temporary name in the same directory, rename on commit, removal otherwise.
#include "io/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace lb::io {

namespace {
std::atomic<unsigned long> g_temp_counter{0};
}  // namespace

std::string temp_path_for(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return fmt::format("{}.{}.tmp.{}.{}", dir, base, static_cast<long>(::getpid()), g_temp_counter++);
}

void rename_file(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw IoError(fmt::format("{}: cannot replace (renaming {} into place): {}", to, from, std::strerror(errno)));
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temp_(temp_path_for(path_)) {
  errno = 0;
  fp_ = std::fopen(temp_.c_str(), "wbx");  // x: never clobber an existing file
  if (!fp_) throw io_error(path_, "cannot create", errno ? errno : EIO);
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (fp_) std::fclose(fp_);
  std::remove(temp_.c_str());
}

void AtomicFile::write(std::string_view bytes) {
  LB_CHECK(fp_ != nullptr, "AtomicFile::write after close_stream() or commit() on {}", path_);
  if (std::fwrite(bytes.data(), 1, bytes.size(), fp_) != bytes.size())
    throw io_error(path_, "cannot write", errno ? errno : EIO);
}

void AtomicFile::close_stream() {
  if (!fp_) return;
  const bool failed = std::fflush(fp_) != 0 || std::ferror(fp_);
  const int err = errno;
  const bool close_failed = std::fclose(fp_) != 0;
  fp_ = nullptr;
  if (failed || close_failed) throw io_error(path_, "cannot write", err ? err : (errno ? errno : EIO));
}

void AtomicFile::commit() {
  LB_CHECK(!committed_, "AtomicFile::commit called twice on {}", path_);
  close_stream();
  rename_file(temp_, path_);
  committed_ = true;
}

void write_file_atomic(const std::string& path, std::string_view content) {
  AtomicFile out(path);
  out.write(content);
  out.commit();
}

void ensure_output_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw io_error(dir, "cannot create output directory", ENOTDIR);
  fs::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("{}: cannot create output directory: {}", dir, ec.message()));
  if (::access(dir.c_str(), W_OK | X_OK) != 0) throw io_error(dir, "not writable", errno);
}

void remove_stale_marker(const std::string& path) {
  if (std::remove(path.c_str()) != 0 && errno != ENOENT) throw io_error(path, "cannot remove the old completion mark", errno);
}

std::string read_file(const std::string& path) {
  errno = 0;
  std::FILE* fp = std::fopen(path.c_str(), "rb");
  if (!fp) throw io_error(path, "cannot open", errno ? errno : EIO);
  std::string out;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, fp)) > 0) out.append(buf, n);
  const bool failed = std::ferror(fp) != 0;
  const int err = errno;
  std::fclose(fp);
  if (failed) throw io_error(path, "cannot read", err ? err : EIO);
  return out;
}

}  // namespace lb::io
