#include "tests/soak/soak_check.h"

#include <set>
#include <thread>

#include "tests/soak/soak_http.h"

namespace duet::soak {
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kRequestTimeout{60};
constexpr size_t kMaxReportedPerCheck = 20;
constexpr int kAttempts = 5;  // a read of a running node that fails is retried a few times
constexpr std::string_view kCommandStreamPrefix = "$command-";
constexpr size_t kPage = 1000;

// Appends to `failures`, at most kMaxReportedPerCheck per check, then a count.
class Reporter {
 public:
  Reporter(Failures& failures, std::string check) : failures_(failures), check_(std::move(check)) {}
  ~Reporter() {
    if (count_ > kMaxReportedPerCheck) {
      failures_.push_back(check_ + ": ... " + std::to_string(count_ - kMaxReportedPerCheck) +
                          " more");
    }
  }
  void Add(const std::string& message) {
    if (++count_ <= kMaxReportedPerCheck) failures_.push_back(check_ + ": " + message);
  }

 private:
  Failures& failures_;
  std::string check_;
  size_t count_ = 0;
};

HttpReply GetWithRetry(NodeClient& http, const std::string& target) {
  HttpReply reply;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    reply = http.Get(target);
    if (reply.status != 0 && reply.status != 503) return reply;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return reply;
}

std::string StringOf(const json::value& value) {
  const json::string* s = value.if_string();
  return s == nullptr ? std::string() : std::string(*s);
}

std::string Short(const json::value& value) {
  std::string text = json::serialize(value);
  return text.size() > 300 ? text.substr(0, 300) + "..." : text;
}

}  // namespace

Result<uint64_t> ReadHead(uint16_t command_port) {
  NodeClient http(command_port, kRequestTimeout);
  HttpReply reply = GetWithRetry(http, "/events?from=1&limit=1");
  std::optional<uint64_t> head = UintOf(reply["head"]);
  if (reply.status != 200 || !head) {
    return Status::FailedPrecondition("cannot read the head: " + reply.Describe());
  }
  return *head;
}

Status WaitForCatchUp(uint16_t port, uint64_t head, std::chrono::seconds patience) {
  NodeClient http(port, kRequestTimeout);
  const auto deadline = std::chrono::steady_clock::now() + patience;
  std::string last;
  for (;;) {
    HttpReply reply = http.Get("/projections");
    const json::array* list = reply["projections"].if_array();
    bool caught_up = reply.status == 200 && list != nullptr && !list->empty();
    for (size_t i = 0; list != nullptr && i < list->size(); ++i) {
      const json::value& p = (*list)[i];
      const std::string state = StringOf(p.at("state"));
      if (state == "failed" || UintOf(p.at("parked")).value_or(1) != 0) {
        return Status::FailedPrecondition("projection failed or parked events: " + Short(p));
      }
      if (state != "live" || UintOf(p.at("checkpoint")).value_or(0) < head) caught_up = false;
    }
    if (caught_up) return Status::OK();
    last = reply.Describe();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Timeout("not caught up to " + std::to_string(head) + " within " +
                             std::to_string(patience.count()) + " s: " + last);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

uint64_t CheckLog(uint16_t command_port, uint64_t head, const LoadModel& model,
                  Failures& failures) {
  Reporter report(failures, "log");
  NodeClient http(command_port, kRequestTimeout);
  std::map<std::string, std::vector<uint64_t>> records;  // key -> positions of its records
  uint64_t next = 1;
  while (next <= head) {
    HttpReply reply = GetWithRetry(
        http, "/events?from=" + std::to_string(next) + "&limit=" + std::to_string(kPage));
    const json::array* events = reply["events"].if_array();
    if (reply.status != 200 || events == nullptr || events->empty()) {
      report.Add("cannot read past " + std::to_string(next - 1) + " of " + std::to_string(head) +
                 ": " + reply.Describe());
      return next - 1;
    }
    for (const json::value& event : *events) {
      if (UintOf(event.at("position")) != next) {
        report.Add("position " + std::to_string(next) + " expected, got " + Short(event));
        return next - 1;
      }
      const std::string stream = StringOf(event.at("stream"));
      if (StringOf(event.at("type")) == "$CommandHandled" &&
          stream.rfind(kCommandStreamPrefix, 0) == 0) {
        records[stream.substr(kCommandStreamPrefix.size())].push_back(next);
      } else {
        const json::object* metadata = event.at("metadata").if_object();
        const std::string key = metadata == nullptr ? ""
                                                    : StringOf(metadata->contains("command_id")
                                                                   ? metadata->at("command_id")
                                                                   : json::value());
        if (!model.acked.contains(key)) {
          report.Add("event at " + std::to_string(next) + " of a command never acknowledged (" +
                     (model.refused.contains(key) ? "refused" : "unknown") + "): " + Short(event));
        }
      }
      ++next;
    }
  }
  for (const auto& [key, position] : model.acked) {
    auto it = records.find(key);
    if (it == records.end()) {
      report.Add("acknowledged command " + key + " at " + std::to_string(position) + " is missing");
    } else if (it->second.size() != 1 || it->second[0] != position) {
      std::string where;
      for (uint64_t p : it->second) where += " " + std::to_string(p);
      report.Add("command " + key + " acknowledged at " + std::to_string(position) +
                 " is recorded at" + where);
    }
  }
  for (const auto& [key, positions] : records) {
    if (!model.acked.contains(key)) {
      report.Add("command " + key + " is in the log but was " +
                 (model.refused.contains(key) ? "refused" : "never answered"));
    }
  }
  return next - 1;
}

}  // namespace duet::soak
