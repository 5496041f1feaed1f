// Model inputs from data: a dataset directory's splits as one-hot batches with their targets,
// and MNIST's IDX files as image batches (docs/cli.md: train, predict, attribute, sanity).
#include "model/inputs.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "io/idx.h"

namespace lb::model {

SplitInput split_input(const sim::Dataset& ds, std::optional<sim::Split> split, const std::string& dir) {
  SplitInput out;
  std::vector<std::vector<std::uint8_t>> codes;
  const std::string fasta = sim::dataset_fasta_path(dir);
  for (int i = 0; i < ds.size(); ++i) {
    if (split && ds.splits[static_cast<std::size_t>(i)] != *split) continue;
    out.indices.push_back(i);
    codes.push_back(encode_bases(ds.seqs[static_cast<std::size_t>(i)],
                                 fmt::format("{}: sequence '{}'", fasta, ds.ids[static_cast<std::size_t>(i)])));
  }
  auto& d = out.data;
  d.n = static_cast<int>(out.indices.size());
  d.shape = model::Shape{kNumBases, 1, ds.seq_len};
  d.x = d.n > 0 ? one_hot(codes) : Mat(kNumBases, 0);
  d.targets.resize(ds.n_tasks(), d.n);
  for (int j = 0; j < d.n; ++j)
    for (int t = 0; t < ds.n_tasks(); ++t) d.targets(t, j) = ds.label(out.indices[static_cast<std::size_t>(j)], t);
  return out;
}

namespace {

std::string mnist_file(const std::string& dir, const std::string& name) {
  const std::string plain = dir + "/" + name;
  if (std::filesystem::exists(plain)) return plain;
  if (std::filesystem::exists(plain + ".gz")) return plain + ".gz";
  throw InputError(fmt::format("{}: no {} or {}.gz; expected the four MNIST IDX files (scripts/get_mnist.sh), "
                               "got {}",
                               dir, name, name,
                               std::filesystem::is_directory(dir) ? "a directory without it" : "no such directory"));
}

// Images [first, first+n) of `im` with their labels.
model::TrainData mnist_split(const io::IdxImages& im, const std::vector<std::uint8_t>& labels, int first, int n,
                             const std::string& labels_path) {
  model::TrainData d;
  d.shape = model::Shape{1, im.rows, im.cols};
  d.n = n;
  const int sp = d.shape.spatial();
  d.x.resize(1, static_cast<Eigen::Index>(n) * sp);
  const std::uint8_t* src = im.pixels.data() + static_cast<std::size_t>(first) * static_cast<std::size_t>(sp);
  for (Eigen::Index k = 0; k < d.x.cols(); ++k) d.x(0, k) = static_cast<float>(src[k]) / 255.0f;
  d.classes.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int c = labels[static_cast<std::size_t>(first + i)];
    if (c >= kMnistClasses)
      throw InputError(fmt::format("{}: bad label at byte {}; expected 0 to {}, got {}", labels_path, 8 + first + i,
                                   kMnistClasses - 1, c));
    d.classes[static_cast<std::size_t>(i)] = c;
  }
  return d;
}

}  // namespace

MnistInput load_mnist(const std::string& dir, int valid_count) {
  const std::string tr_img = mnist_file(dir, "train-images-idx3-ubyte");
  const std::string tr_lab = mnist_file(dir, "train-labels-idx1-ubyte");
  const std::string te_img = mnist_file(dir, "t10k-images-idx3-ubyte");
  const std::string te_lab = mnist_file(dir, "t10k-labels-idx1-ubyte");
  const io::IdxImages tri = io::read_idx_images(tr_img);
  const auto trl = io::read_idx_labels(tr_lab);
  const io::IdxImages tei = io::read_idx_images(te_img);
  const auto tel = io::read_idx_labels(te_lab);
  auto same_count = [](const std::string& ip, int n, const std::string& lp, std::size_t nl) {
    if (static_cast<std::size_t>(n) != nl)
      throw InputError(fmt::format("{}: {} labels for the {} images of {}; expected {}, got {}", lp, nl, n, ip, n, nl));
  };
  same_count(tr_img, tri.n, tr_lab, trl.size());
  same_count(te_img, tei.n, te_lab, tel.size());
  if (tri.rows != tei.rows || tri.cols != tei.cols)
    throw InputError(fmt::format("{}: images of {}x{} pixels; expected {}x{} as in {}, got {}x{}", te_img, tei.rows,
                                 tei.cols, tri.rows, tri.cols, tr_img, tei.rows, tei.cols));
  if (valid_count < 1 || valid_count >= tri.n)
    throw ConfigError(fmt::format("--mnist-valid: bad value; expected 1 to {} (images in {} minus one), got {}",
                                  tri.n - 1, tr_img, valid_count));
  MnistInput out;
  const int n_train = tri.n - valid_count;
  out.train = mnist_split(tri, trl, 0, n_train, tr_lab);
  out.valid = mnist_split(tri, trl, n_train, valid_count, tr_lab);
  out.test = mnist_split(tei, tel, 0, tei.n, te_lab);
  return out;
}

}  // namespace lb::model
