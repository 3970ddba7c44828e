// Names that are not UTF-8: the byte escape (text_codec.h) on its own, and
// names printed by one verb passed back to another (docs/mcp.md, "Names that
// are not UTF-8").
#include <map>
#include <random>

#include "query/text_codec.h"
#include "query_fixture.h"

namespace nokv::query::testing {
namespace {

// A name ending in the bytes 0xff 0xfe (not UTF-8), its escaped form (U+F7FF U+F7FE),
// a name ending in a literal U+F7FF (EF 9F BF) and its escaped form: one escape per
// byte (U+F7EF U+F79F U+F7BF).
const std::string kInvalid = "bad\xff\xfe";
const std::string kInvalidEscaped = "bad\xEF\x9F\xBF\xEF\x9F\xBE";
const std::string kLiteral = "pua\xEF\x9F\xBF";
const std::string kLiteralEscaped = "pua\xEF\x9F\xAF\xEF\x9E\x9F\xEF\x9E\xBF";

TEST(ByteEscapeTest, KnownNamesHaveTheirDocumentedForms) {
  EXPECT_EQ(EscapeBytes(kInvalid), kInvalidEscaped);
  EXPECT_EQ(EscapeBytes(kLiteral), kLiteralEscaped);
  EXPECT_EQ(EscapeBytes("caf\xC3\xA9"), "caf\xC3\xA9");            // valid UTF-8 is unchanged
  EXPECT_EQ(EscapeBytes("\xEF\x9D\xBF"), "\xEF\x9D\xBF");          // U+F77F is outside the range
  EXPECT_EQ(EscapeBytes("\xC0\xAF"), "\xEF\x9F\x80\xEF\x9E\xAF");  // overlong '/': two bytes
  EXPECT_EQ(UnescapeBytes(kInvalidEscaped), kInvalid);
  EXPECT_EQ(UnescapeBytes(kLiteralEscaped), kLiteral);
  EXPECT_EQ(UnescapeBytes("raw\xff"), "raw\xff");  // raw bytes pass through
  EXPECT_TRUE(IsEscapeFree("caf\xC3\xA9"));
  EXPECT_FALSE(IsEscapeFree(kInvalid));
  EXPECT_FALSE(IsEscapeFree(kLiteral));
}

TEST(ByteEscapeTest, EveryByteStringRoundTripsAsValidUtf8) {
  std::mt19937 rng(7);
  // Random bytes biased towards the interesting ones: lead bytes, continuation bytes
  // and the escape's own EF 9E/9F prefix.
  const uint8_t kPool[] = {'a', '/', 0x80, 0x9E, 0x9F, 0xBF, 0xC3, 0xA9, 0xE2, 0xEF, 0xF0, 0xFF};
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(rng() % 12, '\0');
    for (auto& c : bytes) c = char(rng() % 3 == 0 ? rng() : kPool[rng() % sizeof(kPool)]);
    std::string escaped = EscapeBytes(bytes);
    ASSERT_TRUE(IsValidUtf8(escaped)) << round;
    ASSERT_EQ(UnescapeBytes(escaped), bytes) << round;
    ASSERT_EQ(escaped == bytes, IsEscapeFree(bytes)) << round;
  }
}

TEST(ByteEscapeTest, DumpEscapedEscapesValuesAndKeysAndNeverThrows) {
  nlohmann::json j = {{kInvalid, {kLiteral, "plain"}}, {"k", kInvalid}};
  std::string text = DumpEscaped(j);
  nlohmann::json back = nlohmann::json::parse(text);  // throws on invalid UTF-8
  ASSERT_TRUE(back.contains(kInvalidEscaped)) << text;
  EXPECT_EQ(back[kInvalidEscaped][0], kLiteralEscaped);
  EXPECT_EQ(back[kInvalidEscaped][1], "plain");
  EXPECT_EQ(back["k"], kInvalidEscaped);
}

class NamesTest : public QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    Put("/odd/" + kInvalid, "invalid name\n");
    Put("/odd/" + kLiteral, "literal name\n");
    Put("/odd/caf\xC3\xA9", "cafe\n");
  }

  // The JSON text a client receives; parsing it back fails on invalid UTF-8.
  static json OverTheWire(const json& result) {
    return json::parse(result.dump(-1, ' ', false, json::error_handler_t::strict));
  }
};

TEST_F(NamesTest, LsPrintsEscapedNamesThatStatTakesBack) {
  json listed = OverTheWire(Call("ls", {{"path", "/odd"}}));
  ASSERT_EQ(Code(listed), "") << listed.dump();
  std::vector<std::string> names;
  for (const auto& e : listed["entries"]) names.push_back(e["name"]);
  // Name order is byte order of the stored names.
  EXPECT_EQ(names, (std::vector<std::string>{kInvalidEscaped, "caf\xC3\xA9", kLiteralEscaped}));
  const std::map<std::string, uint64_t> sizes = {
      {kInvalidEscaped, 13}, {kLiteralEscaped, 13}, {"caf\xC3\xA9", 5}};
  for (const auto& name : names) {
    json st = OverTheWire(Call("stat", {{"path", "/odd/" + name}}));
    ASSERT_EQ(Code(st), "") << name << ": " << st.dump();
    EXPECT_EQ(st["path"], "/odd/" + name);
    EXPECT_EQ(st["size_bytes"], sizes.at(name)) << name;
  }
  // A literal U+F7FF in an argument is the escape of byte 0xff, not that character.
  EXPECT_EQ(Code(Call("stat", {{"path", "/odd/" + kLiteral}})), "not_found");
}

TEST_F(NamesTest, EvidenceFindAndErrorsCarryTheEscapeToo) {
  json read = OverTheWire(Call("read", {{"path", "/odd/" + kInvalidEscaped}, {"format", "bytes"}}));
  ASSERT_EQ(Code(read), "") << read.dump();
  EXPECT_EQ(read["data"], "invalid name\n");
  std::string evidence = read["evidence"];
  EXPECT_NE(evidence.find(kInvalidEscaped), std::string::npos) << evidence;
  json again = Call("read", {{"evidence", evidence}, {"format", "bytes"}});
  ASSERT_EQ(Code(again), "") << again.dump();
  EXPECT_EQ(again["data"], "invalid name\n");

  json found = OverTheWire(Call(
      "find", {{"path", "/odd"},
               {"predicates", {{{"field", "name"}, {"op", "eq"}, {"value", kLiteralEscaped}}}}}));
  ASSERT_EQ(Code(found), "") << found.dump();
  ASSERT_EQ(found["matches"].size(), 1u) << found.dump();
  EXPECT_EQ(found["matches"][0]["path"], "/odd/" + kLiteralEscaped);

  json missing = OverTheWire(Call("stat", {{"path", "/odd/gone\xfd"}}));
  EXPECT_EQ(Code(missing), "not_found");
  EXPECT_NE(missing["error"]["message"].get<std::string>().find("gone\xEF\x9F\xBD"),
            std::string::npos)
      << missing.dump();
}

TEST_F(NamesTest, ReadReturnsTextNeedingTheEscapeAsBase64SoDataIsExact) {
  const std::string body = "key \xEF\x9F\xBF value\n";  // valid UTF-8 with a literal U+F7FF
  Put("/odd/pua.txt", body);
  json r = Call("read", {{"path", "/odd/pua.txt"}, {"format", "bytes"}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["encoding"], "base64");
  EXPECT_EQ(r["data"], Base64Encode(body));
}

}  // namespace
}  // namespace nokv::query::testing
