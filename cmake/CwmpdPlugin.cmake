# cwmpd_add_plugin(NAME <name> SOURCES <files...> MODEL <model.xml> [LIBS <libs...>]
#                  [OUTPUT_DIR <dir>])
#
# Builds a parameter plugin the same way in tree and out of tree: a MODULE library with
# hidden visibility that links only the SDK. MODEL is the plugin's Broadband Forum data
# model document; it is compiled into the plugin as `cwmpd_plugin_model_xml` (declared in
# cwmpd/sdk/model_xml.hpp) so the .so is self-contained. The target is
# `cwmpd_plugin_<name>` and the file `<name>.so`.
#
# This file is included by cwmpd's own build and installed with the SDK (find_package(cwmpd)
# includes it). Out of tree, install the plugin with
#   install(TARGETS cwmpd_plugin_<name> LIBRARY DESTINATION ${CWMPD_PLUGIN_INSTALL_DIR})
function(cwmpd_add_plugin)
  cmake_parse_arguments(P "" "NAME;MODEL;OUTPUT_DIR" "SOURCES;LIBS" ${ARGN})
  if(NOT P_NAME)
    message(FATAL_ERROR "cwmpd_add_plugin: NAME is required")
  endif()
  set(target cwmpd_plugin_${P_NAME})
  add_library(${target} MODULE ${P_SOURCES})
  if(P_MODEL)
    get_filename_component(model_abs ${P_MODEL} ABSOLUTE)
    set(gen ${CMAKE_CURRENT_BINARY_DIR}/${P_NAME}_model_xml.cpp)
    add_custom_command(OUTPUT ${gen}
      COMMAND ${CMAKE_COMMAND} -DIN=${model_abs} -DOUT=${gen} -DMINIFY=${CWMPD_SMALL} -DCOMPRESS=${CWMPD_SMALL}
              -P ${CWMPD_EMBED_SCRIPT}
      DEPENDS ${model_abs} ${CWMPD_EMBED_SCRIPT}
      COMMENT "Embedding data model ${P_MODEL}")
    target_sources(${target} PRIVATE ${gen})
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "" OUTPUT_NAME ${P_NAME}
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  if(P_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  elseif(DEFINED CWMPD_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CWMPD_PLUGIN_OUTPUT_DIR})
    # The plugins of the default directory: what the daemon loads, what gets installed
    # and what the conformance test checks (cmake/CwmpdInstall.cmake, tests/conformance).
    set_property(GLOBAL APPEND PROPERTY CWMPD_DEFAULT_PLUGINS ${target})
  endif()
  target_link_libraries(${target} PRIVATE cwmpd::sdk ${P_LIBS})
endfunction()

set(CWMPD_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/CwmpdEmbed.cmake CACHE INTERNAL "")
