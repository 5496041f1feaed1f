// Versions of the libraries io/ wraps, for `liftbench version` (only io/ sees HTSlib).
#pragma once

#include <string>

namespace lb::io {
std::string htslib_version();
}
