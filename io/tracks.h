// Genome browser tracks of attribution scores (docs/genomes.md): per method and task,
// the per-base contribution (the sum over the four channels of the method's scores) in genome
// coordinates, averaged where regions overlap, as bigWig (libBigWig) and bedGraph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/genome.h"
#include "io/npz_map.h"

namespace lb::io {

struct TrackFormats {
  bool bigwig = true;
  bool bedgraph = true;
};

/// The file stem of a method's tracks: the name with every character outside [A-Za-z0-9._-]
/// replaced by '_' (deeplift:genomics@dinuc_shuffle -> deeplift_genomics_dinuc_shuffle).
std::string track_stem(const std::string& method);

/// Writes `<dir>/<track_stem(method)>.task<k>.bw` and `.bedGraph` for every method array of a
/// scores archive with genome coordinates (`chrom`, `start`: attribute --genome), k the model
/// output (the archive's `tasks`). Positions outside a chromosome (padding) are left out; a
/// position covered by several regions gets the mean of their values; positions no region
/// covers have no entry. Chromosomes are listed in `chroms` order (the genome's index) and
/// entries sorted within them. Each file is written atomically. Returns the paths written.
/// InputError naming the archive for one without `chrom`/`start` or with a chromosome `chroms`
/// lacks, or two methods with the same stem.
std::vector<std::string> write_tracks(const NpzMap& scores, const std::vector<ChromSize>& chroms, const std::string& dir,
                                      const TrackFormats& formats);

}  // namespace lb::io
