// Randomized model test: random namespace operations (including directory
// renames, hard links, replaces and snapshots) against a plain in-memory
// model; the tree, the bodies and every error code must agree.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "meta/path.h"
#include "meta_fixture.h"

namespace nokv::meta {
namespace {

struct Node {
  FileType type;
  std::string body;
};

// Paths -> node ids; nodes shared by hard links.
struct Model {
  std::map<std::string, int> paths{{"/", 0}};
  std::map<int, Node> nodes{{0, {FileType::kDirectory, ""}}};
  int next = 1;

  bool Has(const std::string& p) const { return paths.contains(p); }
  bool IsDir(const std::string& p) const {
    return Has(p) && nodes.at(paths.at(p)).type == FileType::kDirectory;
  }
  static std::string Parent(const std::string& p) {
    auto slash = p.rfind('/');
    return slash == 0 ? "/" : p.substr(0, slash);
  }
  bool Empty(const std::string& dir) const {
    auto it = paths.upper_bound(dir == "/" ? "/" : dir + "/");
    return it == paths.end() || !it->first.starts_with(dir + "/");
  }
  // Resolving `p`: NotFound for a missing component, NotADirectory when a
  // non-final component is not a directory.
  Code Walk(const std::string& p) const {
    for (size_t slash = p.find('/', 1);; slash = p.find('/', slash + 1)) {
      std::string prefix = p.substr(0, slash);
      if (!Has(prefix)) return Code::kNotFound;
      if (slash == std::string::npos) return Code::kOk;
      if (!IsDir(prefix)) return Code::kNotADirectory;
    }
  }
  // Resolving the directory that holds `p`.
  Code WalkParent(const std::string& p) const {
    std::string parent = Parent(p);
    if (parent == "/") return Code::kOk;
    Code c = Walk(parent);
    if (c != Code::kOk) return c;
    return IsDir(parent) ? Code::kOk : Code::kNotADirectory;
  }
  // The error a create-like operation at `p` gets, or kOk.
  Code CreateCheck(const std::string& p) const {
    Code c = WalkParent(p);
    if (c != Code::kOk) return c;
    return Has(p) ? Code::kAlreadyExists : Code::kOk;
  }
  // Unlink/rmdir: the parent walk, then the entry itself.
  Code RemoveCheck(const std::string& p, bool dir) const {
    Code c = WalkParent(p);
    if (c != Code::kOk) return c;
    if (!Has(p)) return Code::kNotFound;
    if (dir) return !IsDir(p) ? Code::kNotADirectory : !Empty(p) ? Code::kNotEmpty : Code::kOk;
    return IsDir(p) ? Code::kIsADirectory : Code::kOk;
  }
  void MovePrefix(const std::string& from, const std::string& to) {
    std::map<std::string, int> moved;
    for (auto it = paths.begin(); it != paths.end();) {
      if (it->first == from || it->first.starts_with(from + "/")) {
        moved[to + it->first.substr(from.size())] = it->second;
        it = paths.erase(it);
      } else {
        ++it;
      }
    }
    paths.merge(moved);
  }
};

class MetaModelTest : public testing::MetaTest, public ::testing::WithParamInterface<uint32_t> {
 protected:
  std::string RandomPath() {
    static const char* kNames[] = {"a", "b", "c"};
    std::string p;
    int depth = 1 + static_cast<int>(rng_() % 3);
    for (int i = 0; i < depth; ++i) p += std::string("/") + kNames[rng_() % 3];
    return p;
  }

  Code RenameCheck(const std::string& from, const std::string& to, RenameMode mode) {
    for (const auto& p : {from, to}) {
      if (Code c = model_.WalkParent(p); c != Code::kOk) return c;
    }
    if (!model_.Has(from)) return Code::kNotFound;
    if (from == to) return Code::kOk;
    bool dir = model_.IsDir(from);
    if (dir && PathIsUnder(to, from)) return Code::kInvalidArgument;
    if (mode == RenameMode::kExchange) {
      if (!model_.Has(to)) return Code::kNotFound;
      if (model_.IsDir(to) && PathIsUnder(from, to)) return Code::kInvalidArgument;
      return Code::kOk;
    }
    if (!model_.Has(to)) return Code::kOk;
    if (mode == RenameMode::kNoReplace) return Code::kAlreadyExists;
    if (model_.paths.at(to) == model_.paths.at(from)) return Code::kOk;
    if (dir && !model_.IsDir(to)) return Code::kNotADirectory;
    if (!dir && model_.IsDir(to)) return Code::kIsADirectory;
    if (dir && !model_.Empty(to)) return Code::kNotEmpty;
    return Code::kOk;
  }

