// Journal: events kept on disk until acknowledged, in order, across reopen,
// a torn tail, a SIGKILL of the writer, and the size bound.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cloudmanager/journal.h"

namespace ndmp::cm {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cm-journal-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "events.journal").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Journal> open(uint64_t bound = 1 << 20) {
    std::unique_ptr<Journal> j;
    Status s = Journal::open(path_, bound, j);
    EXPECT_TRUE(s.ok()) << s.text();
    return j;
  }

  static std::optional<uint64_t> add(Journal& j, EntryClass c, const std::string& text) {
    return j.append(c, 2701, [&](uint64_t id) { return text + "#" + std::to_string(id); });
  }

  static std::vector<std::string> drain(Journal& j) {
    std::vector<std::string> out;
    while (auto e = j.front()) {
      out.push_back(e->body);
      j.acknowledge(e->id);
    }
    return out;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(JournalTest, EventsSurviveReopenInOrderWithTheirIds) {
  {
    auto j = open();
    EXPECT_EQ(add(*j, EntryClass::state, "started"), 1u);
    EXPECT_EQ(add(*j, EntryClass::progress, "progress"), 2u);
    EXPECT_EQ(add(*j, EntryClass::state, "halted"), 3u);
    EXPECT_TRUE(j->sync());
  }
  auto j = open();
  EXPECT_EQ(j->stats().pending, 3u);
  auto e = j->front();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, 1u);
  EXPECT_EQ(e->command, 2701);
  EXPECT_EQ(drain(*j), (std::vector<std::string>{"started#1", "progress#2", "halted#3"}));
}

TEST_F(JournalTest, AcknowledgedEventsAreNotReplayed) {
  {
    auto j = open();
    add(*j, EntryClass::state, "a");
    add(*j, EntryClass::state, "b");
    add(*j, EntryClass::state, "c");
    j->acknowledge(1);
    j->acknowledge(2);
  }
  auto j = open();
  EXPECT_EQ(drain(*j), (std::vector<std::string>{"c#3"}));
  EXPECT_EQ(add(*j, EntryClass::state, "d"), 4u);
}

TEST_F(JournalTest, IdsNeverRepeatAfterCompactionToNothing) {
  {
    auto j = open();
    // Enough acknowledged traffic to pass the compaction floor several times.
    const std::string big(400, 'x');
    for (int i = 0; i < 3000; ++i) {
      auto id = add(*j, EntryClass::progress, big);
      ASSERT_TRUE(id);
      j->acknowledge(*id);
    }
    EXPECT_LT(j->stats().file_bytes, 300u * 1024) << "compaction kept the file small";
    EXPECT_EQ(j->stats().next_id, 3001u);
  }
  auto j = open();
  EXPECT_EQ(j->stats().pending, 0u);
  EXPECT_EQ(add(*j, EntryClass::state, "after"), 3001u);
}

TEST_F(JournalTest, TornTailIsCutAndEarlierEventsKept) {
  {
    auto j = open();
    add(*j, EntryClass::state, "one");
    add(*j, EntryClass::state, "two");
    add(*j, EntryClass::state, "three");
  }
  fs::resize_file(path_, fs::file_size(path_) - 3);  // a write cut short
  {
    auto j = open();
    EXPECT_EQ(j->stats().pending, 2u);
    EXPECT_EQ(add(*j, EntryClass::state, "four"), 3u);
  }
  auto j = open();
  EXPECT_EQ(drain(*j), (std::vector<std::string>{"one#1", "two#2", "four#3"}));
}

TEST_F(JournalTest, CorruptRecordEndsTheFile) {
  {
    auto j = open();
    add(*j, EntryClass::state, "one");
    add(*j, EntryClass::state, "two");
  }
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('!');  // last byte of "two#2"
  }
  auto j = open();
  EXPECT_EQ(drain(*j), (std::vector<std::string>{"one#1"}));
}

TEST_F(JournalTest, SomethingElseIsRefusedNotOverwritten) {
  { std::ofstream(path_) << "this is not a journal at all"; }
  std::unique_ptr<Journal> j;
  Status s = Journal::open(path_, 1 << 20, j);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.text().find("bad magic"), std::string::npos) << s.text();
  EXPECT_EQ(fs::file_size(path_), 28u);
}

