// NumPy .npy encoding/decoding and .npz archives through libzip. No memory mapping, no
// big-endian or Fortran-order arrays, no object or structured dtypes.
//
// .npy layout (numpy/lib/format.py): "\x93NUMPY", major, minor, header length (uint16 LE for
// 1.0, uint32 LE for 2.0/3.0), then the repr of a dict
//   {'descr': '<f4', 'fortran_order': False, 'shape': (50, 4, 11), }
// padded with spaces and a final '\n' so that the data starts at a multiple of 64 bytes.
#include "io/npz.h"

#include <zip.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <set>

#include "core/error.h"
#include "io/atomic_file.h"

namespace lb::io {

static_assert(std::endian::native == std::endian::little, "npz: raw little-endian copies assume a little-endian host");

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::size_t kAlign = 64;  // numpy's ARRAY_ALIGN
constexpr std::string_view kSupported = "one of '<f4', '<f8', '<i4', '<i8', '|u1', '|b1', '<U<n>'";

enum class Kind { F4, F8, I4, I8, U1, B1, Unicode };

struct DType {
  Kind kind;
  std::size_t itemsize;
};

// Parses a descr; nullopt for anything unsupported (big-endian is reported by the caller).
std::optional<DType> parse_dtype(std::string_view d) {
  if (d.size() < 3) return std::nullopt;
  const char order = d[0];
  const std::string_view t = d.substr(1);
  if (t == "u1" || t == "b1") {  // one byte: any byte-order mark is fine
    if (order != '|' && order != '<' && order != '>' && order != '=') return std::nullopt;
    return DType{t == "u1" ? Kind::U1 : Kind::B1, 1};
  }
  if (order != '<') return std::nullopt;
  if (t == "f4") return DType{Kind::F4, 4};
  if (t == "f8") return DType{Kind::F8, 8};
  if (t == "i4") return DType{Kind::I4, 4};
  if (t == "i8") return DType{Kind::I8, 8};
  if (t[0] == 'U') {
    std::size_t n = 0;
    if (t.size() < 2 || t.size() > 10) return std::nullopt;
    for (const char c : t.substr(1)) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (n == 0) return std::nullopt;  // no element would take any bytes: counts unbounded by the data
    return DType{Kind::Unicode, 4 * n};
  }
  return std::nullopt;
}

// The canonical spelling numpy writes ('|u1', not '<u1').
std::string canonical_dtype(std::string_view d, const DType& t) {
  if (t.kind == Kind::U1) return "|u1";
  if (t.kind == Kind::B1) return "|b1";
  return std::string(d);
}

// Bytes for an error message, as Python would show them: 'PK\x03\x04'.
std::string show_bytes(std::string_view b, std::size_t max_len = 16) {
  std::string s = "'";
  for (std::size_t i = 0; i < b.size() && i < max_len; ++i) {
    const auto c = static_cast<unsigned char>(b[i]);
    if (c == '\'' || c == '\\') s += fmt::format("\\{}", static_cast<char>(c));
    else if (c >= 0x20 && c < 0x7f) s += static_cast<char>(c);
    else s += fmt::format("\\x{:02x}", c);
  }
  return s + (b.size() > max_len ? "...'" : "'");
}

std::string shape_repr(const std::vector<std::int64_t>& shape) {  // Python's repr of a tuple
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// --- header dict: a tiny reader for the Python literals numpy writes ---

class HeaderReader {
 public:
  explicit HeaderReader(std::string_view s) : s_(s) {}
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    skip_ws();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  bool at_end() {
    skip_ws();
    return i_ == s_.size();
  }
  std::optional<std::string> string() {
    skip_ws();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) return std::nullopt;
    const char q = s_[i_++];
    const std::size_t end = s_.find(q, i_);
    if (end == std::string_view::npos) return std::nullopt;
    std::string v(s_.substr(i_, end - i_));
    i_ = end + 1;
    return v;
  }
  std::optional<bool> boolean() {
    skip_ws();
    for (const auto& [word, value] : {std::pair{std::string_view("True"), true}, {std::string_view("False"), false}})
      if (s_.substr(i_, word.size()) == word) return i_ += word.size(), value;
    return std::nullopt;
  }
  std::optional<std::vector<std::int64_t>> tuple() {
    if (!eat('(')) return std::nullopt;
    std::vector<std::int64_t> v;
    bool comma = false;
    while (!eat(')')) {
      skip_ws();
      std::int64_t x = 0;
      std::size_t digits = 0;
      for (; i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; ++i_, ++digits) {
        if (x > (INT64_MAX - 9) / 10) return std::nullopt;
        x = x * 10 + (s_[i_] - '0');
      }
      if (digits == 0) return std::nullopt;
      if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2 longs in old files
      v.push_back(x);
      if (!(comma = eat(','))) {
        if (!eat(')')) return std::nullopt;
        break;
      }
    }
    if (v.size() == 1 && !comma) return std::nullopt;  // (3) is an int, not a tuple
    return v;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
};

std::optional<Header> parse_header(std::string_view text) {
  HeaderReader r(text);
  Header h;
  std::set<std::string> seen;
  if (!r.eat('{')) return std::nullopt;
  while (!r.eat('}')) {
    const auto key = r.string();
    if (!key || !r.eat(':') || !seen.insert(*key).second) return std::nullopt;
    if (*key == "descr") {
      auto d = r.string();
      if (!d) return std::nullopt;
      h.descr = std::move(*d);
    } else if (*key == "fortran_order") {
      const auto b = r.boolean();
      if (!b) return std::nullopt;
      h.fortran_order = *b;
    } else if (*key == "shape") {
      auto s = r.tuple();
      if (!s) return std::nullopt;
      h.shape = std::move(*s);
    } else {
      return std::nullopt;
    }
    if (!r.eat(',')) {
      if (!r.eat('}')) return std::nullopt;
      break;
    }
  }
  if (!r.at_end() || seen.size() != 3) return std::nullopt;
  return h;
}

// --- UTF-8 <-> UTF-32 for '<U' arrays ---

std::vector<char32_t> utf8_to_code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1fu) : n == 3 ? (c & 0x0fu) : (c & 0x07u);
    bool ok = n > 0 && i + n <= s.size();
    for (std::size_t k = 1; ok && k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc >> 6) == 0x2;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    if (ok && n > 1 && (cp < (n == 2 ? 0x80u : n == 3 ? 0x800u : 0x10000u) || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)))
      ok = false;
    if (!ok) cp = c;  // an invalid byte stands for itself
    out.push_back(cp);
    i += ok ? n : 1;
  }
  return out;
}

