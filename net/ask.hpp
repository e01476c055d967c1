#pragma once
// Asking an actor from an io thread without blocking it: a short-lived actor
// makes the request (with a timeout) and hands the answer to a callback, which
// runs on a CAF thread and must post back onto the session's strand.

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <functional>

namespace rbee::net {

template <class R, class Handle, class... Ts>
void ask(caf::actor_system& sys, const Handle& dest, std::chrono::milliseconds timeout,
         std::function<void(caf::expected<R>)> done, Ts... xs) {
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(dest, timeout, xs...)
      .then([=](R& r) { done(std::move(r)); }, [=](caf::error& e) { done(std::move(e)); });
  });
}

} // namespace rbee::net
