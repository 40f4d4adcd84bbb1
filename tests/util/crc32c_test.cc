// CRC32C against the RFC 3720 (iSCSI) B.4 vectors, on both code paths.
#include "util/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace duet::crc32c {
namespace {

using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);

struct Path {
  const char* name;
  ExtendFn extend;
};

class Crc32cTest : public ::testing::TestWithParam<Path> {
 protected:
  uint32_t Of(const std::string& s) { return GetParam().extend(0, s.data(), s.size()); }
};

TEST_P(Crc32cTest, ThirtyTwoZeroBytes) { EXPECT_EQ(Of(std::string(32, '\0')), 0x8a9136aau); }

TEST_P(Crc32cTest, ThirtyTwoOnesBytes) { EXPECT_EQ(Of(std::string(32, '\xff')), 0x62a8ab43u); }

TEST_P(Crc32cTest, AscendingBytes) {
  std::string s(32, '\0');
  for (int i = 0; i < 32; ++i) s[i] = static_cast<char>(i);
  EXPECT_EQ(Of(s), 0x46dd794eu);
}

TEST_P(Crc32cTest, DescendingBytes) {
  std::string s(32, '\0');
  for (int i = 0; i < 32; ++i) s[i] = static_cast<char>(31 - i);
  EXPECT_EQ(Of(s), 0x113fdb5cu);
}

TEST_P(Crc32cTest, CheckString) { EXPECT_EQ(Of("123456789"), 0xe3069283u); }

TEST_P(Crc32cTest, EmptyIsZero) { EXPECT_EQ(Of(""), 0u); }

TEST_P(Crc32cTest, ExtendEqualsValueOfConcatenation) {
  const std::string a = "hello ", b = "world, and some more bytes to cross eight";
  const uint32_t whole = Of(a + b);
  EXPECT_EQ(GetParam().extend(GetParam().extend(0, a.data(), a.size()), b.data(), b.size()), whole);
}

TEST_P(Crc32cTest, MatchesTheOtherPathAtEveryLengthAndAlignment) {
  std::mt19937 rng(1234);
  std::string buf(600, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t start = 0; start < 9; ++start) {
    for (size_t n = 0; n + start <= buf.size(); n += 7) {
      ASSERT_EQ(GetParam().extend(0, buf.data() + start, n),
                ExtendPortableForTest(0, buf.data() + start, n))
          << "start " << start << " n " << n;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, Crc32cTest,
                         ::testing::Values(Path{"Dispatched", &Extend},
                                           Path{"Portable", &ExtendPortableForTest}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Crc32cMaskTest, MaskRoundTripsAndChangesTheValue) {
  const uint32_t crc = Value("foo", 3);
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

TEST(Crc32cDispatchTest, UsesHardwareWhenTheCpuHasSse42) {
#if defined(__x86_64__)
  EXPECT_EQ(HardwareAccelerated(), __builtin_cpu_supports("sse4.2") != 0);
#else
  EXPECT_FALSE(HardwareAccelerated());
#endif
}

}  // namespace
}  // namespace duet::crc32c
