// What a declared command contract costs on the serving path: CheckFields
// (duet/contract.h) on example bodies, beside parsing the same body, which
// every JSON command pays anyway. Prints ns per body.
#include <benchmark/benchmark.h>

#include "duet/command_bus.h"
#include "duet/json_reader.h"
#include "ledger/ledger.h"
#include "orders/orders.h"

namespace duet {
namespace {

// The declared fields of the example command `type`.
std::vector<FieldSpec> FieldsOf(std::string_view type) {
  CommandBus bus(nullptr);  // registration only
  (void)examples::ledger::Register(bus);
  (void)examples::orders::Register(bus);
  for (const CommandInfo& info : bus.Commands()) {
    if (info.name == type) return info.fields;
  }
  return {};
}

constexpr char kDeposit[] = R"({"account":"acct-1234","currency":"EUR","amount":100})";
constexpr char kPlaceOrder[] =
    R"({"order":"o-1","customer":"alice","items":[{"sku":"tea","name":"Green tea","qty":2,)"
    R"("price":450,"currency":"EUR"},{"sku":"cup","name":"Tea cup","qty":1,"price":1200,)"
    R"("currency":"EUR"}]})";

void BM_Parse(benchmark::State& state, const char* body) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseJsonObject(body));
}

void BM_CheckFields(benchmark::State& state, const char* type, const char* body) {
  const std::vector<FieldSpec> fields = FieldsOf(type);
  const boost::json::object object = *ParseJsonObject(body);
  for (auto _ : state) {
    Status status = CheckFields(fields, object);
    if (!status.ok()) state.SkipWithError(status.ToString().c_str());
    benchmark::DoNotOptimize(status);
  }
}

BENCHMARK_CAPTURE(BM_Parse, deposit, kDeposit);
BENCHMARK_CAPTURE(BM_CheckFields, deposit, "Deposit", kDeposit);
BENCHMARK_CAPTURE(BM_Parse, place_order, kPlaceOrder);
BENCHMARK_CAPTURE(BM_CheckFields, place_order, "PlaceOrder", kPlaceOrder);

}  // namespace
}  // namespace duet
