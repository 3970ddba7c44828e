// The typed-value order, JSON conversion, coercion, literals and the ordered encoding.
#include "records/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "test_util.h"

namespace nokv::records {
namespace {

using nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();

int Sign(int x) { return (x > 0) - (x < 0); }

std::string Encoded(const TypedValue& v) {
  std::string out;
  EncodeOrdered(v, &out);
  return out;
}

int MemcmpSign(const std::string& a, const std::string& b) {
  int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return Sign(c);
  return Sign(static_cast<int>(a.size() > b.size()) - static_cast<int>(a.size() < b.size()));
}

TEST(TypedValueTest, MixedKindsFollowTheDocumentedOrder) {
  std::vector<TypedValue> ascending = {
      TypedValue::Null(),         TypedValue::Bool(false),
      TypedValue::Bool(true),     TypedValue::Number(-kInf),
      TypedValue::Number(-1e300), TypedValue::Number(-1),
      TypedValue::Number(0),      TypedValue::Number(5e-324),
      TypedValue::Number(0.5),    TypedValue::Number(2),
      TypedValue::Number(10),     TypedValue::Number(kInf),
      TypedValue::String(""),     TypedValue::String(std::string("\0", 1)),
      TypedValue::String("10"),   TypedValue::String("2"),
      TypedValue::String("a"),    TypedValue::String("a\x01"),
      TypedValue::String("b"),    TypedValue::String("\xC3\xA9"),
      TypedValue::String("\xFF"),
  };
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t j = 0; j < ascending.size(); ++j) {
      EXPECT_EQ(Compare(ascending[i], ascending[j]), i < j ? -1 : (i > j ? 1 : 0))
          << ascending[i].DebugString() << " vs " << ascending[j].DebugString();
    }
  }
}

TEST(TypedValueTest, NegativeZeroEqualsZeroAndNanIsNotANumber) {
  EXPECT_EQ(Compare(TypedValue::Number(-0.0), TypedValue::Number(0.0)), 0);
  EXPECT_FALSE(std::signbit(TypedValue::Number(-0.0).number_value()));
  EXPECT_EQ(Encoded(TypedValue::Number(-0.0)), Encoded(TypedValue::Number(0.0)));
  EXPECT_TRUE(TypedValue::Number(std::nan("")).is_null());
  EXPECT_TRUE(FailsWith(FromJson(json(std::nan(""))), Code::kInvalidArgument, "NaN"));
}

TEST(TypedValueTest, JsonRoundTrip) {
  EXPECT_EQ(ToJson(TypedValue::Number(3)).dump(), "3");
  EXPECT_EQ(ToJson(TypedValue::Number(-2.5)).dump(), "-2.5");
  EXPECT_EQ(ToJson(TypedValue::Number(1e300)).dump(), "1e+300");
  EXPECT_EQ(ToJson(TypedValue::String("x")).dump(), "\"x\"");
  EXPECT_EQ(ToJson(TypedValue::Bool(true)).dump(), "true");
  EXPECT_TRUE(ToJson(TypedValue::Null()).is_null());
  for (const char* text : {"null", "false", "7", "-0.125", "\"s\"", "9007199254740992"}) {
    json j = json::parse(text);
    Result<TypedValue> v = FromJson(j);
    ASSERT_TRUE(v.ok()) << text;
    EXPECT_EQ(ToJson(*v), j) << text;
    EXPECT_EQ(*FromJson(ToJson(*v)), *v) << text;
  }
  EXPECT_TRUE(FailsWith(FromJson(json::array()), Code::kInvalidArgument, "not a scalar"));
  EXPECT_TRUE(FailsWith(FromJson(json::object()), Code::kInvalidArgument, "not a scalar"));
}

