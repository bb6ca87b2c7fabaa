// Issue 15 item 1: the ParameterList items of a SetParameterValues and of a
// SetParameterAttributes go to a NameSink one complete item at a time while the request is
// parsed, not into the decoded envelope. Everything else must be exactly what the ordinary
// decode gives: the same items in the same order, the same errors (kind, message, cwmp:ID,
// method, namespace) for the same broken or hostile input, and a bounded heap.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cwmpd/core/soap/decoder.hpp"
#include "heap_in_use.hpp"

namespace cwmpd::core::soap {
namespace {

struct RecordingSink : NameSink {
  std::vector<std::string> methods;  // every beginStructs()
  std::vector<ParameterValueStruct> values;
  std::vector<SetParameterAttributesStruct> attributeItems;
  bool begin(std::string_view) override { return false; }
  void name(std::string_view) override {}
  bool beginStructs(std::string_view method) override {
    methods.emplace_back(method);
    return method == "SetParameterValues" || method == "SetParameterAttributes";
  }
  void value(ParameterValueStruct&& item) override { values.push_back(std::move(item)); }
  void attributes(SetParameterAttributesStruct&& item) override {
    attributeItems.push_back(std::move(item));
  }
};

const std::string kOpen =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap-env:Header>"
    "<cwmp:ID soap-env:mustUnderstand=\"1\">s-9</cwmp:ID></soap-env:Header><soap-env:Body>";
const std::string kClose = "</soap-env:Body></soap-env:Envelope>";

std::string spv(const std::string& items,
                const std::string& key = "<ParameterKey>k</ParameterKey>") {
  return kOpen + "<cwmp:SetParameterValues><ParameterList>" + items + "</ParameterList>" + key +
         "</cwmp:SetParameterValues>" + kClose;
}

std::string pv(const std::string& name, const std::string& value,
               const std::string& type = "xsd:string") {
  return "<ParameterValueStruct><Name>" + name + "</Name><Value xsi:type=\"" + type + "\">" +
         value + "</Value></ParameterValueStruct>";
}

std::string spa(const std::string& items) {
  return kOpen + "<cwmp:SetParameterAttributes><ParameterList>" + items +
         "</ParameterList></cwmp:SetParameterAttributes>" + kClose;
}

std::string pa(const std::string& name, const std::string& rest = "") {
  return "<SetParameterAttributesStruct><Name>" + name +
         "</Name><NotificationChange>1</NotificationChange><Notification>2</Notification>"
         "<AccessListChange>1</AccessListChange><AccessList><string>Subscriber</string>"
         "</AccessList>" +
         rest + "</SetParameterAttributesStruct>";
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
  if (auto* r = std::get_if<SetParameterValues>(&expected.body); r != nullptr) {
    EXPECT_EQ(sink.values, r->parameterList);
    r->parameterList.clear();  // streamed: not in the envelope
  }
  if (auto* r = std::get_if<SetParameterAttributes>(&expected.body); r != nullptr) {
    EXPECT_EQ(sink.attributeItems, r->parameterList);
    r->parameterList.clear();
  }
  EXPECT_EQ(expected, b.envelope());
  return sink;
}

TEST(StreamedStructs, SetItemsGoToTheSinkInOrderAndNotIntoTheEnvelope) {
  Decoder decoder;
  RecordingSink sink;
  const DecodeResult r = decoder.decode(
      spv(pv("Device.A", "1", "xsd:unsignedInt") + pv("Device.B", "x&amp;y") + pv("Device.C", "")),
      &sink);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(sink.methods, std::vector<std::string>{"SetParameterValues"});
  const std::vector<ParameterValueStruct> want{{"Device.A", "1", "xsd:unsignedInt"},
                                               {"Device.B", "x&y", "xsd:string"},
                                               {"Device.C", "", "xsd:string"}};
  EXPECT_EQ(sink.values, want);
  const auto& set = std::get<SetParameterValues>(r.envelope().body);
  EXPECT_TRUE(set.parameterList.empty());
  EXPECT_EQ(set.parameterKey, "k");  // after the list: read as usual
  EXPECT_EQ(r.envelope().header.id, "s-9");
  // The decoder is reusable, and without a sink decodes the list into the envelope.
  const DecodeResult again = decoder.decode(spv(pv("Device.A", "1")));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::get<SetParameterValues>(again.envelope().body).parameterList.size(), 1u);
}

// The decoder hands each item over as views (NameSink::valueItem; issue 15: no strings of
// their own per item); a sink that takes them so gets exactly what value() gets.
TEST(StreamedStructs, ItemsTakenAsViewsAreWhatValueGets) {
  struct ViewSink : NameSink {
    std::vector<ParameterValueStruct> values;
    bool begin(std::string_view) override { return false; }
    void name(std::string_view) override {}
    bool beginStructs(std::string_view method) override { return method == "SetParameterValues"; }
    void value(ParameterValueStruct&&) override { ADD_FAILURE() << "value() called"; }
    void valueItem(std::string_view name, std::string_view value, std::string_view type) override {
      values.push_back({std::string(name), std::string(value), std::string(type)});
    }
  };
  for (const std::string& payload :
       {spv(pv("Device.A", "1", "xsd:unsignedInt") + pv("Device.B", "x&amp;y") + pv("Device.C", "")),
        spv("<a><Value xsi:type=\"xsd:int\">-1</Value><Name> Device.B </Name></a>"
            "<p>t<Name>Device.C</Name>u<Value><![CDATA[<b>]]>&#x263A;</Value>w</p>"
            "<q><Name>Device.D</Name><Value>z</Value></q>"),
        spv(pv("Device.A", "1") + "<b><Name>Device.B</Name></b>" + pv("Device.C", "3")),
        spv(pv("Device.A", "1") + "<b><Value>2</Value><Value>3</Value></b>")}) {
    Decoder views;
    ViewSink got;
    const DecodeResult a = views.decode(payload, &got);
    const RecordingSink want = agree(payload);
    EXPECT_EQ(got.values, want.values);
    if (!a.ok()) {
      EXPECT_EQ(a.error().message, payload.find("<b><Name>") != std::string::npos
                                       ? "missing argument Value"
                                       : "missing argument Name");
    }
  }
}

TEST(StreamedStructs, OddItemsGiveWhatTheTreeGives) {
  // Any item and field names' prefixes, fields in any order, extra fields, repeated fields
  // (the first counts), text around children, xsi:type through another prefix, no type.
  agree(
      spv("<cwmp:ParameterValueStruct><Value>v</Value><Name>Device.A</Name><x/>"
          "</cwmp:ParameterValueStruct><a><Name>Device.B</Name><Name>Device.X</Name>"
          "<Value xmlns:t=\"http://www.w3.org/2001/XMLSchema\" xsi:type=\"t:int\">-1</Value></a>"
          "<p>t<Name> Device.C </Name>u<Value><![CDATA[<b>]]>&#x263A;</Value>w</p>"
          "<q><Name>Device.D<i/></Name><Value xsi:type=\"cwmp:Foo\">z</Value></q>"));
  agree(spv(""));
  agree(spv(pv("Device.A", "1"), ""));                    // no key: 9003
  agree(kOpen + "<cwmp:SetParameterValues/>" + kClose);   // no list: 9003
  agree(spv(pv("Device.A", "1") + pv("Device.A", "2")));  // kept in order
  // Only the first ParameterList is the list, of the first method of the first Body.
  agree(kOpen + "<cwmp:SetParameterValues><ParameterList>" + pv("A", "1") +
        "</ParameterList><ParameterList>" + pv("B", "2") +
        "</ParameterList><ParameterKey/></cwmp:SetParameterValues>" + kClose);
  agree(kOpen + "<cwmp:SetParameterValues><x/><ParameterList>" + pv("A", "1") +
        "</ParameterList><ParameterKey/></cwmp:SetParameterValues><cwmp:Reboot/>" + kClose);
  agree(kOpen + "<SetParameterValues><ParameterList>" + pv("A", "1") +
        "</ParameterList><ParameterKey/></SetParameterValues>" + kClose);  // 9000
  // Lists the sink declines: decoded as usual.
  const std::string inform = kOpen + "<cwmp:GetParameterValuesResponse><ParameterList>" +
                             pv("A", "1") + "</ParameterList></cwmp:GetParameterValuesResponse>" +
                             kClose;
  EXPECT_TRUE(agree(inform).values.empty());
  // Attributes: every field, GenieACS's empty Notification, no AccessList, bad fields.
  RecordingSink attrs =
      agree(spa(pa("Device.A") + pa("Device.B.") +
                "<s><Name>Device.C</Name><NotificationChange>0</NotificationChange>"
                "<Notification></Notification><AccessListChange>false"
                "</AccessListChange></s>"));
  EXPECT_EQ(attrs.attributeItems.size(), 3u);
  agree(spa(pa("Device.A") +
            "<s><Name>Device.C</Name><NotificationChange>yes"
            "</NotificationChange></s>" +
            pa("Device.D")));
  agree(spa(pa("Device.A") +
            "<s><Name>Device.C</Name><NotificationChange>1</NotificationChange>"
            "<Notification>x</Notification><AccessListChange>0</AccessListChange></s>"));
}

// An item that cannot be read is the error, whichever item it is, unless the XML itself is
// broken later: then that error, as in the tree.
TEST(StreamedStructs, AnUnreadableItemIsTheErrorAndNothingAfterItIsHandedOver) {
  const std::string noValue = "<ParameterValueStruct><Name>Device.X</Name></ParameterValueStruct>";
  const std::string noName = "<ParameterValueStruct><Value>1</Value></ParameterValueStruct>";
  for (const std::string& bad : {noValue, noName}) {
    agree(spv(bad + pv("Device.A", "1")));
    agree(spv(pv("Device.A", "1") + bad + pv("Device.B", "1")));
    agree(spv(pv("Device.A", "1") + bad));
    agree(spv(pv("Device.A", "1") + bad + noName + pv("Device.B", "1")));
    agree(spv(pv("Device.A", "1") + bad + "<ParameterValueStruct>"));  // then malformed
    agree(spv(bad + "<p:ParameterValueStruct/>"));                     // then unbound prefix
    agree(spv(bad + "<a><b><c><d><e/></d></c></b></a>"), DecodeLimits{1 << 20, 8, 100});  // depth
  }
  Decoder decoder;
  RecordingSink sink;
  const DecodeResult r =
      decoder.decode(spv(pv("Device.A", "1") + noValue + pv("Device.B", "1")), &sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().faultCode(), 9003);
  EXPECT_EQ(r.error().message, "missing argument Value");
  EXPECT_EQ(r.error().id, "s-9");
  EXPECT_EQ(sink.values.size(), 1u);  // Device.A only; a failed decode means nothing anyway
}

// The parser remembers how it resolved the names and types it saw last (a list repeats a
// few of them thousands of times); a prefix still means what its binding at that element
// says, item after item, whether an item binds it anew, unbinds it or leaves it alone.
TEST(StreamedStructs, APrefixMeansWhatItsBindingSaysAtEachItem) {
  const auto item = [](const std::string& open, const std::string& name, const std::string& value) {
    return open + "<Name>" + name + "</Name>" + value + "</ParameterValueStruct>";
  };
  const std::string plain = "<ParameterValueStruct>";
  const std::string typed = "<Value xsi:type=\"xsd:int\">1</Value>";
  const std::string payload = spv(
      item(plain, "A", typed) +
      item("<ParameterValueStruct xmlns:xsd=\"urn:dslforum-org:cwmp-1-0\">", "B", typed) +
      item(plain, "C", typed) +
      item(plain, "D", "<Value xmlns:xsi=\"urn:other\" xsi:type=\"xsd:int\">1</Value>") +
      item(plain, "E", typed) + item("<ParameterValueStruct xmlns:xsd=\"urn:other\">", "F", typed) +
      item(plain, "G", typed));
  const std::vector<ParameterValueStruct> want{
      {"A", "1", "xsd:int"}, {"B", "1", "cwmp:int"}, {"C", "1", "xsd:int"}, {"D", "1", ""},
      {"E", "1", "xsd:int"}, {"F", "1", "xsd:int"},  // not XML Schema's: as written
      {"G", "1", "xsd:int"}};
  EXPECT_EQ(agree(payload).values, want);
  Decoder decoder;
  const DecodeResult tree = decoder.decode(payload);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_EQ(std::get<SetParameterValues>(tree.envelope().body).parameterList, want);

  // A prefix bound by one item only is unbound in the next, for elements and attributes.
  const std::string bound = "<ParameterValueStruct xmlns:q=\"urn:x\">";
  for (const std::string& unbound :
       {item(plain, "<q:x/>B", typed), item(plain, "B", "<Value q:type=\"1\">1</Value>")}) {
    const std::string twice =
        spv(item(bound, "<q:x/>A", "<Value q:type=\"1\">1</Value>") + unbound);
    agree(twice);
    const DecodeResult r = decoder.decode(twice);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().faultCode(), 9003);
    EXPECT_NE(r.error().message.find("unbound"), std::string::npos) << r.error().message;
  }
  // The same message again, to a decoder that saw it: the same answer.
  EXPECT_EQ(agree(payload).values, want);
}

