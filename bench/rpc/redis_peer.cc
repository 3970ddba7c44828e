// RedisServer (a child redis-server) and RedisClient (hiredis, JuiceFS layout).
#include "redis_peer.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "bench/common/harness.h"

namespace nokv::bench {

namespace {

constexpr size_t kAttrBytes = 72;
constexpr std::chrono::seconds kStartTimeout{10};

// A loopback port nobody listens on right now (the kernel's choice).
Result<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (rc == 0) rc = ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  if (rc != 0) return Status::FromErrno(errno, "bind");
  return static_cast<int>(ntohs(addr.sin_port));
}

// The reply of one command; IOError for a transport or Redis error.
using Reply = std::unique_ptr<redisReply, void (*)(void*)>;
Result<Reply> Take(redisContext* c, void* raw) {
  Reply reply(static_cast<redisReply*>(raw), freeReplyObject);
  if (!reply) return Status::IOError(std::string("redis: ") + c->errstr);
  if (reply->type == REDIS_REPLY_ERROR) {
    return Status::IOError("redis: " + std::string(reply->str, reply->len));
  }
  return reply;
}

}  // namespace

std::string RedisAttr(uint64_t inode) {
  std::string attr(kAttrBytes, '\0');
  for (size_t i = 0; i < 8; ++i) attr[i] = static_cast<char>(inode >> (8 * i));
  return attr;
}

RedisClient::~RedisClient() { redisFree(c_); }

Status RedisClient::Set(const std::string& key, const std::string& value) {
  void* raw = redisCommand(c_, "SET %b %b", key.data(), key.size(), value.data(), value.size());
  return Take(c_, raw).status();
}

Status RedisClient::Get(const std::string& key) {
  void* raw = redisCommand(c_, "GET %b", key.data(), key.size());
  NOKV_ASSIGN_OR_RETURN(Reply reply, Take(c_, raw));
  if (reply->type != REDIS_REPLY_STRING) return Status::NotFound("redis: no key " + key);
  return Status::Ok();
}

Result<uint64_t> RedisClient::Create(uint64_t parent, const std::string& name) {
  NOKV_ASSIGN_OR_RETURN(Reply next, Take(c_, redisCommand(c_, "INCR nextinode")));
  uint64_t inode = static_cast<uint64_t>(next->integer);
  std::string dir = "d" + std::to_string(parent);
  std::string key = "i" + std::to_string(inode);
  std::string value = std::to_string(inode);
  std::string attr = RedisAttr(inode);
  redisAppendCommand(c_, "MULTI");
  redisAppendCommand(c_, "HSET %b %b %b", dir.data(), dir.size(), name.data(), name.size(),
                     value.data(), value.size());
  redisAppendCommand(c_, "SET %b %b", key.data(), key.size(), attr.data(), attr.size());
  redisAppendCommand(c_, "EXEC");
  for (int i = 0; i < 4; ++i) {
    void* raw = nullptr;
    if (redisGetReply(c_, &raw) != REDIS_OK) return Take(c_, nullptr).status();
    NOKV_RETURN_IF_ERROR(Take(c_, raw).status());
  }
  return inode;
}

Result<std::unique_ptr<RedisServer>> RedisServer::Start(const std::string& dir) {
  std::unique_ptr<RedisServer> s(new RedisServer());
  NOKV_ASSIGN_OR_RETURN(s->port_, FreePort());
  std::string data = dir + "/redis";
  std::filesystem::create_directories(data);
  s->socket_ = dir + "/redis.sock";
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   std::to_string(s->port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--unixsocket",
                                   s->socket_,
                                   "--unixsocketperm",
                                   "700",
                                   "--dir",
                                   data,
                                   "--save",
                                   "3600 1 300 100 60 10000",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--logfile",
                                   data + "/redis.log"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno(errno, "fork");
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  s->pid_ = pid;
  Clock::time_point deadline = Clock::now() + kStartTimeout;
  while (true) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      s->pid_ = -1;
      return Status::NotFound("redis-server did not start (is it installed? exit status " +
                              std::to_string(status) + ")");
    }
    auto client = s->Connect("unix");
    if (client.ok()) {
      void* raw = redisCommand((*client)->c_, "INFO server");
      auto info = Take((*client)->c_, raw);
      if (info.ok() && (*info)->type == REDIS_REPLY_STRING) {
        std::string text((*info)->str, (*info)->len);
        size_t at = text.find("redis_version:");
        if (at != std::string::npos) {
          s->version_ = text.substr(at + 14, text.find('\r', at) - at - 14);
        }
        return s;
      }
    }
    if (Clock::now() > deadline) return Status::TimedOut("redis-server did not answer");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // startup poll, not a measurement
  }
}

RedisServer::~RedisServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

Result<std::unique_ptr<RedisClient>> RedisServer::Connect(const std::string& transport) const {
  redisContext* c =
      transport == "unix" ? redisConnectUnix(socket_.c_str()) : redisConnect("127.0.0.1", port_);
  if (c == nullptr) return Status::IOError("redis: out of memory");
  if (c->err != 0) {
    std::string why = c->errstr;
    redisFree(c);
    return Status::Unavailable("redis: " + why);
  }
  return std::unique_ptr<RedisClient>(new RedisClient(c));
}

}  // namespace nokv::bench
