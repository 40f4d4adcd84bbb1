#include "follow/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace duet::follow {
namespace {

struct Collected {
  std::vector<SseEvent> events;
  SseParser::Handler Handler() {
    return [this](SseEvent&& e) {
      events.push_back(std::move(e));
      return Status::OK();
    };
  }
};

std::vector<SseEvent> ParseAll(std::string_view text, size_t max = 1 << 20) {
  SseParser parser(max);
  Collected c;
  EXPECT_TRUE(parser.Feed(text, c.Handler()).ok());
  return c.events;
}

TEST(SseParserTest, ParsesIdEventAndData) {
  auto events = ParseAll("id: 7\nevent: event\ndata: {\"a\":1}\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].event, "event");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
}

TEST(SseParserTest, JoinsDataLinesWithNewline) {
  auto events = ParseAll("data: one\ndata:two\ndata\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "one\ntwo\n");
}

TEST(SseParserTest, IgnoresCommentsAndUnknownFields) {
  auto events = ParseAll(": keep-alive\nretry: 10\nfoo: bar\ndata: x\n\n:\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "x");
  EXPECT_EQ(events[0].event, "");
}

TEST(SseParserTest, AcceptsCrLf) {
  auto events = ParseAll("event: head\r\ndata: {\"head\":3}\r\n\r\ndata: b\r\n\r\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "head");
  EXPECT_EQ(events[0].data, "{\"head\":3}");
  EXPECT_EQ(events[1].data, "b");
  EXPECT_EQ(events[1].event, "");  // fields do not leak into the next event
}

TEST(SseParserTest, BlankLineWithoutDataDispatchesNothing) {
  auto events = ParseAll("event: head\n\nid: 3\n\n");
  EXPECT_TRUE(events.empty());
}

TEST(SseParserTest, HoldsAnUnterminatedEvent) {
  auto events = ParseAll("data: a\n");
  EXPECT_TRUE(events.empty());
}

TEST(SseParserTest, RemovesOnlyOneSpaceAfterColon) {
  auto events = ParseAll("data:  two spaces\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, " two spaces");
}

TEST(SseParserTest, SkipsLeadingByteOrderMark) {
  auto events = ParseAll(
      "\xEF\xBB\xBF"
      "data: x\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "x");
}

TEST(SseParserTest, SameEventsWhenSplitAtEveryByteBoundary) {
  const std::string text =
      "\xEF\xBB\xBF: hello\r\nid: 1\nevent: event\ndata: {\"p\":1}\n\n"
      "event: head\r\ndata: {\"head\":1}\r\n\r\nid: 2\ndata: a\ndata: b\n\n";
  const std::vector<SseEvent> whole = ParseAll(text);
  ASSERT_EQ(whole.size(), 3u);
  for (size_t i = 0; i <= text.size(); ++i) {
    for (size_t j = i; j <= text.size(); ++j) {
      SseParser parser;
      Collected c;
      ASSERT_TRUE(parser.Feed(std::string_view(text).substr(0, i), c.Handler()).ok());
      ASSERT_TRUE(parser.Feed(std::string_view(text).substr(i, j - i), c.Handler()).ok());
      ASSERT_TRUE(parser.Feed(std::string_view(text).substr(j), c.Handler()).ok());
      ASSERT_EQ(c.events.size(), whole.size()) << "split at " << i << "," << j;
      for (size_t k = 0; k < whole.size(); ++k) {
        EXPECT_EQ(c.events[k].id, whole[k].id);
        EXPECT_EQ(c.events[k].event, whole[k].event);
        EXPECT_EQ(c.events[k].data, whole[k].data);
      }
    }
  }
}

TEST(SseParserTest, OversizedEventIsCorruptionAndSticks) {
  SseParser parser(16);
  Collected c;
  Status s = parser.Feed("data: 0123456789abcdef\n\n", c.Handler());
  EXPECT_TRUE(s.IsCorruption()) << s;
  EXPECT_TRUE(parser.Feed("data: x\n\n", c.Handler()).IsCorruption());
  EXPECT_TRUE(c.events.empty());
  parser.Reset();
  EXPECT_TRUE(parser.Feed("data: x\n\n", c.Handler()).ok());
  EXPECT_EQ(c.events.size(), 1u);
}

TEST(SseParserTest, OversizedUnterminatedLineIsCorruption) {
  SseParser parser(16);
  Collected c;
  EXPECT_TRUE(parser.Feed("data: 0123456789", c.Handler()).ok());
  EXPECT_TRUE(parser.Feed("abcdef", c.Handler()).IsCorruption());
}

TEST(SseParserTest, SizeLimitCountsPerEvent) {
  SseParser parser(16);
  Collected c;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(parser.Feed("data: 12345\n\n", c.Handler()).ok());
  EXPECT_EQ(c.events.size(), 10u);
}

TEST(SseParserTest, HandlerErrorStopsParsing) {
  SseParser parser;
  int calls = 0;
  Status s = parser.Feed("data: a\n\ndata: b\n\n", [&](SseEvent&&) {
    ++calls;
    return Status::Corruption("bad event");
  });
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace duet::follow
