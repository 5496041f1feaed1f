// What the command line adds to the pipeline's steps (pipeline/steps.h): the resolved
// configuration a step's command writes beside its outputs, which only an OptionSet can render.
#pragma once

#include <string>

#include "cli/sections.h"
#include "pipeline/steps.h"

namespace lb::cli {

/// The resolved configuration `liftbench <command> -c FILE` writes beside its outputs, for the
/// configuration `run`: byte for byte what the command writes after reading a file holding `run`.
/// `command` is a step's command (pipeline::StepDef::command); lb::Error for another name.
std::string step_config_ini(const std::string& command, RunConfig run);

}  // namespace lb::cli
