#include "tests/openapi/example_node.h"

#include <chrono>

#include "ledger/ledger.h"
#include "orders/orders.h"

namespace duet::testing {

Result<std::unique_ptr<ExampleNode>> ExampleNode::Open(const std::filesystem::path& data) {
  auto node = std::make_unique<ExampleNode>();
  AppOptions options;
  options.data = data;
  options.store.durability.mode = Durability::Mode::kNone;
  DUET_ASSIGN_OR_RETURN(
      node->app,
      App::Open({examples::ledger::Domain(), examples::orders::Domain()}, std::move(options)));
  node->store = node->app->store();
  node->commands = node->app->commands();
  node->projections = node->app->projections();
  node->queries = node->app->queries();
  return node;
}

server::OpenApiInputs ExampleNode::OpenApiInputs() const {
  return {.role = "all", .commands = commands, .queries = queries, .has_projections = true};
}

Result<boost::json::array> ExampleNode::SampleAnswers() const {
  struct Call {
    const char* query;
    const char* params;
  };
  static constexpr Call kCalls[] = {
      {"balance", R"({"account":"alice"})"},
      {"accounts", R"({"owner":"Alice"})"},
      {"accounts", R"({"limit":1})"},  // a next page: next_cursor
      {"statement", R"({"account":"alice"})"},
      {"statement", R"({"account":"bob"})"},  // a transfer credit
      {"search-accounts", R"({"q":"alice"})"},
      {"search-accounts", R"({"q":"carol","status":"closed"})"},
      {"volume", R"({"currency":"USD","bucket":"day"})"},
      {"volume", R"({"currency":"USD","bucket":"hour","kind":"transfer"})"},
      {"order-status", R"({"order":"o-1001"})"},
      {"order-status", R"({"order":"o-1002"})"},  // cancelled: reason
      {"orders", R"({"limit":1})"},
      {"orders", R"({"customer":"Carol","status":"shipped"})"},
      {"search-orders", R"({"q":"tea"})"},
      {"revenue", R"({"currency":"EUR","bucket":"day"})"},
      {"orders-per-status", R"({"bucket":"minute"})"},
  };
  boost::json::array out;
  for (const Call& call : kCalls) {
    QueryRequest request{.name = call.query,
                         .params = boost::json::parse(call.params).as_object(),
                         .min_position = store->HeadPosition(),
                         .timeout = std::chrono::seconds(10)};
    Result<QueryAnswer> answer = queries->Execute(request);
    if (!answer.ok()) {
      return Status::InvalidArgument(call.query, answer.status().ToString());
    }
    out.push_back(boost::json::object{{"query", call.query},
                                      {"params", request.params},
                                      {"answer",
                                       {{"data", answer->result},
                                        {"position", answer->position.value},
                                        {"read_model", answer->read_model}}}});
  }
  return out;
}

std::vector<ExampleStep> DocumentedExampleScenario() {
  return {
      {"OpenAccount", ""},
      {"Deposit", ""},
      {"Withdraw", ""},
      {"OpenAccount", R"({"account":"bob","owner":"Bob"})"},
      {"Transfer", ""},
      {"OpenAccount", R"({"account":"carol","owner":"Carol"})"},
      {"CloseAccount", ""},
      {"PlaceOrder", ""},
      {"AddItem", ""},
      {"ConfirmOrder", ""},
      {"ShipOrder", ""},
      {"PlaceOrder",
       R"({"order":"o-1002","customer":"Dan","items":[{"sku":"mug","name":"Mug","qty":1,"price":900,"currency":"EUR"}]})"},
      {"CancelOrder", ""},
  };
}

}  // namespace duet::testing
