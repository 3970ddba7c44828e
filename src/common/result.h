// Result<T>: a value or a non-OK Status, shaped like std::expected<T, Status>.
//
// Construct from a T (success) or from a non-OK Status (failure). Reading the
// value of a failed Result is a programmer error and aborts.
#pragma once

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/status.h"

namespace nokv {

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : data_(std::in_place_index<0>, value) {}
  Result(T&& value) : data_(std::in_place_index<0>, std::move(value)) {}
  Result(Status status) : data_(std::in_place_index<1>, std::move(status)) {
    if (std::get<1>(data_).ok()) std::abort();  // an OK status carries no value
  }
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, Status> && !std::is_same_v<std::decay_t<U>, Result>)
      Result(U&& value)
      : data_(std::in_place_index<0>, T(std::forward<U>(value))) {}

  bool has_value() const { return data_.index() == 0; }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }

  T& value() & { return Checked(), std::get<0>(data_); }
  const T& value() const& { return Checked(), std::get<0>(data_); }
  T&& value() && { return Checked(), std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(data_) : static_cast<T>(std::forward<U>(fallback));
  }

  // The error of a failed Result; OK for a successful one.
  Status status() const { return has_value() ? Status() : std::get<1>(data_); }
  const Status& error() const& { return std::get<1>(data_); }

 private:
  void Checked() const {
    if (!has_value()) std::abort();
  }
  std::variant<T, Status> data_;
};

}  // namespace nokv

#define NOKV_CONCAT_INNER(a, b) a##b
#define NOKV_CONCAT(a, b) NOKV_CONCAT_INNER(a, b)

// `NOKV_ASSIGN_OR_RETURN(auto x, Call())` declares x from a successful Result
// or returns its Status from the enclosing function.
#define NOKV_ASSIGN_OR_RETURN(lhs, expr) \
  NOKV_ASSIGN_OR_RETURN_IMPL(NOKV_CONCAT(nokv_result_, __LINE__), lhs, expr)
#define NOKV_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.has_value()) return tmp.status();       \
  lhs = std::move(tmp).value()
