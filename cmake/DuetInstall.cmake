# Install and export rules, included at the end of the root CMakeLists.txt
# (after every area has defined its targets).
#
# - The area libraries and the `duet` INTERFACE target are exported as
#   Duet::util, Duet::log, Duet::store, Duet::follow, Duet::domain,
#   Duet::readstore, Duet::projection, Duet::query and Duet::duet. Duet::follow
#   (the query node's client) is exported because a user's own query node
#   links it.
# - include/duet/ (the public API) is installed to include/duet.
# - DuetConfig.cmake finds Threads, Boost.JSON 1.81 and SQLite 3 for the consumer.
# - duet_build_flags is never installed: areas link it PRIVATE and wrapped in
#   $<BUILD_INTERFACE:...> (duet_add_library, cmake/DuetLibrary.cmake), so it
#   does not appear in the export.
# - The executables of src/cli are written to the top of the build tree (so
#   the CLI is build/duet whatever its target is called) and installed to bin/.
include(CMakePackageConfigHelpers)

set(DUET_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/Duet"
    CACHE STRING "Where DuetConfig.cmake is installed, relative to the prefix")

# Area library -> exported name (Duet::<name>).
set(_duet_export_libs duet_util util duet_log log duet_store store duet_pgstore pgstore duet_follow follow
  duet_domain domain duet_readstore readstore duet_projection projection duet_query query
  duet_app app duet_server server duet_cli cli)
set(_duet_installed_targets)
while(_duet_export_libs)
  list(POP_FRONT _duet_export_libs _target _export_name)
  if(TARGET ${_target})
    set_target_properties(${_target} PROPERTIES EXPORT_NAME ${_export_name})
    list(APPEND _duet_installed_targets ${_target})
  else()
    message(STATUS "Duet install: ${_target} not defined yet, not installed")
  endif()
endwhile()
list(APPEND _duet_installed_targets duet)

install(TARGETS ${_duet_installed_targets}
  EXPORT DuetTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/duet
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT DuetTargets
  NAMESPACE Duet::
  DESTINATION ${DUET_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/DuetConfig.cmake.in
  ${PROJECT_BINARY_DIR}/DuetConfig.cmake
  INSTALL_DESTINATION ${DUET_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API, so only the same minor is compatible.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/DuetConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/DuetConfig.cmake
  ${PROJECT_BINARY_DIR}/DuetConfigVersion.cmake
  DESTINATION ${DUET_INSTALL_CMAKEDIR})

# The shipped CLI (examples/duet_main.cc, the example domains on duet::Main):
# build/duet, installed to bin/duet.
if(TARGET duet_exe)
  set_target_properties(duet_exe PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
  install(TARGETS duet_exe RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
