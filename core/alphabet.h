// The DNA alphabet: base codes, complements and one-hot encoding in A,C,G,T channel order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace lb {

inline constexpr int kNumBases = 4;          // A, C, G, T
inline constexpr std::uint8_t kBaseN = 4;    // code of N (unknown): an all-zero one-hot column
inline constexpr std::uint8_t kBadBase = 255;
inline constexpr char kBases[] = "ACGTN";

/// Code of a base letter: A/a=0, C/c=1, G/g=2, T/t=3, N/n=4, anything else kBadBase.
std::uint8_t base_code(char c);

/// Codes of a sequence. Throws InputError "where: unexpected character 'X' at position P;
/// expected one of ACGTN, got 'X'" on any other letter (`where` names the file and record).
std::vector<std::uint8_t> encode_bases(std::string_view seq, std::string_view where_prefix);

/// Letters of codes (0..4 -> "ACGTN").
std::string decode_bases(const std::vector<std::uint8_t>& codes);

/// Reverse complement of an ACGTN string (case preserved, N stays N).
std::string reverse_complement(std::string_view seq);

/// One-hot batch (4 x N*L) of N equal-length sequences of codes; N gives a zero column.
Mat one_hot(const std::vector<std::vector<std::uint8_t>>& seqs);

/// Codes back from a one-hot batch (4 x N*L): argmax of each column, an all-zero column -> N.
/// Throws lb::Error if a column is neither one-hot nor all zero.
std::vector<std::vector<std::uint8_t>> from_one_hot(const Mat& x, int n_seqs, int seq_len);

}  // namespace lb
