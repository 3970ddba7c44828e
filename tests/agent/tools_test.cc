// The tool table comes from the embedded schemas, and results are shaped as
// MCP tools/call results.
#include "agent/tools.h"

#include <gtest/gtest.h>

#include "agent/json_rpc.h"
#include "agent/schemas.h"

namespace nokv::agent {
namespace {

using nlohmann::json;

TEST(ToolTableTest, EverySchemaFileIsEmbeddedAndParses) {
  EXPECT_EQ(EmbeddedSchemas().size(), 15u);
  for (const SchemaFile& file : EmbeddedSchemas()) {
    json schema = json::parse(file.text.begin(), file.text.end(), nullptr, false);
    EXPECT_TRUE(schema.is_object()) << file.name;
    EXPECT_EQ(schema.value("$schema", ""), "https://json-schema.org/draft/2020-12/schema")
        << file.name;
  }
}

TEST(ToolTableTest, SevenToolsInAgentOrder) {
  auto table = ToolTable::Load();
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->NameList(), "ls, stat, catalog, find, aggregate, read, grep");
  EXPECT_NE(table->Find("grep"), nullptr);
  EXPECT_EQ(table->Find("rm"), nullptr);
  for (const Tool& tool : table->tools()) {
    EXPECT_FALSE(tool.title.empty());
    EXPECT_EQ(tool.description.find('\n'), std::string::npos) << tool.name;
    EXPECT_TRUE(tool.input_schema.contains("properties")) << tool.name;
  }
}

TEST(ToolTableTest, ListResultHasAnnotations) {
  auto table = ToolTable::Load();
  ASSERT_TRUE(table.ok());
  json list = table->ListResult();
  ASSERT_EQ(list["tools"].size(), 7u);
  const json& a = list["tools"][0]["annotations"];
  EXPECT_EQ(a["readOnlyHint"], true);
  EXPECT_EQ(a["destructiveHint"], false);
  EXPECT_EQ(a["idempotentHint"], true);
  EXPECT_EQ(a["openWorldHint"], false);
}

// True when `node` or anything below it declares `key`.
bool Declares(const json& node, const std::string& key) {
  if (node.is_object()) {
    if (node.contains(key)) return true;
    for (const auto& item : node.items()) {
      if (Declares(item.value(), key)) return true;
    }
  }
  if (node.is_array()) {
    for (const json& item : node) {
      if (Declares(item, key)) return true;
    }
  }
  return false;
}

TEST(ToolTableTest, OutputSchemaIsResultOrErrorWithRootDefs) {
  auto table = ToolTable::Load();
  ASSERT_TRUE(table.ok());
  for (const Tool& tool : table->tools()) {
    SCOPED_TRACE(tool.name);
    const json& out = tool.output_schema;
    EXPECT_EQ(out["type"], "object");
    ASSERT_EQ(out["anyOf"].size(), 2u);
    EXPECT_EQ(out["anyOf"][1]["required"], json::array({"error"}));
    EXPECT_FALSE(Declares(out["anyOf"], "$id"));
    EXPECT_FALSE(Declares(out["anyOf"], "$defs"));
    // Every local ref names a definition at the root.
    std::string text = out.dump();
    for (size_t pos = 0; (pos = text.find("#/$defs/", pos)) != std::string::npos; ++pos) {
      std::string name = text.substr(pos + 8, text.find('"', pos) - pos - 8);
      EXPECT_TRUE(out["$defs"].contains(name)) << name;
    }
  }
}

TEST(ToolCallResultTest, ErrorObjectMarksIsError) {
  json ok = ToolCallResult(json{{"as_of", 1}});
  EXPECT_FALSE(ok.contains("isError"));
  json bad = ToolCallResult(json{{"error", {{"code", "invalid_argument"}, {"message", "m"}}}});
  EXPECT_EQ(bad["isError"], true);
  EXPECT_EQ(bad["content"][0]["text"], Serialize(bad["structuredContent"]));
}

TEST(ToolCallResultTest, NonObjectResultBecomesInternalError) {
  json r = ToolCallResult(json::array());
  EXPECT_EQ(r["isError"], true);
  EXPECT_EQ(r["structuredContent"]["error"]["code"], "internal");
}

}  // namespace
}  // namespace nokv::agent
