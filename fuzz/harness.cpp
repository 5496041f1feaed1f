// The failure rules and scratch files of every harness (fuzz/harness.h).
#include "harness.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <new>
#include <typeinfo>

#include <fmt/format.h>

#include "core/error.h"

namespace lb::fuzz {

void fail(std::string_view what) {
  std::fprintf(stderr, "\nliftbench fuzz failure: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

std::string message_problem(std::string_view m) {
  if (m.size() > kMaxMessageBytes) return fmt::format("message of {} bytes (at most {})", m.size(), kMaxMessageBytes);
  for (std::size_t i = 0; i < m.size();) {
    const auto c = static_cast<unsigned char>(m[i]);
    if (c < 0x20 || c == 0x7f) return fmt::format("raw control byte 0x{:02x} at offset {}", c, i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF; no C1 controls.
    const std::size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > m.size()) return fmt::format("invalid UTF-8 byte 0x{:02x} at offset {}", c, i);
    char32_t cp = n == 2 ? (c & 0x1fu) : n == 3 ? (c & 0x0fu) : (c & 0x07u);
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(m[i + k]);
      if ((cc >> 6) != 0x2) return fmt::format("invalid UTF-8 sequence at offset {}", i);
      cp = (cp << 6) | (cc & 0x3fu);
    }
    const char32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
      return fmt::format("invalid UTF-8 sequence at offset {}", i);
    if (cp < 0xa0) return fmt::format("raw C1 control U+{:04X} at offset {}", static_cast<unsigned>(cp), i);
    i += n;
  }
  return {};
}

void run(const std::function<void()>& fn) {
  const auto check_message = [](const char* kind, const char* what) {
    const std::string problem = message_problem(what);
    if (!problem.empty()) {
      fail(fmt::format("{} with a bad message: {}; message starts: {}", kind, problem, quote_token(what, 300)));
    }
  };
  try {
    fn();
  } catch (const InputError& e) {
    check_message("InputError", e.what());
  } catch (const ConfigError& e) {
    check_message("ConfigError", e.what());
  } catch (const IoError& e) {
    check_message("IoError", e.what());
  } catch (const Error& e) {
    fail(fmt::format("internal error (failed check) on input: {}", e.what()));
  } catch (const std::bad_alloc&) {
    fail("std::bad_alloc");
  } catch (const std::exception& e) {
    fail(fmt::format("unexpected {}: {}", typeid(e).name(), e.what()));
  } catch (...) {
    fail("unknown exception");
  }
}

namespace {
// $TMPDIR when set (scripts/fuzz.sh points it at a folder in /dev/shm that it removes), else
// /dev/shm when writable, else /tmp.
std::string make_scratch() {
  std::string base;
  if (const char* t = std::getenv("TMPDIR"); t && *t) base = t;
  else base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  std::string tmpl = base + "/liftbench-fuzz.XXXXXX";
  if (!mkdtemp(tmpl.data())) fail(fmt::format("cannot create a scratch directory in {}", base));
  return tmpl;
}
void remove_scratch() {
  std::error_code ec;
  std::filesystem::remove_all(scratch_dir(), ec);
}
}  // namespace

const std::string& scratch_dir() {
  // Never destroyed, so remove_scratch can still read it at exit.
  static const std::string* dir = [] {
    auto* d = new std::string(make_scratch());
    std::atexit(remove_scratch);
    return d;
  }();
  return *dir;
}

std::string write_temp(std::string_view name, std::string_view bytes) {
  std::string path = scratch_dir() + "/" + std::string(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) fail(fmt::format("cannot write the scratch file {}", path));
  return path;
}

}  // namespace lb::fuzz
