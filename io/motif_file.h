// Motif files besides MEME: JASPAR (`.jaspar`, `.pfm`) and HOMER (`.motif`, `.motifs`) readers
// returning MEME's records, and read_motif_file, which picks the reader by the file name.
#pragma once

#include <string>

#include "io/meme.h"

namespace lb::io {

/// Reads a JASPAR count-matrix file: per motif a header `>ID name` (name optional; whitespace
/// separated) and four rows of counts, either labelled (`A [ 0 3 12 ]`, also without the
/// brackets: `A 0 3 12`; labels A, C, G, T in any order, each once) or bare (four rows of
/// numbers in the order A, C, G, T, JASPAR's `.pfm`). Records: name = ID, alt_name = the rest of
/// the header, line = the header's line; uniform background. Counts become probabilities
/// column by column: p(b at position i) = count(b, i) / sum over the four letters of count(·, i)
/// (no pseudocount here: the simulator smooths with sim.pseudocount). Errors (InputError,
/// `path:line: ...`): a row before any header, an empty ID, a duplicate ID, a label other than
/// A/C/G/T or given twice, labelled and bare rows mixed, a '[' without ']', a count that is not
/// a non-negative number, a row without counts, rows of different lengths, more or fewer than
/// four rows, a position whose counts sum to 0, no motif at all.
MemeFile read_jaspar(const std::string& path);

/// Reads a HOMER motif file: per motif a tab-separated header `>consensus<TAB>name<TAB>log-odds
/// threshold[<TAB>...]` (consensus may be empty; further fields are ignored) and one row per
/// position of four values for A, C, G, T (tabs or spaces). Records: name = the name field,
/// alt_name = the consensus, line = the header's line; uniform background. As HOMER itself
/// does, each row is divided by its sum, so probabilities rounded to three decimals and integer
/// counts both load. Errors (InputError, `path:line: ...`): a row before any header, fewer than
/// three header fields, an empty name, a threshold that is not a number, a duplicate name, a
/// row of other than four values or with a value that is not a non-negative number, a row
/// summing to 0, a motif without rows, no motif at all.
MemeFile read_homer(const std::string& path);

/// The motif file `path` by its extension (case-insensitive, after dropping a final `.gz`):
/// `.meme` and `.txt` MEME (read_meme), `.jaspar` and `.pfm` JASPAR (read_jaspar), `.motif` and
/// `.motifs` HOMER (read_homer). Any other name: InputError "path: unknown motif file type;
/// expected a name ending in .meme, .txt, .jaspar, .pfm, .motif or .motifs, got '.ext'".
MemeFile read_motif_file(const std::string& path);

}  // namespace lb::io
