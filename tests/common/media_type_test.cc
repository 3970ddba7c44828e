#include "common/media_type.h"

#include <gtest/gtest.h>

namespace nokv {
namespace {

TEST(MediaTypeTest, OneTableByExtensionInAnyCase) {
  EXPECT_EQ(MediaTypeOf("/runs/r1/metrics.jsonl"), "application/x-ndjson");
  EXPECT_EQ(MediaTypeOf("metrics.ndjson"), "application/x-ndjson");
  EXPECT_EQ(MediaTypeOf("/plots/LOSS.PNG"), "image/png");
  EXPECT_EQ(MediaTypeOf("a.jpeg"), "image/jpeg");
  EXPECT_EQ(MediaTypeOf("params.yml"), "application/yaml");
  // Only the last name's last extension counts.
  EXPECT_EQ(MediaTypeOf("/data.json/notes"), "");
  EXPECT_EQ(MediaTypeOf("archive.json.gz"), "");
  EXPECT_EQ(MediaTypeOf("/home/.json"), "") << "a hidden file has no extension";
  EXPECT_EQ(MediaTypeOf("model.safetensors"), "");
  EXPECT_EQ(MediaTypeOf(""), "");
}

TEST(MediaTypeTest, OnlyRasterImagesAreShown) {
  for (auto type : {"image/png", "image/jpeg", "image/gif", "image/webp"}) {
    EXPECT_TRUE(IsShowableImage(type)) << type;
  }
  EXPECT_FALSE(IsShowableImage("image/svg+xml")) << "SVG is text to a model";
  EXPECT_FALSE(IsShowableImage(MediaTypeOf("x.pdf")));
  EXPECT_FALSE(IsShowableImage(""));
}

}  // namespace
}  // namespace nokv
