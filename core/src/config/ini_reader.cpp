#include "config/ini_reader.hpp"

#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <sstream>

namespace cwmpd::core::config {

IniResult readIni(const std::string& text) {
  IniResult result;
  boost::property_tree::ptree tree;
  std::istringstream in{text};
  try {
    boost::property_tree::ini_parser::read_ini(in, tree);
  } catch (const boost::property_tree::ini_parser_error& e) {
    result.ok = false;
    result.errorLine = static_cast<int>(e.line());
    result.errorMessage = e.message();
    return result;
  }
  for (const auto& [name, body] : tree) {
    IniEntry& entry = result.entries.emplace_back();
    entry.name = name;
    for (const auto& [key, value] : body) entry.keys.emplace_back(key, value.data());
  }
  return result;
}

}  // namespace cwmpd::core::config
