// HTSlib's version string.
#include "io/version.h"

#include <htslib/hts.h>

namespace lb::io {
std::string htslib_version() { return hts_version(); }
}  // namespace lb::io
