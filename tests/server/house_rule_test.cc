// The house rule's checks (common/house_rule.h): in checked builds (the asan
// and tsan presets), I/O under a service mutex aborts with its name, and a
// released or waiting mutex does not count as held.
#include <gtest/gtest.h>

#include <thread>

#include "common/house_rule.h"

namespace ndmp::house {
namespace {

class HouseRule : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kChecked)
      GTEST_SKIP() << "SKIPPED: the house-rule checks are compiled only with NDMP_HOUSE_RULE_CHECKS "
                      "(the asan and tsan presets, steps 2 and 3 of the test command)";
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

TEST_F(HouseRule, IoWhileHoldingAServiceMutexAbortsNamingTheIo) {
  EXPECT_DEATH(
      {
        ServiceMutex m;
        ServiceLock lock(m);
        no_service_lock("writing a tape record");
      },
      "house rule broken: writing a tape record while holding 1 service mutex");
}

TEST_F(HouseRule, IoAfterReleasingTheMutexIsAllowed) {
  ServiceMutex m;
  ServiceLock lock(m);
  lock.unlock();
  no_service_lock("reading a TCP data connection");
  SUCCEED();
}

TEST_F(HouseRule, AThreadWaitingOnTheConditionDoesNotHoldTheMutex) {
  ServiceMutex m;
  ServiceCondition cv;
  bool go = false, checked = false;
  std::thread waiter([&] {
    ServiceLock lock(m);
    cv.wait(lock, [&] { return go; });
    lock.unlock();
    no_service_lock("after the wait");  // would abort if the wait had left the count raised
    checked = true;
  });
  {
    ServiceLock lock(m);
    go = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_TRUE(checked);
}

TEST_F(HouseRule, AnotherThreadsLockIsNotThisThreadsLock) {
  ServiceMutex m;
  ServiceLock lock(m);
  std::thread other([] { no_service_lock("I/O on a thread that holds nothing"); });
  other.join();
  SUCCEED();
}

}  // namespace
}  // namespace ndmp::house
