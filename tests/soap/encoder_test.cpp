#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cwmpd/core/soap/decoder.hpp"
#include "cwmpd/core/soap/encoder.hpp"
#include "cwmpd/sdk/types.hpp"
#include "schema_validator.hpp"

namespace cwmpd::core::soap {
namespace {

std::string escaped(std::string_view s) {
  std::string out;
  appendEscaped(out, s);
  return out;
}

TEST(Escaping, EscapesMarkupCharacters) {
  EXPECT_EQ(escaped("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c'");
  EXPECT_EQ(escaped("plain text"), "plain text");
  EXPECT_EQ(escaped("line\r\nbreak\t"), "line&#xD;\nbreak\t");
}

TEST(Escaping, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(escaped("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(escaped("bad\xFFz"), "bad\xEF\xBF\xBDz");
  EXPECT_EQ(escaped("\xC3"), "\xEF\xBF\xBD");                                  // truncated sequence
  EXPECT_EQ(escaped("\xE0\x80\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(escaped("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

// Long texts are scanned 16 bytes at a time where the CPU allows: a byte that needs
// escaping is found wherever it falls in a block, at its edges and in the tail, and
// answers as it does alone.
TEST(Escaping, EachByteIsEscapedWhereverItFallsInALongText) {
  const std::string plain = "Device.X_CWMPD_Synthetic.Item.20000.Name-long";
  const std::vector<std::string> specials = {"&",
                                             "<",
                                             ">",
                                             "\"",
                                             "'",
                                             "\r",
                                             "\t",
                                             "\n",
                                             "\x01",
                                             "\x1f",
                                             "\x7f",
                                             "\xC3\xA9",
                                             "\xE2\x82\xAC",
                                             "\xFF",
                                             std::string(1, '\0')};
  for (const std::string& special : specials) {
    for (std::size_t at = 0; at <= plain.size(); ++at) {
      const std::string text = plain.substr(0, at) + special + plain.substr(at);
      EXPECT_EQ(escaped(text), plain.substr(0, at) + escaped(special) + plain.substr(at))
          << "special " << static_cast<int>(static_cast<unsigned char>(special[0])) << " at " << at;
    }
  }
  EXPECT_EQ(escaped(plain + plain), plain + plain);
}

// Short texts (most values and types) are checked with loads that overlap at the end: a
// byte that needs escaping is found at every position of a text of every length from 1 to
// 40, alone or after another one.
TEST(Escaping, EachByteIsEscapedInTextsOfEveryShortLength) {
  const std::string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
  const std::vector<std::string> specials = {"&",  "<",    ">",    "\"",       "\r",  "\t",
                                             "\n", "\x01", "\x7f", "\xC3\xA9", "\xFF"};
  for (std::size_t length = 1; length <= letters.size(); ++length) {
    const std::string plain = letters.substr(0, length);
    EXPECT_EQ(escaped(plain), plain);
    for (const std::string& special : specials) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text = plain;
        text.replace(at, 1, special);
        const std::string want = plain.substr(0, at) + escaped(special) + plain.substr(at + 1);
        EXPECT_EQ(escaped(text), want) << "length " << length << " at " << at;
        if (at + 1 < length) {
          std::string twice = text;
          twice.replace(at + special.size(), 1, "<");
          EXPECT_EQ(escaped(twice),
                    plain.substr(0, at) + escaped(special) + "&lt;" + plain.substr(at + 2))
              << "length " << length << " at " << at << " then <";
        }
      }
    }
  }
}

// A ParameterValueStruct whose parts need no escaping is written in one piece, else part
// by part: either way it is its parts escaped between the same tags, whichever part holds
// the byte to escape, typed or untyped, after text already in the buffer.
TEST(Escaping, AValueStructIsItsPartsEscapedWhicheverPartNeedsIt) {
  auto expected = [](std::string_view name, std::string_view type, std::string_view value) {
    return "<ParameterValueStruct><Name>" + escaped(name) +
           (type.empty() ? "</Name><Value>" : "</Name><Value xsi:type=\"" + escaped(type) + "\">") +
           escaped(value) + "</Value></ParameterValueStruct>";
  };
  const std::string name = "Device.X_CWMPD_Synthetic.Item.12.Name";
  const std::vector<std::string> texts = {"",
                                          "v",
                                          "plain value",
                                          "a&b",
                                          "<",
                                          "x\r",
                                          "caf\xC3\xA9",
                                          "\xFF",
                                          "tab\there",
                                          "\"q\"",
                                          std::string(40, 'z') + ">"};
  for (const std::string& type : {std::string(), std::string("xsd:string"), std::string("x<")}) {
    for (const std::string& text : texts) {
      for (int part = 0; part < 2; ++part) {
        const std::string n = part == 0 ? name + text : name;
        const std::string v = part == 1 ? text : "1";
        std::string out = "before";
        appendParameterValueStruct(out, n, type, v);
        EXPECT_EQ(out, "before" + expected(n, type, v)) << "type " << type << " text " << text;
      }
    }
  }
}

// A ListWriter (names in two parts: an object's path and what follows it) writes what
// the whole-name functions write, whichever part needs escaping, also when the object
// changes from a plain one to one that needs escaping and back (its check is kept for
// the consecutive names of one object only), and for a multi-byte character split
// between the parts.
TEST(Escaping, AListWriterWritesWhatTheWholeNameGives) {
  const std::vector<std::string> objects = {
      "Device.X.1.", "Device.X.2.", "Device.&.", "Dev\xC3", "", "Device.<X>.", "Device.X.3."};
  const std::vector<std::string> leaves = {"Name", "", "a&b", "\xA9t", "x\r", "Table."};
  const std::vector<std::string> values = {"", "v", "<", "caf\xC3\xA9", "\xFF"};
  std::string out;
  std::string expected;
  ListWriter writer(out);
  for (int round = 0; round < 2; ++round) {
    for (const std::string& object : objects) {
      for (const std::string& leaf : leaves) {
        for (const std::string& value : values) {
          for (const std::string type : {"", "xsd:string", "xsd:unsignedInt"}) {
            writer.value(object, leaf, type, value);
            appendParameterValueStruct(expected, object + leaf, type, value);
          }
        }
        writer.info(object, leaf, leaf.size() % 2 == 0);
        appendParameterInfoStruct(expected, object + leaf, leaf.size() % 2 == 0);
      }
    }
  }
  writer.finish();
  EXPECT_EQ(out, expected);
  // Nothing to escape: the struct exactly as the message's own encoder writes it.
  std::string plain;
  ListWriter(plain).value("Device.A.", "B", "xsd:string", "c");
  ListWriter(plain).info("Device.A.", "B", true);
  EXPECT_EQ(plain,
            "<ParameterValueStruct><Name>Device.A.B</Name><Value xsi:type=\"xsd:string\">c</Value>"
            "</ParameterValueStruct><ParameterInfoStruct><Name>Device.A.B</Name>"
            "<Writable>1</Writable></ParameterInfoStruct>");
}

// A ListWriter writes into room it makes ahead in `out` (stretches, not a resize per
// element): after finish() `out` is exactly the elements, over many stretches, with the
// buffer reserved or not, when escaped elements come between plain ones, when `out` is
// written on directly between two elements after finish(), and when a second writer goes
// on where the first one finished. An answer moved out before the writer ends keeps no
// room unwritten.
TEST(Escaping, AListWriterLeavesExactlyItsElementsWhateverItsStretches) {
  for (const std::size_t reserved : {std::size_t{0}, std::size_t{100000}, std::size_t{5000000}}) {
    std::string out = "head";
    out.reserve(reserved);
    std::string expected = "head";
    auto writer = std::make_unique<ListWriter>(out);
    for (int i = 0; i < 40000; ++i) {
      const std::string object = "Device.X." + std::to_string(i) + ".";
      const std::string value =
          i % 997 == 0 ? "a<b" : std::string(static_cast<std::size_t>(i % 40), 'v');
      writer->value(object, "Leaf", "xsd:string", value);
      appendParameterValueStruct(expected, object + "Leaf", "xsd:string", value);
      const std::string leaf = i % 1001 == 0 ? "&" : "Name";
      writer->info(object, leaf, i % 2 == 0);
      appendParameterInfoStruct(expected, object + leaf, i % 2 == 0);
      if (i % 5000 == 0) {  // the writer ends, `out` is written on, another writer goes on
        writer->finish();
        EXPECT_EQ(out.size(), expected.size());
        writer.reset();
        out += "<!-- between -->";
        expected += "<!-- between -->";
        writer = std::make_unique<ListWriter>(out);
      }
    }
    writer->finish();
    ASSERT_EQ(out.size(), expected.size()) << "reserved " << reserved;
    EXPECT_EQ(out, expected);
    writer.reset();  // the destructor finishes too
    ListWriter(out).value("Device.Y.", "Z", "", "1");
    appendParameterValueStruct(expected, "Device.Y.Z", "", "1");
    EXPECT_EQ(out, expected);
  }
  std::string moved;
  {
    std::string out;
    ListWriter writer(out);
    writer.info("Device.", "A", true);
    writer.finish();
    moved = std::move(out);
  }  // the writer's end changes nothing of what was moved
  EXPECT_EQ(moved,
            "<ParameterInfoStruct><Name>Device.A</Name><Writable>1</Writable>"
            "</ParameterInfoStruct>");
}

// Every xsi:type the SDK names is plain (ListWriter::value's `plainType`).
TEST(Escaping, EveryXsdTypeNameOfTheSdkHasNothingToEscape) {
  for (int t = 0; t <= static_cast<int>(cwmpd::sdk::ParamType::HexBinary); ++t) {
    const std::string name = cwmpd::sdk::xsdTypeName(static_cast<cwmpd::sdk::ParamType>(t));
    EXPECT_EQ(escaped(name), name);
  }
}

TEST(Escaping, DropsControlCharactersXmlCannotCarry) {
  EXPECT_EQ(escaped(std::string("a\x01"
                                "b\x1f"
                                "c\0d",
                                7)),
            "abcd");
}

TEST(Encoder, WritesArrayTypesWithTheRealCounts) {
  Envelope e;
  e.header.id = "42";
  GetParameterValuesResponse r;
  r.parameterList = {{"Device.A", "1", "xsd:unsignedInt"}, {"Device.B", "x", "xsd:string"}};
  e.body = r;
  const std::string xml = encode(e);
  EXPECT_NE(xml.find("SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[2]\""), std::string::npos);
  EXPECT_NE(xml.find("<Value xsi:type=\"xsd:unsignedInt\">1</Value>"), std::string::npos);
  e.body = GetRPCMethodsResponse{{"Inform", "GetRPCMethods", "TransferComplete"}};
  EXPECT_NE(encode(e).find("SOAP-ENC:arrayType=\"xsd:string[3]\""), std::string::npos);
  e.body = GetParameterValuesResponse{};
  EXPECT_NE(encode(e).find("SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[0]\"></ParameterList>"),
            std::string::npos);
}

TEST(Encoder, EchoesTheIdWithMustUnderstandAndUsesTheRequestedNamespace) {
  Envelope e;
  e.ns = CwmpNamespace::V1_2;
  e.header.id = "a&b";
  e.body = RebootResponse{};
  const std::string xml = encode(e);
  EXPECT_NE(xml.find("<cwmp:ID SOAP-ENV:mustUnderstand=\"1\">a&amp;b</cwmp:ID>"),
            std::string::npos);
  EXPECT_NE(xml.find("xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\""), std::string::npos);
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u);
  CWMPD_REQUIRE_BBF_SCHEMAS();
  EXPECT_TRUE(cwmpd::test::isValidCwmp(xml, "RebootResponse"));
}

TEST(Encoder, OmitsTheHeaderWhenThereIsNothingToSay) {
  Envelope e;
  e.body = GetRPCMethods{};
  const std::string xml = encode(e);
  EXPECT_EQ(xml.find("Header"), std::string::npos);
  CWMPD_REQUIRE_BBF_SCHEMAS();
  EXPECT_TRUE(cwmpd::test::isValidCwmp(xml, "GetRPCMethods"));
}

TEST(Encoder, WritesEveryXsdTypeNameOfTheSdkAsASchemaValidValue) {
  using sdk::ParamType;
  const std::vector<std::pair<ParamType, std::string>> values = {
      {ParamType::String, "x"},
      {ParamType::Int, "-1"},
      {ParamType::UnsignedInt, "4294967295"},
      {ParamType::Long, "-9223372036854775808"},
      {ParamType::UnsignedLong, "18446744073709551615"},
      {ParamType::Boolean, "1"},
      {ParamType::DateTime, "0001-01-01T00:00:00Z"},
      {ParamType::Base64, "AAEC"},
      {ParamType::HexBinary, "00ff"}};
  GetParameterValuesResponse r;
  for (const auto& [type, value] : values) {
    r.parameterList.push_back({"Device.X_0000C0_V", value, sdk::xsdTypeName(type)});
  }
  Envelope e;
  e.header.id = "t";
  e.body = r;
  const std::string xml = encode(e);
  EXPECT_NE(xml.find("xsi:type=\"xsd:base64Binary\""), std::string::npos);
  CWMPD_REQUIRE_BBF_SCHEMAS();
  EXPECT_TRUE(cwmpd::test::isValidCwmp(xml, "GetParameterValuesResponse"));
  for (CwmpNamespace ns : {CwmpNamespace::V1_0, CwmpNamespace::V1_1, CwmpNamespace::V1_2}) {
    e.ns = ns;
    EXPECT_TRUE(cwmpd::test::isValidCwmp(encode(e), "GetParameterValuesResponse"));
  }
}

TEST(Encoder, ALargeGetParameterValuesResponseIsSchemaValidAndRoundTrips) {
  GetParameterValuesResponse r;
  for (int i = 0; i < 20000; ++i) {
    r.parameterList.push_back({"Device.X_0000C0_Table." + std::to_string(i) + ".Value",
                               "value <" + std::to_string(i) + ">", "xsd:string"});
  }
  Envelope e;
  e.header.id = "big";
  e.body = r;
  const std::string xml = encode(e);
  const DecodeResult d = decode(xml);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d.envelope(), e);
  CWMPD_REQUIRE_BBF_SCHEMAS();
  EXPECT_TRUE(cwmpd::test::isValidCwmp(xml, "GetParameterValuesResponse"));
}

// The dispatcher writes big answers as XML while it walks the model (messages.hpp): the
// envelope around such a list must be byte for byte the one of the same list as structs,
// whether the list is copied (const&) or taken over (&&), alone or after structs.
TEST(Encoder, APreEncodedParameterListGivesTheSameMessage) {
  GetParameterValuesResponse structs;
  GetParameterValuesResponse preEncoded;
  GetParameterValuesResponse mixed;
  for (int i = 0; i < 3000; ++i) {
    ParameterValueStruct p{"Device.X_0000C0_T." + std::to_string(i) + ".V",
                           i % 2 ? "v&<" + std::to_string(i) + ">" : std::to_string(i),
                           i % 2 ? "xsd:string" : "xsd:unsignedInt"};
    structs.parameterList.push_back(p);
    appendParameterValueStruct(preEncoded.encoded, p.name, p.type, p.value);
    ++preEncoded.encodedCount;
    if (i < 10) {
      mixed.parameterList.push_back(p);
    } else {
      appendParameterValueStruct(mixed.encoded, p.name, p.type, p.value);
      ++mixed.encodedCount;
    }
  }
  auto envelopeOf = [](Body body) {
    Envelope e;
    e.header.id = "pre";
    e.body = std::move(body);
    return e;
  };
  const std::string expected = encode(envelopeOf(structs));
  const Envelope pre = envelopeOf(preEncoded);
  EXPECT_EQ(encode(pre), expected);
  EXPECT_EQ(encode(envelopeOf(preEncoded)), expected);  // the rvalue overload
  EXPECT_EQ(encode(envelopeOf(mixed)), expected);
  const DecodeResult d = decode(expected);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(std::get<GetParameterValuesResponse>(d.envelope().body).parameterList,
            structs.parameterList);

  GetParameterNamesResponse names;
  GetParameterNamesResponse namesPre;
  for (int i = 0; i < 3000; ++i) {
    const std::string n = "Device.X_0000C0_T." + std::to_string(i) + ".";
    names.parameterList.push_back({n, i % 3 == 0});
    appendParameterInfoStruct(namesPre.encoded, n, i % 3 == 0);
    ++namesPre.encodedCount;
  }
  const std::string expectedNames = encode(envelopeOf(names));
  EXPECT_EQ(encode(envelopeOf(namesPre)), expectedNames);
  CWMPD_REQUIRE_BBF_SCHEMAS();
  EXPECT_TRUE(cwmpd::test::isValidCwmp(expected, "GetParameterValuesResponse"));
  EXPECT_TRUE(cwmpd::test::isValidCwmp(expectedNames, "GetParameterNamesResponse"));
}

TEST(Encoder, InvalidUtf8InValuesStillGivesAWellFormedMessage) {
  Envelope e;
  e.header.id = "u";
  e.body = GetParameterValuesResponse{{{"Device.A", "\xFF\xFE ok \x01", "xsd:string"}}, {}, 0};
  const std::string xml = encode(e);
  const DecodeResult d = decode(xml);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(std::get<GetParameterValuesResponse>(d.envelope().body).parameterList[0].value,
            "\xEF\xBF\xBD\xEF\xBF\xBD ok ");
  CWMPD_REQUIRE_BBF_SCHEMAS();
  EXPECT_TRUE(cwmpd::test::isValidCwmp(xml, "GetParameterValuesResponse"));
}

}  // namespace
}  // namespace cwmpd::core::soap
