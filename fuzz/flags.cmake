# Included by the top-level CMakeLists.txt when LB_BUILD_FUZZ is on, before any target: every
# liftbench library is compiled with libFuzzer's coverage and ASan + UBSan (no recovery), so
# the harnesses in fuzz/ see into the parsers. Needs clang (Debian: clang-14 and
# libclang-rt-14-dev); scripts/build.sh --sanitize configures build-asan this way, for the tests
# and the harnesses alike.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "LB_BUILD_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++-14, "
                      "got ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER}")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
