// HTSlib's version string.
#include "io/version.h"

#include <htslib/hts.h>

namespace lb::io {
std::string htslib_version() { return hts_version(); }
}  // namespace lb::io

namespace lb::io {
void quiet_htslib() { hts_set_log_level(HTS_LOG_OFF); }
}  // namespace lb::io
