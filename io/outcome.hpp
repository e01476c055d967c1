#pragma once
// What io/ functions return: a value or a failure (an errc and a human message).
// io/ links no CAF; actors turn a failure into a caf::error with make_error
// (messages/errc.hpp). C++20 has no std::expected yet: this is the small part of
// it that io/ needs.

#include "messages/errc_code.hpp"

#include <string>
#include <utility>
#include <variant>

namespace rbee {

template <class T>
class [[nodiscard]] outcome {
public:
  outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  outcome(failure f) : v_(std::in_place_index<1>, std::move(f)) {}
  outcome(errc code, std::string message) : v_(std::in_place_index<1>, failure{code, std::move(message)}) {}

  explicit operator bool() const { return v_.index() == 0; }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const failure& error() const { return std::get<1>(v_); }

private:
  std::variant<T, failure> v_;
};

/// A failure with `code` and `message`.
inline failure fail_with(errc code, std::string message) { return failure{code, std::move(message)}; }

/// Nothing to return but success.
struct done {};

template <>
class [[nodiscard]] outcome<void> {
public:
  outcome() = default;
  outcome(done) {}
  outcome(failure f) : f_(std::move(f)), ok_(false) {}
  outcome(errc code, std::string message) : f_{code, std::move(message)}, ok_(false) {}

  explicit operator bool() const { return ok_; }
  const failure& error() const { return f_; }

private:
  failure f_;
  bool ok_ = true;
};

} // namespace rbee
