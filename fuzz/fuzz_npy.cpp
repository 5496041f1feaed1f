// .npy bytes (io/npz.h decode_npy): every conversion of what decodes, and encode_npy of it must
// decode to the same array.
#include "harness.h"
#include "io/npz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = lb::fuzz::as_text(data, size);
  lb::fuzz::run([&] {
    const lb::io::NpyArray a = lb::io::decode_npy(bytes, "fuzz.npy");
    a.shape_str();
    lb::fuzz::run([&] { a.to_f32("fuzz.npy"); });
    lb::fuzz::run([&] { a.to_f64("fuzz.npy"); });
    lb::fuzz::run([&] { a.to_i64("fuzz.npy"); });
    lb::fuzz::run([&] { a.to_strings("fuzz.npy"); });
    const lb::io::NpyArray b = lb::io::decode_npy(lb::io::encode_npy(a), "again.npy");
    if (a.dtype != b.dtype || a.shape != b.shape || a.bytes != b.bytes) lb::fuzz::fail("npy round trip changed the array");
  });
  return 0;
}
