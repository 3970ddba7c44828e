// WatchHub: long polls of the watch log wait here, not on a worker thread.
//
// A `meta.watch` with nothing to return yet is parked: one hub thread waits
// for the next commit that writes an event (any path), then re-reads every
// parked poll from its own cursor and answers those that now have events,
// whose wait ran out, or whose client went away. However many clients
// follow the log, the server's workers stay free for other requests.
//
// Thread-safety: Park may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>

#include "fs/metadata.h"

namespace nokv::server {

struct WatchPoll {
  std::string path;
  std::string cursor;
  size_t limit = 1000;
  std::chrono::steady_clock::time_point deadline;
  // Called exactly once: events, an empty page (the wait ran out, the
  // client went away, the hub stopped) or an error.
  std::function<void(Result<meta::EventPage>)> answer;
  // True once the client gave up on the poll; may be empty.
  std::function<bool()> cancelled;
};

class WatchHub {
 public:
  // `backend` must outlive the hub.
  explicit WatchHub(fs::Metadata* backend);
  ~WatchHub();  // answers every parked poll with an empty page
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  void Park(WatchPoll poll);
  size_t parked() const;

 private:
  // How long the hub waits for a commit before it looks at deadlines and
  // cancellations again.
  static constexpr std::chrono::milliseconds kRecheck{100};

  void Run();
  // Re-reads every parked poll; answers the ones that are done.
  void Sweep();

  fs::Metadata* backend_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::list<WatchPoll> polls_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::string seen_;            // the newest event cursor the hub waited past (hub thread)
  bool have_seen_ = false;      // (hub thread)
  std::thread thread_;
};

}  // namespace nokv::server
