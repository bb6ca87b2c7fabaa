// The address helpers behind ConnectionRequestURL, on the machine's loopback.
#include "cwmpd/core/net/local_address.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace cwmpd::core::net {
namespace {

TEST(LocalAddress, TheRouteTowardsALoopbackAcsStartsAtTheLoopbackAddressOfItsFamily) {
  EXPECT_EQ(sourceAddressTowards("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(sourceAddressTowards("::1"), "::1");
  EXPECT_EQ(sourceAddressTowards("acs.example"), "") << "host names are not looked up";
}

TEST(LocalAddress, ReadsTheHostAndPortOfAnAcsUrl) {
  EXPECT_EQ(urlHost("https://[::1]:7548/acs"), "::1");
  EXPECT_EQ(urlHost("http://acs.example/cwmp"), "acs.example");
  EXPECT_EQ(urlPort("https://acs.example/cwmp"), 443);
  EXPECT_EQ(urlPort("http://127.0.0.1:8080/"), 8080);
  EXPECT_TRUE(isNumericAddress("::1"));
  EXPECT_TRUE(isNumericAddress("10.0.0.1"));
  EXPECT_FALSE(isNumericAddress("acs.example"));
}

TEST(LocalAddress, PicksAnInterfaceAddressOfTheWantedFamilyFirst) {
  EXPECT_EQ(interfaceAddress("lo", AF_INET), "127.0.0.1");
  EXPECT_EQ(interfaceAddress("lo", AF_INET6), "::1");
  EXPECT_EQ(interfaceAddress("no-such-interface0", AF_INET), "");
}

TEST(LocalAddress, BracketsAnIpv6AddressForAUrl) {
  EXPECT_EQ(urlHostPart("::1"), "[::1]");
  EXPECT_EQ(urlHostPart("192.0.2.1"), "192.0.2.1");
}

}  // namespace
}  // namespace cwmpd::core::net
