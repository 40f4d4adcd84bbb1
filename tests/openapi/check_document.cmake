# cmake -DGENERATOR=<duet_openapi_gen> -DDOCUMENT=<docs/openapi.json> -P check_document.cmake
# Fails when the checked-in document is not what the example app generates.
execute_process(COMMAND ${GENERATOR} OUTPUT_VARIABLE generated RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${GENERATOR} failed (${status})")
endif()
file(READ ${DOCUMENT} checked_in)
if(NOT generated STREQUAL checked_in)
  message(FATAL_ERROR "docs/openapi.json is not the example app's generated document. "
                      "Regenerate it from the repository root with:\n"
                      "  ${GENERATOR} > docs/openapi.json\n"
                      "and review the diff (a contract, query or route changed).")
endif()
