# duet_add_library(NAME <target> SOURCES <files...>
#                  [PUBLIC_LIBS <targets...>] [PRIVATE_LIBS <targets...>]
#                  [SRC_PUBLIC])
#
# One area of src/ as a static library, the way every area is built:
# - target <target> (duet_<area>) with the alias duet::<area>;
# - include/ (the public API, "duet/...") public, in the build tree and once
#   installed; src/ ("log/log.h") private, so an area's own headers stay its
#   business and areas talk through include/duet/;
# - duet_build_flags (warnings, sanitizers) private and build-only, so they
#   never reach an installed consumer.
# SRC_PUBLIC: inside this build, the area's headers in src/ ("server/...")
# are public to its users (src/server for src/cli and the tests, src/cli for
# its tests); installed, only include/ is.
function(duet_add_library)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "SRC_PUBLIC" "NAME" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "duet_add_library: unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_NAME MATCHES "^duet_" OR NOT ARG_SOURCES)
    message(FATAL_ERROR "duet_add_library: NAME duet_<area> and SOURCES are required")
  endif()
  string(REGEX REPLACE "^duet_" "" area ${ARG_NAME})

  add_library(${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(duet::${area} ALIAS ${ARG_NAME})
  if(ARG_SRC_PUBLIC)
    target_include_directories(${ARG_NAME}
      PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
             $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
             $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
  else()
    target_include_directories(${ARG_NAME}
      PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
             $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
      PRIVATE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
  endif()
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_PUBLIC_LIBS}
    PRIVATE ${ARG_PRIVATE_LIBS} $<BUILD_INTERFACE:duet_build_flags>)
endfunction()