void append_utf8(std::string& s, char32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xc0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xe0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    s += static_cast<char>(0xf0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
NpyArray from_values(std::string dtype, std::vector<std::int64_t> shape, std::span<const T> values) {
  NpyArray a{std::move(dtype), std::move(shape), {}};
  LB_CHECK(static_cast<std::int64_t>(values.size()) == a.size(), "NpyArray: {} values for shape {}", values.size(),
           a.shape_str());
  a.bytes.resize(values.size_bytes());
  if (!values.empty()) std::memcpy(a.bytes.data(), values.data(), values.size_bytes());
  return a;
}

// Every element converted to Out; `allow_float` = false accepts integer and bool dtypes only.
template <class Out>
std::vector<Out> convert(const NpyArray& a, std::string_view where, bool allow_float, std::string_view expected) {
  const auto t = parse_dtype(a.dtype);
  if (!t || t->kind == Kind::Unicode || (!allow_float && (t->kind == Kind::F4 || t->kind == Kind::F8)))
    throw input_error(where, 0, "wrong dtype", expected, quote_token(a.dtype));
  const std::size_t n = a.bytes.size() / t->itemsize;
  LB_CHECK(n * t->itemsize == a.bytes.size() && static_cast<std::int64_t>(n) == a.size(),
           "NpyArray: {} bytes for shape {} of '{}'", a.bytes.size(), a.shape_str(), a.dtype);
  std::vector<Out> out(n);
  const char* p = a.bytes.data();
  for (std::size_t i = 0; i < n; ++i, p += t->itemsize) {
    switch (t->kind) {
      case Kind::F4: out[i] = static_cast<Out>(load<float>(p)); break;
      case Kind::F8: out[i] = static_cast<Out>(load<double>(p)); break;
      case Kind::I4: out[i] = static_cast<Out>(load<std::int32_t>(p)); break;
      case Kind::I8: out[i] = static_cast<Out>(load<std::int64_t>(p)); break;
      case Kind::U1: out[i] = static_cast<Out>(load<std::uint8_t>(p)); break;
      case Kind::B1: out[i] = static_cast<Out>(load<std::uint8_t>(p) != 0); break;
      case Kind::Unicode: break;
    }
  }
  return out;
}

// --- libzip plumbing ---

std::string zip_message(zip_error_t* e) {
  std::string s = zip_error_strerror(e);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && !(s.size() > 1 && s[1] >= 'A' && s[1] <= 'Z'))
    s[0] = static_cast<char>(s[0] - 'A' + 'a');  // "Not a zip archive" -> "not a zip archive", keep "CRC error"
  return s;
}

std::string zip_message(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string s = zip_message(&e);
  zip_error_fini(&e);
  return s;
}

bool is_system_error(int code) {
  return code == ZIP_ER_OPEN || code == ZIP_ER_READ || code == ZIP_ER_SEEK || code == ZIP_ER_NOENT ||
         code == ZIP_ER_MEMORY || code == ZIP_ER_TELL || code == ZIP_ER_WRITE || code == ZIP_ER_CLOSE;
}

// A member's declared sizes against the bytes present: numpy writes stored and deflated members
// only; a stored member holds its size in the file, a deflated one expands at most 1032:1.
void check_member_size(const zip_stat_t& st, long file_size, const std::string& where) {
  if (!(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_COMP_METHOD))
    throw input_error(where, 0, "corrupt member", "a zip entry with its compressed size and method", "neither");
  const auto present = static_cast<std::uint64_t>(std::max(file_size, 0L));
  if (st.comp_size > present)
    throw input_error(where, 0, "corrupt member", fmt::format("at most {} compressed bytes (the file's size)", present),
                      fmt::format("{} bytes", st.comp_size));
  if (st.comp_method == ZIP_CM_STORE) {
    if (st.size != st.comp_size)
      throw input_error(where, 0, "corrupt member",
                        fmt::format("{} bytes (the stored size)", st.comp_size), fmt::format("{} bytes", st.size));
  } else if (st.comp_method == ZIP_CM_DEFLATE) {
    constexpr std::uint64_t kMaxRatio = 1032;  // deflate's ceiling: 258 bytes per 2 bits
    if (st.size > kMaxRatio * st.comp_size + 1024)
      throw input_error(where, 0, "impossible size",
                        fmt::format("at most {} times the {} compressed bytes (deflate's limit)", kMaxRatio, st.comp_size),
                        fmt::format("{} bytes", st.size));
  } else {
    throw input_error(where, 0, "unsupported compression method",
                      "stored or deflated members (numpy.savez, numpy.savez_compressed)",
                      fmt::format("method {}", st.comp_method));
  }
}

struct ZipCloser {
  zip_t* z;
  ~ZipCloser() {
    if (z) zip_discard(z);
  }
};

}  // namespace

