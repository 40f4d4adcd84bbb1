// The decider example of README.md, compiled and run: the doc's
// code block must be tests/domain/counter_example.h verbatim.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "duet/embedded_store.h"
#include "tests/domain/counter_example.h"
#include "tests/support/temp_dir.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DeciderExampleTest, DocShowsTheCompiledCode) {
  const std::string doc = ReadFile(std::string(DUET_SOURCE_DIR) + "/README.md");
  const std::string code =
      ReadFile(std::string(DUET_SOURCE_DIR) + "/tests/domain/counter_example.h");
  ASSERT_FALSE(code.empty());
  EXPECT_NE(doc.find("```cpp\n" + code + "```"), std::string::npos)
      << "README.md drifted from tests/domain/counter_example.h";
}

TEST(DeciderExampleTest, RunsAsTheDocSays) {
  duet::testing::TempDir dir;
  duet::StoreOptions store_options;
  store_options.durability.mode = duet::Durability::Mode::kNone;
  auto store = duet::EmbeddedStore::Open(dir / "data", store_options).value();
  duet::Repository repository(store.get(), {.snapshot_dir = dir / "data" / "snapshots"});
  duet::CommandBus bus(&repository);
  ASSERT_TRUE(counter::Register(bus).ok());

  auto first = bus.Dispatch(counter::Increment{"c1", 5});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->stream, "counter-c1");
  EXPECT_EQ(first->version, duet::StreamVersion(0));
  auto second = bus.Dispatch("Increment", R"({"counter":"c1","by":2})", {.command_id = "req-1"});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, duet::StreamVersion(1));
  auto full = bus.Dispatch(counter::Increment{"c1", 994});
  EXPECT_EQ(full.status().subject(), "max-1000");
  EXPECT_EQ(repository.Load(counter::kCounter, "c1")->state.value, 7);
}

}  // namespace
