// The plugin's own data model document, embedded by cwmpd_add_plugin(... MODEL file.xml).
#pragma once
#include <string_view>
extern const std::string_view cwmpd_plugin_model_xml;
