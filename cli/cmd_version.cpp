// `liftbench version`: version, compiler, build type and flags, library versions.
#include <Eigen/Core>
#include <boost/version.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "core/build_info.h"
#include "io/version.h"

namespace lb::cli {

int cmd_version(int, const char* const*) {
  fmt::print("liftbench {}\n", build::kVersion);
  fmt::print("compiler: {}\n", build::kCompiler);
  fmt::print("build type: {}\n", build::kBuildType);
  fmt::print("flags: {}\n", build::kCxxFlags);
  fmt::print("libraries: Eigen {}.{}.{}, Boost {}.{}.{}, fmt {}.{}.{}, HTSlib {}\n", EIGEN_WORLD_VERSION,
             EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION, BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
             BOOST_VERSION % 100, FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100,
             io::htslib_version());
  return 0;
}

}  // namespace lb::cli
