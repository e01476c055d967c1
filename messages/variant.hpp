#pragma once
// Helpers for our caf::variants (operation, job_value): a checked read from the
// wire, and a visitor made of lambdas.

#include <caf/error.hpp>
#include <caf/sec.hpp>
#include <caf/variant.hpp>

#include <string>

namespace rbee {

/// Reading a caf::variant from the wire. CAF 0.17's own inspect for a variant raises
/// std::runtime_error("invalid type found") on a type tag out of range: thrown on the
/// middleman's thread, it ended the whole process (a queen, from one message of a
/// hive or a worker process). Overloads for our variants (operation in operations.hpp, job_value
/// in results.hpp), more specialized than CAF's and found by ADL, answer such a tag
/// with an error instead through this, and leave the rest to CAF.
template <class Inspector, class... Ts>
typename Inspector::result_type checked_variant(Inspector& f, caf::variant_writer<caf::variant<Ts...>>& x) {
  if (x.type_tag >= sizeof...(Ts))
    return caf::make_error(caf::sec::invalid_argument, "a variant with type tag " + std::to_string(x.type_tag) +
                                                         " (there are " + std::to_string(sizeof...(Ts)) + ")");
  return caf::inspect(f, x);
}

/// A visitor made of lambdas, for caf::visit over a variant: one handler per type.
template <class... Fs>
struct overload : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overload(Fs...) -> overload<Fs...>;

} // namespace rbee