TEST(StreamedStructs, BrokenAndHostileListsFailAsTheyDoInTheTree) {
  std::string many;
  for (int i = 0; i < 20; ++i) many += pv("Device.N" + std::to_string(i), "1");
  agree(spv(many), DecodeLimits{1 << 20, 32, 10});                           // 9004
  agree(spv(pv("A", "<a><b><c/></b></a>")), DecodeLimits{1 << 20, 7, 100});  // depth
  agree(
      spv("<ParameterValueStruct><Name>A</Name><Value><a/><a/><a/></Value></ParameterValueStruct>"),
      DecodeLimits{1 << 20, 32, 2});  // 9004 inside an item
  agree(spv(pv("A", "1", "q:int")));  // unbound type prefix: as written
  agree(spv("<ParameterValueStruct p:a=\"1\"><Name>A</Name></ParameterValueStruct>"));
  agree(spv(pv("A", "1") + "<a:b:c/>"));         // not namespace-well-formed
  agree(spv(pv("A", "1") + "</ParameterLis>"));  // malformed after an item
  agree(spv(many).substr(0, 700));               // cut short
  agree(spv(pv("A", "&bogus;")));                // undeclared entity
  agree(spv(pv("A", "1")) + "<extra/>");         // a second root
  agree("<!DOCTYPE r [<!ENTITY a \"b\">]>" + spv(pv("A", "&a;")));
  agree(spa(pa("A", "<AccessList><a><b><c/></b></a></AccessList>")), DecodeLimits{1 << 20, 7, 100});
  // A body over the limit is refused before anything is parsed or handed over.
  std::string big = spv(pv("A", "1"));
  big.insert(big.find("</Value>"), std::size_t{64} * 1024 * 1024, 'A');
  Decoder decoder;
  RecordingSink sink;
  const DecodeResult r = decoder.decode(big, &sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, DecodeError::Kind::Refused);
  EXPECT_TRUE(sink.methods.empty());
  // Reusable after each.
  RecordingSink next;
  ASSERT_TRUE(decoder.decode(spv(pv("Device.Z", "1")), &next).ok());
  EXPECT_EQ(next.values.size(), 1u);
}

