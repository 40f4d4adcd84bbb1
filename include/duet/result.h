// Result<T>: a value or the Status that explains why there is none.
// (g++ 12 in C++20 has no std::expected.)
//
// Thread-compatible value type.
#ifndef DUET_RESULT_H_
#define DUET_RESULT_H_

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "duet/status.h"

namespace duet {

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cvref_t<T>, Status>,
                "Result<Status> is meaningless: return Status");

 public:
  // REQUIRES: !status.ok(): an OK Result must carry a value.
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).ok());
  }
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design

  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
           !std::is_same_v<std::remove_cvref_t<U>, Status> &&
           !std::is_same_v<std::remove_cvref_t<U>, Result>) Result(U&& value)
      : state_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(state_); }

  // The error; OK when the Result holds a value.
  Status status() const { return ok() ? Status::OK() : std::get<Status>(state_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> state_;
};

}  // namespace duet

#define DUET_CONCAT_INNER_(a, b) a##b
#define DUET_CONCAT_(a, b) DUET_CONCAT_INNER_(a, b)

// `DUET_ASSIGN_OR_RETURN(auto x, Expr());` declares x from the value of a
// Result, or returns its Status from the enclosing function.
#define DUET_ASSIGN_OR_RETURN(lhs, expr) \
  DUET_ASSIGN_OR_RETURN_IMPL_(DUET_CONCAT_(duet_result_, __LINE__), lhs, expr)
#define DUET_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#endif  // DUET_RESULT_H_
