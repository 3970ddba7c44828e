// Argument limits the schemas state, enforced by the service itself, and bounded
// results, errors included (issue #10 item 10).
#include "query/args.h"
#include "query/invocation.h"
#include "query/verb_error.h"
#include "query_fixture.h"

namespace nokv::query::testing {
namespace {

using LimitsTest = QueryTest;

std::string Repeat(std::string_view unit, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += unit;
  return out;
}

TEST_F(LimitsTest, GrepPatternOf4096CharactersIsAcceptedAnd4097Refused) {
  json ok = Call("grep", {{"path", "/data"}, {"pattern", std::string(kMaxPatternChars, 'q')}});
  EXPECT_EQ(Code(ok), "") << ok.dump().substr(0, 300);
  json over =
      Call("grep", {{"path", "/data"}, {"pattern", std::string(kMaxPatternChars + 1, 'q')}});
  EXPECT_EQ(Code(over), "invalid_argument");
  // maxLength counts characters, not bytes: 4096 two-byte characters fit.
  json wide = Call("grep", {{"path", "/data"}, {"pattern", Repeat("\xC3\xA9", kMaxPatternChars)}});
  EXPECT_EQ(Code(wide), "") << wide.dump().substr(0, 300);
  EXPECT_EQ(Code(Call("grep", {{"path", "/data"}, {"pattern", ""}})), "invalid_argument");
}

TEST_F(LimitsTest, PathOf4096CharactersIsCheckedAnd4097Refused) {
  // Names of 255 bytes and slashes, 4096 characters in all; it does not exist.
  std::string path;
  while (path.size() + 256 < kMaxPathChars) path += "/" + std::string(255, 'n');
  path += "/" + std::string(kMaxPathChars - path.size() - 1, 'n');
  ASSERT_EQ(CharCount(path), kMaxPathChars);
  for (const char* verb : {"stat", "ls", "read"}) {
    EXPECT_EQ(Code(Call(verb, {{"path", path}})), "not_found") << verb;
    EXPECT_EQ(Code(Call(verb, {{"path", path + "n"}})), "invalid_argument") << verb;
  }
}

TEST_F(LimitsTest, MinLengthEnumAndRangeConstraintsAreEnforced) {
  // minLength 1
  EXPECT_EQ(Code(Call("ls", {{"path", "/data"}, {"cursor", ""}})), "invalid_argument");
  EXPECT_EQ(Code(Call("read", {{"path", "/data/big.txt"}, {"lines", ""}})), "invalid_argument");
  EXPECT_EQ(Code(Call("stat", {{"path", "/data"}, {"snapshot", ""}})), "invalid_argument");
  // enum
  EXPECT_EQ(Code(Call("ls", {{"path", "/data"}, {"kind", "socket"}})), "invalid_argument");
  EXPECT_EQ(Code(Call("read", {{"path", "/data/big.txt"}, {"format", "xml"}})), "invalid_argument");
  // minimum / maximum, at and past each bound
  EXPECT_EQ(Code(Call("ls", {{"path", "/data"}, {"limit", 1000}})), "");
  EXPECT_EQ(Code(Call("ls", {{"path", "/data"}, {"limit", 1001}})), "invalid_argument");
  EXPECT_EQ(Code(Call("ls", {{"path", "/data"}, {"limit", 0}})), "invalid_argument");
  EXPECT_EQ(Code(Call("grep", {{"path", "/data"}, {"pattern", "x"}, {"context", 10}})), "");
  EXPECT_EQ(Code(Call("grep", {{"path", "/data"}, {"pattern", "x"}, {"context", 11}})),
            "invalid_argument");
  EXPECT_EQ(Code(Call("read", {{"path", "/data/big.txt"}, {"offset", -1}})), "invalid_argument");
  for (double odd : {1e300, -1e300, 1.5, 9.3e18}) {
    EXPECT_EQ(Code(Call("ls", {{"path", "/data"}, {"limit", odd}})), "invalid_argument") << odd;
  }
  EXPECT_EQ(Code(Call("ls", {{"path", "/data"}, {"limit", 2.0}})), "");
  EXPECT_EQ(Code(Call("ls", {{"path", "/data"}, {"limit", uint64_t{1} << 63}})),
            "invalid_argument");
  EXPECT_EQ(Code(Call("stat", {{"path", "/data"}, {"max_result_bytes", 1023}})),
            "invalid_argument");
  // pattern ^[0-9]+(-[0-9]*)?$
  for (const char* bad : {"x", "1-2-3", "-5", "+5", "1 - 2"}) {
    EXPECT_EQ(Code(Call("read", {{"path", "/data/big.txt"}, {"lines", bad}})), "invalid_argument")
        << bad;
  }
  EXPECT_EQ(Code(Call("read", {{"path", "/data/big.txt"}, {"lines", "2-"}})), "");
}

// The nested parts of find's and aggregate's schemas (items of predicates, sort,
// fields, facets, group_by and measures): each class of constraint, checked by the
// service whatever the client validated.
json Predicate(json field, json op, json value = nullptr) {
  json p = {{"field", std::move(field)}, {"op", std::move(op)}};
  if (!value.is_null()) p["value"] = std::move(value);
  return p;
}
json Count(const std::string& as) { return {{"op", "count"}, {"as", as}}; }

TEST_F(LimitsTest, NestedEnumsAreEnforced) {
  auto find = [&](json extra) {
    json args = {{"path", "/runs"}};
    args.update(extra);
    return Code(Call("find", args));
  };
  auto aggregate = [&](json extra) {
    json args = {{"path", "/runs"}, {"measures", {Count("n")}}};
    args.update(extra);
    return Code(Call("aggregate", args));
  };
  EXPECT_EQ(find({{"predicates", {Predicate("run.status", "eq", "completed")}}}), "");
  EXPECT_EQ(find({{"predicates", {Predicate("run.status", "like", "c")}}}), "invalid_argument");
  EXPECT_EQ(find({{"predicates", {Predicate("run.status", 3, "c")}}}), "invalid_argument");
  EXPECT_EQ(find({{"sort", {{{"field", "run.status"}, {"order", "desc"}}}}}), "");
  EXPECT_EQ(find({{"sort", {{{"field", "run.status"}, {"order", "up"}}}}}), "invalid_argument");
  EXPECT_EQ(find({{"sort", {{{"field", "run.status"}, {"order", true}}}}}), "invalid_argument");
  EXPECT_EQ(aggregate({{"measures", {{{"op", "max"}, {"field", "run.epochs"}}}}}), "");
  EXPECT_EQ(aggregate({{"measures", {{{"op", "median"}, {"field", "run.epochs"}}}}}),
            "invalid_argument");
  EXPECT_EQ(aggregate({{"sort", {{"by", "n"}, {"order", "desc"}}}}), "");
  EXPECT_EQ(aggregate({{"sort", {{"by", "n"}, {"order", "sideways"}}}}), "invalid_argument");
}

TEST_F(LimitsTest, NestedItemShapesAreEnforced) {
  auto find = [&](json extra) {
    json args = {{"path", "/runs"}};
    args.update(extra);
    return Code(Call("find", args));
  };
  auto aggregate = [&](json measures) {
    return Code(Call("aggregate", {{"path", "/runs"}, {"measures", std::move(measures)}}));
  };
  // predicates: objects of field, op and a scalar value (an array of scalars for 'in')
  EXPECT_EQ(find({{"predicates", {"run.status"}}}), "invalid_argument");
  EXPECT_EQ(find({{"predicates", {{{"op", "exists"}}}}}), "invalid_argument");         // no field
  EXPECT_EQ(find({{"predicates", {{{"field", "run.status"}}}}}), "invalid_argument");  // no op
  json extra_key = Predicate("run.status", "exists");
  extra_key["negate"] = true;
  EXPECT_EQ(find({{"predicates", {extra_key}}}), "invalid_argument");
  EXPECT_EQ(find({{"predicates", {Predicate("run.status", "in", {"completed"})}}}), "");
  EXPECT_EQ(find({{"predicates", {Predicate("run.status", "in", {{"completed"}})}}}),
            "invalid_argument");  // an array inside 'in'
  EXPECT_EQ(find({{"predicates", {Predicate("run.status", "eq", {{"k", "v"}})}}}),
            "invalid_argument");  // an object value
  // sort: objects of field and order
  EXPECT_EQ(find({{"sort", {"run.status"}}}), "invalid_argument");
  EXPECT_EQ(find({{"sort", {{{"order", "asc"}}}}}), "invalid_argument");  // no field
  EXPECT_EQ(find({{"sort", {{{"field", "run.status"}, {"by", "x"}}}}}), "invalid_argument");
  EXPECT_EQ(find({{"sort", {{"field", "run.status"}}}}), "invalid_argument");  // not an array
  // fields and facets: arrays of strings
  EXPECT_EQ(find({{"fields", {1}}}), "invalid_argument");
  EXPECT_EQ(find({{"facets", {{{"field", "run.status"}}}}}), "invalid_argument");
  // measures: objects of op, field and as
  EXPECT_EQ(aggregate({"count"}), "invalid_argument");
  EXPECT_EQ(aggregate({{{"field", "run.epochs"}}}), "invalid_argument");  // no op
  EXPECT_EQ(aggregate({{{"op", "count"}, {"label", "n"}}}), "invalid_argument");
  EXPECT_EQ(aggregate({{{"op", "sum"}}}), "invalid_argument");  // sum needs a field
  EXPECT_EQ(
      Code(Call("aggregate",
                {{"path", "/runs"}, {"measures", {Count("n")}}, {"sort", {{"order", "asc"}}}})),
      "invalid_argument");  // sort without 'by'
}

TEST_F(LimitsTest, NestedItemLengthsAreEnforced) {
  auto find = [&](json extra) {
    json args = {{"path", "/runs"}};
    args.update(extra);
    return Code(Call("find", args));
  };
  auto aggregate = [&](json extra) {
    json args = {{"path", "/runs"}, {"measures", {Count("n")}}};
    args.update(extra);
    return Code(Call("aggregate", args));
  };
  // every string item and nested string the schemas give minLength 1
  EXPECT_EQ(find({{"predicates", {Predicate("", "exists")}}}), "invalid_argument");
  EXPECT_EQ(find({{"sort", {{{"field", ""}}}}}), "invalid_argument");
  EXPECT_EQ(find({{"fields", {"run.status", ""}}}), "invalid_argument");
  EXPECT_EQ(find({{"facets", {""}}}), "invalid_argument");
  EXPECT_EQ(aggregate({{"group_by", {""}}}), "invalid_argument");
  EXPECT_EQ(aggregate({{"group_by", {"run.status"}}}), "");
  EXPECT_EQ(aggregate({{"measures", {{{"op", "count"}, {"field", ""}}}}}), "invalid_argument");
  EXPECT_EQ(aggregate({{"measures", {{{"op", "max"}, {"field", ""}}}}}), "invalid_argument");
  EXPECT_EQ(aggregate({{"measures", {{{"op", "count"}, {"as", ""}}}}}), "invalid_argument");
  EXPECT_EQ(aggregate({{"measures", {{{"op", "count"}, {"as", "n"}}}}}), "");
  EXPECT_EQ(Code(Call("read", {{"path", "/data/big.txt"}, {"evidence", ""}})), "invalid_argument");
}

TEST_F(LimitsTest, NestedItemCountsAreEnforcedAtAndPastEachBound) {
  auto items = [](json item, size_t n) {
    json list = json::array();
    for (size_t i = 0; i < n; ++i) list.push_back(item);
    return list;
  };
  auto find = [&](const char* key, json list) {
    return Code(Call("find", {{"path", "/runs"}, {key, std::move(list)}}));
  };
  json pred = Predicate("run.status", "exists");
  EXPECT_EQ(find("predicates", items(pred, 32)), "");
  EXPECT_EQ(find("predicates", items(pred, 33)), "invalid_argument");
  json key = {{"field", "run.status"}};
  EXPECT_EQ(find("sort", items(key, 4)), "");
  EXPECT_EQ(find("sort", items(key, 5)), "invalid_argument");
  EXPECT_EQ(find("fields", items("path", 64)), "");
  EXPECT_EQ(find("fields", items("path", 65)), "invalid_argument");
  EXPECT_EQ(find("facets", items("kind", 8)), "");
  EXPECT_EQ(find("facets", items("kind", 9)), "invalid_argument");
  auto aggregate = [&](json group_by, size_t measures) {
    json list = json::array();
    for (size_t i = 0; i < measures; ++i) list.push_back(Count("n" + std::to_string(i)));
    return Code(Call(
        "aggregate",
        {{"path", "/runs"}, {"group_by", std::move(group_by)}, {"measures", std::move(list)}}));
  };
  EXPECT_EQ(aggregate(items("kind", 4), 1), "");
  EXPECT_EQ(aggregate(items("kind", 5), 1), "invalid_argument");
  EXPECT_EQ(aggregate(json::array(), 16), "");
  EXPECT_EQ(aggregate(json::array(), 17), "invalid_argument");
  EXPECT_EQ(aggregate(json::array(), 0), "invalid_argument");  // minItems 1
}

TEST_F(LimitsTest, AParseErrorDoesNotEchoAHugeTokenPastTheResultCap) {
  std::string token(100'000, 'z');
  Put("/data/bad.json", "[" + token + "]");
  for (const char* format : {"auto", "structured"}) {
    json r =
        Call("read", {{"path", "/data/bad.json"}, {"format", format}, {"max_result_bytes", 1024}});
    EXPECT_LE(CompactJson(r).size(), 1024u) << format << ": " << r.dump().substr(0, 400);
    EXPECT_EQ(CompactJson(r).find(std::string(200, 'z')), std::string::npos) << format;
  }
  json card = Call("stat", {{"path", "/data/bad.json"}, {"max_result_bytes", 1024}});
  EXPECT_LE(CompactJson(card).size(), 1024u) << card.dump().substr(0, 400);
  ASSERT_TRUE(card.contains("parse_error")) << card.dump().substr(0, 400);
}

TEST_F(LimitsTest, ErrorsStayWithinTheSmallestResultCap) {
  std::string key(50'000, 'k');
  json unknown = Call("stat", {{"path", "/data"}, {key, 1}});
  EXPECT_EQ(Code(unknown), "invalid_argument");
  EXPECT_LE(CompactJson(unknown).size(), 1024u);
  json escaped = Call("stat", {{"path", "/data"}, {std::string(5'000, '\x01'), 1}});
  EXPECT_LE(CompactJson(escaped).size(), 1024u);
  json verb = Call(std::string(50'000, 'v'), json::object());
  EXPECT_LE(CompactJson(verb).size(), 1024u);
}

// AGENT_TOOLS.md: an evidence URI names a path and a generation, and read returns
// exactly those bytes while the generation is retained (current or held by a
// snapshot). A citation made at a snapshot therefore resolves later without
// naming the snapshot; a server bound to a snapshot resolves only from it.
TEST_F(LimitsTest, EvidenceReadAtASnapshotResolvesToTheSameBytesLater) {
  Put("/data/ev.txt", "old line\n");
  ASSERT_TRUE(meta_->CreateSnapshot("s", "/data").ok());
  Put("/data/ev.txt", "new line\n");
  json cited = Call("read", {{"path", "/data/ev.txt"}, {"snapshot", "s"}});
  ASSERT_EQ(Code(cited), "") << cited.dump();
  ASSERT_EQ(cited["lines"][0]["text"], "old line");
  std::string uri = cited["evidence"];
  EXPECT_EQ(uri.rfind("nokv-native:///data/ev.txt@generation:", 0), 0u) << uri;
  ASSERT_TRUE(meta_->Unlink("/data/ev.txt").ok());
  json later = Call("read", {{"evidence", uri}});
  ASSERT_EQ(Code(later), "") << later.dump();
  EXPECT_EQ(later["lines"][0]["text"], "old line");

  // A server bound to a snapshot serves no bytes from outside it, by evidence either.
  Put("/data/ev.txt", "newest\n");
  json newest = Call("read", {{"path", "/data/ev.txt"}});
  ASSERT_TRUE(meta_->CreateSnapshot("t", "/data").ok());
  ServiceOptions options;
  options.snapshot = "s";
  Service frozen(meta_.get(), &store_, &pool_, options);
  json frozen_old = frozen.Call("read", {{"evidence", uri}});
  EXPECT_EQ(frozen_old["lines"][0]["text"], "old line") << frozen_old.dump();
  json escaped = frozen.Call("read", {{"evidence", newest["evidence"]}});
  EXPECT_EQ(Code(escaped), "generation_gone") << escaped.dump();
}

}  // namespace
}  // namespace nokv::query::testing

namespace nokv::query {
namespace {

// A verb's error read back as a Status keeps its kind and its hint.
TEST(VerbErrorTest, ToStatusMapsEveryCodeBackWithTheHint) {
  EXPECT_EQ(ToStatus(VerbError::NotFound("/x is missing", "check ls").ToJson()["error"]),
            Status::NotFound("/x is missing (check ls)"));
  EXPECT_EQ(ToStatus(VerbError::NotAFile("/d is a directory").ToJson()["error"]).code(),
            Code::kIsADirectory);
  EXPECT_EQ(ToStatus(VerbError::GenerationGone("gone").ToJson()["error"]).code(), Code::kExpired);
  EXPECT_EQ(ToStatus(VerbError::Conflict("stale", 4).ToJson()["error"]).code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(ToStatus(VerbError::PermissionDenied("no").ToJson()["error"]).code(),
            Code::kPermissionDenied);
  EXPECT_EQ(ToStatus(nlohmann::json{{"code", "from_the_future"}, {"message", "m"}}).code(),
            Code::kIOError)
      << "an unknown code is a failure, never success";
  EXPECT_FALSE(ToStatus(nlohmann::json::object()).ok());
}

}  // namespace
}  // namespace nokv::query
