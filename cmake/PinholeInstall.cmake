# Install rules that respect the prefix given at install time.
#
# One build serves both kinds of installs:
#  * `cmake --install build --prefix P` (any P): every file lands under P, the
#    config in P/etc/pinhole, and executables find libpinhole through
#    RUNPATH $ORIGIN/../lib (relative, so P can move);
#  * the .deb (CPack installs with prefix /usr into a staging DESTDIR) and
#    `--prefix /usr`: the config goes to /etc/pinhole and executables carry
#    no RUNPATH (the library is in the system directory; Debian policy 10.2).
# "/usr or /" is decided when the install runs, since `--prefix` and CPack
# override the configured CMAKE_INSTALL_PREFIX then. GNUInstallDirs uses the
# same rule for its absolute sysconfdir (/usr -> /etc).

# $ORIGIN-relative path from the binary directory to the library directory.
file(RELATIVE_PATH _pinhole_bin_to_lib "/p/${CMAKE_INSTALL_BINDIR}" "/p/${CMAKE_INSTALL_LIBDIR}")
set(PINHOLE_INSTALL_RPATH "$ORIGIN/${_pinhole_bin_to_lib}")

# Install-time test: sets _pinhole_system_prefix to TRUE for prefix /usr or /.
set(_pinhole_prefix_test [[
string(REGEX REPLACE "/+$" "" _pinhole_p "${CMAKE_INSTALL_PREFIX}")
if(_pinhole_p STREQUAL "/usr" OR _pinhole_p STREQUAL "")
  set(_pinhole_system_prefix TRUE)
else()
  set(_pinhole_system_prefix FALSE)
endif()
]])

# pinhole_install_program(<target> <bindir> <component>): installs an
# executable; one that links libpinhole gets the relative RUNPATH, dropped
# again when installing into /usr.
function(pinhole_install_program target dir component)
  get_target_property(_libs ${target} LINK_LIBRARIES)
  set(_needs_rpath FALSE)
  if(_libs MATCHES "pinhole::client(;|$)|pinhole_client(;|$)")
    set(_needs_rpath TRUE)
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "${PINHOLE_INSTALL_RPATH}")
  endif()
  install(TARGETS ${target} RUNTIME DESTINATION ${dir} COMPONENT ${component})
  if(_needs_rpath)
    install(CODE "${_pinhole_prefix_test}
if(_pinhole_system_prefix)
  file(RPATH_REMOVE FILE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${dir}/$<TARGET_FILE_NAME:${target}>\")
endif()" COMPONENT ${component})
  endif()
endfunction()

# pinhole_install_config(<file> <subdir> <component>): installs <file> into
# <sysconfdir>/<subdir>: /etc/<subdir> for prefix /usr or /, else
# <prefix>/<CMAKE_INSTALL_SYSCONFDIR>/<subdir> (an absolute
# CMAKE_INSTALL_SYSCONFDIR is taken as given).
function(pinhole_install_config file subdir component)
  get_filename_component(_src "${file}" ABSOLUTE)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_SYSCONFDIR}")
    set(_other "${CMAKE_INSTALL_SYSCONFDIR}/${subdir}")
  else()
    set(_other "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}/${subdir}")
  endif()
  install(CODE "${_pinhole_prefix_test}
if(_pinhole_system_prefix)
  set(_pinhole_dest \"/etc/${subdir}\")
else()
  set(_pinhole_dest \"${_other}\")
endif()
file(INSTALL DESTINATION \"\${_pinhole_dest}\" TYPE FILE FILES \"${_src}\")" COMPONENT ${component})
endfunction()
