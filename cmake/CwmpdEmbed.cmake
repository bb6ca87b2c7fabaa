# Script mode: cmake -DIN=model.xml -DOUT=model_xml.cpp [-DMINIFY=ON] [-DCOMPRESS=ON]
#              [-DSYMBOL=name] -P CwmpdEmbed.cmake
# SYMBOL: the std::string_view's name (default cwmpd_plugin_model_xml, what plugins read).
# MINIFY (the small build, CWMPD_SMALL): the comments and the indentation between tags are
# left out of the embedded copy, a third to a half of its bytes; element and attribute
# text stay as they are. Off by default: a model error's line number then matches the file.
# COMPRESS (the small build): the copy is embedded in its gzip form (RFC 1952), a sixth to
# a tenth of its bytes, which the daemon inflates when the plugin hands it over
# (sdk::Registrar::definitions).
file(READ ${IN} content)
if(MINIFY)
  string(REGEX REPLACE "<!--([^-]|-[^-])*-->" "" content "${content}")
  string(REGEX REPLACE ">[ \t\r\n]+<" "><" content "${content}")
endif()
if(NOT SYMBOL)
  set(SYMBOL cwmpd_plugin_model_xml)
endif()
string(CONCAT head "// Generated from ${IN}; do not edit.\n#include <string_view>\n"
  "extern \"C++\" const std::string_view ${SYMBOL};\n")
if(COMPRESS)
  set(plain ${OUT}.xml)
  file(WRITE ${plain} "${content}")
  file(ARCHIVE_CREATE OUTPUT ${OUT}.gz PATHS ${plain} FORMAT raw COMPRESSION GZip
       COMPRESSION_LEVEL 9)
  file(READ ${OUT}.gz hex HEX)
  file(REMOVE ${plain} ${OUT}.gz)
  # Bytes 4-7 are the gzip header's MTIME: 0 ("none") keeps the build reproducible.
  string(SUBSTRING "${hex}" 0 8 magic)
  string(SUBSTRING "${hex}" 16 -1 rest)
  string(LENGTH "${hex}" length)
  math(EXPR bytes "${length} / 2")
  # 32 bytes to a line, every byte as \xHH (a backslash always ends the escape before).
  string(REGEX REPLACE "(................................................................)"
         "\\1|" lines "${magic}00000000${rest}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${lines}")
  string(REPLACE "|" "\"\n    \"" escaped "${escaped}")
  file(WRITE ${OUT} "${head}"
    "const std::string_view ${SYMBOL}(\n    \"${escaped}\",\n    ${bytes});\n")
  return()
endif()
set(delim "cwmpd_model_xml")
string(FIND "${content}" ")${delim}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter")
endif()
file(WRITE ${OUT} "${head}"
  "const std::string_view ${SYMBOL} = R\"${delim}(${content})${delim}\";\n")
