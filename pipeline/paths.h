// Outputs that would destroy inputs: every step and command that reads and writes files lists what it
// reads and what it will write, and refuses, before any work, an output that is an input.
#pragma once

#include <string>
#include <vector>

namespace lb::pipeline {

/// One file (or directory) a command reads or writes, and the option it came from ("--model",
/// "--out"), for the message.
struct PathUse {
  std::string option;
  std::string path;
};

/// The files of a dataset directory that `read_dataset_dir` reads or that mark it complete
/// (sequences.fa and its index, the old bgzip layout, labels.tsv, motifs.bed, the scenario
/// tables, config.ini).
std::vector<PathUse> dataset_files(const std::string& option, const std::string& dir);

/// A reference genome FASTA and its index files (.fai, and .gzi for bgzip); none for an empty path.
std::vector<PathUse> genome_files(const std::string& option, const std::string& genome);

/// The IDX files of an MNIST directory (plain and .gz).
std::vector<PathUse> mnist_files(const std::string& option, const std::string& dir);

/// Throws ConfigError naming both when an output is the same file as an input after symlinks
/// and hard links (std::filesystem::equivalent): "--out: output OUT is the input IN (--model);
/// expected an output that is not an input, got the same file". Outputs or inputs that do not
/// exist yet cannot be the same file and pass. The config file (-c) is not an input here: it
/// is read completely before anything is written, and "rerun from config.ini" rewrites it.
void refuse_output_over_input(const std::vector<PathUse>& outputs, const std::vector<PathUse>& inputs);

/// An output that must be a file: ConfigError "--out: X is a directory; expected a file, got a
/// directory" when it is one (checked before any work, not at the final rename).
void require_file_output(const std::string& option, const std::string& path);

}  // namespace lb::pipeline
