// Issue 15 item 1: the names of a GetParameterValues go to a NameSink while the request is
// parsed, not into the decoded envelope. Everything else must be exactly what the
// ordinary decode gives: the same names in the same order, the same errors (kind,
// message, cwmp:ID, method, namespace) for the same broken or hostile input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cwmpd/core/soap/decoder.hpp"
#include "heap_in_use.hpp"

namespace cwmpd::core::soap {
namespace {

struct RecordingSink : NameSink {
  std::vector<std::string> methods;  // every begin()
  std::vector<std::string> names;
  bool accept = true;
  bool begin(std::string_view method) override {
    methods.emplace_back(method);
    return accept && method == "GetParameterValues";
  }
  void name(std::string_view n) override { names.emplace_back(n); }
};

const std::string kOpen =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap-env:Header>"
    "<cwmp:ID soap-env:mustUnderstand=\"1\">s-7</cwmp:ID>"
    "<cwmp:HoldRequests>1</cwmp:HoldRequests></soap-env:Header><soap-env:Body>";
const std::string kClose = "</soap-env:Body></soap-env:Envelope>";

std::string gpv(const std::string& items) {
  return kOpen + "<cwmp:GetParameterValues><ParameterNames>" + items +
         "</ParameterNames></cwmp:GetParameterValues>" + kClose;
}

// Decodes `payload` both ways and checks that they agree. Returns the sink.
RecordingSink agree(const std::string& payload, DecodeLimits limits = {}) {
  Decoder plain(limits);
  Decoder streaming(limits);
  RecordingSink sink;
  const DecodeResult a = plain.decode(payload);
  const DecodeResult b = streaming.decode(payload, &sink);
  EXPECT_EQ(a.ok(), b.ok()) << (a.ok() ? b.error().message : a.error().message);
  if (a.ok() != b.ok()) return sink;
  if (!a.ok()) {
    EXPECT_EQ(a.error().kind, b.error().kind);
    EXPECT_EQ(a.error().message, b.error().message);
    EXPECT_EQ(a.error().id, b.error().id);
    EXPECT_EQ(a.error().method, b.error().method);
    EXPECT_EQ(a.error().ns, b.error().ns);
    return sink;
  }
  Envelope expected = a.envelope();
  if (auto* request = std::get_if<GetParameterValues>(&expected.body);
      request != nullptr && !sink.methods.empty()) {
    EXPECT_EQ(sink.names, request->parameterNames);
    request->parameterNames.clear();  // streamed: not in the envelope
  }
  EXPECT_EQ(expected, b.envelope());
  return sink;
}

TEST(StreamedNames, TheNamesGoToTheSinkInOrderAndNotIntoTheEnvelope) {
  Decoder decoder;
  RecordingSink sink;
  const DecodeResult r = decoder.decode(
      gpv("<string>Device.A.</string><string>Device.B.1.C</string><string></string>"), &sink);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(sink.methods, std::vector<std::string>{"GetParameterValues"});
  EXPECT_EQ(sink.names, (std::vector<std::string>{"Device.A.", "Device.B.1.C", ""}));
  EXPECT_TRUE(std::get<GetParameterValues>(r.envelope().body).parameterNames.empty());
  // The header is read as usual (it comes before the Body).
  EXPECT_EQ(r.envelope().header.id, "s-7");
  EXPECT_EQ(r.envelope().header.holdRequests, true);
  EXPECT_EQ(r.envelope().ns, CwmpNamespace::V1_2);
}

TEST(StreamedNames, AListTheSinkDeclinesIsDecodedAsUsual) {
  const std::string gpa = kOpen +
                          "<cwmp:GetParameterAttributes><ParameterNames><string>Device.A</string>"
                          "</ParameterNames></cwmp:GetParameterAttributes>" +
                          kClose;
  const RecordingSink sink = agree(gpa);
  EXPECT_EQ(sink.methods, std::vector<std::string>{"GetParameterAttributes"});
  EXPECT_TRUE(sink.names.empty());
}

TEST(StreamedNames, OddItemsGiveWhatTheTreeGives) {
  // Item names are not checked; text of an item with children is empty; entities,
  // CDATA, character references and whitespace kept as written.
  agree(
      gpv("<xsd:string>Device.A</xsd:string><a>Device.&amp;<![CDATA[<b>]]>&#x263A;</a>"
          "<string>  Device.C  </string><string>x<i>y</i>z</string><string><i/></string>"
          "<string xsi:type=\"xsd:string\">Device.D</string><cwmp:string>Device.E</cwmp:string>"
          "<string xmlns:p=\"urn:x\"><p:q p:r=\"1\">t</p:q></string><string/>"));
  agree(gpv(""));
  agree(kOpen + "<cwmp:GetParameterValues/>" + kClose);  // no ParameterNames: 9003
  // Only the first ParameterNames is the list; the first method of the first Body.
  agree(kOpen + "<cwmp:GetParameterValues><ParameterNames><s>A</s></ParameterNames>" +
        "<ParameterNames><s>B</s></ParameterNames></cwmp:GetParameterValues>" + kClose);
  agree(kOpen + "<cwmp:GetParameterValues><x/><ParameterNames><s>A</s></ParameterNames>" +
        "</cwmp:GetParameterValues><cwmp:Reboot/>" + kClose);
  agree(kOpen + "<GetParameterValues><ParameterNames><s>A</s></ParameterNames>" +
        "</GetParameterValues>" + kClose);  // outside the CWMP namespace: 9000
  const std::string twoBodies =
      "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap-env:Body><cwmp:Reboot>"
      "<CommandKey>k</CommandKey></cwmp:Reboot></soap-env:Body><soap-env:Body>"
      "<cwmp:GetParameterValues><ParameterNames><s>A</s></ParameterNames>"
      "</cwmp:GetParameterValues></soap-env:Body></soap-env:Envelope>";
  EXPECT_TRUE(agree(twoBodies).methods.empty());
}

TEST(StreamedNames, BrokenAndHostileListsFailAsTheyDoInTheTree) {
  std::string many;
  for (int i = 0; i < 20; ++i) many += "<string>Device.N" + std::to_string(i) + "</string>";
  agree(gpv(many), DecodeLimits{1 << 20, 32, 10});                                   // 9004
  agree(gpv("<string><a><b><c/></b></a></string>"), DecodeLimits{1 << 20, 6, 100});  // depth
  agree(gpv("<string><a/><a/><a/></string>"), DecodeLimits{1 << 20, 32, 2});         // 9004 inside
  agree(gpv("<p:string>Device.A</p:string>"));             // unbound prefix
  agree(gpv("<string p:a=\"1\">Device.A</string>"));       // unbound attribute prefix
  agree(gpv("<a:b:c>Device.A</a:b:c>"));                   // not namespace-well-formed
  agree(gpv("<string>Device.A</strin>"));                  // malformed after a name
  agree(gpv("<string>Device.A</string>").substr(0, 400));  // cut short
  agree(gpv("<string>Device.&bogus;</string>"));           // undeclared entity
  agree(gpv("<string>Device.A</string>") + "<extra/>");    // a second root
  agree("<!DOCTYPE r [<!ENTITY a \"b\">]>" + gpv("<string>&a;</string>"));
  // The decoder is reusable after each, with its sink state reset.
  Decoder decoder(DecodeLimits{1 << 20, 32, 10});
  RecordingSink first;
  EXPECT_FALSE(decoder.decode(gpv(many), &first).ok());
  RecordingSink second;
  ASSERT_TRUE(decoder.decode(gpv("<s>Device.Z</s>"), &second).ok());
  EXPECT_EQ(second.names, std::vector<std::string>{"Device.Z"});
}

// Items of one name are checked once (issue 15): an item that declares a namespace, or one
// named otherwise, is still checked on its own.
TEST(StreamedNames, RepeatedItemNamesAreCheckedLikeTheFirst) {
  agree(gpv("<string>A</string><p:string xmlns:p=\"urn:x\">B</p:string><p:string>C</p:string>"));
  agree(gpv("<p:s xmlns:p=\"urn:x\">A</p:s><p:s>B</p:s>"));
  agree(gpv("<string>A</string><string xmlns=\"urn:y\">B</string><string>C</string>"));
  agree(gpv("<string>A</string><string>B</string><string q:r=\"1\">C</string>"));
  agree(gpv("<string>A</string><string>B</string><x:string>C</x:string>"));
  RecordingSink sink = agree(gpv("<s>A</s><s>B</s><s xmlns:p=\"urn:x\">C</s><s>D</s>"));
  EXPECT_EQ(sink.names, (std::vector<std::string>{"A", "B", "C", "D"}));
}

// An ASCII message is read through a cheaper decoder when it says it is UTF-8 or says
// nothing (issue 15); every other declaration, and every non-ASCII message, as before.
TEST(StreamedNames, TheEncodingDeclarationIsHonoured) {
  const std::string body = gpv("<string>Device.A</string>").substr(kOpen.find("<soap-env:E"));
  const auto namesOf = [](const std::string& payload) {
    RecordingSink sink = agree(payload);
    return sink.names;
  };
  const std::vector<std::string> a{"Device.A"};
  EXPECT_EQ(namesOf(body), a);
  EXPECT_EQ(namesOf("<?xml version=\"1.0\"?>" + body), a);
  EXPECT_EQ(namesOf("<?xml version='1.0' encoding='utf-8'?>" + body), a);
  EXPECT_EQ(namesOf("<?xml version=\"1.0\" encoding = \"UTF-8\" standalone=\"yes\"?>" + body), a);
  EXPECT_EQ(namesOf("<?xml version=\"1.0\" encoding=\"US-ASCII\"?>" + body), a);
  // Non-ASCII: UTF-8 as UTF-8, Latin-1 as declared.
  std::string utf8 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + body;
  utf8.replace(utf8.find("Device.A"), 8, "Device.\xC3\xA9");
  EXPECT_EQ(namesOf(utf8), std::vector<std::string>{"Device.\xC3\xA9"});
  std::string latin1 = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" + body;
  latin1.replace(latin1.find("Device.A"), 8, "Device.\xE9");
  EXPECT_EQ(namesOf(latin1), std::vector<std::string>{"Device.\xC3\xA9"});
  // Invalid UTF-8 stays an error.
  std::string broken = body;
  broken.replace(broken.find("Device.A"), 8, "Device.\xE9");
  EXPECT_FALSE(Decoder().decode(broken).ok());
  // Xerces reads 8-bit bytes declared as UTF-16 as it detected them; still so.
  EXPECT_EQ(namesOf("<?xml version=\"1.0\" encoding=\"UTF-16\"?>" + body), a);
}

TEST(StreamedNames, EveryCaseOfTheHeaderAndNamespacesAgrees) {
  for (const char* ns : {"cwmp-1-0", "cwmp-1-1", "cwmp-1-2", "cwmp-1-3", "cwmp-1-4"}) {
    std::string p = gpv("<string>Device.A</string>");
    p.replace(p.find("cwmp-1-2"), 8, ns);
    agree(p);
  }
  std::string unknownHeader = gpv("<string>Device.A</string>");
  unknownHeader.insert(unknownHeader.find("</soap-env:Header>"),
                       "<x:Y xmlns:x=\"urn:x\" soap-env:mustUnderstand=\"1\">1</x:Y>");
  agree(unknownHeader);
}

using cwmpd::test::heapInUse;

// What the decode holds while the names go by: the sink is handed each name and keeps
// none, so the heap in use at each name is the decoder's own. Through the tree the same
// request held its ~1 MB of names as nodes and text, and Xerces a copy of the payload.
TEST(StreamedNames, AMegabyteOfNamesIsNotKeptWhileItIsParsed) {
  struct PeakSink : NameSink {
    std::size_t count = 0;
    std::size_t peak = 0;
    bool begin(std::string_view) override { return true; }
    void name(std::string_view) override {
      ++count;
      peak = std::max(peak, heapInUse());
    }
  };
  std::string items;
  for (int i = 0; i < 20000; ++i)
    items += "<string>Device.X_CWMPD_Synthetic.Item." + std::to_string(i + 1) + ".Name</string>";
  const std::string payload = gpv(items);
  ASSERT_GT(payload.size(), 900'000u);
  Decoder decoder;
  PeakSink warm;
  ASSERT_TRUE(decoder.decode(gpv("<s>Device.A</s>"), &warm).ok());
  PeakSink sink;
  const std::size_t before = heapInUse();
  ASSERT_TRUE(decoder.decode(payload, &sink).ok());
  EXPECT_EQ(sink.count, 20000u);
  EXPECT_LT(sink.peak - before, 256u * 1024) << "held while parsing: " << (sink.peak - before);
}

}  // namespace
}  // namespace cwmpd::core::soap
