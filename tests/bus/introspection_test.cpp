// What busctl shows of org.cwmpd is exactly what bus/xml documents: same members, same
// argument names, types and directions, same properties.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <sstream>

#include "bus_fixture.hpp"

namespace cwmpd::testing {
namespace {

namespace pt = boost::property_tree;

// One line per member: "method GetParameterValues(in as names, out a(sss) values)".
std::vector<std::string> describeInterface(const pt::ptree& node, const std::string& name) {
  for (const auto& [tag, iface] : node) {
    if (tag != "interface" || iface.get<std::string>("<xmlattr>.name") != name) continue;
    std::vector<std::string> members;
    for (const auto& [kind, member] : iface) {
      if (kind != "method" && kind != "signal" && kind != "property") continue;
      std::string line = kind + " " + member.get<std::string>("<xmlattr>.name");
      if (kind == "property") {
        line += " " + member.get<std::string>("<xmlattr>.type") + " " +
                member.get<std::string>("<xmlattr>.access");
      } else {
        line += "(";
        for (const auto& [argTag, arg] : member) {
          if (argTag != "arg") continue;
          if (line.back() != '(') line += ", ";
          if (kind == "method") line += arg.get<std::string>("<xmlattr>.direction", "in") + " ";
          line += arg.get<std::string>("<xmlattr>.type") + " " +
                  arg.get<std::string>("<xmlattr>.name", "");
        }
        line += ")";
      }
      for (const auto& [annotationTag, annotation] : member) {
        if (annotationTag != "annotation") continue;
        // A hint to the code generator (the method answers later), not part of what the
        // bus shows.
        if (annotation.get<std::string>("<xmlattr>.name") == "org.freedesktop.DBus.Method.Async")
          continue;
        line += " @" + annotation.get<std::string>("<xmlattr>.name") + "=" +
                annotation.get<std::string>("<xmlattr>.value");
      }
      members.push_back(line);
    }
    std::sort(members.begin(), members.end());
    return members;
  }
  return {};
}

pt::ptree parseXml(std::istream& in) {
  pt::ptree tree;
  pt::read_xml(in, tree, pt::xml_parser::trim_whitespace);
  return tree.get_child("node");
}

class Introspection : public BusFixture,
                      public ::testing::WithParamInterface<std::pair<const char*, const char*>> {};

TEST_P(Introspection, BusctlShowsExactlyTheDocumentedInterface) {
  const auto [interface, path] = GetParam();
  std::ifstream file(std::string(CWMPD_BUS_XML_DIR) + "/" + interface + ".xml");
  ASSERT_TRUE(file) << "no XML for " << interface;
  const auto documented = describeInterface(parseXml(file), interface);
  ASSERT_FALSE(documented.empty());

  const auto r = busctl({"introspect", "--xml-interface", "org.cwmpd", path});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::istringstream served(r.out);
  EXPECT_EQ(describeInterface(parseXml(served), interface), documented) << r.out;
}

INSTANTIATE_TEST_SUITE_P(BothObjects, Introspection,
                         ::testing::Values(std::make_pair("org.cwmpd.DataModel1",
                                                          "/org/cwmpd/DataModel"),
                                           std::make_pair("org.cwmpd.Agent1", "/org/cwmpd/Agent")));

TEST_F(BusFixture, BusctlIntrospectListsTheDataModelMethodsWithTheirSignatures) {
  const auto r =
      busctl({"introspect", "org.cwmpd", "/org/cwmpd/DataModel", "org.cwmpd.DataModel1"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  for (const char* line : {".GetParameterValues", ".SetParameterValues", ".GetParameterNames",
                           ".GetParameterAttributes", ".SetParameterAttributes", ".AddObject",
                           ".DeleteObject", ".ValueChanged"}) {
    EXPECT_THAT(r.out, ::testing::HasSubstr(line));
  }
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\\.GetParameterValues +method +as +a\\(sss\\)"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\\.ValueChanged +signal +a\\(sss\\)"));
}

}  // namespace
}  // namespace cwmpd::testing
