# Included by the top-level CMakeLists.txt before any library is defined, when
# NDMP_FUZZ=ON. libFuzzer needs every library a fuzz target links to carry
# coverage instrumentation (-fsanitize=fuzzer-no-link) and, so that a memory
# error inside a library is caught where it happens, ASan and UBSan as well.
# The fuzz targets themselves add -fsanitize=fuzzer (fuzz/CMakeLists.txt),
# which brings libFuzzer's main().
#
# Only clang ships libFuzzer; g++ would fail later with an obscure link error,
# so say it here.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "NDMP_FUZZ=ON needs clang (configure with CC=clang CXX=clang++ "
                      "or `cmake --preset fuzz`); found ${CMAKE_CXX_COMPILER_ID}")
endif()
set(NDMP_FUZZ_INSTRUMENT -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
add_compile_options(${NDMP_FUZZ_INSTRUMENT})
add_link_options(-fsanitize=address,undefined)
