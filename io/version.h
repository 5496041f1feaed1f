// Versions of the libraries io/ wraps, for `liftbench version` (only io/ sees HTSlib).
#pragma once

#include <string>

namespace lb::io {
std::string htslib_version();
}

namespace lb::io {
/// Silences HTSlib's own stderr messages below errors-we-report: our exceptions carry the
/// message instead. Called once by the CLI.
void quiet_htslib();
}
