// TR-181 DeploymentUnit.{i}.UUID: RFC 4122 version 5 (name-based) UUIDs, checked against
// Python's uuid module (an independent implementation) run by the test.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "cwmpd/core/software_modules.hpp"

namespace cwmpd::core {
namespace {

// What python3 prints for `expression` (one line, without its newline).
std::string python(const std::string& expression) {
  const std::string cmd = "python3 -c 'import uuid; print(" + expression + ")'";
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
  if (!p) return {};
  std::array<char, 128> buf{};
  std::string out;
  while (std::fgets(buf.data(), buf.size(), p.get()) != nullptr) out += buf.data();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(SwmUuid, NameBasedUuidsAreRfc4122Version5) {
  EXPECT_EQ(nameBasedUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org"),
            python("uuid.uuid5(uuid.NAMESPACE_DNS, \"python.org\")"));
  EXPECT_EQ(nameBasedUuid("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "http://example.com/a"),
            python("uuid.uuid5(uuid.NAMESPACE_URL, \"http://example.com/a\")"));
  // Upper-case name space digits, an empty name.
  EXPECT_EQ(nameBasedUuid("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", ""),
            python("uuid.uuid5(uuid.NAMESPACE_DNS, \"\")"));
  EXPECT_EQ(nameBasedUuid("not-a-uuid", "x"), "");
}

TEST(SwmUuid, ADeploymentUnitsUuidComesFromItsNameInItsVendorsNameSpace) {
  const std::string want =
      python("uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_DNS, \"example.com\"), \"hello\")");
  ASSERT_EQ(want.size(), 36u);
  EXPECT_EQ(deploymentUnitUuid("hello", "example.com"), want);
  EXPECT_TRUE(validUuid(want));
  // Another name or another vendor: another UUID.
  EXPECT_NE(deploymentUnitUuid("hello2", "example.com"), want);
  EXPECT_NE(deploymentUnitUuid("hello", "example.org"), want);
}

}  // namespace
}  // namespace cwmpd::core