TEST_F(JournalTest, EventsSurviveSigkillOfTheWriter) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::unique_ptr<Journal> j;
    if (!Journal::open(path_, 1 << 20, j).ok()) ::_exit(2);
    for (int i = 0; i < 5; ++i) j->append(EntryClass::state, 2701, [](uint64_t id) { return std::to_string(id); });
    ::raise(SIGKILL);  // no destructor, no sync
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  auto j = open();
  EXPECT_EQ(drain(*j), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
}

// Each payload is 4 + body bytes; bodies here are 10 bytes ("pppppp#N" padded).
std::string body10(const char* tag, uint64_t id) {
  std::string s = std::string(tag) + std::to_string(id);
  s.resize(10, '.');
  return s;
}

TEST_F(JournalTest, BoundDropsTheOldestProgressOnly) {
  auto j = open(/*bound=*/4 * 14);
  auto st = [&](const char* t) { return j->append(EntryClass::state, 2701, [&](uint64_t id) { return body10(t, id); }); };
  auto pr = [&](const char* t) { return j->append(EntryClass::progress, 2702, [&](uint64_t id) { return body10(t, id); }); };
  st("s");
  pr("p");
  pr("p");
  st("s");          // full: 4 x 14 bytes
  EXPECT_TRUE(st("s"));  // drops progress 2, the oldest
  EXPECT_TRUE(pr("p"));  // drops progress 3
  EXPECT_EQ(j->stats().dropped, 2u);
  std::vector<std::string> ids;
  while (auto e = j->front()) {
    ids.push_back(e->body.substr(0, 2));
    j->acknowledge(e->id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"s1", "s4", "s5", "p6"}));
}

TEST_F(JournalTest, StateChangesAreNeverDroppedEvenOverTheBound) {
  auto j = open(/*bound=*/2 * 14);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(j->append(EntryClass::state, 2701, [&](uint64_t id) { return body10("s", id); }));
  EXPECT_EQ(j->stats().pending, 5u);
  EXPECT_EQ(j->stats().dropped, 0u);
  // A new progress event has nothing older of its kind to displace: it goes.
  EXPECT_FALSE(j->append(EntryClass::progress, 2702, [&](uint64_t id) { return body10("p", id); }));
  EXPECT_EQ(j->stats().pending, 5u);
  EXPECT_EQ(j->stats().dropped, 1u);
}

TEST_F(JournalTest, TheEventBeingSentIsNotDropped) {
  auto j = open(/*bound=*/2 * 14);
  j->append(EntryClass::progress, 2702, [&](uint64_t id) { return body10("p", id); });
  j->append(EntryClass::progress, 2702, [&](uint64_t id) { return body10("p", id); });
  auto sending = j->front();
  ASSERT_TRUE(sending);
  EXPECT_EQ(sending->id, 1u);
  j->append(EntryClass::progress, 2702, [&](uint64_t id) { return body10("p", id); });
  // Progress 2 made room, not progress 1 that is on the wire.
  std::vector<uint64_t> ids;
  while (auto e = j->front()) {
    ids.push_back(e->id);
    j->acknowledge(e->id);
  }
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 3}));
}

TEST_F(JournalTest, DropsAreRememberedAcrossReopen) {
  {
    auto j = open(/*bound=*/2 * 14);
    j->append(EntryClass::progress, 2702, [&](uint64_t id) { return body10("p", id); });
    j->append(EntryClass::state, 2701, [&](uint64_t id) { return body10("s", id); });
    j->append(EntryClass::state, 2701, [&](uint64_t id) { return body10("s", id); });
  }
  auto j = open(2 * 14);
  std::vector<uint64_t> ids;
  while (auto e = j->front()) {
    ids.push_back(e->id);
    j->acknowledge(e->id);
  }
  EXPECT_EQ(ids, (std::vector<uint64_t>{2, 3}));
}

}  // namespace
}  // namespace ndmp::cm