using cwmpd::test::heapInUse;

// What the decode holds while 10,000 values go by: the sink is handed each item and keeps
// none, so the heap in use at each item is the decoder's own (one item's nodes). Through the
// tree the same request held its ~1.4 MB of names and values as nodes and text.
TEST(StreamedStructs, TenThousandValuesAreNotKeptWhileTheyAreParsed) {
  struct PeakSink : NameSink {
    std::size_t count = 0;
    std::size_t peak = 0;
    bool begin(std::string_view) override { return false; }
    void name(std::string_view) override {}
    bool beginStructs(std::string_view) override { return true; }
    void value(ParameterValueStruct&&) override {
      ++count;
      peak = std::max(peak, heapInUse());
    }
  };
  std::string items;
  for (int i = 0; i < 10000; ++i)
    items += pv("Device.X_CWMPD_Synthetic.Item." + std::to_string(i + 1) + ".Name", "name-1");
  const std::string payload = spv(items);
  ASSERT_GT(payload.size(), 1'000'000u);
  Decoder decoder;
  PeakSink warm;
  ASSERT_TRUE(decoder.decode(spv(pv("Device.A", "1")), &warm).ok());
  PeakSink sink;
  const std::size_t before = heapInUse();
  ASSERT_TRUE(decoder.decode(payload, &sink).ok());
  EXPECT_EQ(sink.count, 10000u);
  // (peak may be a few bytes below `before`: something freed as the decode starts)
  EXPECT_LT(sink.peak, before + 256u * 1024) << "held while parsing: " << (sink.peak - before);
}

}  // namespace
}  // namespace cwmpd::core::soap
