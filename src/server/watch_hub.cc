// WatchHub: one thread waits for commits on behalf of every parked watch.
#include "server/watch_hub.h"

namespace nokv::server {

WatchHub::WatchHub(fs::Metadata* backend) : backend_(backend) {
  thread_ = std::thread([this] { Run(); });
}

WatchHub::~WatchHub() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (auto& poll : polls_) poll.answer(meta::EventPage{{}, poll.cursor});
}

void WatchHub::Park(WatchPoll poll) {
  {
    std::lock_guard lock(mu_);
    polls_.push_back(std::move(poll));
  }
  wake_.notify_all();
}

size_t WatchHub::parked() const {
  std::lock_guard lock(mu_);
  return polls_.size();
}

void WatchHub::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !polls_.empty(); });
    if (stopping_) return;
    lock.unlock();
    // Wait for the next event anywhere after the newest one seen (a cursor
    // of "" waits for the first event ever written).
    if (!have_seen_) {
      auto latest = backend_->LatestCursor();
      seen_ = latest.ok() ? *latest : "";
      have_seen_ = latest.ok();
    }
    if (have_seen_) {
      auto next = backend_->Watch("/", seen_, 1, kRecheck);
      if (!next.ok()) {
        have_seen_ = false;  // pruned past it: start again from the newest
      } else if (!next->next_cursor.empty()) {
        seen_ = next->next_cursor;
      }
    }
    Sweep();
    lock.lock();
  }
}

void WatchHub::Sweep() {
  std::list<WatchPoll> polls;
  {
    std::lock_guard lock(mu_);
    polls.swap(polls_);
  }
  std::list<WatchPoll> waiting;
  const auto now = std::chrono::steady_clock::now();
  while (!polls.empty()) {
    WatchPoll& poll = polls.front();
    bool done = now >= poll.deadline || (poll.cancelled && poll.cancelled());
    auto page = done ? Result<meta::EventPage>(meta::EventPage{{}, poll.cursor})
                     : backend_->Watch(poll.path, poll.cursor, poll.limit, {});
    if (done || !page.ok() || !page->events.empty()) {
      poll.answer(std::move(page));
      polls.pop_front();
      continue;
    }
    // Nothing under its path yet: resume after what was read.
    if (!page->next_cursor.empty()) poll.cursor = page->next_cursor;
    waiting.splice(waiting.end(), polls, polls.begin());
  }
  std::lock_guard lock(mu_);
  polls_.splice(polls_.end(), waiting);
}

}  // namespace nokv::server
