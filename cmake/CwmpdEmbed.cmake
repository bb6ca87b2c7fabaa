# Script mode: cmake -DIN=model.xml -DOUT=model_xml.cpp [-DMINIFY=ON] [-DSYMBOL=name] -P CwmpdEmbed.cmake
# SYMBOL: the std::string_view's name (default cwmpd_plugin_model_xml, what plugins read).
# MINIFY (the small build, CWMPD_SMALL): the comments and the indentation between tags are
# left out of the embedded copy, a third to a half of its bytes; element and attribute
# text stay as they are. Off by default: a model error's line number then matches the file.
file(READ ${IN} content)
if(MINIFY)
  string(REGEX REPLACE "<!--([^-]|-[^-])*-->" "" content "${content}")
  string(REGEX REPLACE ">[ \t\r\n]+<" "><" content "${content}")
endif()
set(delim "cwmpd_model_xml")
string(FIND "${content}" ")${delim}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter")
endif()
if(NOT SYMBOL)
  set(SYMBOL cwmpd_plugin_model_xml)
endif()
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\n#include <string_view>\n"
  "extern \"C++\" const std::string_view ${SYMBOL};\n"
  "const std::string_view ${SYMBOL} = R\"${delim}(${content})${delim}\";\n")
