# run_step(<what> <name> <command...>): runs one step of a CMake-script test
# (the installed-package, starter and scratch-prefix drivers), printing it as
# "<what>: <name>: <command>", and fails the script when it exits non-zero.
function(run_step what name)
  message(STATUS "${what}: ${name}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what}: ${name} failed (${rc})")
  endif()
endfunction()
