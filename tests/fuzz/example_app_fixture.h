// The store both example domains run on for the fuzz targets fuzz_http and
// fuzz_commands: an App of the example domains (ledger and orders) in a temp directory made
// once per process, with a few aggregates already there (an open account with
// money, a placed order) so that one input can reach the deciders' deeper
// rules. Header-only, because each fuzz target is one source file.
//
// Memory stays bounded: accepted commands grow the log and the stream index,
// so every kInputsPerStore inputs the app is closed, its folder removed and a
// fresh one opened. (An earlier fuzz_http without this grew to 660 MB in four
// minutes.) An input's outcome therefore depends only on the baseline and on
// at most kInputsPerStore earlier inputs; the replay of one kept input starts
// from the baseline.
#ifndef DUET_TESTS_FUZZ_EXAMPLE_APP_FIXTURE_H_
#define DUET_TESTS_FUZZ_EXAMPLE_APP_FIXTURE_H_

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "duet/app.h"
#include "ledger/ledger.h"
#include "orders/orders.h"
#include "tests/fuzz/fuzz_check.h"

namespace duet::fuzz {

class ExampleAppFixture {
 public:
  static constexpr size_t kInputsPerStore = 2000;

  // `read_side`: whether projections and queries run (fuzz_http) or not.
  explicit ExampleAppFixture(bool read_side) : read_side_(read_side) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/duet-fuzz-XXXXXX";
    DUET_FUZZ_CHECK(::mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
    root_ = pattern;
    Open();
  }
  ~ExampleAppFixture() {
    Close();
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  ExampleAppFixture(const ExampleAppFixture&) = delete;
  ExampleAppFixture& operator=(const ExampleAppFixture&) = delete;

  App& app() { return *app_; }

  // Call once per input, before using app(): true when the app was reopened
  // (anything built on the old one must be rebuilt).
  bool NextInput() {
    if (++inputs_ <= kInputsPerStore) return false;
    Close();
    Open();
    return true;
  }

 private:
  void Open() {
    inputs_ = 0;
    ++generation_;
    const std::filesystem::path data = root_ / ("data-" + std::to_string(generation_));
    AppOptions options;
    options.data = data;
    options.read_side = read_side_;
    // No fsync: the targets check logic, not durability, and syncs would
    // cost most of the time.
    options.store.durability.mode = Durability::Mode::kNone;
    Result<std::unique_ptr<App>> app =
        App::Open({examples::ledger::Domain(), examples::orders::Domain()}, std::move(options));
    DUET_FUZZ_CHECK(app.ok(), app.status().ToString().c_str());
    app_ = std::move(*app);
    for (auto [type, json] : kBaseline) {
      Result<CommandResult> done = app_->commands()->Dispatch(type, json);
      DUET_FUZZ_CHECK(done.ok(), done.status().ToString().c_str());
    }
    data_ = data;
  }
  void Close() {
    app_.reset();
    if (!data_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(data_, ignored);
    }
  }

  static constexpr std::pair<std::string_view, std::string_view> kBaseline[] = {
      {"OpenAccount", R"({"account":"a1","owner":"Ada"})"},
      {"Deposit", R"({"account":"a1","currency":"EUR","amount":1000})"},
      {"OpenAccount", R"({"account":"a2","owner":"Bob"})"},
      {"PlaceOrder",
       R"({"order":"o1","customer":"Carol","items":[{"sku":"tea","name":"Green tea","qty":2,"price":450,"currency":"EUR"}]})"},
  };

  bool read_side_;
  std::filesystem::path root_;
  std::filesystem::path data_;
  std::unique_ptr<App> app_;
  size_t inputs_ = 0;
  size_t generation_ = 0;
};

}  // namespace duet::fuzz

#endif  // DUET_TESTS_FUZZ_EXAMPLE_APP_FIXTURE_H_
