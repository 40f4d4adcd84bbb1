// Deferrer: how an asynchronous call goes on later without holding a thread.
#ifndef DUET_DEFERRER_H_
#define DUET_DEFERRER_H_

#include <chrono>
#include <functional>

namespace duet {

// Runs `fn` on the caller's threads once `delay` has passed (zero: as soon as
// possible), or never if they stop first: an event loop's timer, or a waiting
// thread's own queue. The asynchronous command and query paths
// (CommandBus::DispatchAsync, QueryBus::ExecuteAsync) use it to retry after a
// conflict or to answer after a wait on the caller's threads, never on the
// store's or a projection's. Must be thread-safe.
using Deferrer = std::function<void(std::chrono::microseconds delay, std::function<void()> fn)>;

}  // namespace duet

#endif  // DUET_DEFERRER_H_
