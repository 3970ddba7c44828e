// SqliteNsStore: NsStore operations as JuiceFS's SQL engine runs them.
#include "sqlite_ns_store.h"

#include <chrono>

namespace nokv::bench {

namespace {

constexpr uint64_t kRootInode = 1;
constexpr const char* kSelectNode = "SELECT * FROM node WHERE inode = ?1";
constexpr const char* kSelectEdge = "SELECT inode, type FROM edge WHERE parent = ?1 AND name = ?2";
constexpr const char* kLookup =
    "SELECT node.* FROM edge JOIN node ON node.inode = edge.inode"
    " WHERE edge.parent = ?1 AND edge.name = ?2";
constexpr const char* kUpdateParent =
    "UPDATE node SET mtime = ?2, mtimensec = ?3, ctime = ?2, ctimensec = ?3,"
    " nlink = nlink + ?4 WHERE inode = ?1";
constexpr const char* kDeleteEdge = "DELETE FROM edge WHERE parent = ?1 AND name = ?2";
constexpr const char* kDeleteNode = "DELETE FROM node WHERE inode = ?1";
constexpr const char* kList =
    "SELECT edge.name, node.* FROM edge JOIN node ON node.inode = edge.inode"
    " WHERE edge.parent = ?1 AND edge.name > ?2 ORDER BY edge.name LIMIT ?3";

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void BindName(sqlite3_stmt* stmt, int index, std::string_view name) {
  sqlite3_bind_blob(stmt, index, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
}

// An entry found by a lookup.
struct Found {
  uint64_t inode = 0;
  int type = 0;
};

class SqliteNsStore : public NsStore {
 public:
  static Result<std::unique_ptr<NsStore>> Open(const std::string& dir, SqliteSync sync);

  Result<uint64_t> Mkdir(std::string_view path) override;
  Status CreateFiles(uint64_t dir, std::string_view dir_path,
                     std::span<const std::string> names) override;
  Status Stat(std::string_view path) override { return Resolve(path).status(); }
  Status Lookup(uint64_t dir, std::string_view name) override {
    return LookupOne(dir, name).status();
  }
  Status Remove(std::string_view path) override;
  Result<uint64_t> ListAll(uint64_t dir, size_t page) override;
  Result<Footprint> Measure() override;

 private:
  // One row of `stmt` (already bound): its first two columns, every column read.
  Result<Found> StepOne(sqlite3_stmt* stmt, std::string_view what);
  Result<Found> LookupOne(uint64_t dir, std::string_view name);
  // Resolves every component of `path`.
  Result<Found> Resolve(std::string_view path);
  // The statements of one create inside an open transaction.
  Status CreateOne(uint64_t dir, std::string_view name, uint8_t type);

  std::unique_ptr<SqliteDb> db_;
  SqliteStmt insert_node_, insert_edge_, select_node_, select_edge_, lookup_, update_parent_,
      delete_edge_, delete_node_, list_;
  uint64_t next_inode_ = kRootInode + 1;
};

Result<std::unique_ptr<NsStore>> SqliteNsStore::Open(const std::string& dir, SqliteSync sync) {
  auto store = std::make_unique<SqliteNsStore>();
  NOKV_ASSIGN_OR_RETURN(store->db_, SqliteDb::Open(dir + "/meta.db", sync));
  SqliteDb& db = *store->db_;
  std::pair<const char*, SqliteStmt*> statements[] = {{kJfsInsertNode, &store->insert_node_},
                                                      {kJfsInsertEdge, &store->insert_edge_},
                                                      {kSelectNode, &store->select_node_},
                                                      {kSelectEdge, &store->select_edge_},
                                                      {kLookup, &store->lookup_},
                                                      {kUpdateParent, &store->update_parent_},
                                                      {kDeleteEdge, &store->delete_edge_},
                                                      {kDeleteNode, &store->delete_node_},
                                                      {kList, &store->list_}};
  for (auto& [sql, stmt] : statements) NOKV_RETURN_IF_ERROR(db.Prepare(sql, stmt));
  NodeAttrs root;
  root.type = kTypeDirectory;
  root.mode = 0755;
  root.nlink = 2;
  root.atime_ns = root.mtime_ns = root.ctime_ns = NowNs();
  BindNode(store->insert_node_.get(), kRootInode, root);
  NOKV_RETURN_IF_ERROR(db.Run(store->insert_node_.get(), "insert root"));
  return std::unique_ptr<NsStore>(std::move(store));
}

Result<Found> SqliteNsStore::StepOne(sqlite3_stmt* stmt, std::string_view what) {
  int rc = sqlite3_step(stmt);
  Found found;
  if (rc == SQLITE_ROW) {
    ReadAllColumns(stmt);
    found.inode = static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
    found.type = sqlite3_column_int(stmt, 1);
  }
  sqlite3_reset(stmt);
  if (rc == SQLITE_ROW) return found;
  if (rc == SQLITE_DONE) return Status::NotFound(std::string(what) + ": no row");
  return db_->Error(rc, what);
}

Result<Found> SqliteNsStore::LookupOne(uint64_t dir, std::string_view name) {
  sqlite3_bind_int64(lookup_.get(), 1, static_cast<int64_t>(dir));
  BindName(lookup_.get(), 2, name);
  return StepOne(lookup_.get(), "lookup");
}

Result<Found> SqliteNsStore::Resolve(std::string_view path) {
  Found at{kRootInode, kTypeDirectory};
  size_t pos = 1;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    NOKV_ASSIGN_OR_RETURN(at, LookupOne(at.inode, path.substr(pos, slash - pos)));
    pos = slash + 1;
  }
  return at;
}

Status SqliteNsStore::CreateOne(uint64_t dir, std::string_view name, uint8_t type) {
  sqlite3_bind_int64(select_node_.get(), 1, static_cast<int64_t>(dir));
  NOKV_ASSIGN_OR_RETURN(Found parent, StepOne(select_node_.get(), "select parent"));
  if (parent.type != kTypeDirectory) return Status::NotADirectory("parent");
  sqlite3_bind_int64(select_edge_.get(), 1, static_cast<int64_t>(dir));
  BindName(select_edge_.get(), 2, name);
  if (StepOne(select_edge_.get(), "select edge").ok()) return Status::AlreadyExists(name);
  NodeAttrs attrs;
  attrs.type = type;
  attrs.mode = type == kTypeDirectory ? 0755 : 0644;
  attrs.nlink = type == kTypeDirectory ? 2 : 1;
  attrs.atime_ns = attrs.mtime_ns = attrs.ctime_ns = NowNs();
  attrs.parent = dir;
  uint64_t inode = next_inode_++;
  BindNode(insert_node_.get(), inode, attrs);
  NOKV_RETURN_IF_ERROR(db_->Run(insert_node_.get(), "insert node"));
  sqlite3_stmt* e = insert_edge_.get();
  sqlite3_bind_int64(e, 1, static_cast<int64_t>(dir));
  BindName(e, 2, name);
  sqlite3_bind_int64(e, 3, static_cast<int64_t>(inode));
  sqlite3_bind_int(e, 4, type);
  NOKV_RETURN_IF_ERROR(db_->Run(e, "insert edge"));
  sqlite3_stmt* u = update_parent_.get();
  sqlite3_bind_int64(u, 1, static_cast<int64_t>(dir));
  sqlite3_bind_int64(u, 2, attrs.mtime_ns / 1'000'000'000);
  sqlite3_bind_int(u, 3, static_cast<int>(attrs.mtime_ns % 1'000'000'000));
  sqlite3_bind_int(u, 4, type == kTypeDirectory ? 1 : 0);
  return db_->Run(u, "update parent");
}

Result<uint64_t> SqliteNsStore::Mkdir(std::string_view path) {
  size_t slash = path.rfind('/');
  NOKV_ASSIGN_OR_RETURN(Found parent, Resolve(path.substr(0, slash)));
  NOKV_RETURN_IF_ERROR(db_->Begin());
  uint64_t inode = next_inode_;
  if (Status s = CreateOne(parent.inode, path.substr(slash + 1), kTypeDirectory); !s.ok()) {
    return db_->RollbackAfter(s);
  }
  NOKV_RETURN_IF_ERROR(db_->Commit());
  return inode;
}

Status SqliteNsStore::CreateFiles(uint64_t dir, std::string_view,
                                  std::span<const std::string> names) {
  NOKV_RETURN_IF_ERROR(db_->Begin());
  for (const std::string& name : names) {
    if (Status s = CreateOne(dir, name, kTypeFile); !s.ok()) return db_->RollbackAfter(s);
  }
  return db_->Commit();
}

Status SqliteNsStore::Remove(std::string_view path) {
  size_t slash = path.rfind('/');
  NOKV_ASSIGN_OR_RETURN(Found parent, Resolve(path.substr(0, slash)));
  std::string_view name = path.substr(slash + 1);
  NOKV_RETURN_IF_ERROR(db_->Begin());
  auto body = [&]() -> Status {
    sqlite3_bind_int64(select_node_.get(), 1, static_cast<int64_t>(parent.inode));
    NOKV_RETURN_IF_ERROR(StepOne(select_node_.get(), "select parent").status());
    sqlite3_bind_int64(select_edge_.get(), 1, static_cast<int64_t>(parent.inode));
    BindName(select_edge_.get(), 2, name);
    NOKV_ASSIGN_OR_RETURN(Found entry, StepOne(select_edge_.get(), "select edge"));
    sqlite3_bind_int64(select_node_.get(), 1, static_cast<int64_t>(entry.inode));
    NOKV_RETURN_IF_ERROR(StepOne(select_node_.get(), "select node").status());
    sqlite3_bind_int64(delete_edge_.get(), 1, static_cast<int64_t>(parent.inode));
    BindName(delete_edge_.get(), 2, name);
    NOKV_RETURN_IF_ERROR(db_->Run(delete_edge_.get(), "delete edge"));
    sqlite3_bind_int64(delete_node_.get(), 1, static_cast<int64_t>(entry.inode));
    NOKV_RETURN_IF_ERROR(db_->Run(delete_node_.get(), "delete node"));
    int64_t now = NowNs();
    sqlite3_stmt* u = update_parent_.get();
    sqlite3_bind_int64(u, 1, static_cast<int64_t>(parent.inode));
    sqlite3_bind_int64(u, 2, now / 1'000'000'000);
    sqlite3_bind_int(u, 3, static_cast<int>(now % 1'000'000'000));
    sqlite3_bind_int(u, 4, 0);
    return db_->Run(u, "update parent");
  };
  if (Status s = body(); !s.ok()) return db_->RollbackAfter(s);
  return db_->Commit();
}

Result<uint64_t> SqliteNsStore::ListAll(uint64_t dir, size_t page) {
  sqlite3_stmt* q = list_.get();
  std::string cursor;
  uint64_t seen = 0;
  for (;;) {
    sqlite3_bind_int64(q, 1, static_cast<int64_t>(dir));
    sqlite3_bind_blob(q, 2, cursor.data(), static_cast<int>(cursor.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 3, static_cast<int64_t>(page));
    size_t rows = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
      ReadAllColumns(q);
      ++rows;
      if (rows == page) {
        cursor.assign(static_cast<const char*>(sqlite3_column_blob(q, 0)),
                      static_cast<size_t>(sqlite3_column_bytes(q, 0)));
      }
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) return db_->Error(rc, "list");
    seen += rows;
    if (rows < page) return seen;
  }
}

Result<Footprint> SqliteNsStore::Measure() { return db_->MeasureFootprint(); }

}  // namespace

NsSpec SqliteMetaSpec(SqliteSync sync) {
  NsSpec spec;
  spec.system = "sqlite";
  spec.config = std::string("synchronous=") + SqliteSyncName(sync);
  spec.durability = SqliteDurabilityLabel(sync);
  spec.open = [sync](const std::string& dir) { return SqliteNsStore::Open(dir, sync); };
  return spec;
}

}  // namespace nokv::bench
