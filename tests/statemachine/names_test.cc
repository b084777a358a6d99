// Every state, event, transition and reason has a name of its own, and every
// transition name is used by some row (no dead names, no unnamed rows).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

#include "statemachine/data_table.h"
#include "statemachine/error.h"
#include "statemachine/mover_table.h"
#include "statemachine/notification.h"
#include "statemachine/reasons.h"

namespace ndmp::sm {
namespace {

// Checks that each value's name is real (not the "?..." fallback) and that no
// two values share a name.
template <class Range>
void expect_distinct_names(const Range& values, const char* what) {
  std::set<std::string_view> names;
  for (auto v : values) {
    const std::string_view n = to_string(v);
    EXPECT_FALSE(n.empty()) << what;
    EXPECT_NE(n.front(), '?') << what << " value " << static_cast<uint32_t>(v) << " has no name";
    EXPECT_TRUE(names.insert(n).second) << what << " name used twice: " << n;
  }
}

// Enumerations whose values are contiguous from 0 by design.
template <class Enum>
std::vector<Enum> values_up_to(Enum last) {
  std::vector<Enum> out;
  for (uint32_t i = 0; i <= static_cast<uint32_t>(last); ++i) out.push_back(static_cast<Enum>(i));
  return out;
}

TEST(Names, StatesAndEvents) {
  expect_distinct_names(kAllDataStates, "DataState");
  expect_distinct_names(kAllDataEvents, "DataEvent");
  expect_distinct_names(kAllMoverStates, "MoverState");
  expect_distinct_names(kAllMoverEvents, "MoverEvent");
}

TEST(Names, Transitions) {
  expect_distinct_names(values_up_to(DataTransition::stop_reset), "DataTransition");
  expect_distinct_names(values_up_to(MoverTransition::stop_reset), "MoverTransition");
}

TEST(Names, Reasons) {
  expect_distinct_names(values_up_to(DataOperation::recover_filehist), "DataOperation");
  expect_distinct_names(values_up_to(DataHaltReason::connect_error), "DataHaltReason");
  expect_distinct_names(values_up_to(MoverHaltReason::media_error), "MoverHaltReason");
  expect_distinct_names(values_up_to(MoverPauseReason::eow), "MoverPauseReason");
  expect_distinct_names(values_up_to(MoverMode::noaction), "MoverMode");
  expect_distinct_names(std::vector<Error>{Error::no_err, Error::not_supported, Error::illegal_args,
                                           Error::illegal_state, Error::read_in_progress,
                                           Error::precondition},
                        "Error");
  expect_distinct_names(std::vector<NotificationKind>{NotificationKind::data_halted,
                                                      NotificationKind::mover_halted,
                                                      NotificationKind::mover_paused},
                        "NotificationKind");
}

TEST(Names, NotificationsReadLikeTheProtocol) {
  EXPECT_EQ(to_string(Notification::data_halted(DataHaltReason::successful)),
            "NOTIFY_DATA_HALTED(SUCCESSFUL)");
  EXPECT_EQ(to_string(Notification::mover_halted(MoverHaltReason::connect_closed)),
            "NOTIFY_MOVER_HALTED(CONNECT_CLOSED)");
  EXPECT_EQ(to_string(Notification::mover_paused(MoverPauseReason::eom, 1048576)),
            "NOTIFY_MOVER_PAUSED(EOM, seek_position 1048576)");
  EXPECT_EQ(Notification::mover_paused(MoverPauseReason::seek, 7).reason(), 3u);
}

TEST(Names, EveryTransitionButRejectedIsUsedByARow) {
  std::set<DataTransition> data_used;
  for (const auto& r : data_rows()) data_used.insert(r.transition);
  for (auto t : values_up_to(DataTransition::stop_reset)) {
    EXPECT_EQ(data_used.count(t), t == DataTransition::rejected ? 0u : 1u) << to_string(t);
  }
  std::set<MoverTransition> mover_used;
  for (const auto& r : mover_rows()) mover_used.insert(r.transition);
  for (auto t : values_up_to(MoverTransition::stop_reset)) {
    EXPECT_EQ(mover_used.count(t), t == MoverTransition::rejected ? 0u : 1u) << to_string(t);
  }
}

}  // namespace
}  // namespace ndmp::sm