// --- NpyArray ---

std::int64_t NpyArray::size() const {
  std::int64_t n = 1;
  for (const auto d : shape)
    LB_CHECK(d >= 0 && !__builtin_mul_overflow(n, d, &n), "NpyArray: shape {} has no 64-bit element count", shape_str());
  return n;
}

std::string NpyArray::shape_str() const {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += fmt::format("{}{}", i ? "," : "", shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

NpyArray NpyArray::from_f32(std::vector<std::int64_t> shape, std::span<const float> values) {
  return from_values("<f4", std::move(shape), values);
}
NpyArray NpyArray::from_f64(std::vector<std::int64_t> shape, std::span<const double> values) {
  return from_values("<f8", std::move(shape), values);
}
NpyArray NpyArray::from_i64(std::vector<std::int64_t> shape, std::span<const std::int64_t> values) {
  return from_values("<i8", std::move(shape), values);
}

NpyArray NpyArray::from_strings(std::vector<std::int64_t> shape, std::span<const std::string> values) {
  std::vector<std::vector<char32_t>> cps;
  std::size_t width = 1;  // numpy's smallest string dtype is '<U1'
  for (const auto& v : values) width = std::max(width, cps.emplace_back(utf8_to_code_points(v)).size());
  std::vector<char32_t> flat(width * values.size(), U'\0');
  for (std::size_t i = 0; i < cps.size(); ++i) std::copy(cps[i].begin(), cps[i].end(), flat.begin() + static_cast<std::ptrdiff_t>(i * width));
  NpyArray a{fmt::format("<U{}", width), std::move(shape), {}};
  LB_CHECK(static_cast<std::int64_t>(values.size()) == a.size(), "NpyArray: {} strings for shape {}", values.size(),
           a.shape_str());
  a.bytes.resize(flat.size() * 4);
  if (!flat.empty()) std::memcpy(a.bytes.data(), flat.data(), a.bytes.size());
  return a;
}

NpyArray NpyArray::from_string(const std::string& value) {
  return from_strings({}, std::span<const std::string>(&value, 1));
}

std::vector<float> NpyArray::to_f32(std::string_view where) const {
  return convert<float>(*this, where, true, "a numeric array ('<f4', '<f8', '<i4', '<i8', '|u1' or '|b1')");
}
std::vector<double> NpyArray::to_f64(std::string_view where) const {
  return convert<double>(*this, where, true, "a numeric array ('<f4', '<f8', '<i4', '<i8', '|u1' or '|b1')");
}
std::vector<std::int64_t> NpyArray::to_i64(std::string_view where) const {
  return convert<std::int64_t>(*this, where, false, "an integer array ('<i4', '<i8', '|u1' or '|b1')");
}

std::vector<std::string> NpyArray::to_strings(std::string_view where) const {
  const auto t = parse_dtype(dtype);
  if (!t || t->kind != Kind::Unicode)
    throw input_error(where, 0, "wrong dtype", "a string array ('<U<n>')", quote_token(dtype));
  const std::size_t width = t->itemsize / 4, n = static_cast<std::size_t>(size());
  LB_CHECK(bytes.size() == n * t->itemsize, "NpyArray: {} bytes for shape {} of '{}'", bytes.size(), shape_str(), dtype);
  std::vector<std::string> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t len = width;
    while (len > 0 && load<char32_t>(bytes.data() + (i * width + len - 1) * 4) == 0) --len;  // numpy strips trailing NULs
    for (std::size_t k = 0; k < len; ++k) {
      const auto cp = load<char32_t>(bytes.data() + (i * width + k) * 4);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
        throw input_error(where, 0, fmt::format("invalid character in string {}", i), "a Unicode code point",
                          fmt::format("0x{:x}", static_cast<std::uint32_t>(cp)));
      append_utf8(out[i], cp);
    }
  }
  return out;
}

// --- .npy ---

std::size_t npy_itemsize(const std::string& dtype) {
  const auto t = parse_dtype(dtype);
  LB_CHECK(t.has_value(), "npy_itemsize: unsupported dtype '{}'", dtype);
  return t->itemsize;
}

std::string npy_header(const std::string& dtype, const std::vector<std::int64_t>& shape) {
  const auto t = parse_dtype(dtype);
  LB_CHECK(t.has_value(), "npy_header: unsupported dtype '{}'", dtype);
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 canonical_dtype(dtype, *t), shape_repr(shape));
  // Version 1.0 has a 2-byte header length; 2.0 (4 bytes) only when that overflows.
  const bool v2 = 10 + dict.size() + kAlign >= 65536;
  const std::size_t prefix = v2 ? 12 : 10;
  const std::size_t total = (prefix + dict.size() + 1 + kAlign - 1) / kAlign * kAlign;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(kMagic);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  const auto hlen = static_cast<std::uint32_t>(dict.size());
  for (std::size_t k = 0; k < (v2 ? 4u : 2u); ++k) out += static_cast<char>((hlen >> (8 * k)) & 0xff);
  out += dict;
  return out;
}

