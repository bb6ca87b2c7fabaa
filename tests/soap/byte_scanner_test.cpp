// Issue 15: plain ASCII messages are read by the byte scanner (soap/xml_scan.hpp), every
// other one by Xerces-C, which stays the reference. Each message here is decoded both ways
// (the scanner where it takes the message, Xerces forced) with and without a NameSink,
// and everything must be the same: the decoded envelope or the error (kind, message,
// cwmp:ID, method, namespace), and every call the sink received, in order. The cases also
// check which messages the scanner takes: a differential test of a scanner that refuses
// everything would prove nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cwmpd/core/soap/decoder.hpp"
#include "heap_in_use.hpp"
#include "soap/xml_scan.hpp"
#include "soap/xml_tree.hpp"

namespace cwmpd::core::soap {
namespace {

namespace fs = std::filesystem;

// CWMPD_TEST_XERCES_ONLY=1 (the soap_tests_xerces_only test): every decode of this thread
// goes to Xerces, so that every other test of the binary checks the reference as well.
const bool kXercesOnly = [] {
  const char* only = std::getenv("CWMPD_TEST_XERCES_ONLY");
  const bool on = only != nullptr && std::string_view(only) == "1";
  if (on) detail::useXercesOnly(true);
  return on;
}();

// Every call, in order, as text; the items as they came.
struct RecordingSink : NameSink {
  std::vector<std::string> calls;
  std::vector<ParameterValueStruct> values;
  std::vector<SetParameterAttributesStruct> attributeItems;
  bool begin(std::string_view method) override {
    calls.push_back("begin " + std::string(method));
    return method == "GetParameterValues" || method == "GetParameterAttributes";
  }
  void name(std::string_view n) override { calls.push_back("name " + std::string(n)); }
  bool beginStructs(std::string_view method) override {
    calls.push_back("structs " + std::string(method));
    return method == "SetParameterValues" || method == "SetParameterAttributes";
  }
  void value(ParameterValueStruct&& item) override {
    calls.push_back("value " + item.name);
    values.push_back(std::move(item));
  }
  void attributes(SetParameterAttributesStruct&& item) override {
    calls.push_back("attributes " + item.name);
    attributeItems.push_back(std::move(item));
  }
};

struct Outcome {
  DecodeResult result;
  std::optional<RecordingSink> sink;
  bool scanned = false;
};

Outcome decodeWith(const std::string& payload, const DecodeLimits& limits, bool xerces,
                   bool withSink) {
  detail::useXercesOnly(xerces);
  const std::size_t before = detail::scannedParses();
  Decoder decoder(limits);
  Outcome out{DecodeError{}, std::nullopt, false};
  if (withSink) {
    out.sink.emplace();
    out.result = decoder.decode(payload, &*out.sink);
  } else {
    out.result = decoder.decode(payload);
  }
  out.scanned = detail::scannedParses() != before;
  detail::useXercesOnly(kXercesOnly);
  return out;
}

void expectSameResult(const DecodeResult& a, const DecodeResult& b, const std::string& what) {
  ASSERT_EQ(a.ok(), b.ok()) << what << ": " << (a.ok() ? b.error().message : a.error().message);
  if (!a.ok()) {
    EXPECT_EQ(a.error().kind, b.error().kind) << what;
    EXPECT_EQ(a.error().message, b.error().message) << what;
    EXPECT_EQ(a.error().id, b.error().id) << what;
    EXPECT_EQ(a.error().method, b.error().method) << what;
    EXPECT_EQ(a.error().ns, b.error().ns) << what;
    return;
  }
  EXPECT_EQ(a.envelope(), b.envelope()) << what;
}

// Decodes `payload` four ways and checks they agree; returns whether the scanner took it.
bool agree(const std::string& payload, const DecodeLimits& limits = {},
           const std::string& what = "message") {
  bool scanned = false;
  for (const bool withSink : {false, true}) {
    const Outcome fast = decodeWith(payload, limits, false, withSink);
    const Outcome reference = decodeWith(payload, limits, true, withSink);
    EXPECT_FALSE(reference.scanned);
    expectSameResult(fast.result, reference.result, what);
    if (withSink) {
      EXPECT_EQ(fast.sink->calls, reference.sink->calls) << what;
      EXPECT_EQ(fast.sink->values, reference.sink->values) << what;
      EXPECT_EQ(fast.sink->attributeItems, reference.sink->attributeItems) << what;
    }
    scanned = fast.scanned;
  }
  return scanned;
}

const std::string kOpen =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\" "
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap-env:Header>"
    "<cwmp:ID soap-env:mustUnderstand=\"1\">scan-1</cwmp:ID></soap-env:Header><soap-env:Body>";
const std::string kClose = "</soap-env:Body></soap-env:Envelope>";

std::string wrap(const std::string& body) { return kOpen + body + kClose; }

std::string gpv(const std::string& items) {
  return wrap("<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[1]\">" +
              items + "</ParameterNames></cwmp:GetParameterValues>");
}

std::string names(int n) {
  std::string items;
  for (int i = 0; i < n; ++i) {
    items += "\n    <string>Device.IP.Interface." + std::to_string(i % 7 + 1) + ".IPv4Address." +
             std::to_string(i) + ".IPAddress</string>";
  }
  return gpv(items);
}

std::string spv(int n, bool faults) {
  std::string items;
  for (int i = 0; i < n; ++i) {
    const bool bad = faults && i % 97 == 5;
    items += "<ParameterValueStruct><Name>Device.X." + std::to_string(i) + ".Value</Name>" +
             "<Value xsi:type=\"" + (bad ? "xsd:bogus" : "xsd:unsignedInt") + "\">" +
             std::to_string(i * 3) + "</Value></ParameterValueStruct>\n";
    if (faults && i % 211 == 7)
      items += "<ParameterValueStruct><Name>x</Name></ParameterValueStruct>";
  }
  return wrap(
      "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:"
      "ParameterValueStruct[" +
      std::to_string(n) + "]\">" + items +
      "</ParameterList><ParameterKey>k &amp; 1</ParameterKey>"
      "</cwmp:SetParameterValues>");
}

std::string spa(int n) {
  std::string items;
  for (int i = 0; i < n; ++i) {
    items += "<SetParameterAttributesStruct><Name>Device.X." + std::to_string(i) +
             ".</Name><NotificationChange>1</NotificationChange><Notification>" +
             std::to_string(i % 3) +
             "</Notification><AccessListChange>0</AccessListChange><AccessList>"
             "<string>Subscriber</string></AccessList></SetParameterAttributesStruct>";
  }
  return wrap("<cwmp:SetParameterAttributes><ParameterList>" + items +
              "</ParameterList></cwmp:SetParameterAttributes>");
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> xmlFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path sourceDir() {
  const char* dir = std::getenv("CWMPD_SOURCE_DIR");
  return dir != nullptr ? fs::path(dir) : fs::path(".");
}

TEST(ByteScanner, TheSeedsAndTheGenieAcsCorpusDecodeAlikeAndAreMostlyScanned) {
  std::vector<fs::path> files = xmlFiles(sourceDir() / "fuzz" / "seeds");
  ASSERT_FALSE(files.empty()) << "fuzz/seeds not found: set CWMPD_SOURCE_DIR";
#if defined(CWMPD_DEFAULT_CORPUS_DIR)
  const char* corpus = std::getenv("CWMPD_CORPUS_DIR");
  const fs::path genieacs =
      fs::path(corpus != nullptr ? corpus : CWMPD_DEFAULT_CORPUS_DIR) / "genieacs";
  for (const fs::path& p : xmlFiles(genieacs)) {
    if (p.extension() == ".xml") files.push_back(p);
  }
#endif
  std::size_t scanned = 0;
  for (const fs::path& p : files) {
    if (agree(readFile(p), {}, p.filename().string())) ++scanned;
  }
  // Nearly every one of them is plain XML.
  EXPECT_GT(scanned * 10, files.size() * 7) << scanned << " of " << files.size();
}

TEST(ByteScanner, LargeListsAreScannedAndDecodeAlike) {
  EXPECT_TRUE(agree(names(21027), {}, "names"));
  EXPECT_TRUE(agree(spv(10000, false), {}, "spv"));
  EXPECT_TRUE(agree(spv(3000, true), {}, "spv with faults"));
  EXPECT_TRUE(agree(spa(2000), {}, "spa"));
}

TEST(ByteScanner, TheArrayLimitIsReachedAlike) {
  // 100,001 items: one more than the default limit.
  std::string items;
  for (int i = 0; i < 100001; ++i) items += "<s>D." + std::to_string(i) + "</s>";
  EXPECT_TRUE(agree(gpv(items), {}, "100,001 names"));
  const Outcome o = decodeWith(gpv(items), {}, false, true);
  ASSERT_FALSE(o.result.ok());
  EXPECT_EQ(o.result.error().kind, DecodeError::Kind::ResourcesExceeded);
}

TEST(ByteScanner, DepthAtAndAboveTheLimitFailsAlike) {
  const DecodeLimits limits{1 << 20, 8, 100};
  // Envelope, Body, method, list, item: 5 levels; then nested elements inside the item.
  for (int extra = 0; extra <= 6; ++extra) {
    std::string open;
    std::string close;
    for (int i = 0; i < extra; ++i) {
      open += "<a>";
      close = "</a>" + close;
    }
    const std::string msg = gpv("<string>" + open + "x" + close + "</string>");
    const bool scanned = agree(msg, limits, "depth " + std::to_string(5 + extra));
    // Up to one level beyond the limit the scanner reads it (the Handler refuses it);
    // deeper, Xerces does.
    EXPECT_EQ(scanned, 5 + extra <= 9) << extra;
    const Outcome o = decodeWith(msg, limits, false, false);
    EXPECT_EQ(o.result.ok(), 5 + extra <= 8) << extra;
  }
}

TEST(ByteScanner, PlainVariantsAreScannedAndDecodeAlike) {
  const std::vector<std::string> scanned = {
      // Quotes of both kinds, spaces around '=', in tags and end tags; LF and tabs.
      gpv("<string\n\t>Device.A</string\t><string a = 'x\"y' b=\"z'w\"\n/><string/>"),
      "<?xml version='1.0'?><soap-env:Envelope xmlns:soap-env='http://schemas.xmlsoap.org/"
      "soap/envelope/' xmlns:cwmp='urn:dslforum-org:cwmp-1-2'><soap-env:Body><cwmp:Reboot>"
      "<CommandKey>k</CommandKey></cwmp:Reboot></soap-env:Body></soap-env:Envelope>\n\n",
      "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\" ?>" + names(3).substr(39),
      "<?xml version=\"1.0\" standalone='no'?>" + names(3).substr(39),
      names(3).substr(39),  // no declaration
      // Entity and character references in text and attribute values.
      gpv("<string>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x6a;&#0000067;&#9;&#10;&#32;</string>"
          "<string a=\"&lt;&#9;&#10;&amp;\">x</string>"),
      wrap("<cwmp:SetParameterValues><ParameterList><ParameterValueStruct><Name>A&amp;B</Name>"
           "<Value xsi:type=\"xsd:string\">&lt;a href=&quot;x&quot;&gt;</Value>"
           "</ParameterValueStruct></ParameterList><ParameterKey/></cwmp:SetParameterValues>"),
      // Whitespace wherever it may be, ']' and '>' in text.
      "\n \t" + gpv("  <string> a]b]]c > d </string>  ").substr(39) + " \n",
      // Errors of the Handler, not of the XML: the same message either way.
      gpv("<p:string>Device.A</p:string>"), gpv("<string p:a=\"1\">Device.A</string>"),
      gpv("<a:b>x</a:b>"), wrap("<cwmp:Reboot></cwmp:Reboot><cwmp:Reboot/>"), "<a/>", "<a>x</a>",
      "<a xmlns='urn:x'><b/></a>"};
  for (const std::string& msg : scanned) EXPECT_TRUE(agree(msg, {}, msg)) << msg;
}

TEST(ByteScanner, EveryFallBackTriggerGoesToXercesAndDecodesAlike) {
  const std::vector<std::string> refused = {
      gpv("<string>Device.A\r\n</string>"),  // CR: line ends normalised
      gpv("<string a=\"x\ty\">A</string>"),  // tab in a value: normalised
      gpv("<string a=\"x\ny\">A</string>"),  // LF in a value
      gpv("<string>&#13;</string>"),         // a reference out of the range
      gpv("<string>&#x263A;</string>"),
      gpv("<string>&#127;</string>"),
      gpv("<string>&#1;</string>"),
      gpv("<string>&#X41;</string>"),
      gpv("<string>&#;</string>"),
      gpv("<string>&#x;</string>"),
      gpv("<string>&#00000065;</string>"),  // too many digits
      gpv("<string>&foo;</string>"),
      gpv("<string>&amp</string>"),
      gpv("<string>a & b</string>"),  // a bare '&'
      gpv("<string>a]]>b</string>"),  // ']]>' in text
      gpv("<string>\x01</string>"),
      gpv("<string>\x7f</string>"),
      gpv("<string>caf\xc3\xa9</string>"),  // not ASCII
      gpv("<string><!-- c --></string>"),
      gpv("<string><![CDATA[x]]></string>"),
      gpv("<string><?pi x?></string>"),
      gpv("<string a=\"1\" a=\"2\">x</string>"),  // a duplicate attribute
      gpv("<string a=\"1\"b=\"2\">x</string>"),   // no space between attributes
      gpv("<string a=1>x</string>"),
      gpv("<string a>x</string>"),
      gpv("<string a=\"<\">x</string>"),
      gpv("<:a>x</:a>"),
      gpv("<a:>x</a:>"),
      gpv("<a:b:c>x</a:b:c>"),
      gpv("<1a>x</1a>"),
      gpv("<a\xc3\xa9>x</a\xc3\xa9>"),
      gpv("<string>Device.A</strin>"),                   // mismatched end tag
      gpv("<string>Device.A</string >").substr(0, 400),  // truncated
      gpv("<string>x</string>") + "<extra/>",            // a second root
      gpv("<string>x</string>") + "text",                // text after the root
      gpv("<string>x</string>") + "<!-- c -->",          // comment after the root
      "<!-- c -->" + gpv(""),                            // comment before the root
      " <?xml version=\"1.0\"?>" + gpv("").substr(39),   // declaration not at the start
      "<?xml version=\"1.1\"?>" + gpv("").substr(39),    // another version
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" + gpv("").substr(39),
      "<?xml version=\"1.0\" standalone=\"maybe\"?>" + gpv("").substr(39),
      "<?xml version=\"1.0\"standalone=\"yes\"?>" + gpv("").substr(39),
      "<?xml  encoding=\"UTF-8\" version=\"1.0\"?>" + gpv("").substr(39),
      "<?xml version=\"1.0\"?><?pi?>" + gpv("").substr(39),
      "<?xml-stylesheet href=\"x\"?>" + gpv("").substr(39),
      "\xef\xbb\xbf" + gpv(""),  // a byte order mark
      "<a></a><",
      "<a",
      "<a>",
      "</a>",
      "<a/ >",
      "<a b='1'/ >",
      "<a/><b/>",
      "x<a/>",
      "<a>&#60</a>"};
  for (const std::string& msg : refused) {
    EXPECT_FALSE(agree(msg, {}, msg)) << msg;
  }
}

// The scanner's first pass alone: what it accepts and refuses at the edges.
TEST(ByteScanner, TheValidatorIsStrict) {
  EXPECT_TRUE(detail::scannable("<a/>", 0));
  EXPECT_TRUE(detail::scannable("<a><b/></a>", 0));  // the Handler refuses depth 2 itself
  EXPECT_FALSE(detail::scannable("<a><b><c/></b></a>", 0));
  EXPECT_TRUE(detail::scannable("<a><b><c/></b></a>", 1));
  EXPECT_FALSE(detail::scannable("", 32));
  EXPECT_FALSE(detail::scannable("  ", 32));
  EXPECT_FALSE(detail::scannable("<a>", 32));
  EXPECT_FALSE(detail::scannable("<a>]]></a>", 32));
  EXPECT_TRUE(detail::scannable("<a>]]</a>", 32));
  EXPECT_TRUE(detail::scannable("<a>]</a>", 32));
  EXPECT_FALSE(detail::scannable("<a>]]]></a>", 32));
  EXPECT_FALSE(
      detail::scannable("<a b='1' c='2' d='3' e='4' f='5' g='6' h='7' i='8' j='9' "
                        "k='0' l='1' m='2' n='3' o='4' p='5' q='6' r='7'/>",
                        32));  // more attributes than it checks for duplicates
}

// A long text cut into many references at every offset modulo the scanner's 16-byte steps,
// and a name list longer than the 128 KB steps of the page discard.
TEST(ByteScanner, ReferencesAtEveryOffsetDecodeAlike) {
  std::string items;
  for (int shift = 0; shift < 40; ++shift) {
    items += "<string>" + std::string(static_cast<std::size_t>(shift), 'a') + "&amp;b&#x3c;c&lt;" +
             std::string(static_cast<std::size_t>(40 - shift), 'z') + "&gt;</string>";
  }
  EXPECT_TRUE(agree(gpv(items)));
}

struct DiscardingSink : RecordingSink {
  [[nodiscard]] bool discardsRead() const override { return true; }
};

TEST(ByteScanner, ThePagesReadAreGivenBackAsTheScanGoesOn) {
  // The request's text in its own pages; those the scan has passed read as zeros after.
  const std::string msg = names(30000);
  ASSERT_GT(msg.size(), std::size_t{1} << 20);
  std::string text = msg;
  detail::useXercesOnly(false);
  const std::size_t before = detail::scannedParses();
  Decoder decoder;
  DiscardingSink sink;
  const DecodeResult r = decoder.decode(text, &sink);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(detail::scannedParses(), before + 1);
  EXPECT_EQ(std::count_if(sink.calls.begin(), sink.calls.end(),
                          [](const std::string& c) { return c.starts_with("name "); }),
            30000);
  std::size_t zeros = 0;
  for (const char c : text) zeros += c == '\0' ? 1 : 0;
  EXPECT_GT(zeros, msg.size() / 2);
}

// A 64 MB body of names streamed to a sink: the scan itself holds no memory that grows
// with the message (the Handler's tree holds the envelope only), at any point of it.
TEST(ByteScanner, A64MegabyteListIsScannedInBoundedMemory) {
  struct Counting : NameSink {
    std::size_t count = 0;
    std::size_t peak = 0;
    bool begin(std::string_view) override { return true; }
    void name(std::string_view) override {
      if (++count % 4096 == 0) peak = std::max(peak, cwmpd::test::heapInUse());
    }
  };
  std::string items;
  const std::string item = "<string>Device.IP.Interface.1.IPv4Address.1.IPAddress</string>\n";
  const std::size_t n = (std::size_t{64} << 20) / item.size();
  items.reserve(n * item.size());
  for (std::size_t i = 0; i < n; ++i) items += item;
  const std::string msg = gpv(items);
  items = std::string();
  const DecodeLimits limits{std::size_t{80} << 20, 32, n + 1};
  Decoder decoder(limits);
  Counting sink;
  const std::size_t scannedBefore = detail::scannedParses();
  const std::size_t before = cwmpd::test::heapInUse();
  const DecodeResult r = decoder.decode(msg, &sink);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(sink.count, n);
  EXPECT_EQ(detail::scannedParses(), scannedBefore + 1);
  EXPECT_GT(sink.peak, 0U);
  EXPECT_LT(sink.peak, before + (std::size_t{1} << 20));
  EXPECT_LT(cwmpd::test::heapInUse(), before + (std::size_t{1} << 20));
}

}  // namespace
}  // namespace cwmpd::core::soap
