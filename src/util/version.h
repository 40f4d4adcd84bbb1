// The version Duet was built as: CMakeLists.txt's project(Duet VERSION ...),
// compiled into version.cc (generated from version.cc.in), so that
// `duet --version`, GET /health and duet_build_info always agree.
#ifndef DUET_UTIL_VERSION_H_
#define DUET_UTIL_VERSION_H_

#include <string_view>

namespace duet {

// "0.1.0".
std::string_view DuetVersion();

}  // namespace duet

#endif  // DUET_UTIL_VERSION_H_
