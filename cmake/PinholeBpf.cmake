# BPF programs (pinholed's XDP fast path, pinhole-bench's XDP receiver):
# built with clang -target bpf, optionally embedded into a C++ source file
# (cmake/PinholeEmbed.cmake) that the program loads with libbpf.
#
# pinhole_bpf_object(<object> SOURCE <file.bpf.c> [EMBED <symbol> <file.cpp>]
#                    [INCLUDES dir...] [DEPENDS file...] [FLAGS flag...])
find_program(PINHOLE_BPF_CLANG NAMES clang clang-14 clang-15 clang-16)
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch OUTPUT_VARIABLE PINHOLE_BPF_MULTIARCH
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT PINHOLE_BPF_MULTIARCH)
  set(PINHOLE_BPF_MULTIARCH ${CMAKE_LIBRARY_ARCHITECTURE})
endif()
set(PINHOLE_BPF_MULTIARCH ${PINHOLE_BPF_MULTIARCH} CACHE INTERNAL "")

function(pinhole_bpf_object obj)
  cmake_parse_arguments(B "" "SOURCE" "EMBED;INCLUDES;DEPENDS;FLAGS" ${ARGN})
  get_filename_component(name "${obj}" NAME)
  set(includes -I/usr/include/${PINHOLE_BPF_MULTIARCH})
  foreach(dir IN LISTS B_INCLUDES)
    list(APPEND includes -I${dir})
  endforeach()
  add_custom_command(OUTPUT ${obj}
    COMMAND ${PINHOLE_BPF_CLANG} -O2 -g -target bpf -Wall -Werror ${B_FLAGS} ${includes} -c ${B_SOURCE} -o ${obj}
    DEPENDS ${B_SOURCE} ${B_DEPENDS}
    COMMENT "BPF: ${name}" VERBATIM)
  if(B_EMBED)
    list(GET B_EMBED 0 symbol)
    list(GET B_EMBED 1 cpp)
    add_custom_command(OUTPUT ${cpp}
      COMMAND ${CMAKE_COMMAND} -DIN=${obj} -DOUT=${cpp} -DSYMBOL=${symbol}
              -P ${PROJECT_SOURCE_DIR}/cmake/PinholeEmbed.cmake
      DEPENDS ${obj} ${PROJECT_SOURCE_DIR}/cmake/PinholeEmbed.cmake VERBATIM)
    set_source_files_properties(${cpp} PROPERTIES COMPILE_OPTIONS "-w" GENERATED TRUE)
  endif()
endfunction()
