// duet_openapi_gen: prints the OpenAPI document of the example app (both
// example domains, role all) on stdout. docs/openapi.json is its output:
//   build/tests/openapi/duet_openapi_gen > docs/openapi.json
// The test openapi_document_up_to_date fails when the two differ.
//
// With --answers it instead runs every documented command example
// (DocumentedExampleScenario) and prints the answers of every query on that
// data as a JSON array, for validate_openapi.sh to check against the
// document's answer schemas.
#include <iostream>
#include <string_view>

#include "tests/openapi/example_node.h"
#include "tests/support/temp_dir.h"

namespace {

int Fail(const duet::Status& status) {
  std::cerr << "duet_openapi_gen: " << status.ToString() << "\n";
  return 1;
}

int PrintAnswers(duet::testing::ExampleNode& node) {
  for (const duet::testing::ExampleStep& step : duet::testing::DocumentedExampleScenario()) {
    std::string body = step.body;
    for (const duet::CommandInfo& command : node.commands->Commands()) {
      if (body.empty() && command.name == step.type) body = command.example;
    }
    duet::Result<duet::CommandResult> done = node.commands->Dispatch(step.type, body);
    if (!done.ok()) return Fail(done.status());
  }
  duet::Result<boost::json::array> answers = node.SampleAnswers();
  if (!answers.ok()) return Fail(answers.status());
  std::cout << duet::server::PrettyJson(*answers) << "\n";
  return std::cout.good() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const bool answers = argc > 1 && std::string_view(argv[1]) == "--answers";
  if (argc > 2 || (argc == 2 && !answers)) {
    std::cerr << "usage: duet_openapi_gen [--answers]\n";
    return 2;
  }
  duet::testing::TempDir dir;
  auto node = duet::testing::ExampleNode::Open(dir / "data");
  if (!node.ok()) return Fail(node.status());
  if (answers) return PrintAnswers(**node);
  std::cout << duet::server::GenerateOpenApi((*node)->OpenApiInputs());
  return std::cout.good() ? 0 : 1;
}
