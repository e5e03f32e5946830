# Unit and stress tests (GoogleTest, one executable per file, run by CTest).
#   ctest --test-dir build --output-on-failure
include(GoogleTest)

# The test programs to build: every one when empty. "families" stands for
# every family's own tests (benchmarks/<family>/<family>_test.cc), so the
# sanitizer presets and the aarch64 build need no list of families.
set(LOCKBENCH_TEST_PROGRAMS "" CACHE STRING "test programs to build (empty: all)")

# lockbench_add_test(SOURCE [FAMILY|SERIAL]): one GoogleTest program named
# after its source file; FAMILY marks a family's tests, SERIAL tests that
# must run alone (real-time spinners on every CPU starve whatever runs beside
# them for a while, and a neighbour's watchdog could take that for a hang).
function(lockbench_add_test source)
  get_filename_component(name ${source} NAME_WE)
  if(LOCKBENCH_TEST_PROGRAMS AND NOT name IN_LIST LOCKBENCH_TEST_PROGRAMS
     AND NOT (ARGV1 STREQUAL "FAMILY" AND "families" IN_LIST LOCKBENCH_TEST_PROGRAMS))
    return()
  endif()
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE lockbench_sweep GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE LOCKBENCH_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # PRE_TEST: discover when ctest runs, so a build never runs test binaries.
  # NO_PRETTY_VALUES: parameterised tests are named by their name generators
  # alone, not followed by GoogleTest's byte dump of the parameter.
  set(serial FALSE)
  if(ARGV1 STREQUAL "SERIAL")
    set(serial TRUE)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST NO_PRETTY_VALUES
                       PROPERTIES TIMEOUT 60 RUN_SERIAL ${serial})
endfunction()
