// Issue 15 item 3: the decoder does not keep what one large request needed. Its element
// tree is reused between messages (no allocation for the usual small ones), but after a
// megabyte of names it used to stay at its high-water mark, ~3 MB of heap held for the
// life of the daemon. Measured with the allocator's own count of bytes in use.
#include <gtest/gtest.h>

#include <string>

#include "cwmpd/core/soap/decoder.hpp"
#include "heap_in_use.hpp"

namespace cwmpd::core::soap {
namespace {

std::string request(std::size_t names) {
  std::string body;
  for (std::size_t i = 0; i < names; ++i)
    body += "<string>Device.X_CWMPD_Synthetic.Item." + std::to_string(i + 1) + ".Name</string>";
  return "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap-env:Header>"
         "<cwmp:ID soap-env:mustUnderstand=\"1\">m-1</cwmp:ID></soap-env:Header><soap-env:Body>"
         "<cwmp:GetParameterValues><ParameterNames>" +
         body + "</ParameterNames></cwmp:GetParameterValues></soap-env:Body></soap-env:Envelope>";
}

using cwmpd::test::heapInUse;

// Where the pointer goes so that the compiler cannot drop the allocation it came from.
char* volatile escaped = nullptr;

// The bounds below are only as good as the count: a megabyte block (above glibc's mmap
// threshold, so not in an arena; under ASan, not glibc's at all) must be in it.
TEST(HeapInUse, CountsAMegabyteBlockWhileItIsAllocated) {
  constexpr std::size_t kSize = std::size_t{1024} * 1024;
  const std::size_t before = heapInUse();
  escaped = new char[kSize];
  const std::size_t during = heapInUse();
  delete[] escaped;
  escaped = nullptr;
  EXPECT_GE(during, before + kSize) << "before " << before << ", during " << during;
  EXPECT_LT(heapInUse(), during);
}

TEST(DecoderMemory, ALargeRequestLeavesNothingAllocatedOnceItIsRead) {
  Decoder decoder;
  const std::string small = request(10);
  ASSERT_TRUE(decoder.decode(small).ok());  // the reader's own one-time allocations
  std::string big = request(20000);         // ~1 MB
  const std::size_t before = heapInUse();
  {
    const DecodeResult r = decoder.decode(big);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(std::get<GetParameterValues>(r.envelope().body).parameterNames.size(), 20000u);
  }
  ASSERT_TRUE(decoder.decode(small).ok());
  const std::size_t after = heapInUse();
  // The small message's tree stays; the large one's is given back.
  EXPECT_LT(after, before + 128 * 1024)
      << "held after the large request: " << (after - before) << " bytes";
}

TEST(DecoderMemory, AFailedLargeRequestLeavesNothingAllocatedEither) {
  Decoder decoder;
  ASSERT_TRUE(decoder.decode(request(10)).ok());
  std::string big = request(20000);
  big.resize(big.size() - 40);  // cut inside the closing tags: malformed
  const std::size_t before = heapInUse();
  EXPECT_FALSE(decoder.decode(big).ok());
  EXPECT_LT(heapInUse(), before + 128 * 1024);
}

}  // namespace
}  // namespace cwmpd::core::soap
