// Names the calling thread (as top -H, perf and gdb show it), so an operator
// can tell the flusher from the I/O threads and the projections' subscribers.
#ifndef DUET_UTIL_THREAD_NAME_H_
#define DUET_UTIL_THREAD_NAME_H_

#include <string_view>

namespace duet {

// Linux keeps 15 bytes of a thread name: longer names are cut. Best effort.
void NameThisThread(std::string_view name);

}  // namespace duet

#endif  // DUET_UTIL_THREAD_NAME_H_
