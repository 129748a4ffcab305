# Warnings (and, by default, warnings as errors) for the project's own targets.
# Third-party headers are found as system headers, so their warnings stay out.
function(once_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wconversion -Wsign-conversion -Wimplicit-fallthrough)
  # GCC 12 reports std::string members of nested aggregates as "maybe
  # uninitialized" and string concatenation as overlapping memcpy (-Wrestrict)
  # at -O2 (GCC bugs 105562, 105329): false positives.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized -Wno-restrict)
    # Designated initialisers that leave members to their default initialisers
    # ({.batch_size = 100}) are intended, not missing.
    target_compile_options(${target} PRIVATE -Wno-missing-field-initializers)
  endif()
  if(ONCE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(ONCE_FUZZ)
    # Coverage for libFuzzer in every target; the fuzz binaries link the fuzzer itself (tests/fuzz).
    # clang 14's -fsanitize=function cannot compile Asio's coroutines ("cannot represent a difference across
    # sections"): every other UBSan check stays on.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                                             -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(ONCE_SANITIZE STREQUAL "thread")
    # -Wno-tsan: GCC warns that TSan does not model the atomic_thread_fence inside Asio's handler recycling;
    # a race that fence orders would be reported by TSan itself, not hidden.
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  elseif(ONCE_SANITIZE)  # address, or ON
    # vptr is left out: Boost.System's constant-initialised error categories read as "invalid vptr" to GCC 12's
    # UBSan on a plain member access (a false positive inside every Asio error check).
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize=vptr
                                             -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize=vptr)
  endif()
endfunction()

# Public headers must stand alone: compile each of them as its own translation unit.
function(once_header_check target include_dir)
  file(GLOB_RECURSE headers RELATIVE ${include_dir} CONFIGURE_DEPENDS ${include_dir}/*.hpp)
  set(sources)
  foreach(header IN LISTS headers)
    string(MAKE_C_IDENTIFIER ${header} stem)
    set(source ${CMAKE_CURRENT_BINARY_DIR}/header_check/${stem}.cpp)
    file(GENERATE OUTPUT ${source} CONTENT "#include <${header}>\n")
    list(APPEND sources ${source})
  endforeach()
  add_library(${target}_header_check OBJECT ${sources})
  target_link_libraries(${target}_header_check PRIVATE ${target})
  once_target_defaults(${target}_header_check)
endfunction()
