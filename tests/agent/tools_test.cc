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
  EXPECT_EQ(EmbeddedSchemas().size(), 29u);  // 14 verbs, input and output, and error.json
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

TEST(ToolTableTest, WriteProfileAddsTheWriteToolsAfterTheReadOnes) {
  auto table = ToolTable::Load(/*write_profile=*/true);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->NameList(),
            "ls, stat, catalog, find, aggregate, read, grep, write, append, edit, mkdir, move, "
            "remove, snapshot");
  json tools = table->ListResult()["tools"];
  for (const json& tool : tools) {
    const bool writes = tool["name"] != "ls" && tool["name"] != "stat" &&
                        tool["name"] != "catalog" && tool["name"] != "find" &&
                        tool["name"] != "aggregate" && tool["name"] != "read" &&
                        tool["name"] != "grep";
    EXPECT_EQ(tool["annotations"]["readOnlyHint"], !writes) << tool["name"];
    EXPECT_EQ(tool["annotations"]["openWorldHint"], false) << tool["name"];
  }
  auto destructive = [&](const std::string& name) {
    for (const json& tool : tools) {
      if (tool["name"] == name) return tool["annotations"]["destructiveHint"].get<bool>();
    }
    ADD_FAILURE() << "no tool " << name;
    return false;
  };
  EXPECT_TRUE(destructive("write"));
  EXPECT_TRUE(destructive("remove"));
  EXPECT_FALSE(destructive("append"));
  EXPECT_FALSE(destructive("snapshot"));
}

TEST(ToolTableTest, ReadOnlyByDefault) {
  auto table = ToolTable::Load();
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->Find("write"), nullptr);
  EXPECT_EQ(table->tools().size(), 7u);
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