  void ApplyRename(const std::string& from, const std::string& to, RenameMode mode) {
    if (from == to || (model_.Has(to) && model_.paths.at(to) == model_.paths.at(from) &&
                       mode != RenameMode::kExchange)) {
      return;
    }
    if (mode == RenameMode::kExchange) {
      model_.MovePrefix(from, "/\x01tmp");
      model_.MovePrefix(to, from);
      model_.MovePrefix("/\x01tmp", to);
      return;
    }
    model_.paths.erase(to);
    model_.MovePrefix(from, to);
  }

  void Step() {
    std::string p = RandomPath(), q = RandomPath();
    Code want = Code::kOk, got = Code::kOk;
    switch (rng_() % 8) {
      case 0:
        want = model_.CreateCheck(p);
        got = meta_->Mkdir(p).status().code();
        if (want == Code::kOk) {
          model_.nodes[model_.next] = {FileType::kDirectory, ""};
          model_.paths[p] = model_.next++;
        }
        break;
      case 1:
      case 2: {
        std::string body = "body" + std::to_string(rng_() % 1000);
        bool replace = rng_() % 2;
        want = model_.CreateCheck(p);
        if (want == Code::kAlreadyExists && replace) {
          want = model_.IsDir(p) ? Code::kIsADirectory : Code::kOk;
        }
        PublishRequest r;
        r.path = p;
        r.manifest = Upload(body);
        r.mode = replace ? PublishMode::kReplace : PublishMode::kCreate;
        got = meta_->Publish(r).status().code();
        if (want == Code::kOk) {
          if (model_.Has(p)) {
            model_.nodes[model_.paths[p]].body = body;
          } else {
            model_.nodes[model_.next] = {FileType::kFile, body};
            model_.paths[p] = model_.next++;
          }
        }
        break;
      }
      case 3:
        want = model_.RemoveCheck(p, /*dir=*/false);
        got = meta_->Unlink(p).code();
        if (want == Code::kOk) model_.paths.erase(p);
        break;
      case 4:
        want = model_.RemoveCheck(p, /*dir=*/true);
        got = meta_->Rmdir(p).code();
        if (want == Code::kOk) model_.paths.erase(p);
        break;
      case 5:
      case 6: {
        auto mode = static_cast<RenameMode>(rng_() % 3);
        want = RenameCheck(p, q, mode);
        got = meta_->Rename(p, q, mode).code();
        if (want == Code::kOk) ApplyRename(p, q, mode);
        break;
      }
      case 7:
        want = model_.Walk(p);
        if (want == Code::kOk) want = model_.WalkParent(q);
        if (want == Code::kOk && model_.IsDir(p)) want = Code::kPermissionDenied;
        if (want == Code::kOk && model_.Has(q)) want = Code::kAlreadyExists;
        got = meta_->Link(p, q).status().code();
        if (want == Code::kOk) model_.paths[q] = model_.paths[p];
        break;
    }
    ASSERT_EQ(got, want) << "op on " << p << " / " << q << " in " << [&] {
      std::string tree;
      for (const auto& [path, id] : model_.paths) {
        tree += path + (model_.IsDir(path) ? "/ " : " ");
      }
      return tree;
    }();
  }

  void CheckTree() {
    for (const auto& [path, id] : model_.paths) {
      auto attr = meta_->Stat(path);
      ASSERT_TRUE(attr.ok()) << path << ": " << attr.status().ToString();
      ASSERT_EQ(attr->type, model_.nodes[id].type) << path;
      if (attr->type == FileType::kFile) {
        ASSERT_EQ(ReadBody(path), model_.nodes[id].body) << path;
      }
      if (attr->type == FileType::kDirectory) {
        std::vector<std::string> want;
        for (const auto& [child, unused] : model_.paths) {
          if (child != "/" && Model::Parent(child) == path)
            want.push_back(child.substr(child.rfind('/') + 1));
        }
        ASSERT_EQ(List(path), want) << path;
        ASSERT_EQ(attr->child_count, want.size()) << path;
      }
    }
  }

  std::mt19937 rng_{GetParam()};
  Model model_;
};

TEST_P(MetaModelTest, RandomOperationsMatchTheModel) {
  for (int step = 0; step < 600; ++step) {
    ASSERT_NO_FATAL_FAILURE(Step()) << "step " << step;
    if (step % 50 == 0) {
      ASSERT_NO_FATAL_FAILURE(CheckTree());
    }
    if (step % 200 == 199) Reopen();
  }
  ASSERT_NO_FATAL_FAILURE(CheckTree());
  auto totals = meta_->Totals();
  size_t dirs = 0;
  std::set<int> files;
  for (const auto& [path, id] : model_.paths) {
    if (model_.nodes[id].type == FileType::kDirectory)
      dirs++;
    else
      files.insert(id);
  }
  EXPECT_EQ(totals.directories, dirs);
  EXPECT_EQ(totals.files, files.size());
}

INSTANTIATE_TEST_SUITE_P(Seeds, MetaModelTest, ::testing::Values(1u, 2u, 3u, 4u, 5u));

}  // namespace
}  // namespace nokv::meta
