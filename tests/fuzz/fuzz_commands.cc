// fuzz_commands: arbitrary bytes as the JSON body of a command of the example
// domains (ledger, orders) through CommandBus::Dispatch. The first byte picks
// the command type (modulo the registered types, in name order), the rest is
// the body.
//
// Invariants: no crash; a refusal is a named input error (invalid_argument,
// domain_rule_violated) and appends nothing; an accepted command's events are
// in the store: every stream it names is at the version it reports, and the
// event at its position is there and was written by this command type.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/example_app_fixture.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using duet::CommandResult;
using duet::GlobalPosition;
using duet::RecordedEvent;
using duet::Result;
using duet::StatusCode;

void CheckAccepted(duet::EventStore& store, std::string_view type, const CommandResult& result,
                   GlobalPosition head_before) {
  const GlobalPosition head = store.HeadPosition();
  DUET_FUZZ_CHECK(result.position.value <= head.value, "acknowledged past the head");
  if (result.duplicate) return;
  DUET_FUZZ_CHECK(result.position.value > head_before.value,
                  "an accepted command did not move the head");
  DUET_FUZZ_CHECK(!result.streams.empty(), "an accepted command names no stream");
  for (const duet::StreamRevision& revision : result.streams) {
    std::optional<duet::StreamVersion> stream_head = store.StreamHead(revision.stream);
    DUET_FUZZ_CHECK(stream_head.has_value(), "a stream the command appended to is missing");
    DUET_FUZZ_CHECK(*stream_head == revision.version, "a stream is not at the reported version");
    Result<std::vector<RecordedEvent>> last =
        store.ReadStream(revision.stream, revision.version, 1, duet::ReadDirection::kForward);
    DUET_FUZZ_CHECK(last.ok() && last->size() == 1, "the reported version cannot be read");
    DUET_FUZZ_CHECK((*last)[0].position.value <= result.position.value,
                    "a stream's event lies after the command's position");
  }
  Result<std::vector<RecordedEvent>> at = store.ReadAll(result.position, 1);
  DUET_FUZZ_CHECK(at.ok() && at->size() == 1, "the event at the command's position is missing");
  const std::string expected = "\"command_type\":\"" + std::string(type) + "\"";
  DUET_FUZZ_CHECK((*at)[0].metadata.find(expected) != std::string::npos,
                  "the event at the command's position was not written by this command");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Destroyed at exit: the app closes and its folder is removed.
  static duet::fuzz::ExampleAppFixture fixture(/*read_side=*/false);
  static const std::vector<std::string> types = fixture.app().commands()->CommandTypes();
  if (size == 0) return 0;
  fixture.NextInput();
  duet::App& app = fixture.app();
  const std::string& type = types[data[0] % types.size()];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  const GlobalPosition head_before = app.store()->HeadPosition();
  Result<CommandResult> result = app.commands()->Dispatch(type, body);
  if (result.ok()) {
    CheckAccepted(*app.store(), type, *result, head_before);
    return 0;
  }
  const StatusCode code = result.status().code();
  DUET_FUZZ_CHECK(code == StatusCode::kInvalidArgument || code == StatusCode::kDomainRuleViolated,
                  result.status().ToString().c_str());
  DUET_FUZZ_CHECK(app.store()->HeadPosition() == head_before, "a refused command appended");
  return 0;
}
