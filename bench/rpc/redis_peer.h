// The Redis peer of `nokv-bench rpc`: a private redis-server (Debian's Redis 7)
// started by the bench on a free loopback port and a Unix socket in the
// scratch directory, with Redis's default persistence (RDB snapshots at
// "3600 1 300 100 60 10000", no AOF), and a hiredis connection that speaks
// the JuiceFS key layout:
//
//   i<inode>   string: the inode's attributes (a 72-byte binary record)
//   d<parent>  hash:   entry name -> child inode (decimal)
//   nextinode  string: the inode counter, advanced with INCR
//
// JuiceFS's create is an INCR of nextinode, then one MULTI/EXEC with the
// dentry HSET and the attribute SET (two round trips); its getattr is a GET
// of i<inode> (one round trip).
//
// Thread-safety: RedisServer from one thread; one RedisClient per thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/result.h"

struct redisContext;

namespace nokv::bench {

class RedisClient {
 public:
  ~RedisClient();
  // SET key value / GET key (the value must exist).
  Status Set(const std::string& key, const std::string& value);
  Status Get(const std::string& key);
  // A JuiceFS-shaped create of `name` in `parent`: INCR nextinode, then
  // MULTI, HSET d<parent> name inode, SET i<inode> attr, EXEC pipelined.
  // Returns the new inode.
  Result<uint64_t> Create(uint64_t parent, const std::string& name);

 private:
  friend class RedisServer;
  explicit RedisClient(redisContext* c) : c_(c) {}
  redisContext* c_;
};

class RedisServer {
 public:
  // Starts redis-server with its data directory under `dir`; waits until it
  // answers PING. NotFound when redis-server is not installed.
  static Result<std::unique_ptr<RedisServer>> Start(const std::string& dir);
  ~RedisServer();  // SIGTERM, then waits for the process

  // A connection over "unix" or loopback "tcp".
  Result<std::unique_ptr<RedisClient>> Connect(const std::string& transport) const;
  std::string version() const { return version_; }

 private:
  RedisServer() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string socket_;
  std::string version_;
};

// The attribute record the Redis rows store per inode (JuiceFS's is ~70 bytes).
std::string RedisAttr(uint64_t inode);

}  // namespace nokv::bench
