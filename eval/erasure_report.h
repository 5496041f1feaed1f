// The MNIST erasure page (OUTDIR/report/mnist.html): box plots of the drops per pair (paper Fig. 4) and per-pixel maps of one example image, self-contained.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "eval/erasure.h"

namespace lb::eval {

struct ErasureReportInputs {
  const model::Network* net = nullptr;            // as used for the erasure
  const ImageSet* data = nullptr;
  const std::vector<ErasureRow>* rows = nullptr;
  const std::vector<ErasureSummary>* summary = nullptr;
  const std::vector<ErasureMethod>* methods = nullptr;
  std::vector<std::pair<int, int>> pairs;
  int example = -1;      // image of the pixel maps (-1: none); its label is its c0, the first pair with that c0 its ct
  int k = 157;
  std::string config_ini;
};

/// A rendered page and its number of Vega-Lite charts (#lb-status says "rendered <n> charts"
/// once all rendered, "error: ..." otherwise, like the genomics report).
struct ErasurePage {
  std::string html;
  int n_charts = 0;
};

/// The page: one box plot of the drops per pair (methods on the x axis), the summary table,
/// and for the example image, per method, SVG maps of S_c0 and S_ct with the mean over the
/// ten classes subtracted (the paper's display), S_c0 - S_ct, and the image after erasure.
ErasurePage render_erasure_report(const ErasureReportInputs& in);

/// render_erasure_report, then OUTDIR/report/mnist.html atomically.
void write_erasure_report(const std::string& outdir, const ErasureReportInputs& in);

}  // namespace lb::eval
