// QueryBus: registration checks, parameter validation, the read-your-writes
// wait, and running the handler on the serving store.
#include "duet/query_bus.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <set>
#include <string>

#include "query/params.h"

namespace duet {
namespace {

bool IsQueryName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Status CheckParams(const std::vector<QueryParam>& params) {
  std::set<std::string_view> seen;
  for (const QueryParam& param : params) {
    if (param.name.empty()) return Status::InvalidArgument("params", "a parameter has no name");
    if (!seen.insert(param.name).second) {
      return Status::InvalidArgument(param.name, "parameter declared twice");
    }
    if (param.type == ParamType::kString && param.max_length == 0) {
      return Status::InvalidArgument(param.name, "max_length must be at least 1");
    }
    if (param.type != ParamType::kString && !param.choices.empty()) {
      return Status::InvalidArgument(param.name, "only string parameters take choices");
    }
  }
  return Status::OK();
}

// Handlers are user code: an exception (a boost::json accessor on a
// malformed document, say) becomes a Status here instead of crossing into
// the caller.
Result<QueryResult> RunHandler(const QueryDefinition& definition, const QueryParams& params,
                               ReadStore& store) {
  try {
    return definition.handler(params, store);
  } catch (const std::exception& e) {
    return Status::FailedPrecondition("query '" + definition.name + "' threw: " + e.what());
  } catch (...) {
    return Status::FailedPrecondition("query '" + definition.name + "' threw");
  }
}

}  // namespace

QueryBus::QueryBus(ProjectionEngine* engine) : engine_(engine) {}

Status QueryBus::Register(QueryDefinition definition) {
  if (!IsQueryName(definition.name)) {
    return Status::InvalidArgument("name", "must be 1..64 of [a-z0-9-]");
  }
  if (definition.read_model.empty()) {
    return Status::InvalidArgument("read_model", "must name a projection");
  }
  if (!definition.handler) return Status::InvalidArgument("handler", "is required");
  DUET_RETURN_IF_ERROR(CheckParams(definition.params));
  for (const QueryDefinition& existing : definitions_) {
    if (existing.name == definition.name) {
      return Status::FailedPrecondition("query '" + definition.name + "' is already registered");
    }
  }
  definitions_.push_back(std::move(definition));
  return Status::OK();
}

const QueryDefinition* QueryBus::Find(std::string_view name) const {
  auto it = std::find_if(definitions_.begin(), definitions_.end(),
                         [&](const QueryDefinition& d) { return d.name == name; });
  return it == definitions_.end() ? nullptr : &*it;
}

void QueryBus::ExecuteAsync(QueryRequest request, const Deferrer& defer,
                            std::function<void(Result<QueryAnswer>)> done) const {
  const QueryDefinition* definition = Find(request.name);
  if (request.min_position == kNoPosition || definition == nullptr) return done(Execute(request));
  if (Result<QueryParams> params = query::ValidateParams(definition->params, request.params);
      !params.ok()) {
    return done(params.status());
  }
  Result<std::shared_ptr<ReadStore>> store = engine_->ServingStore(definition->read_model);
  if (!store.ok() || (*store)->checkpoint() >= request.min_position) {
    return done(Execute(request));
  }
  const auto timeout = std::clamp(request.timeout, std::chrono::milliseconds(0), kMaxWait);
  // Answered once, by whichever comes first: the read model reaching
  // min_position or the timeout. Either runs the query without waiting.
  struct Waiting {
    QueryRequest request;
    std::function<void(Result<QueryAnswer>)> done;
    std::atomic<bool> answered{false};
  };
  auto waiting = std::make_shared<Waiting>();
  waiting->request = std::move(request);
  waiting->request.timeout = std::chrono::milliseconds(0);
  waiting->done = std::move(done);
  waiting_.fetch_add(1, std::memory_order_relaxed);
  auto answer = [this, waiting] {
    if (waiting->answered.exchange(true)) return;
    waiting_.fetch_sub(1, std::memory_order_relaxed);
    waiting->done(Execute(waiting->request));
  };
  // Held strongly only by the timeout below: the engine forgets it then.
  auto reached = std::make_shared<const std::function<void()>>(
      [defer, answer] { defer(std::chrono::microseconds(0), answer); });
  Status watched =
      engine_->WhenApplied(definition->read_model, waiting->request.min_position, reached);
  if (!watched.ok()) {
    if (waiting->answered.exchange(true)) return;
    waiting_.fetch_sub(1, std::memory_order_relaxed);
    return waiting->done(watched);
  }
  defer(timeout, [reached, answer] { answer(); });
}

Result<QueryAnswer> QueryBus::Execute(const QueryRequest& request) const {
  const QueryDefinition* found = Find(request.name);
  if (found == nullptr) {
    return Status::NotFound("query", "no query named '" + request.name + "'");
  }
  const QueryDefinition& definition = *found;
  DUET_ASSIGN_OR_RETURN(QueryParams params,
                        query::ValidateParams(definition.params, request.params));
  if (request.min_position > kNoPosition) {
    const auto timeout = std::clamp(request.timeout, std::chrono::milliseconds(0), kMaxWait);
    DUET_ASSIGN_OR_RETURN(GlobalPosition reached,
                          engine_->WaitFor(definition.read_model, request.min_position, timeout));
    if (reached < request.min_position) {
      return Status::NotYet(definition.read_model, reached.value);
    }
  }
  // Fetched after the wait: a rebuilt generation switched in meanwhile
  // serves this read, and the shared_ptr keeps it alive until the read ends.
  DUET_ASSIGN_OR_RETURN(std::shared_ptr<ReadStore> store,
                        engine_->ServingStore(definition.read_model));
  DUET_ASSIGN_OR_RETURN(QueryResult result, RunHandler(definition, params, *store));
  // The read itself must reflect min_position, not only the wait: a handler
  // answering from another store, or a generation switched in behind, would
  // otherwise break read-your-writes silently.
  if (result.position < request.min_position) {
    return Status::NotYet(definition.read_model, result.position.value);
  }
  return QueryAnswer{std::move(result.value), result.position, definition.read_model};
}

}  // namespace duet
