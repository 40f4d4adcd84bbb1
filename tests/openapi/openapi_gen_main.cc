// duet_openapi_gen: prints the OpenAPI document of the example app (both
// example domains, role all) on stdout. docs/openapi.json is its output:
//   build/tests/openapi/duet_openapi_gen > docs/openapi.json
// The test openapi_document_up_to_date fails when the two differ.
#include <iostream>

#include "tests/openapi/example_node.h"
#include "tests/support/temp_dir.h"

int main() {
  duet::testing::TempDir dir;
  auto node = duet::testing::ExampleNode::Open(dir / "data");
  if (!node.ok()) {
    std::cerr << "duet_openapi_gen: " << node.status().ToString() << "\n";
    return 1;
  }
  std::cout << duet::server::GenerateOpenApi((*node)->OpenApiInputs());
  return std::cout.good() ? 0 : 1;
}
