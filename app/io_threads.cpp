#include "app/io_threads.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/detail/set_thread_name.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/scoped_execution_unit.hpp>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "actors/broker/broker.hpp"
#include "actors/broker/session_ledger.hpp"
#include "app/actor_system_setup.hpp"

namespace mailactor::app {

namespace {

// The scheduler of an I/O thread's actor system: every job goes to the main system's scheduler
// (a broker's own jobs never come here: its multiplexer runs them). Timers stay with a clock of
// its own: the main clock would keep a broker's next beat after its system is gone, and deliver
// it into freed memory (ASan caught it at shutdown).
//
// Once the system is about to be destroyed (finish_locally), its own actors (CAF's internal
// ones, told to exit by the system's destructor without waiting) run on a thread of this
// scheduler, which stop() joins: on a main worker one could still be in its last step, which
// asks its system for the clock, when the system is gone (seen: SIGSEGV at exit in
// caf::local_actor::cleanup, about 1 run in 400 under load).
class LentScheduler : public caf::scheduler::abstract_coordinator {
 public:
  LentScheduler(caf::actor_system& sys, caf::scheduler::abstract_coordinator& main)
      : abstract_coordinator(sys), main_(main) {}

  // Every job a broker's message makes for a session passes here: no lock until the end.
  void enqueue(caf::resumable* job) override {
    if (local_.load(std::memory_order_acquire) && is_own_actor(job)) {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(job);
      wake_.notify_one();
      return;
    }
    main_.enqueue(job);
  }
  caf::actor_clock& clock() noexcept override { return clock_; }

  void finish_locally() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (local_.load()) return;
    finisher_ = std::thread([this] { run_local_jobs(); });
    local_.store(true, std::memory_order_release);
  }

 protected:
  void start() override {
    timer_ = std::thread([this] {
      caf::detail::set_thread_name("caf.clock");
      system().thread_started();
      clock_.run_dispatch_loop();
      system().thread_terminates();
    });
    abstract_coordinator::start();  // CAF's printer actor
  }

  void stop() override {
    stop_actors();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closing_ = true;
      wake_.notify_one();
    }
    if (finisher_.joinable()) finisher_.join();
    clock_.cancel_dispatch_loop();  // pending timers of this system's actors go with it
    timer_.join();
  }

 private:
  bool is_own_actor(caf::resumable* job) {
    auto* actor = dynamic_cast<caf::abstract_actor*>(job);
    return actor != nullptr && &actor->home_system() == &system();
  }

  // What a CAF worker does with a job, one at a time, until stop() and nothing is left.
  void run_local_jobs() {
    caf::scoped_execution_unit unit{&system()};
    for (;;) {
      caf::resumable* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return closing_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = jobs_.front();
        jobs_.pop_front();
      }
      switch (job->resume(&unit, max_throughput())) {
        case caf::resumable::resume_later:
          enqueue(job);
          break;
        case caf::resumable::done:
        case caf::resumable::awaiting_message:
        case caf::resumable::shutdown_execution_unit:
          caf::intrusive_ptr_release(job);
          break;
      }
    }
  }

  caf::scheduler::abstract_coordinator& main_;
  caf::detail::thread_safe_actor_clock clock_;
  std::thread timer_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> local_{false};
  bool closing_ = false;
  std::deque<caf::resumable*> jobs_;
  std::thread finisher_;
};

}  // namespace

size_t io_thread_count(const Config& cfg) {
  if (!cfg.spool_remote.empty()) return 1;  // see config.cpp
  if (cfg.io_threads > 0) return cfg.io_threads;
  return quarter_of_cores();
}

IoThreads::IoThreads(caf::actor_system& main, size_t extra) {
  for (size_t i = 0; i < extra; ++i) {
    auto sys_cfg = std::make_unique<caf::actor_system_config>();
    configure_middleman(*sys_cfg);
    sys_cfg->module_factories.push_back([&main](caf::actor_system& sys) {
      return static_cast<caf::actor_system::module*>(new LentScheduler(sys, main.scheduler()));
    });
    systems_.push_back(std::make_unique<caf::actor_system>(*sys_cfg));
    configs_.push_back(std::move(sys_cfg));
  }
}

IoThreads::~IoThreads() {
  for (auto& sys : systems_)
    static_cast<LentScheduler&>(sys->scheduler()).finish_locally();
  systems_.clear();  // before their configs
}

namespace {

// The same listening sockets for one more broker: every broker accepts from the same backlog, so
// a broker that paused accepting leaves its clients to the others.
std::shared_ptr<actors::BrokerSettings> with_duplicate_sockets(const actors::BrokerSettings& s) {
  auto copy = std::make_shared<actors::BrokerSettings>(s);
  for (auto& l : copy->listeners) {
    l.fd = ::dup(l.fd);
    if (l.fd < 0) throw std::runtime_error(std::string("dup listening socket: ") + strerror(errno));
  }
  return copy;
}

}  // namespace

std::vector<caf::actor> spawn_brokers(caf::actor_system& main, const IoThreads& io,
                                      std::shared_ptr<actors::BrokerSettings> settings,
                                      actors::spooler_actor spooler, actors::stats_actor stats,
                                      actors::auth_front_actor auth) {
  settings->ledger = actors::SessionLedger::for_brokers(*settings);
  std::vector<std::shared_ptr<actors::BrokerSettings>> copies;  // all sockets before any broker
  for (size_t i = 0; i < io.systems().size(); ++i) {
    copies.push_back(with_duplicate_sockets(*settings));
    copies.back()->io_thread = i + 1;
    copies.back()->session_system = &main;
  }
  std::vector<caf::actor> brokers;
  for (size_t i = 0; i < copies.size(); ++i)
    brokers.push_back(actors::spawn_broker(*io.systems()[i], copies[i], spooler, stats, auth));
  brokers.push_back(actors::spawn_broker(main, settings, spooler, stats, auth));
  return brokers;
}

void drain_brokers(caf::scoped_actor& self, const std::vector<caf::actor>& brokers,
                   std::chrono::seconds limit) {
  for (const auto& b : brokers) {
    self->monitor(b);
    self->send(b, actors::drain_atom::value);
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (size_t ended = 0; ended < brokers.size();) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    bool late = false;
    self->receive([&](caf::down_msg&) { ++ended; },
                  caf::after(std::max(left, std::chrono::milliseconds(0))) >> [&] { late = true; });
    if (late) {
      spdlog::warn("connections did not close in time");
      return;
    }
  }
}

}  // namespace mailactor::app
