// The MEME minimal motif format (version 4): reading and writing.
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
  long nsites = -1;                              // nsites= (-1: absent or not a whole number)
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

/// Writes `file` atomically in the MEME minimal format, version 4 (docs/discovery.md "Motifs"):
/// "MEME version 4", "ALPHABET= ACGT", "strands: + -" (the file's strands), the background
/// frequencies, then per motif "MOTIF name [alt_name]" and "letter-probability matrix: alength= 4
/// w= W [nsites= n] E= 0" with one row of four probabilities (6 decimals) per position. Each row
/// is rescaled to sum to 1 first; LB_CHECK: names unique and free of whitespace, rows of
/// non-negative numbers with a positive sum, at least one row per motif.
void write_meme(const std::string& path, const MemeFile& file);

}  // namespace lb::io