TEST(TypedValueTest, CoerceConvertsWhatItCan) {
  auto s = [](const char* x) { return TypedValue::String(x); };
  EXPECT_EQ(*Coerce(TypedValue::Number(3), FieldType::kString), s("3"));
  EXPECT_EQ(*Coerce(TypedValue::Number(0.5), FieldType::kString), s("0.5"));
  EXPECT_EQ(*Coerce(TypedValue::Bool(true), FieldType::kString), s("true"));
  EXPECT_EQ(*Coerce(s("0.25"), FieldType::kNumber), TypedValue::Number(0.25));
  EXPECT_FALSE(Coerce(s("ten"), FieldType::kNumber).has_value());
  EXPECT_FALSE(Coerce(s(" 1"), FieldType::kNumber).has_value());
  EXPECT_FALSE(Coerce(TypedValue::Bool(true), FieldType::kNumber).has_value());
  EXPECT_EQ(*Coerce(s("false"), FieldType::kBool), TypedValue::Bool(false));
  EXPECT_FALSE(Coerce(TypedValue::Number(1), FieldType::kBool).has_value());
  EXPECT_EQ(*Coerce(s("x"), FieldType::kAuto), s("x"));
  EXPECT_TRUE(Coerce(TypedValue::Null(), FieldType::kNumber)->is_null());
}

TEST(TypedValueTest, LiteralsFollowTheHint) {
  EXPECT_EQ(ParseLiteral("completed"), TypedValue::String("completed"));
  EXPECT_EQ(ParseLiteral("\"completed\""), TypedValue::String("completed"));
  EXPECT_EQ(ParseLiteral("0.5"), TypedValue::Number(0.5));
  EXPECT_EQ(ParseLiteral("true"), TypedValue::Bool(true));
  EXPECT_TRUE(ParseLiteral("null").is_null());
  EXPECT_EQ(ParseLiteral("\"0.5\""), TypedValue::String("0.5"));
  EXPECT_EQ(ParseLiteral("\"a\\\"b\""), TypedValue::String("a\"b"));
  EXPECT_EQ(ParseLiteral("0.5", FieldType::kString), TypedValue::String("0.5"));
  EXPECT_EQ(ParseLiteral("true", FieldType::kString), TypedValue::String("true"));
  EXPECT_EQ(ParseLiteral("12", FieldType::kNumber), TypedValue::Number(12));
  EXPECT_EQ(ParseLiteral("true", FieldType::kNumber), TypedValue::String("true"));
  EXPECT_EQ(ParseLiteral("false", FieldType::kBool), TypedValue::Bool(false));
  EXPECT_EQ(ParseLiteral("1", FieldType::kBool), TypedValue::String("1"));
  EXPECT_EQ(ParseLiteral("\"unterminated"), TypedValue::String("\"unterminated"));
}

