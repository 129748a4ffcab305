/// \file
/// A value or the error that prevented it: the return type of every operation
/// that can fail for a reason the caller must handle (decoding, storage).
/// A small stand-in for C++23 std::expected, with the same spelling, so that
/// moving to the standard type later is a rename.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace once::domain {

template <class Error>
class unexpected {
 public:
  explicit unexpected(Error error) : error_(std::move(error)) {}
  Error& error() & { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
};

template <class Value, class Error>
class [[nodiscard]] expected {
 public:
  using value_type = Value;
  using error_type = Error;

  template <class V = Value>
  requires std::is_constructible_v<Value, V&&> &&(!std::is_same_v<std::remove_cvref_t<V>, expected>)expected(V&& value)
      : state_(std::in_place_index<0>, std::forward<V>(value)) {}  // NOLINT(google-explicit-constructor)

  template <class E>
  expected(unexpected<E> failure)  // NOLINT(google-explicit-constructor)
      : state_(std::in_place_index<1>, std::move(failure).error()) {}

  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  Value& value() & { return std::get<0>(state_); }
  Value const& value() const& { return std::get<0>(state_); }
  Value&& value() && { return std::get<0>(std::move(state_)); }
  Value& operator*() & { return value(); }
  Value const& operator*() const& { return value(); }
  Value&& operator*() && { return std::move(*this).value(); }
  Value* operator->() { return &value(); }
  Value const* operator->() const { return &value(); }

  Error& error() & { return std::get<1>(state_); }
  Error const& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<Value, Error> state_;
};

/// expected<void, E>: success carries nothing.
template <class Error>
class [[nodiscard]] expected<void, Error> {
 public:
  using value_type = void;
  using error_type = Error;

  expected() = default;
  template <class E>
  expected(unexpected<E> failure)  // NOLINT(google-explicit-constructor)
      : error_(std::in_place, std::move(failure).error()) {}

  [[nodiscard]] bool has_value() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  Error& error() & { return *error_; }
  Error const& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

}  // namespace once::domain
