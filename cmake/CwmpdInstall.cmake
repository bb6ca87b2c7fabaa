# What `cmake --install` puts where. Included last by the top-level CMakeLists.txt, once
# every target exists. Two components:
#   sdk     headers, cwmpdConfig.cmake, CwmpdPlugin.cmake: enough to build a plugin out
#           of tree with find_package(cwmpd)  (cmake --install build --component sdk)
#   daemon  cwmpd, the plugins of the default plugin directory, configuration, systemd unit
# (cwmpctl, the D-Bus policy and interface files are installed by bus/.)
include(CMakePackageConfigHelpers)

# CWMPD_INSTALL_PLUGINDIR: the top-level CMakeLists.txt (the daemon compiles it in).
set(CWMPD_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/cwmpd" CACHE STRING
  "Where cwmpdConfig.cmake goes, relative to the prefix")

# --- sdk ---
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/cwmpd/sdk
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cwmpd COMPONENT sdk FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/hal/include/cwmpd/hal
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cwmpd COMPONENT sdk FILES_MATCHING PATTERN "*.hpp")

set_target_properties(cwmpd_sdk PROPERTIES EXPORT_NAME sdk)
set_target_properties(cwmpd_hal_api PROPERTIES EXPORT_NAME hal_api)
install(TARGETS cwmpd_sdk cwmpd_hal_api EXPORT cwmpdTargets COMPONENT sdk)
install(EXPORT cwmpdTargets NAMESPACE cwmpd:: DESTINATION ${CWMPD_INSTALL_CMAKEDIR} COMPONENT sdk)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/cwmpdConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/cwmpdConfig.cmake
  INSTALL_DESTINATION ${CWMPD_INSTALL_CMAKEDIR})
# The plugin ABI may change between minor versions while we are at 0.x.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/cwmpdConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/cwmpdConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/cwmpdConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/CwmpdPlugin.cmake
  ${CMAKE_CURRENT_LIST_DIR}/CwmpdEmbed.cmake
  DESTINATION ${CWMPD_INSTALL_CMAKEDIR} COMPONENT sdk)

# pkg-config for builds that do not use CMake (pkg-config --cflags cwmpd; the variable
# plugindir is where plugins go).
configure_file(${CMAKE_CURRENT_LIST_DIR}/cwmpd.pc.in ${PROJECT_BINARY_DIR}/cmake/cwmpd.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/cwmpd.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT sdk)

# --- daemon ---
if(TARGET cwmpd)
  install(TARGETS cwmpd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT daemon)
endif()
# The plugins of the build tree's plugin directory, less those for the benchmarks only
# (plugins/synthetic). The example plugin is not among them (plugins/example): cwmpd-dev
# ships its sources as documentation.
get_property(cwmpd_default_plugins GLOBAL PROPERTY CWMPD_DEFAULT_PLUGINS)
get_property(cwmpd_uninstalled_plugins GLOBAL PROPERTY CWMPD_UNINSTALLED_PLUGINS)
if(cwmpd_uninstalled_plugins)
  list(REMOVE_ITEM cwmpd_default_plugins ${cwmpd_uninstalled_plugins})
endif()
if(cwmpd_default_plugins)
  install(TARGETS ${cwmpd_default_plugins}
    LIBRARY DESTINATION ${CWMPD_INSTALL_PLUGINDIR} COMPONENT daemon)
endif()
# The configuration holds the ACS and Connection Request passwords: mode 0640, and group
# cwmpd (the daemon's, which the packages create) when that group exists where it is
# installed. A staged install (DESTDIR: packaging) leaves the group to the package.
install(FILES ${PROJECT_SOURCE_DIR}/config/cwmpd.conf
  DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/cwmpd COMPONENT daemon
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(CODE "
  set(conf \"${CMAKE_INSTALL_SYSCONFDIR}/cwmpd/cwmpd.conf\")
  if(NOT IS_ABSOLUTE \"\${conf}\")
    set(conf \"\${CMAKE_INSTALL_PREFIX}/\${conf}\")
  endif()
  if(\"\$ENV{DESTDIR}\" STREQUAL \"\")
    execute_process(COMMAND getent group cwmpd RESULT_VARIABLE no_group OUTPUT_QUIET)
    if(no_group EQUAL 0)
      execute_process(COMMAND chgrp cwmpd \"\${conf}\")
    endif()
  endif()" COMPONENT daemon)

set(CWMPD_FULL_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
set(CWMPD_FULL_CONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/cwmpd)
configure_file(${PROJECT_SOURCE_DIR}/config/systemd/cwmpd.service.in
  ${PROJECT_BINARY_DIR}/config/systemd/cwmpd.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/config/systemd/cwmpd.service
  DESTINATION lib/systemd/system COMPONENT daemon)

# bash completion of cwmpctl (paths from the running agent).
install(FILES ${PROJECT_SOURCE_DIR}/config/completion/cwmpctl.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME cwmpctl
  COMPONENT daemon)