std::string encode_npy(const NpyArray& a) {
  const std::size_t itemsize = npy_itemsize(a.dtype);
  for (const auto d : a.shape) LB_CHECK(d >= 0, "encode_npy: negative dimension in shape {}", a.shape_str());
  LB_CHECK(a.bytes.size() == static_cast<std::size_t>(a.size()) * itemsize,
           "encode_npy: {} bytes for shape {} of '{}'", a.bytes.size(), a.shape_str(), a.dtype);
  std::string out = npy_header(a.dtype, a.shape);
  out.append(a.bytes.data(), a.bytes.size());
  return out;
}

namespace {
NpyArray decode_npy_impl(std::string_view bytes, std::string_view where, bool copy, std::size_t* data_offset);
}  // namespace

NpyArray decode_npy(std::string_view bytes, std::string_view where) {
  return decode_npy_impl(bytes, where, true, nullptr);
}

NpyArray decode_npy_header(std::string_view bytes, std::string_view where, std::size_t* data_offset) {
  return decode_npy_impl(bytes, where, false, data_offset);
}

namespace {
NpyArray decode_npy_impl(std::string_view bytes, std::string_view where, bool copy, std::size_t* data_offset) {
  if (bytes.substr(0, kMagic.size()) != kMagic)
    throw input_error(where, 0, "not a .npy array", fmt::format("the magic string {}", show_bytes(kMagic)),
                      bytes.empty() ? std::string("an empty member") : show_bytes(bytes.substr(0, 8)));
  if (bytes.size() < 10)
    throw input_error(where, 0, "truncated .npy header", "at least 10 bytes", std::to_string(bytes.size()));
  const auto major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    throw input_error(where, 0, "unsupported .npy format version", "1.0, 2.0 or 3.0", fmt::format("{}.{}", major, minor));
  const std::size_t prefix = major == 1 ? 10 : 12;
  if (bytes.size() < prefix)
    throw input_error(where, 0, "truncated .npy header", fmt::format("at least {} bytes", prefix), std::to_string(bytes.size()));
  std::size_t hlen = 0;
  for (std::size_t k = prefix - 8; k-- > 0;) hlen = (hlen << 8) | static_cast<unsigned char>(bytes[8 + k]);
  if (bytes.size() - prefix < hlen)
    throw input_error(where, 0, "truncated .npy header", fmt::format("{} header bytes", hlen),
                      std::to_string(bytes.size() - prefix));
  const std::string_view text = bytes.substr(prefix, hlen);
  const auto h = parse_header(text);
  if (!h)
    throw input_error(where, 0, "malformed .npy header",
                      "a dict like {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                      quote_token(text.substr(0, text.find_last_not_of(" \n") + 1), 100));
  const auto t = parse_dtype(h->descr);
  if (!t) {
    std::string little = h->descr;
    if (!little.empty() && little[0] == '>') little[0] = '<';
    if (little != h->descr && parse_dtype(little))
      throw input_error(where, 0, "unsupported big-endian dtype",
                        fmt::format("little-endian '{}' (numpy: a.astype('{}'))", little, little),
                        quote_token(h->descr));
    if (h->descr.size() > 2 && h->descr.starts_with("<U") && h->descr.find_first_not_of('0', 2) == std::string::npos)
      throw input_error(where, 0, "unsupported dtype", "'<U<n>' with n >= 1 (numpy writes at least '<U1')",
                        quote_token(h->descr));
    throw input_error(where, 0, "unsupported dtype", kSupported, quote_token(h->descr));
  }
  if (h->fortran_order)
    throw input_error(where, 0, "unsupported Fortran-order array",
                      "fortran_order False (numpy: np.ascontiguousarray(a))", "True");
  // numpy's own limit: the byte count with zero dimensions left out fits in a signed 64-bit
  // int (so the element count of any shape it accepts is a valid int64, even with a 0 in it).
  NpyArray a{canonical_dtype(h->descr, *t), h->shape, {}};
  std::int64_t nonzero = static_cast<std::int64_t>(t->itemsize);
  for (const auto d : h->shape)
    if (d != 0 && __builtin_mul_overflow(nonzero, d, &nonzero))
      throw input_error(where, 0, "array too large", fmt::format("at most {} bytes (numpy's limit)", INT64_MAX),
                        fmt::format("shape {} of '{}'", a.shape_str(), a.dtype));
  const auto need = static_cast<std::size_t>(a.size()) * t->itemsize;
  const std::size_t have = bytes.size() - prefix - hlen;
  if (have != need)
    throw input_error(where, 0, "data size disagrees with the header",
                      fmt::format("{} bytes for shape {} of '{}'", need, a.shape_str(), a.dtype), fmt::format("{} bytes", have));
  if (copy) a.bytes.assign(bytes.data() + prefix + hlen, bytes.data() + bytes.size());
  if (data_offset) *data_offset = prefix + hlen;
  return a;
}
}  // namespace

// --- .npz ---

void write_npz(const std::string& path, const NpzArchive& arrays, bool compress, const std::string& comment) {
  LB_CHECK(comment.size() <= 0xffff, "write_npz: a comment of {} bytes for {} (the zip limit is 65535)", comment.size(),
           path);
  std::vector<std::string> encoded;  // must outlive zip_close: the sources point into these
  encoded.reserve(arrays.size());
  std::set<std::string_view> names;
  for (const auto& [name, a] : arrays) {
    LB_CHECK(names.insert(name).second, "write_npz: array '{}' twice in {}", name, path);
    encoded.push_back(encode_npy(a));
  }
  if (arrays.empty()) {  // libzip writes no file for an empty archive; numpy.savez() writes the end record only
    std::string eocd = std::string("PK\x05\x06", 4) + std::string(16, '\0');
    eocd += static_cast<char>(comment.size() & 0xff);
    eocd += static_cast<char>(comment.size() >> 8);
    write_file_atomic(path, eocd + comment);
    return;
  }
  AtomicFile out(path);  // created exclusively; libzip reopens it by name
  out.close_stream();
  const std::string& tmp = out.temp_path();
  int code = 0;
  ZipCloser zc{zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code)};
  if (!zc.z) throw IoError(fmt::format("{}: cannot create: {}", path, zip_message(code)));
  const auto fail = [&](zip_error_t* e) {
    const std::string msg = zip_message(e);
    zip_discard(zc.z);
    zc.z = nullptr;
    return IoError(fmt::format("{}: cannot write: {}", path, msg));
  };
  // Fixed member times (1980-01-01, as numpy.savez writes): identical inputs give identical bytes.
  std::tm tm{};
  tm.tm_year = 80;
  tm.tm_mday = 1;
  tm.tm_isdst = -1;
  const std::time_t mtime = std::mktime(&tm);
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    zip_source_t* src = zip_source_buffer(zc.z, encoded[i].data(), encoded[i].size(), 0);
    if (!src) throw fail(zip_get_error(zc.z));
    const std::string member = arrays[i].first + ".npy";
    const zip_int64_t idx = zip_file_add(zc.z, member.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(src);
      throw fail(zip_get_error(zc.z));
    }
    const auto u = static_cast<zip_uint64_t>(idx);
    if (zip_set_file_compression(zc.z, u, compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0) < 0 ||
        zip_file_set_mtime(zc.z, u, mtime, 0) < 0)
      throw fail(zip_get_error(zc.z));
  }
  if (!comment.empty() && zip_set_archive_comment(zc.z, comment.data(), static_cast<zip_uint16_t>(comment.size())) < 0)
    throw fail(zip_get_error(zc.z));
  if (zip_close(zc.z) < 0) throw fail(zip_get_error(zc.z));
  zc.z = nullptr;
  out.commit();
}

