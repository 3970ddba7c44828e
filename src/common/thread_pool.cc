// ThreadPool and WaitGroup.
#include "common/thread_pool.h"

namespace nokv {

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = 1;
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::Schedule(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void WaitGroup::Add(int n) {
  std::lock_guard lock(mu_);
  pending_ += n;
}

void WaitGroup::Done() {
  std::lock_guard lock(mu_);
  if (--pending_ == 0) cv_.notify_all();
}

void WaitGroup::Wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return pending_ <= 0; });
}

}  // namespace nokv
