// The subcommand table of the `liftbench` executable (ninja's Tool table, seqtk's stk_*).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace lb::cli {

struct Command {
  std::string_view name;
  std::string_view summary;  // one line, shown by `liftbench` alone
  int (*run)(int argc, const char* const* argv);  // argv[0] is the command name
  bool provenance;           // log version, command line and resources around the run
};

std::span<const Command> commands();

/// `liftbench <args>`: lists the commands, runs one, or suggests the closest name. Throws
/// lb::Error subclasses on failure (main() prints them); returns the exit code otherwise.
int run_main(int argc, const char* const* argv);

int cmd_simulate(int argc, const char* const* argv);
int cmd_train(int argc, const char* const* argv);
int cmd_predict(int argc, const char* const* argv);
int cmd_attribute(int argc, const char* const* argv);
int cmd_evaluate(int argc, const char* const* argv);
int cmd_mnist_erasure(int argc, const char* const* argv);
int cmd_run(int argc, const char* const* argv);
int cmd_sanity(int argc, const char* const* argv);
int cmd_seal(int argc, const char* const* argv);
int cmd_seqlets(int argc, const char* const* argv);
int cmd_sweep(int argc, const char* const* argv);
int cmd_aggregate(int argc, const char* const* argv);
int cmd_discover(int argc, const char* const* argv);
int cmd_match(int argc, const char* const* argv);
int cmd_modisco_inputs(int argc, const char* const* argv);
int cmd_import(int argc, const char* const* argv);
int cmd_export(int argc, const char* const* argv);
int cmd_tracks(int argc, const char* const* argv);
int cmd_merge(int argc, const char* const* argv);
int cmd_version(int argc, const char* const* argv);

/// The usage text printed by `liftbench` with no arguments.
std::string command_list();

}  // namespace lb::cli
