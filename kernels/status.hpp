#pragma once
// How the engine reports failure: kernels never log and never abort on bad
// input; they throw `kernel_error` inside and return `result<T>` at the API.

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace rbee::kernels {

/// An engine error; the message names what is wrong (a key, a tensor, an offset).
struct kernel_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A value or an error message.
template <class T>
class result {
public:
  result(T value) : value_(std::move(value)) {}
  static result failure(std::string message) {
    result r;
    r.error_ = std::move(message);
    return r;
  }
  explicit operator bool() const { return value_.has_value(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  const std::string& error() const { return error_; }

private:
  result() = default;
  std::optional<T> value_;
  std::string error_;
};

/// Runs `f`, turning a kernel_error (or a std::bad_alloc) into a failed result.
template <class F>
auto guarded(F&& f) -> result<decltype(f())> {
  using T = decltype(f());
  try {
    return result<T>(f());
  } catch (const kernel_error& e) {
    return result<T>::failure(e.what());
  } catch (const std::bad_alloc&) {
    return result<T>::failure("out of memory");
  }
}

} // namespace rbee::kernels
