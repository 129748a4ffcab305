# gtest_discover_tests(... PROPERTIES LABELS "a;b") keeps only the first label
# (CMake 3.25 splits the list when it writes the discovered tests). This sets
# all of them once the tests are discovered: ctest reads the file right after
# the target's discovered-tests file, where <target>_TESTS names every test.
function(once_label_discovered_tests target)
  set(file "${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake")
  list(JOIN ARGN "\\;" labels)
  file(WRITE "${file}"
    "if(${target}_TESTS)\n"
    "  set_tests_properties(\${${target}_TESTS} PROPERTIES LABELS \"${labels}\")\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${file}")
endfunction()
