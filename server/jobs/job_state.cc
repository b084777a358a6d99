// SessionJobs: machine creation, notifications to posts, and session-end cleanup.
#include "server/jobs/job_state.h"

#include "common/log.h"
#include "server/jobs/job_host.h"

namespace ndmp::server {

sm::MoverMachine& SessionJobs::mover_machine(int version) {
  if (!mover) mover.emplace(version);
  return *mover;
}

sm::DataMachine& SessionJobs::data_machine(int version) {
  if (!data) data.emplace(version);
  return *data;
}

bool SessionJobs::mover_holds_tape() {
  std::lock_guard lock(mu);
  return mover && (mover->state() == sm::MoverState::listen || mover->state() == sm::MoverState::active);
}

void post_notifications(JobHost& s, const std::vector<sm::Notification>& notes, bool after_reply,
                        const std::string& text) {
  const int v = s.version();
  for (const auto& n : notes) {
    std::unique_ptr<msg::Body> body;
    uint32_t code = 0;
    switch (n.kind) {
      case sm::NotificationKind::data_halted: {
        auto p = std::make_unique<msg::NotifyDataHaltedPost>();
        p->reason = static_cast<msg::DataHaltReason>(n.data_halt);
        p->text = text;
        code = msg::code::NOTIFY_DATA_HALTED;
        log::info("{}: DATA halted: {}{}", s.tag(), sm::to_string(n.data_halt), text.empty() ? "" : " — " + text);
        body = std::move(p);
        break;
      }
      case sm::NotificationKind::mover_halted: {
        auto p = std::make_unique<msg::NotifyMoverHaltedPost>();
        p->reason = static_cast<msg::MoverHaltReason>(n.mover_halt);
        p->text = text;
        code = msg::code::NOTIFY_MOVER_HALTED;
        log::info("{}: MOVER halted: {}", s.tag(), sm::to_string(n.mover_halt));
        body = std::move(p);
        break;
      }
      case sm::NotificationKind::mover_paused: {
        auto p = std::make_unique<msg::NotifyMoverPausedPost>();
        p->reason = static_cast<msg::MoverPauseReason>(sm::wire_pause_reason(n.pause, v));
        p->seek_position = n.seek_position;
        code = msg::code::NOTIFY_MOVER_PAUSED;
        log::info("{}: MOVER paused: {} at stream offset {}", s.tag(), sm::to_string(n.pause), n.seek_position);
        body = std::move(p);
        break;
      }
    }
    if (after_reply)
      s.queue_post(code, std::move(body));
    else
      s.send_post(code, *body);
  }
}

namespace {
void settle(house::ServiceCondition& cv, house::ServiceLock& lock, PeerTake& t, TcpListener* l) {
  // With the mutex held and `taking` false, a peer seen in the accept queue
  // is still there for the acceptor, which will take it and clear `pending`.
  if (t.pending && (t.taking || (l && l->peer_waiting()))) cv.wait(lock, [&] { return !t.pending; });
}
}  // namespace

void SessionJobs::settle_mover(house::ServiceLock& lock) {
  settle(cv, lock, mover_take, mover_listener.get());
}

void SessionJobs::settle_data(house::ServiceLock& lock) {
  settle(cv, lock, data_take, data_listener.get());
}

std::shared_ptr<Channel> take_peer(SessionJobs& j, TcpListener& l, PeerTake& t) {
  if (!l.wait_ready()) return nullptr;
  {
    std::lock_guard lock(j.mu);
    t.taking = true;
  }
  return l.take();
}

void SessionJobs::join_mover_threads() {
  if (mover_worker.joinable()) mover_worker.join();
}

void SessionJobs::join_data_threads() {
  if (data_acceptor.joinable()) data_acceptor.join();
  if (data_worker.joinable()) data_worker.join();
}

void SessionJobs::shutdown(JobHost& s) {
  {
    std::lock_guard lock(mu);
    bool running = false;
    if (data && data->state() != sm::DataState::idle && data->state() != sm::DataState::halted) {
      running = true;
      if (backup_engine) backup_engine->cancel();
      if (restore_engine) restore_engine->cancel();
      data->apply(sm::DataEvent::abort);
      data->take_notifications();  // nobody to tell: the DMA is gone
    }
    if (mover && mover->state() != sm::MoverState::idle && mover->state() != sm::MoverState::halted) {
      running = true;
      mover->apply(sm::MoverEvent::abort);
      mover->take_notifications();
    }
    if (running) log::warn("{}: the DMA went away with a job running; job aborted", s.tag());
    for (auto* c : {&data_channel, &mover_channel, &pending_local_for_data, &pending_local_for_mover})
      if (*c) (*c)->shutdown();
    if (data_listener) data_listener->cancel();
    if (mover_listener) mover_listener->cancel();
    cv.notify_all();
  }
  join_mover_threads();
  join_data_threads();
  std::lock_guard lock(mu);
  mover_tape.reset();
}

}  // namespace ndmp::server
