// Helpers shared by the read store tests: the list of document store
// implementations a contract test runs against.
#ifndef DUET_TESTS_READSTORE_READ_STORE_TEST_UTIL_H_
#define DUET_TESTS_READSTORE_READ_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "duet/read_store.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {

struct DocumentStoreFactory {
  const char* name;
  // Opens a store in `dir` (the memory store ignores it).
  std::function<std::unique_ptr<DocumentStore>(const std::filesystem::path& dir)> open;
};

inline void PrintTo(const DocumentStoreFactory& factory, std::ostream* os) { *os << factory.name; }

// Unwraps a Result in a fixture's SetUp, where ASSERT cannot return a value.
template <typename T>
T ValueOrThrow(Result<T> result) {
  if (!result.ok()) throw std::runtime_error(result.status().ToString());
  return std::move(result).value();
}

inline ListRequest Req(std::string index, std::string value, size_t limit = 50,
                       bool descending = false, std::string cursor = "") {
  ListRequest request;
  request.index = std::move(index);
  request.value = std::move(value);
  request.limit = limit;
  request.descending = descending;
  request.cursor = std::move(cursor);
  return request;
}

inline std::vector<DocumentStoreFactory> AllDocumentStores() {
  return {
      {"Memory", [](const std::filesystem::path&) { return NewMemoryDocumentStore(); }},
      {"Sqlite",
       [](const std::filesystem::path& dir) { return ValueOrThrow(OpenDocumentStore(dir)); }},
  };
}

}  // namespace duet::testing

#endif  // DUET_TESTS_READSTORE_READ_STORE_TEST_UTIL_H_
