# CTest driver of the starter test (tests/CMakeLists.txt): configures
# examples/starter against the scratch prefix ONLY (installed by the fixture
# install_prefix.cmake), builds it and runs its own CTest suite: the decider,
# the commands through App::Open, and its binary as a command node and a
# query node over HTTP. Any failing step fails the test.
#   cmake -DDUET_PREFIX=... -DSTARTER_SOURCE_DIR=... -DDUET_WORK_DIR=...
#         [-DCMAKE_CXX_COMPILER=...] [-DCMAKE_CXX_COMPILER_LAUNCHER=...]
#         -P run_starter_test.cmake
foreach(var DUET_PREFIX STARTER_SOURCE_DIR DUET_WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "run_starter_test: ${var} is required")
  endif()
endforeach()
if(NOT EXISTS ${DUET_PREFIX}/lib/cmake/Duet/DuetConfig.cmake)
  message(FATAL_ERROR "run_starter_test: no Duet installed in ${DUET_PREFIX}")
endif()

set(build ${DUET_WORK_DIR}/build)
file(REMOVE_RECURSE ${DUET_WORK_DIR})
file(MAKE_DIRECTORY ${DUET_WORK_DIR})

include(${CMAKE_CURRENT_LIST_DIR}/../support/run_step.cmake)

set(extra_args)
foreach(var CMAKE_CXX_COMPILER CMAKE_CXX_COMPILER_LAUNCHER)
  if(${var})
    list(APPEND extra_args -D${var}=${${var}})
  endif()
endforeach()

# Only the scratch prefix: a Duet installed elsewhere on the machine (or
# Duet's own build tree, through the package registry) must not be found.
run_step("starter test" configure ${CMAKE_COMMAND} -S ${STARTER_SOURCE_DIR} -B ${build}
         -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${DUET_PREFIX}
         -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
         ${extra_args})
run_step("starter test" build ${CMAKE_COMMAND} --build ${build} -j2)
run_step("starter test" ctest ${CMAKE_CTEST_COMMAND} --test-dir ${build} --output-on-failure --timeout 120)
file(REMOVE_RECURSE ${DUET_WORK_DIR})
