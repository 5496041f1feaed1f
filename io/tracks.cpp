// bigWig (libBigWig) and bedGraph tracks from a mapped scores archive (docs/genomes.md).
#include "io/tracks.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <tuple>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <numeric>
#include <span>

#include <bigWig.h>
#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/npz.h"

// Exported by libBigWig but declared in its uninstalled bwCommon.h: writes the index, zoom levels
// and final magic of a file opened for writing; 0 on success. bwClose calls it and drops its result.
extern "C" int bwFinalize(bigWigFile_t* fp);

namespace lb::io {

namespace {

NpyArray copy_of(const NpzMap::Member& m) {
  NpyArray a{m.dtype, m.shape, {}};
  a.bytes.assign(m.data, m.data + m.bytes);
  return a;
}

// One output track: a bigWig and/or a bedGraph, fed sorted runs of per-base values.
class TrackWriter {
 public:
  TrackWriter(const std::string& stem, const std::vector<ChromSize>& chroms, const TrackFormats& f) {
    if (f.bedgraph) {
      bedgraph_ = std::make_unique<AtomicFile>(stem + ".bedGraph");
      paths_.push_back(stem + ".bedGraph");
    }
    if (f.bigwig) {
      static const bool init = bwInit(1 << 17) == 0;
      if (!init) throw IoError(fmt::format("{}.bw: cannot initialise libBigWig", stem));
      bw_file_ = std::make_unique<AtomicFile>(stem + ".bw");
      bw_file_->close_stream();
      paths_.push_back(stem + ".bw");
      bw_ = bwOpen(bw_file_->temp_path().c_str(), nullptr, "w");
      if (!bw_) throw IoError(fmt::format("{}.bw: cannot create the bigWig file (libBigWig)", stem));
      std::vector<const char*> names;
      std::vector<std::uint32_t> lengths;
      for (const auto& c : chroms) {
        names.push_back(c.name.c_str());
        lengths.push_back(static_cast<std::uint32_t>(c.length));
      }
      if (bwCreateHdr(bw_, 10) != 0)
        throw IoError(fmt::format("{}.bw: cannot write the bigWig header (libBigWig)", stem));
      bw_->cl = bwCreateChromList(names.data(), lengths.data(), static_cast<std::int64_t>(names.size()));
      if (!bw_->cl || bwWriteHdr(bw_) != 0)
        throw IoError(fmt::format("{}.bw: cannot write the bigWig header (libBigWig)", stem));
      stem_ = stem;
    }
  }
  ~TrackWriter() {
    if (bw_) {
      bw_->isWrite = 0;  // a file being discarded: bwClose frees it without finishing it
      bwClose(bw_);
    }
  }

  void run(const std::string& chrom, std::int64_t start, std::span<const float> values) {
    if (values.empty()) return;
    if (bw_) {
      errno = 0;
      if (bwAddIntervalSpanSteps(bw_, chrom.c_str(), static_cast<std::uint32_t>(start), 1, 1, values.data(),
                                 static_cast<std::uint32_t>(values.size())) != 0)
        throw io_error(stem_ + ".bw", fmt::format("cannot add {}:{} (libBigWig)", quote_token(chrom, 80), start),
                       errno ? errno : EIO);
    }
    if (bedgraph_) {
      // Equal neighbours merge into one interval; %.9g gives the float back exactly.
      std::size_t a = 0;
      for (std::size_t b = 1; b <= values.size(); ++b)
        if (b == values.size() || values[b] != values[a]) {
          fmt::format_to(std::back_inserter(text_), "{}\t{}\t{}\t{:.9g}\n", chrom, start + static_cast<std::int64_t>(a),
                         start + static_cast<std::int64_t>(b), values[a]);
          a = b;
        }
      if (text_.size() > (1u << 20)) flush_text();
    }
  }

  std::vector<std::string> commit() {
    if (bedgraph_) {
      flush_text();
      bedgraph_->commit();
    }
    if (bw_) {
      // libBigWig writes through its own stdio stream and bwClose reports nothing: finish the
      // file, flush and fsync that stream here, so that a full disk fails this file, not a later one.
      errno = 0;
      bool failed = bwFinalize(bw_) != 0;
      int err = errno;
      std::FILE* fp = bw_->URL->x.fp;
      if (!failed && (std::fflush(fp) != 0 || std::ferror(fp) != 0)) failed = true, err = errno;
      if (!failed && ::fsync(::fileno(fp)) != 0) failed = true, err = errno;
      bw_->isWrite = 0;  // finished (or failed): bwClose only closes and frees
      bwClose(bw_);
      bw_ = nullptr;
      if (failed) throw io_error(stem_ + ".bw", "cannot write", err ? err : EIO);
      bw_file_->commit();
    }
    return paths_;
  }

