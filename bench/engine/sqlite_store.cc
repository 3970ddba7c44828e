// SQLite as a ShapeStore: prepared inserts into node + edge inside one
// transaction per Create(), prepared point selects for Lookup().
#include "sqlite_store.h"

#include <mutex>

namespace nokv::bench {

namespace {

constexpr const char* kSelectNode = "SELECT * FROM node WHERE inode = ?1";
constexpr const char* kSelectEdge = "SELECT inode, type FROM edge WHERE parent = ?1 AND name = ?2";

// Thread-safety: Create() from any thread (serialized by write_mu_); Lookup()
// and Measure() from one thread at a time, never during Create().
class SqliteStore : public ShapeStore {
 public:
  static Result<std::unique_ptr<ShapeStore>> Open(const std::string& dir, SqliteSync sync);

  Status Create(std::span<const CreateOp> creates) override;
  Status Lookup(const CreateOp& op, bool dentry) override;
  Result<Footprint> Measure() override;

 private:
  Status InsertOne(const CreateOp& op);

  std::unique_ptr<SqliteDb> db_;
  std::mutex write_mu_;
  SqliteStmt insert_node_, insert_edge_, select_node_, select_edge_;
};

Result<std::unique_ptr<ShapeStore>> SqliteStore::Open(const std::string& dir, SqliteSync sync) {
  auto store = std::make_unique<SqliteStore>();
  NOKV_ASSIGN_OR_RETURN(store->db_, SqliteDb::Open(dir + "/meta.db", sync));
  SqliteDb& db = *store->db_;
  NOKV_RETURN_IF_ERROR(db.Prepare(kJfsInsertNode, &store->insert_node_));
  NOKV_RETURN_IF_ERROR(db.Prepare(kJfsInsertEdge, &store->insert_edge_));
  NOKV_RETURN_IF_ERROR(db.Prepare(kSelectNode, &store->select_node_));
  NOKV_RETURN_IF_ERROR(db.Prepare(kSelectEdge, &store->select_edge_));
  return std::unique_ptr<ShapeStore>(std::move(store));
}

Status SqliteStore::InsertOne(const CreateOp& op) {
  BindNode(insert_node_.get(), op.inode, op.attrs);
  NOKV_RETURN_IF_ERROR(db_->Run(insert_node_.get(), "insert node"));
  sqlite3_stmt* e = insert_edge_.get();
  sqlite3_bind_int64(e, 1, static_cast<int64_t>(op.parent));
  sqlite3_bind_blob(e, 2, op.name.data(), static_cast<int>(op.name.size()), SQLITE_STATIC);
  sqlite3_bind_int64(e, 3, static_cast<int64_t>(op.inode));
  sqlite3_bind_int(e, 4, op.attrs.type);
  return db_->Run(e, "insert edge");
}

Status SqliteStore::Create(std::span<const CreateOp> creates) {
  std::lock_guard lock(write_mu_);
  NOKV_RETURN_IF_ERROR(db_->Begin());
  for (const CreateOp& op : creates) {
    if (Status s = InsertOne(op); !s.ok()) return db_->RollbackAfter(s);
  }
  return db_->Commit();
}

Status SqliteStore::Lookup(const CreateOp& op, bool dentry) {
  sqlite3_stmt* q = dentry ? select_edge_.get() : select_node_.get();
  if (dentry) {
    sqlite3_bind_int64(q, 1, static_cast<int64_t>(op.parent));
    sqlite3_bind_blob(q, 2, op.name.data(), static_cast<int>(op.name.size()), SQLITE_STATIC);
  } else {
    sqlite3_bind_int64(q, 1, static_cast<int64_t>(op.inode));
  }
  int rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) ReadAllColumns(q);
  sqlite3_reset(q);
  if (rc == SQLITE_ROW) return Status::Ok();
  if (rc == SQLITE_DONE) return Status::NotFound("no row");
  return db_->Error(rc, "select");
}

Result<Footprint> SqliteStore::Measure() { return db_->MeasureFootprint(); }

}  // namespace

StoreSpec SqliteSpec(SqliteSync sync) {
  StoreSpec spec;
  spec.system = "sqlite";
  spec.config = std::string("synchronous=") + SqliteSyncName(sync);
  spec.durability = SqliteDurabilityLabel(sync);
  spec.open = [sync](const std::string& dir) { return SqliteStore::Open(dir, sync); };
  return spec;
}

}  // namespace nokv::bench