std::string read_npz_comment(const std::string& path) {
  errno = 0;
  std::FILE* fp = std::fopen(path.c_str(), "rb");
  if (!fp) throw io_error(path, "cannot open", errno ? errno : EIO);
  std::fclose(fp);
  int code = 0;
  ZipCloser zc{zip_open(path.c_str(), ZIP_RDONLY, &code)};
  if (!zc.z) {
    if (is_system_error(code)) throw IoError(fmt::format("{}: cannot read: {}", path, zip_message(code)));
    if (code == ZIP_ER_NOZIP) throw input_error(path, 0, "not a zip archive", "an .npz file (numpy.savez)", "no zip directory");
    throw input_error(path, 0, "corrupt zip archive", "an .npz file (numpy.savez)", zip_message(code));
  }
  int len = 0;
  const char* c = zip_get_archive_comment(zc.z, &len, ZIP_FL_ENC_RAW);
  return c && len > 0 ? std::string(c, static_cast<std::size_t>(len)) : std::string();
}

NpzArchive read_npz(const std::string& path) {
  // Open it ourselves first, for the system's reason (missing file, permissions) as an IoError.
  errno = 0;
  std::FILE* fp = std::fopen(path.c_str(), "rb");
  if (!fp) throw io_error(path, "cannot open", errno ? errno : EIO);
  std::fseek(fp, 0, SEEK_END);
  const long file_size = std::ftell(fp);
  std::fclose(fp);

  int code = 0;
  ZipCloser zc{zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code)};
  if (!zc.z) {
    if (is_system_error(code)) throw IoError(fmt::format("{}: cannot read: {}", path, zip_message(code)));
    if (code == ZIP_ER_NOZIP)
      throw input_error(path, 0, "not a zip archive", "an .npz file (numpy.savez)",
                        file_size <= 0 ? std::string("an empty file")
                                       : fmt::format("{} bytes without a zip directory (truncated?)", file_size));
    throw input_error(path, 0, "corrupt zip archive", "an .npz file (numpy.savez)", zip_message(code));
  }
  const zip_int64_t n = zip_get_num_entries(zc.z, 0);
  NpzArchive out;
  for (zip_int64_t i = 0; i < n; ++i) {
    const auto u = static_cast<zip_uint64_t>(i);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zc.z, u, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE))
      throw input_error(path, 0, fmt::format("corrupt zip entry {}", i), "an .npz file", zip_message(zip_get_error(zc.z)));
    const std::string member = st.name;
    const std::string where = fmt::format("{}: member {}", path, quote_token(member, 80));
    if (member.size() < 4 || member.compare(member.size() - 4, 4, ".npy") != 0)
      throw input_error(where, 0, "not an .npy array", "only '<name>.npy' members in an .npz file",
                        quote_token(member, 60));
    check_member_size(st, file_size, where);
    zip_file_t* f = zip_fopen_index(zc.z, u, 0);
    if (!f) throw input_error(where, 0, "cannot read member", "a readable zip member", zip_message(zip_get_error(zc.z)));
    // Read in chunks rather than allocating the declared size up front: memory follows the
    // bytes that actually decompress, whatever the header says.
    const auto declared = static_cast<std::size_t>(st.size);
    std::string data;
    data.reserve(std::min<std::size_t>(declared, std::size_t{1} << 26));
    std::size_t got = 0;
    zip_int64_t r = 0;
    while (got < declared) {
      data.resize(got + std::min<std::size_t>(declared - got, std::size_t{1} << 20));
      if ((r = zip_fread(f, data.data() + got, data.size() - got)) <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    data.resize(got);
    char probe;
    if (r >= 0 && got == declared) r = zip_fread(f, &probe, 1);  // reach EOF: libzip checks the CRC there
    const std::string err = r < 0 ? zip_message(zip_file_get_error(f)) : "";
    zip_fclose(f);
    if (r < 0) throw input_error(where, 0, "corrupt member", "intact zip data", err);
    if (got != declared || r > 0)
      throw input_error(where, 0, "corrupt member", fmt::format("{} bytes", declared), fmt::format("{}", got + (r > 0 ? 1u : 0u)));
    out.emplace_back(member.substr(0, member.size() - 4), decode_npy(data, where));
  }
  return out;
}

bool is_scores_metadata(std::string_view name) {
  for (const std::string_view m : {"ids", "onehot", "inputs", "tasks", "targets", "chrom", "start"})
    if (name == m) return true;
  return false;
}

bool is_per_task_member(std::string_view name) { return name == "tasks" || name == "targets"; }

const NpyArray& find_array(const NpzArchive& archive, const std::string& name, const std::string& path) {
  for (const auto& [n, a] : archive)
    if (n == name) return a;
  std::string names;
  for (std::size_t i = 0; i < archive.size() && i < 20; ++i) names += fmt::format("{}{}", i ? ", " : "", quote_token(archive[i].first));
  if (archive.size() > 20) names += fmt::format(", ... ({} arrays)", archive.size());
  throw input_error(path, 0, fmt::format("missing array '{}'", name), fmt::format("an array named '{}'", name),
                    archive.empty() ? std::string("an empty archive") : names);
}

}  // namespace lb::io
