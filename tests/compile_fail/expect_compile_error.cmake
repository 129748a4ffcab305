# ctest -P script: SOURCE must compile without ONCE_EXPECT_COMPILE_ERROR and
# fail with it, printing a diagnostic that matches the EXPECTED regex.
set(flags -std=c++20 -fsyntax-only ${INCLUDES})

execute_process(COMMAND ${COMPILER} ${flags} ${SOURCE} RESULT_VARIABLE control_result ERROR_VARIABLE control_output)
if(NOT control_result EQUAL 0)
  message(FATAL_ERROR "the control build of ${SOURCE} failed, so the expected error proves nothing:\n${control_output}")
endif()

execute_process(COMMAND ${COMPILER} ${flags} -DONCE_EXPECT_COMPILE_ERROR ${SOURCE}
                RESULT_VARIABLE result ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled with ONCE_EXPECT_COMPILE_ERROR; it must not")
endif()
if(NOT output MATCHES "${EXPECTED}")
  message(FATAL_ERROR "${SOURCE} failed to compile, but not with /${EXPECTED}/:\n${output}")
endif()
message(STATUS "refused as expected: /${EXPECTED}/")
