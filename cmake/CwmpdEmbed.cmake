# Script mode: cmake -DIN=model.xml -DOUT=model_xml.cpp -P CwmpdEmbed.cmake
file(READ ${IN} content)
set(delim "cwmpd_model_xml")
string(FIND "${content}" ")${delim}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter")
endif()
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\n#include <string_view>\n"
  "extern \"C++\" const std::string_view cwmpd_plugin_model_xml;\n"
  "const std::string_view cwmpd_plugin_model_xml = R\"${delim}(${content})${delim}\";\n")
