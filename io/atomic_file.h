// Atomic output: every file liftbench writes goes to a temporary file in the destination's
// directory and is renamed into place only when complete, so a killed run or an error never
// leaves a half-written file under the final name. The temporary is created exclusively
// (mkstemp: O_CREAT|O_EXCL, so a planted symlink or file is never followed or reused), the
// file is fsync'd before the rename and the directory after it (the new name survives a
// crash), and temporaries a killed run left for the same output are removed.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace lb::io {

/// A temporary file beside `path`, renamed to `path` by commit(). If the object is destroyed
/// without commit() (an exception, an early return), the temporary file is removed. Creating
/// one first removes the temporaries of `path` whose process is gone (a killed run's).
/// Throws IoError naming `path` when the directory is missing or unwritable.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  /// Temporary name: `<dir>/.<base>.tmp.<pid>.XXXXXX` (hidden, same directory, the X's
  /// random, created by mkstemp with the permissions of a file created under the umask).
  const std::string& temp_path() const { return temp_; }
  /// The open stdio stream on the temporary file (binary mode).
  std::FILE* file() { return fp_; }
  void write(std::string_view bytes);
  /// Flushes, fsyncs and closes the file, checks for write errors, renames it into place and
  /// fsyncs the directory. Throws IoError.
  void commit();
  /// Closes the stream but keeps the (exclusively created) temporary file, for writers (e.g.
  /// HTSlib, libzip) that reopen it by name; commit() then fsyncs it by name and renames.
  void close_stream();

 private:
  std::string path_, temp_;
  std::FILE* fp_ = nullptr;
  bool committed_ = false;
  void close_stream(bool sync);
};

/// Writes `content` to `path` atomically.
void write_file_atomic(const std::string& path, std::string_view content);

/// The prefix of every temporary of `path` made by this process: `<dir>/.<base>.tmp.<pid>.`.
std::string temp_prefix_for(const std::string& path);

/// Removes the temporaries of `path` (`<dir>/.<base>.tmp.<pid>.<suffix>`) whose process no
/// longer exists: what a killed run left. Never follows a symlink (it unlinks the name).
void remove_stale_temps(const std::string& path);

/// rename(from, to), throwing IoError naming both on failure.
void rename_file(const std::string& from, const std::string& to);

/// Creates directory `dir` (and parents) if missing and checks that it is writable; throws
/// IoError "dir: cannot create output directory: <reason>" or "...: not writable: <reason>".
void ensure_output_dir(const std::string& dir);

/// Removes `path` if it exists (IoError when it exists and cannot be removed). Commands that
/// write several files write their resolved config last, as the mark of a complete set; they
/// remove it first, so a run that fails half way never leaves an old mark beside new files.
void remove_stale_marker(const std::string& path);

/// Reads a whole (plain) file; throws IoError naming the path.
std::string read_file(const std::string& path);

}  // namespace lb::io
