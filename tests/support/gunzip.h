// Gunzip: the bytes a gzip member holds, for tests of compressed answers.
// A stream that does not inflate whole (or holds more than 4 MiB) fails the
// calling test.
#ifndef DUET_TESTS_SUPPORT_GUNZIP_H_
#define DUET_TESTS_SUPPORT_GUNZIP_H_

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <string_view>

namespace duet::testing {

inline std::string Gunzip(std::string_view data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);  // 16: gzip framing
  std::string out(4 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

}  // namespace duet::testing

#endif  // DUET_TESTS_SUPPORT_GUNZIP_H_
