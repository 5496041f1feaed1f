// Alphabet tables and one-hot conversion.
#include "core/alphabet.h"

#include <array>
#include <cctype>

#include "core/error.h"

namespace lb {

namespace {
constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = kBadBase;
  t['A'] = t['a'] = 0;
  t['C'] = t['c'] = 1;
  t['G'] = t['g'] = 2;
  t['T'] = t['t'] = 3;
  t['N'] = t['n'] = kBaseN;
  return t;
}
constexpr auto kCodeTable = make_table();
}  // namespace

std::uint8_t base_code(char c) { return kCodeTable[static_cast<unsigned char>(c)]; }

std::vector<std::uint8_t> encode_bases(std::string_view seq, std::string_view where_prefix) {
  std::vector<std::uint8_t> out(seq.size());
  for (std::size_t i = 0; i < seq.size(); ++i) {
    const std::uint8_t code = base_code(seq[i]);
    if (code == kBadBase) {
      const std::string got = std::isprint(static_cast<unsigned char>(seq[i]))
                                  ? fmt::format("'{}'", seq[i])
                                  : fmt::format("byte 0x{:02x}", static_cast<unsigned char>(seq[i]));
      throw InputError(fmt::format("{}unexpected character at position {}; expected one of ACGTN, got {}",
                                   where_prefix, i + 1, got));
    }
    out[i] = code;
  }
  return out;
}

std::string decode_bases(const std::vector<std::uint8_t>& codes) {
  std::string s(codes.size(), 'N');
  for (std::size_t i = 0; i < codes.size(); ++i) s[i] = kBases[codes[i] <= kBaseN ? codes[i] : kBaseN];
  return s;
}

std::string reverse_complement(std::string_view seq) {
  std::string out(seq.rbegin(), seq.rend());
  for (char& c : out) {
    switch (c) {
      case 'A': c = 'T'; break;
      case 'C': c = 'G'; break;
      case 'G': c = 'C'; break;
      case 'T': c = 'A'; break;
      case 'a': c = 't'; break;
      case 'c': c = 'g'; break;
      case 'g': c = 'c'; break;
      case 't': c = 'a'; break;
      default: break;
    }
  }
  return out;
}

Mat one_hot(const std::vector<std::vector<std::uint8_t>>& seqs) {
  const auto n = static_cast<Eigen::Index>(seqs.size());
  const auto len = n ? static_cast<Eigen::Index>(seqs[0].size()) : 0;
  Mat x = Mat::Zero(kNumBases, n * len);
  for (Eigen::Index s = 0; s < n; ++s) {
    const auto& codes = seqs[static_cast<std::size_t>(s)];
    LB_CHECK(static_cast<Eigen::Index>(codes.size()) == len,
             "one_hot: sequence {} has length {}, expected {}", s, codes.size(), len);
    for (Eigen::Index l = 0; l < len; ++l) {
      const std::uint8_t c = codes[static_cast<std::size_t>(l)];
      if (c < kNumBases) x(c, s * len + l) = 1.0f;
    }
  }
  return x;
}

std::vector<std::vector<std::uint8_t>> from_one_hot(const Mat& x, int n_seqs, int seq_len) {
  LB_CHECK(x.rows() == kNumBases && x.cols() == static_cast<Eigen::Index>(n_seqs) * seq_len,
           "from_one_hot: got ({} x {}), expected (4 x {})", x.rows(), x.cols(),
           static_cast<long>(n_seqs) * seq_len);
  std::vector<std::vector<std::uint8_t>> out(static_cast<std::size_t>(n_seqs),
                                             std::vector<std::uint8_t>(static_cast<std::size_t>(seq_len)));
  for (int s = 0; s < n_seqs; ++s) {
    for (int l = 0; l < seq_len; ++l) {
      const Eigen::Index col = static_cast<Eigen::Index>(s) * seq_len + l;
      int hot = -1, n_hot = 0;
      for (int c = 0; c < kNumBases; ++c) {
        const float v = x(c, col);
        if (v == 1.0f) { hot = c; ++n_hot; }
        else LB_CHECK(v == 0.0f, "from_one_hot: sequence {} position {} channel {} is {}", s, l, c, v);
      }
      LB_CHECK(n_hot <= 1, "from_one_hot: sequence {} position {} has {} hot channels", s, l, n_hot);
      out[static_cast<std::size_t>(s)][static_cast<std::size_t>(l)] =
          hot < 0 ? kBaseN : static_cast<std::uint8_t>(hot);
    }
  }
  return out;
}

}  // namespace lb
