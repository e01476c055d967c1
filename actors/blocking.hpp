#pragma once
// Blocking work (a transfer, a build, HTTP to a slow server) on a thread of its
// own: a detached actor that answers one run_atom request with the work's result
// and quits. The actor that asks keeps answering its own messages meanwhile.
// Shared by the actors' folders (the downloader, the installer, the hive).

#include "messages/interfaces.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include <utility>

namespace rbee {

/// `work(self)` returns caf::expected<T>; ask the returned actor `run_atom` for it.
template <class T, class Work>
caf::actor spawn_blocking(caf::actor_system& sys, Work work) {
  return sys.spawn<caf::detached>([work = std::move(work)](caf::event_based_actor* self) -> caf::behavior {
    return {
      [=](run_atom) -> caf::result<T> {
        caf::expected<T> r = work(self);
        self->quit();
        if (!r) return std::move(r.error());
        return std::move(*r);
      },
    };
  });
}

} // namespace rbee
