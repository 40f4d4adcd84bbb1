// Uses only the installed public headers: opens an embedded store in a fresh
// temporary folder, appends one event, reads it back by stream and from the
// global log, and exits non-zero on any mismatch.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "duet/embedded_store.h"

namespace {

int Fail(const std::string& what) {
  std::cerr << "duet_consumer: FAIL: " << what << "\n";
  return 1;
}

int Run(const std::filesystem::path& dir) {
  duet::StoreOptions options;
  auto opened = duet::EmbeddedStore::Open(dir, options);
  if (!opened.ok()) return Fail("open: " + opened.status().ToString());
  std::unique_ptr<duet::EmbeddedStore> store = std::move(opened).value();

  duet::EventData event;
  event.id = duet::EventId::Random();
  event.type = "AccountOpened";
  event.data = R"({"owner":"ada","currency":"EUR"})";
  event.metadata = R"({"correlation_id":"consumer"})";
  std::vector<duet::EventData> events{event};

  auto appended = store->Append("account-1", duet::ExpectedVersion::NoStream(), events);
  if (!appended.ok()) return Fail("append: " + appended.status().ToString());
  if (appended->position != duet::GlobalPosition(1)) return Fail("first position is not 1");
  if (appended->next_expected_version != duet::StreamVersion(0)) {
    return Fail("first version is not 0");
  }

  auto read =
      store->ReadStream("account-1", duet::StreamVersion(0), 10, duet::ReadDirection::kForward);
  if (!read.ok()) return Fail("read stream: " + read.status().ToString());
  if (read->size() != 1) return Fail("read stream: expected 1 event");
  const duet::RecordedEvent& got = read->front();
  if (got.stream != "account-1" || got.type != event.type || got.data != event.data ||
      got.metadata != event.metadata || got.id != event.id ||
      got.version != duet::StreamVersion(0) || got.position != duet::GlobalPosition(1)) {
    return Fail("read stream: event differs from the one appended");
  }

  auto all = store->ReadAll(duet::GlobalPosition(1), 10);
  if (!all.ok()) return Fail("read all: " + all.status().ToString());
  if (all->size() != 1 || all->front().id != event.id) return Fail("read all: wrong events");

  // The same event id at the same place again is idempotent: the original
  // result, nothing written.
  auto again = store->Append("account-1", duet::ExpectedVersion::NoStream(), events);
  if (!again.ok()) return Fail("idempotent re-append: " + again.status().ToString());
  if (again->position != duet::GlobalPosition(1)) return Fail("re-append moved the position");

  // A new event with a stale expected version is refused, not appended.
  std::vector<duet::EventData> other{event};
  other[0].id = duet::EventId::Random();
  auto conflict = store->Append("account-1", duet::ExpectedVersion::NoStream(), other);
  if (conflict.ok() || !conflict.status().IsWrongExpectedVersion()) {
    return Fail("append with a stale expected version was not a conflict");
  }
  if (store->HeadPosition() != duet::GlobalPosition(1)) return Fail("head moved");

  std::cout << "duet_consumer: OK (event " << event.id.ToString() << " at position 1)\n";
  return 0;
}

}  // namespace

int main() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/duet-consumer-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return Fail("mkdtemp");
  const std::filesystem::path dir = pattern;
  int rc = Run(dir / "data");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