 private:
  void flush_text() {
    bedgraph_->write(text_);
    text_.clear();
  }
  std::unique_ptr<AtomicFile> bedgraph_, bw_file_;
  bigWigFile_t* bw_ = nullptr;
  std::vector<std::string> paths_;
  std::string text_, stem_;
};

}  // namespace

std::string track_stem(const std::string& method) {
  std::string s = method;
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  return s;
}

std::vector<std::string> write_tracks(const NpzMap& scores, const std::vector<ChromSize>& chroms, const std::string& dir,
                                      const TrackFormats& formats) {
  const std::string& path = scores.path();
  const auto& chrom_m = scores.get("chrom", "the regions' chromosomes (an archive of attribute --genome)");
  const auto& start_m = scores.get("start", "the windows' starts (an archive of attribute --genome)");
  const auto& tasks_m = scores.get("tasks", "the model outputs attributed");
  const std::vector<std::string> chrom = copy_of(chrom_m).to_strings(path + ": array 'chrom'");
  const std::vector<std::int64_t> start = copy_of(start_m).to_i64(path + ": array 'start'");
  const std::vector<std::int64_t> tasks = copy_of(tasks_m).to_i64(path + ": array 'tasks'");
  const auto N = static_cast<std::int64_t>(chrom.size());
  if (static_cast<std::int64_t>(start.size()) != N)
    throw input_error(path, 0, "arrays 'chrom' and 'start' differ in length", std::to_string(N),
                      std::to_string(start.size()));
  std::map<std::string, std::size_t> chrom_index;
  for (std::size_t c = 0; c < chroms.size(); ++c) chrom_index[chroms[c].name] = c;
  std::vector<std::size_t> ci(static_cast<std::size_t>(N));
  for (std::int64_t i = 0; i < N; ++i) {
    const auto it = chrom_index.find(chrom[static_cast<std::size_t>(i)]);
    if (it == chrom_index.end())
      throw input_error(path, 0, fmt::format("region {} is on an unknown chromosome", i),
                        fmt::format("a sequence of the genome ({} listed)", chroms.size()),
                        quote_token(chrom[static_cast<std::size_t>(i)], 80));
    ci[static_cast<std::size_t>(i)] = it->second;
  }
  // Regions by chromosome (index order), start, then archive order.
  std::vector<std::size_t> order(static_cast<std::size_t>(N));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(ci[a], start[a], a) < std::tie(ci[b], start[b], b);
  });

  std::vector<std::string> written;
  std::map<std::string, std::string> stems;  // stem -> method
  for (const auto& m : scores.members()) {
    if (m.shape.size() != 4 || m.name.ends_with(".hypothetical") || m.name.ends_with(".ism") ||
        m.name.ends_with(".references") || m.dtype != "<f4")
      continue;
    const std::int64_t T = m.shape[1], C = m.shape[2], L = m.shape[3];
    if (m.shape[0] != N || T != static_cast<std::int64_t>(tasks.size()))
      throw input_error(path, 0, fmt::format("array '{}' does not match the regions", m.name),
                        fmt::format("shape ({}, {}, C, L)", N, tasks.size()), fmt::format("({}, {}, {}, {})", m.shape[0], T, C, L));
    const std::string stem = track_stem(m.name);
    if (const auto [it, fresh] = stems.emplace(stem, m.name); !fresh)
      throw input_error(path, 0, fmt::format("methods '{}' and '{}' share the track name '{}'", it->second, m.name, stem),
                        "method names that differ after replacing characters outside [A-Za-z0-9._-] with '_'",
                        "a clash");
    // The member's bytes sit wherever the zip put them: read each float with memcpy, never through
    // a float pointer that may be misaligned.
    const char* values = m.data;
    for (std::int64_t t = 0; t < T; ++t) {
      TrackWriter out(fmt::format("{}/{}.task{}", dir, stem, tasks[static_cast<std::size_t>(t)]), chroms, formats);
      // Sweep: sums and counts over the covered span [buf_start, buf_start + sum.size()).
      std::vector<double> sum;
      std::vector<int> count;
      std::vector<float> avg;
      std::int64_t buf_start = 0;
      std::size_t cur_chrom = 0;
      const auto flush_before = [&](std::int64_t upto) {  // emit positions < upto
        const auto n = static_cast<std::size_t>(std::clamp<std::int64_t>(upto - buf_start, 0,
                                                                         static_cast<std::int64_t>(sum.size())));
        if (n == 0) return;
        avg.resize(n);
        for (std::size_t k = 0; k < n; ++k) avg[k] = static_cast<float>(sum[k] / count[k]);
        out.run(chroms[cur_chrom].name, buf_start, avg);
        sum.erase(sum.begin(), sum.begin() + static_cast<std::ptrdiff_t>(n));
        count.erase(count.begin(), count.begin() + static_cast<std::ptrdiff_t>(n));
        buf_start += static_cast<std::int64_t>(n);
      };
      std::size_t n_done = 0;
      for (const std::size_t i : order) {
        // Every 4096 windows the archive's pages read so far leave the resident set (a
        // genome-wide archive is larger than memory; the page cache keeps them at hand).
        if (++n_done % 4096 == 0) scores.release();
        const std::int64_t len = chroms[ci[i]].length;
        const std::int64_t ws = std::max<std::int64_t>(start[i], 0), we = std::min<std::int64_t>(start[i] + L, len);
        if (ci[i] != cur_chrom || ws > buf_start + static_cast<std::int64_t>(sum.size())) {
          flush_before(INT64_MAX);
          cur_chrom = ci[i];
          buf_start = ws;
        } else {
          flush_before(ws);
        }
        if (we <= ws) continue;
        if (static_cast<std::int64_t>(sum.size()) < we - buf_start) {
          sum.resize(static_cast<std::size_t>(we - buf_start), 0.0);
          count.resize(sum.size(), 0);
        }
        const char* v = values + (static_cast<std::int64_t>(i) * T + t) * C * L * 4;
        for (std::int64_t g = ws; g < we; ++g) {
          const std::int64_t p = g - start[i];
          double s = 0;
          for (std::int64_t c = 0; c < C; ++c) {
            float f;
            std::memcpy(&f, v + (c * L + p) * 4, sizeof f);
            s += f;
          }
          sum[static_cast<std::size_t>(g - buf_start)] += s;
          ++count[static_cast<std::size_t>(g - buf_start)];
        }
      }
      flush_before(INT64_MAX);
      scores.release();
      for (auto& p : out.commit()) written.push_back(std::move(p));
    }
  }
  return written;
}

}  // namespace lb::io
