# CTest fixture setup (tests/CMakeLists.txt, fixture duet_scratch_prefix):
# builds what `cmake --install` installs, then installs DUET_BUILD_DIR into
# DUET_PREFIX, a scratch prefix that the starter and tutorial tests build
# against. Building here, not only in `make test`'s build step, is what lets
# `ctest -L integration` run on a tree where only some targets were built:
# an install of a target never built fails. On a fully built tree the build
# is a no-op.
#   cmake -DDUET_BUILD_DIR=... -DDUET_PREFIX=... -P install_prefix.cmake
foreach(var DUET_BUILD_DIR DUET_PREFIX)
  if(NOT ${var})
    message(FATAL_ERROR "install_prefix: ${var} is required")
  endif()
endforeach()

include(${CMAKE_CURRENT_LIST_DIR}/../support/run_step.cmake)

# duet_exe and duet_cli pull in every installed library (cli -> server ->
# app -> the engine's areas).
run_step("scratch prefix" build ${CMAKE_COMMAND} --build ${DUET_BUILD_DIR} -j2 --target duet_exe duet_cli)
file(REMOVE_RECURSE ${DUET_PREFIX})
run_step("scratch prefix" install ${CMAKE_COMMAND} --install ${DUET_BUILD_DIR} --prefix ${DUET_PREFIX})
