#include "follow/event_json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace duet::follow {
namespace {

RecordedEvent Sample() {
  RecordedEvent e;
  e.stream = "account-1";
  e.version = StreamVersion(3);
  e.position = GlobalPosition(42);
  e.timestamp_us = 1'700'000'000'123'456;
  e.id = EventId::Random();
  e.type = "AccountOpened";
  e.data = R"({"owner":"ann","cents":100})";
  e.metadata = R"({"correlation_id":"c1"})";
  return e;
}

TEST(EventJsonTest, RoundTripsJsonPayloads) {
  const RecordedEvent e = Sample();
  Result<RecordedEvent> back = EventFromJsonText(EventToJson(e));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->stream, e.stream);
  EXPECT_EQ(back->version, e.version);
  EXPECT_EQ(back->position, e.position);
  EXPECT_EQ(back->timestamp_us, e.timestamp_us);
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->type, e.type);
  EXPECT_EQ(back->data, e.data);
  EXPECT_EQ(back->metadata, e.metadata);
}

TEST(EventJsonTest, NonJsonAndEmptyPayloadsRoundTrip) {
  RecordedEvent e = Sample();
  e.data = "not json \x01 {";
  e.metadata = "";
  Result<RecordedEvent> back = EventFromJsonText(EventToJson(e));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->data, e.data);
  EXPECT_EQ(back->metadata, "");
}

// The feed and `duet read` show numbers as people write them; the
// follower reads back the same doubles.
TEST(EventJsonTest, DoublesArePlainDecimalAndReadBackTheSame) {
  RecordedEvent e = Sample();
  e.data = R"({"rate":9.924513244171866E-1,"tiny":1E-7})";
  const std::string text = EventToJson(e);
  EXPECT_NE(text.find(R"("rate":0.9924513244171866)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("tiny":0.0000001)"), std::string::npos) << text;
  Result<RecordedEvent> back = EventFromJsonText(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(boost::json::parse(back->data), boost::json::parse(e.data));
}

TEST(EventJsonTest, RejectsMissingOrMistypedFields) {
  EXPECT_TRUE(EventFromJsonText("[]").status().IsCorruption());
  EXPECT_TRUE(EventFromJsonText("{").status().IsCorruption());
  const std::string good = EventToJson(Sample());
  for (const char* field : {"position", "stream", "version", "timestamp_us", "id", "type"}) {
    std::string bad = good;
    const size_t at = bad.find(std::string("\"") + field + "\"");
    ASSERT_NE(at, std::string::npos);
    bad.replace(at + 1, 1, "x");  // renames the field: now missing
    Status s = EventFromJsonText(bad).status();
    EXPECT_TRUE(s.IsCorruption()) << field;
    EXPECT_NE(s.message().find(field), std::string::npos) << s;
  }
}

TEST(EventJsonTest, RejectsBadValues) {
  EXPECT_TRUE(EventFromJsonText(R"({"position":0,"stream":"s","version":0,"timestamp_us":1,)"
                                R"("id":"00000000-0000-4000-8000-000000000001","type":"T"})")
                  .status()
                  .IsCorruption());
  EXPECT_TRUE(EventFromJsonText(R"({"position":1,"stream":"s","version":-1,"timestamp_us":1,)"
                                R"("id":"00000000-0000-4000-8000-000000000001","type":"T"})")
                  .status()
                  .IsCorruption());
  EXPECT_TRUE(EventFromJsonText(R"({"position":1,"stream":"s","version":0,"timestamp_us":1,)"
                                R"("id":"nope","type":"T"})")
                  .status()
                  .IsCorruption());
}

}  // namespace
}  // namespace duet::follow
