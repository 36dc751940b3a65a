# pinhole_warnings(<target>): the project's warning set; -Werror when PINHOLE_WERROR.
function(pinhole_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(PINHOLE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
    # GCC 12 reports -Wnull-dereference false positives from inlined Boost.Asio
    # and Boost.ProgramOptions code once the optimiser runs (-O2: release
    # preset); -O0 builds never see them. Keep them visible but not fatal there.
    target_compile_options(${target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-Wno-error=null-dereference>)
  endif()
endfunction()