TEST(OrderedEncodingTest, KnownBytes) {
  using namespace std::string_literals;
  EXPECT_EQ(Encoded(TypedValue::Null()), "\x01"s);
  EXPECT_EQ(Encoded(TypedValue::Bool(false)), "\x02"s);
  EXPECT_EQ(Encoded(TypedValue::Bool(true)), "\x03"s);
  EXPECT_EQ(Encoded(TypedValue::Number(1.0)), "\x04\xBF\xF0\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(Encoded(TypedValue::Number(-1.0)), "\x04\x40\x0F\xFF\xFF\xFF\xFF\xFF\xFF"s);
  EXPECT_EQ(Encoded(TypedValue::String("a\0b"s)),
            "\x05"
            "a\x00\xFF"
            "b\x00\x01"s);
  EXPECT_EQ(kOrderedEncodingVersion, 1);
}

TEST(OrderedEncodingTest, RejectsMalformedBytes) {
  using namespace std::string_literals;
  for (std::string bad : {""s, "\x00"s, "\x06"s, "\x04\x01\x02"s,
                          "\x05"
                          "abc"s,
                          "\x05"
                          "a\x00"s,
                          "\x05"
                          "a\x00\x02"s,
                          "\x04\x7F\xFF\xFF\xFF\xFF\xFF\xFF\xFF"s,     // -0
                          "\x04\xFF\xF8\x00\x00\x00\x00\x00\x00"s}) {  // NaN
    std::string_view in = bad;
    TypedValue v;
    EXPECT_FALSE(DecodeOrdered(&in, &v)) << nokv::records::TypedValue::String(bad).DebugString();
  }
}

// A random value biased towards edge cases: shared prefixes, 0x00/0xFF bytes, signed zeros,
// infinities, denormals and numbers close together.
TypedValue RandomValue(std::mt19937_64& rng) {
  static const double kNumbers[] = {0.0, -0.0,  1.0,    -1.0, 0.5,   -0.5, 1e-310,   -1e-310,
                                    2.0, 1e300, -1e300, kInf, -kInf, 3.25, 1e15 + 1, -7};
  std::uniform_int_distribution<int> pick(0, 9);
  switch (pick(rng) % 5) {
    case 0:
      return pick(rng) < 5 ? TypedValue::Null() : TypedValue::Bool(pick(rng) < 5);
    case 1:
      return TypedValue::Number(kNumbers[rng() % std::size(kNumbers)]);
    case 2: {
      double d = std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
      return TypedValue::Number(pick(rng) < 5 ? std::round(d) : d);
    }
    default: {
      static const char kBytes[] = {'\x00', '\x01', '\xFF', 'a', 'b', '\x7F', '\x80'};
      std::string s(rng() % 5, '\0');
      for (char& c : s) c = kBytes[rng() % sizeof(kBytes)];
      return TypedValue::String(s);
    }
  }
}

TEST(OrderedEncodingTest, MemcmpOrderEqualsCompareOrderForRandomValues) {
  std::mt19937_64 rng(20240611);
  std::vector<TypedValue> values;
  for (int i = 0; i < 400; ++i) values.push_back(RandomValue(rng));
  std::vector<std::string> encoded;
  for (const TypedValue& v : values) encoded.push_back(Encoded(v));
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = 0; j < values.size(); ++j) {
      ASSERT_EQ(MemcmpSign(encoded[i], encoded[j]), Compare(values[i], values[j]))
          << values[i].DebugString() << " vs " << values[j].DebugString();
    }
  }
}

TEST(OrderedEncodingTest, SelfDelimitingWithAppendedKeyBytes) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 3000; ++i) {
    TypedValue a = RandomValue(rng), b = RandomValue(rng);
    std::string suffix_a(rng() % 4, static_cast<char>(rng())), suffix_b(rng() % 4, '\xFF');
    std::string ka = Encoded(a) + suffix_a, kb = Encoded(b) + suffix_b;
    // The suffix never changes the order of distinct values...
    if (Compare(a, b) != 0) {
      ASSERT_EQ(MemcmpSign(ka, kb), Compare(a, b));
    }
    // ...and decoding stops exactly where the value ends.
    std::string_view in = ka;
    TypedValue decoded;
    ASSERT_TRUE(DecodeOrdered(&in, &decoded));
    ASSERT_EQ(Compare(decoded, a), 0) << a.DebugString();
    ASSERT_EQ(decoded.kind(), a.kind());
    ASSERT_EQ(in, suffix_a);
  }
}

TEST(OrderedEncodingTest, NoEncodingIsAPrefixOfAnother) {
  std::mt19937_64 rng(99);
  std::vector<std::string> encoded;
  for (int i = 0; i < 300; ++i) encoded.push_back(Encoded(RandomValue(rng)));
  for (const std::string& a : encoded) {
    for (const std::string& b : encoded) {
      if (a != b) {
        ASSERT_FALSE(b.starts_with(a));
      }
    }
  }
}

TEST(FieldTypeTest, NamesRoundTrip) {
  for (FieldType t : {FieldType::kString, FieldType::kNumber, FieldType::kBool, FieldType::kAuto}) {
    EXPECT_EQ(ParseFieldType(FieldTypeName(t)), t);
  }
  EXPECT_FALSE(ParseFieldType("int").has_value());
}

}  // namespace
}  // namespace nokv::records
