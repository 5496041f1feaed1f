// Atomic output files: temporary name in the same directory, rename on commit, removal otherwise.
#include "io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/error.h"
#include "core/text.h"

namespace lb::io {

namespace {

namespace fs = std::filesystem;

mode_t process_umask() {
  static const mode_t mask = [] {
    const mode_t m = ::umask(0);
    ::umask(m);
    return m;
  }();
  return mask;
}

std::pair<std::string, std::string> split_path(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

// A random mkstemp suffix, or the numeric counter of earlier versions; libzip adds its own
// ".XXXXXX" to a temporary it is given.
bool is_temp_suffix(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  int parts = 1;
  char prev = '.';
  for (const char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
      ++parts;
    } else if (!std::isalnum(static_cast<unsigned char>(c))) {
      return false;
    }
    prev = c;
  }
  return prev != '.' && parts <= 2;
}

// fsync of a file or directory opened by name (read-only is enough on Linux).
void sync_path(const std::string& path, const std::string& name_for_errors, bool directory) {
  const int fd = ::open(path.empty() ? "." : path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : O_NOFOLLOW));
  if (fd < 0) throw io_error(name_for_errors, directory ? "cannot sync its directory" : "cannot write", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems cannot fsync a directory (EINVAL): nothing more can be done there.
  if (rc != 0 && !(directory && (err == EINVAL || err == EROFS)))
    throw io_error(name_for_errors, directory ? "cannot sync its directory" : "cannot write", err);
}

}  // namespace

std::string temp_prefix_for(const std::string& path) {
  const auto [dir, base] = split_path(path);
  return fmt::format("{}.{}.tmp.{}.", dir, base, static_cast<long>(::getpid()));
}

void remove_stale_temps(const std::string& path) {
  const auto [dir, base] = split_path(path);
  const std::string prefix = fmt::format(".{}.tmp.", base);
  std::error_code ec;
  fs::directory_iterator it(dir.empty() ? fs::path(".") : fs::path(dir), ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string_view rest = std::string_view(name).substr(prefix.size());
    const std::size_t dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 10) continue;
    long pid = 0;
    bool numeric = true;
    for (const char c : rest.substr(0, dot)) {
      if (c < '0' || c > '9') numeric = false;
      else pid = pid * 10 + (c - '0');
    }
    if (!numeric || pid <= 0 || !is_temp_suffix(rest.substr(dot + 1))) continue;
    // Only a writer that no longer exists: a live one (this process included) is mid-write.
    if (pid == static_cast<long>(::getpid()) || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    ::unlink((dir + name).c_str());  // the name only: a symlink's target is never touched
  }
}

void rename_file(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw IoError(fmt::format("{}cannot replace (renaming {} into place): {}", where(to), show_path(from),
                              std::strerror(errno)));
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  // The rename at the end replaces whatever `path` names: never a device (as root, `-o /dev/null`
  // would replace /dev/null), a FIFO or a socket.
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    throw IoError(fmt::format("{}not a regular file; expected a file to write or a new name, got a {}", where(path_),
                              S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "device"
                              : S_ISFIFO(st.st_mode)                     ? "FIFO"
                                                                         : "socket"));
  remove_stale_temps(path_);
  temp_ = temp_prefix_for(path_) + "XXXXXX";
  const int fd = ::mkostemp(temp_.data(), O_CLOEXEC);  // O_CREAT|O_EXCL: never an existing name
  if (fd < 0) throw io_error(path_, "cannot create", errno ? errno : EIO);
  ::fchmod(fd, 0666 & ~process_umask());  // as a file created with open(..., 0666) would be
  fp_ = ::fdopen(fd, "wb");
  if (!fp_) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp_.c_str());
    throw io_error(path_, "cannot create", err ? err : EIO);
  }
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (fp_) std::fclose(fp_);
  ::unlink(temp_.c_str());
}

void AtomicFile::write(std::string_view bytes) {
  LB_CHECK(fp_ != nullptr, "AtomicFile::write after close_stream() or commit() on {}", path_);
  if (std::fwrite(bytes.data(), 1, bytes.size(), fp_) != bytes.size())
    throw io_error(path_, "cannot write", errno ? errno : EIO);
}

void AtomicFile::close_stream() { close_stream(false); }

void AtomicFile::close_stream(bool sync) {
  if (!fp_) return;
  errno = 0;
  bool failed = std::fflush(fp_) != 0 || std::ferror(fp_);
  if (!failed && sync) failed = ::fsync(::fileno(fp_)) != 0;
  const int err = errno;
  const bool close_failed = std::fclose(fp_) != 0;
  fp_ = nullptr;
  if (failed || close_failed) throw io_error(path_, "cannot write", err ? err : (errno ? errno : EIO));
}

void AtomicFile::commit() {
  LB_CHECK(!committed_, "AtomicFile::commit called twice on {}", path_);
  if (fp_) close_stream(true);
  else sync_path(temp_, path_, false);  // written by name by a library
  rename_file(temp_, path_);
  committed_ = true;
  sync_path(split_path(path_).first, path_, true);  // the rename itself, durable
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
  if (ec) throw IoError(fmt::format("{}cannot create output directory: {}", where(dir), ec.message()));
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
