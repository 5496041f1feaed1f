// The MEME minimal motif format (version 4): reading only.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace lb::io {

struct MemeMotif {
  std::string name;                              // MOTIF <name> [alt_name]
  std::string alt_name;
  std::vector<std::array<double, 4>> probs;      // w rows, columns A, C, G, T as in the file
  long line = 0;                                 // line of the MOTIF header
};

struct MemeFile {
  int version = 4;
  std::string alphabet = "ACGT";
  std::string strands = "+ -";
  std::array<double, 4> background{0.25, 0.25, 0.25, 0.25};  // file's, or uniform if absent
  std::vector<MemeMotif> motifs;
};

/// Reads `path`. Errors name the line: missing "MEME version" header, alphabet other than
/// ACGT, a matrix row without 4 numbers, a non-number, alength != 4, w= disagreeing with the
/// number of rows (named at the first row beyond w=), a probability outside [0, 1] or a row
/// not summing to 1 within 1e-3 (named at its row; sim::Pwm checks again for other sources),
/// a motif with no matrix, duplicate motif names, no motifs at all.
MemeFile read_meme(const std::string& path);

/// Motif by name, or InputError "path: no motif named 'X'; expected one of A, B".
const MemeMotif& find_motif(const MemeFile& file, const std::string& name, const std::string& path);

}  // namespace lb::io
