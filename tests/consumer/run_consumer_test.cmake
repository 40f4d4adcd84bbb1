# CTest driver for the installed-package test (registered in tests/CMakeLists.txt):
# installs DUET_BUILD_DIR into a scratch prefix, then configures, builds and
# runs tests/consumer against that prefix only. Any failing step fails the test.
#   cmake -DDUET_BUILD_DIR=... -DDUET_CONSUMER_SOURCE_DIR=... -DDUET_WORK_DIR=...
#         [-DCMAKE_CXX_COMPILER=...] -P run_consumer_test.cmake
foreach(var DUET_BUILD_DIR DUET_CONSUMER_SOURCE_DIR DUET_WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "run_consumer_test: ${var} is required")
  endif()
endforeach()

set(prefix ${DUET_WORK_DIR}/prefix)
set(build ${DUET_WORK_DIR}/build)
file(REMOVE_RECURSE ${DUET_WORK_DIR})
file(MAKE_DIRECTORY ${DUET_WORK_DIR})

include(${CMAKE_CURRENT_LIST_DIR}/../support/run_step.cmake)

set(compiler_arg)
if(CMAKE_CXX_COMPILER)
  set(compiler_arg -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER})
endif()

run_step("consumer test" install ${CMAKE_COMMAND} --install ${DUET_BUILD_DIR} --prefix ${prefix})
# Only the scratch prefix: a Duet installed elsewhere on the machine must not
# be picked up instead.
run_step("consumer test" configure ${CMAKE_COMMAND} -S ${DUET_CONSUMER_SOURCE_DIR} -B ${build}
         -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix}
         -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
         ${compiler_arg})
run_step("consumer test" build ${CMAKE_COMMAND} --build ${build} -j2)
run_step("consumer test" run ${build}/duet_consumer)
file(REMOVE_RECURSE ${DUET_WORK_DIR})
