// The INI dialect (io/ini.h parse_ini) as text; every value read, and the whole input as one
// value, must come back unchanged through ini_value and a second parse.
#include "core/error.h"
#include "harness.h"
#include "io/ini.h"

namespace {
void round_trip(const std::string& value) {
  const auto back = lb::io::parse_ini("s.k = " + lb::io::ini_value(value) + "\n", "roundtrip.ini");
  if (back.size() != 1 || back[0].key != "s.k" || back[0].value != value)
    lb::fuzz::fail("ini_value did not read back unchanged: " + lb::quote_token(value, 200));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = lb::fuzz::as_text(data, size);
  lb::fuzz::run([&] {
    for (const auto& e : lb::io::parse_ini(text, "fuzz.ini")) round_trip(e.value);
  });
  lb::fuzz::run([&] { round_trip(std::string(text)); });
  return 0;
}
