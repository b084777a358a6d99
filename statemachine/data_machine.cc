#include "statemachine/data_machine.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "statemachine/version.h"

namespace ndmp::sm {

DataMachine::DataMachine(int version) : version_(version) {
  if (!is_supported_version(version)) {
    throw std::invalid_argument("DataMachine: NDMP version " + std::to_string(version) +
                                " is not served (2..4)");
  }
}

DataResult DataMachine::check(DataEvent event) const {
  const DataDecision d = decide(state_, event, version_);
  if (!d.legal()) return {d.error, state_, state_, DataTransition::rejected};
  return {Error::no_err, state_, d.row->to, d.row->transition};
}

DataResult DataMachine::apply(DataEvent event) {
  const DataDecision d = decide(state_, event, version_);
  if (!d.legal()) return {d.error, state_, state_, DataTransition::rejected};
  const DataRow& row = *d.row;
  const DataState from = state_;

  if (row.operation) operation_ = *row.operation;
  if (row.halt != DataHaltReason::na) halt_reason_ = row.halt;
  state_ = row.to;
  if (state_ == DataState::idle) {
    operation_ = DataOperation::noaction;
    halt_reason_ = DataHaltReason::na;
  }
  if (row.notify) pending_.push_back(Notification::data_halted(halt_reason_));
  return {Error::no_err, from, state_, row.transition};
}

std::vector<Notification> DataMachine::take_notifications() {
  return std::exchange(pending_, {});
}

}  // namespace ndmp::sm
