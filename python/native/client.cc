// ClientCore: opening the filesystem like the CLI, and again after a fork.
#include "client.h"

#include <pthread.h>

#include <atomic>
#include <cstdlib>

#include "common/env.h"
#include "fs/embedded.h"
#include "server/remote_fs.h"

namespace nokv::python {
namespace {

std::atomic<uint64_t> g_fork_generation{0};

void OnForkChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Registered once per process, before the first open.
void RegisterForkHandler() {
  static const bool registered = [] { return ::pthread_atfork(nullptr, nullptr, OnForkChild); }();
  (void)registered;
}

}  // namespace

uint64_t ForkGeneration() { return g_fork_generation.load(std::memory_order_relaxed); }

Result<std::shared_ptr<ClientCore>> ClientCore::Open(ClientOptions options) {
  if (options.data_dir.empty() == options.server.empty()) {
    return Status::InvalidArgument("give either a data directory or a server address");
  }
  RegisterForkHandler();
  std::shared_ptr<ClientCore> core(new ClientCore(std::move(options)));
  const ClientOptions& opts = core->options_;
  if (opts.create && !opts.read_only && !opts.data_dir.empty() &&
      !Env::Default()->FileExists(opts.data_dir + "/NOKV")) {
    // Only when missing: initializing takes the lock, which a process
    // serving an existing directory holds.
    fs::EmbeddedOptions embedded;
    embedded.data_dir = opts.data_dir;
    NOKV_RETURN_IF_ERROR(fs::InitDataDir(embedded));
  }
  std::lock_guard lock(core->mu_);
  core->fork_generation_ = ForkGeneration();
  NOKV_RETURN_IF_ERROR(core->OpenLocked());
  return core;
}

ClientCore::~ClientCore() {
  std::lock_guard lock(mu_);
  if (fork_generation_ != ForkGeneration()) AbandonInheritedLocked();
}

Status ClientCore::OpenLocked() {
  if (!options_.server.empty()) {
    server::RemoteFsOptions remote;
    remote.address = options_.server;
    if (!options_.token.empty()) {
      remote.remote.client.auth_token = options_.token;
    } else if (const char* token = std::getenv("NOKV_TOKEN"); token != nullptr) {
      remote.remote.client.auth_token = token;
    }
    NOKV_ASSIGN_OR_RETURN(remote_, server::OpenRemote(remote));
    fs_ = remote_.get();
    return Status::Ok();
  }
  server::ShareOptions share;
  share.embedded.data_dir = options_.data_dir;
  share.embedded.read_only = options_.read_only;
  share.serve = options_.serve && !options_.read_only;
  share.read_only_fallback = share.serve;
  share.join = true;
  share.wait = options_.wait;
  share.remote.client.connect_timeout = std::chrono::milliseconds(2000);
  NOKV_ASSIGN_OR_RETURN(shared_, server::SharedDirectory::Open(std::move(share)));
  fs_ = shared_->fs();
  return Status::Ok();
}

void ClientCore::AbandonInheritedLocked() {
  // The parent's objects: their threads are not in this process and their
  // sockets and lock are the parent's. Leak them rather than destroy them.
  (void)shared_.release();
  (void)remote_.release();
  fs_ = nullptr;
}

Result<fs::Filesystem*> ClientCore::Fs() {
  std::lock_guard lock(mu_);
  return FsLocked();
}

Result<fs::Filesystem*> ClientCore::FsLocked() {
  uint64_t now = ForkGeneration();
  if (now != fork_generation_) {
    AbandonInheritedLocked();
    fork_generation_ = now;
    ++reopens_;
  }
  if (fs_ == nullptr) NOKV_RETURN_IF_ERROR(OpenLocked());
  return fs_;
}

std::string ClientCore::Role() {
  std::lock_guard lock(mu_);
  if (!FsLocked().ok()) return "closed";  // a child that could not reopen
  if (remote_) return "remote";
  return std::string(server::RoleName(shared_->role()));
}

uint64_t ClientCore::reopens() const {
  std::lock_guard lock(mu_);
  return reopens_;
}

}  // namespace nokv::python
