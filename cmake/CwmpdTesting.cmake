# cwmpd_discover_tests(<target> [TIMEOUT <s>] [DISCOVERY_TIMEOUT <s>] [LABELS <l>...])
#
# gtest_discover_tests() with the test environment of tests/CMakeLists.txt
# (CWMPD_TEST_ENV: CWMPD_BBF_DIR, CWMPD_SOURCE_DIR, ...). gtest_discover_tests (CMake 3.25)
# re-splits PROPERTIES lists at several levels, so a plain "${CWMPD_TEST_ENV}" sets only
# the first variable; each semicolon needs eight backslashes to reach ctest intact.
include_guard(GLOBAL)
function(cwmpd_discover_tests target)
  cmake_parse_arguments(A "" "TIMEOUT;DISCOVERY_TIMEOUT" "LABELS" ${ARGN})
  string(REPEAT "\\" 8 escape)
  string(REPLACE ";" "${escape};" env "${CWMPD_TEST_ENV}")
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  if(NOT A_DISCOVERY_TIMEOUT)
    # Sanitizer builds start slower than the default 5 s allows on a loaded machine.
    set(A_DISCOVERY_TIMEOUT 60)
  endif()
  set(labels)
  if(A_LABELS)
    set(labels LABELS ${A_LABELS})
  endif()
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT ${A_DISCOVERY_TIMEOUT}
    PROPERTIES ENVIRONMENT "${env}" TIMEOUT ${A_TIMEOUT} ${labels})
endfunction()
