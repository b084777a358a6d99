// What the snapshot job tests share (issue 18): an in-process ndmpd on the
// emulated library whose exports take snapshots, a writer that rewrites
// the source during a backup, a watch on job events, and the checks an
// operator makes afterwards (the restore against the snapshot's moment, no
// snapshot left). The host runs it with the command hook
// (command_snapshot_test.cc); the qemu guest with btrfs and LVM
// (kernel_snapshot_test.cc, tests/vtl-vm/snapshot-checks.sh).
#pragma once

#include <atomic>
#include <condition_variable>
#include <thread>

#include "tests/faults/fault_rig.h"

namespace ndmp::faults {

// Job events, for the moment a job whose DMA went away has ended.
class HaltWatch final : public events::JobEventSink {
 public:
  void publish(const events::JobEvent& e) override {
    std::lock_guard g(mu_);
    if (e.type == events::JobEventType::halted) ++halted_;
    cv_.notify_all();
  }
  events::SpaceAnswer space_check(const std::string&, uint64_t, std::chrono::milliseconds) override { return {}; }
  bool answers_space_checks() const override { return false; }
  bool wait_halted(int n) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, kWait, [&] { return halted_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int halted_ = 0;
};

// Rewrites every regular file under `root` until stopped: new sizes and
// contents each round, so a walk of the live tree could never match the
// tree before the writer began.
class Writer {
 public:
  explicit Writer(fs::path root) : root_(std::move(root)), t_([this] { run(); }) {}
  ~Writer() { stop(); }
  void stop() {
    done_ = true;
    if (t_.joinable()) t_.join();
  }
  unsigned rounds() const { return rounds_; }

 private:
  void run() {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(root_))
      if (e.is_regular_file()) files.push_back(e.path());
    for (unsigned round = 1; !done_; ++round) {
      for (const auto& f : files) write_pattern(f, 1000 + 37 * round, 9000 + round);
      rounds_ = round;
    }
  }
  fs::path root_;
  std::atomic<bool> done_{false};
  std::atomic<unsigned> rounds_{0};
  std::thread t_;
};

class SnapshotJob : public ::testing::Test {
 protected:
  // `kind` as in ndmpd.conf (btrfs, lvm, command:PATH) for the export
  // `root` (default: the test server's own export), whose src/ is backed up.
  void start_rig(const std::string& kind, const std::string& failure = "halt", const std::string& request = "fixed",
                 const fs::path& root = {}) {
    rig_ = std::make_unique<Rig>(
        RigShape{.drives = 1, .slots = 3, .tape_mib = 64},
        [&, root](server::Config& c) {
          if (!root.empty()) c.exports.push_back(root.string());
          std::vector<std::string> kinds{kind}, fail{failure}, req{request};
          std::string bad;
          ASSERT_TRUE(snapshot::parse_settings(kinds, fail, req, c.snapshots, bad)) << bad;
          c.snapshots.lvm_size = "50%ORIGIN";  // room for the writer's changes on a small volume
        },
        [&](server::Server& s) { s.observe_jobs(watch_); });
    src_ = (root.empty() ? rig_->export_dir() : root) / "src";
    fs::remove_all(src_);
    make_tree(src_, 40, 400'000);  // ~16 MB: far more than the 4 MiB ring holds before the tape is held
    reference_ = rig_->server().dir() / "reference";
    fs::copy(src_, reference_, fs::copy_options::recursive);
  }

  fs::path snapshots_dir() const { return rig_->server().dir() / "state" / "snapshots"; }
  // What ndmpd keeps of snapshots: records and their private directories.
  std::vector<std::string> snapshot_leftovers() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(snapshots_dir(), ec)) out.push_back(e.path().filename().string());
    return out;
  }
  static bool any_contains(const std::vector<std::string>& lines, const std::string& needle) {
    for (const auto& l : lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }

  // A backup of src_ onto the tape of slot 1 with `env`, played to its halt.
  JobEnd backup_once(client::Client& c, std::vector<msg::Pval> env = {}) {
    load_tape(c, 1);
    EXPECT_EQ(start_local_backup(c, src_, 0, std::move(env)), msg::Error::no_err);
    return drive_job(c);
  }

  // Backs src_ up while the writer rewrites it; returns how the job ended.
  JobEnd backup_while_writing(client::Client& c, std::vector<msg::Pval> env = {}) {
    load_tape(c, 1);
    rig_->drive().hold_writes_after(2);
    EXPECT_EQ(start_local_backup(c, src_, 0, std::move(env)), msg::Error::no_err);
    EXPECT_TRUE(rig_->drive().wait_held()) << "the walk began";
    Writer writer(src_);
    rig_->drive().release();
    auto end = drive_job(c);
    writer.stop();
    EXPECT_GT(writer.rounds(), 0u) << "the writer changed the tree during the backup";
    return end;
  }

  std::vector<std::string> restore_and_compare(client::Client& c, const fs::path& expected) {
    const fs::path target = rig_->export_dir() / "restored";
    EXPECT_EQ(start_local_restore(c, target), msg::Error::no_err);
    EXPECT_EQ(drive_job(c).data, msg::DataHaltReason::successful);
    finish_job(c);
    return compare_trees(expected, target);
  }

  HaltWatch watch_;
  std::unique_ptr<Rig> rig_;
  fs::path src_, reference_;
};

}  // namespace ndmp::faults
