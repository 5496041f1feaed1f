// NumPy .npy arrays and .npz archives (a zip of .npy members, written with libzip), so that
// every array liftbench writes loads with numpy.load and every PyTorch state_dict saved with
// numpy.savez loads here. Only C-order, little-endian arrays.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lb::io {

/// One array: NumPy dtype descr, shape and raw little-endian C-order bytes.
struct NpyArray {
  std::string dtype;                  // "<f4", "<f8", "<i4", "<i8", "|u1", "|b1", "<U<n>" (UTF-32, n chars)
  std::vector<std::int64_t> shape;    // empty = 0-d scalar
  std::vector<char> bytes;

  std::int64_t size() const;          // product of shape (1 for 0-d)
  /// "(50,4,11)" — as numpy prints a shape ("(3,)" for 1-d, "()" for 0-d).
  std::string shape_str() const;

  static NpyArray from_f32(std::vector<std::int64_t> shape, std::span<const float> values);
  static NpyArray from_f64(std::vector<std::int64_t> shape, std::span<const double> values);
  static NpyArray from_i64(std::vector<std::int64_t> shape, std::span<const std::int64_t> values);
  /// Strings as "<U<max length in code points>" (at least "<U1", like numpy): UTF-8 decoded to
  /// UTF-32 code points; a byte that is not valid UTF-8 is stored as its own code point.
  static NpyArray from_strings(std::vector<std::int64_t> shape, std::span<const std::string> values);
  static NpyArray from_string(const std::string& value);  // 0-d "<U" scalar, like np.array("...")

  /// Values converted to float (from f4, f8, i4, i8, u1, b1); InputError naming `where` otherwise.
  std::vector<float> to_f32(std::string_view where) const;
  std::vector<double> to_f64(std::string_view where) const;
  std::vector<std::int64_t> to_i64(std::string_view where) const;  // integer dtypes only
  std::vector<std::string> to_strings(std::string_view where) const;  // "<U" only, as UTF-8 (trailing NULs cut)
};

/// An archive: member names (without ".npy") in order.
using NpzArchive = std::vector<std::pair<std::string, NpyArray>>;

/// Bytes per element of a dtype this file reads and writes (LB_CHECK on any other).
std::size_t npy_itemsize(const std::string& dtype);
/// The .npy header (magic, version, padded dict) of an array of `dtype` and `shape`: the bytes
/// encode_npy writes before the data.
std::string npy_header(const std::string& dtype, const std::vector<std::int64_t>& shape);

/// The .npy encoding of one array (format version 1.0, or 2.0 when the header needs it).
std::string encode_npy(const NpyArray& a);
/// Parses .npy bytes; InputError "where: ...; expected ..., got ..." on a bad magic, version,
/// header, dtype, fortran_order=True, or a size that disagrees with the shape.
NpyArray decode_npy(std::string_view bytes, std::string_view where);
/// The same checks without copying the data: dtype and shape (bytes left empty), and in
/// *data_offset where the data starts in `bytes`.
NpyArray decode_npy_header(std::string_view bytes, std::string_view where, std::size_t* data_offset);

/// Writes an .npz atomically (stored, or deflated when compress = true, like savez_compressed).
/// Member times are fixed (1980-01-01, as numpy writes them), so equal arrays give equal bytes.
/// IoError "path: cannot write: <libzip reason>"; the temporary file is removed on any error.
/// A non-empty `comment` (at most 65535 bytes) is stored as the zip archive comment, which numpy
/// ignores: model.npz keeps its architecture there, so that its members are a plain PyTorch
/// state_dict.
void write_npz(const std::string& path, const NpzArchive& arrays, bool compress = false,
               const std::string& comment = {});
/// Reads every member. Errors: IoError (missing file), InputError "path: not a zip archive ...",
/// "path: member 'x.npy': ..." for a corrupt member. Non-.npy members are an error.
NpzArchive read_npz(const std::string& path);

/// The zip archive comment of an .npz ("" when there is none); the same errors as read_npz.
std::string read_npz_comment(const std::string& path);

/// The array named `name`, or InputError "path: missing array 'name'; expected ..., got ...".
const NpyArray& find_array(const NpzArchive& archive, const std::string& name, const std::string& path);

/// The members of a scores archive (docs/cli.md, scores.npz) that are not a method's arrays:
/// `ids`, `onehot`, `inputs`, `tasks`, `targets`, `chrom`, `start`.
bool is_scores_metadata(std::string_view name);
/// The members of a scores archive with one value per task rather than per sequence: `tasks`
/// and `targets` (equal across the shards of one run).
bool is_per_task_member(std::string_view name);

}  // namespace lb::io
