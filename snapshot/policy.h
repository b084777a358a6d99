// What an export's snapshot setting says, and what one backup does with it.
//
// ndmpd.conf (man/ndmpd.conf.5, SNAPSHOTS) has three keys, each either a
// default for every export or "EXPORT=VALUE" for one (the first '=' after
// an absolute path splits; the last word for an export wins):
//   snapshot          none | btrfs | lvm | command:/ABSOLUTE/PATH
//   snapshot-failure  halt | live     (halt: the job stops with the reason)
//   snapshot-request  fixed | opt-out | opt-in
//                     fixed:   the DMA's SNAPSHOT variable is not obeyed
//                              (a LOG message says so);
//                     opt-out: a snapshot unless the DMA sends SNAPSHOT=n;
//                     opt-in:  a snapshot only when it sends SNAPSHOT=y.
// plus snapshot-timeout (seconds, for each tool or script run) and
// snapshot-lvm-size (the copy-on-write space of a classic LVM snapshot).
//
// Pure values and parsing: no I/O here.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ndmp::snapshot {

enum class Kind { none, btrfs, lvm, command };
enum class OnFailure { halt, live };
enum class Request { fixed, opt_out, opt_in };

struct Policy {
  Kind kind = Kind::none;
  std::string command;  // Kind::command: the site script, absolute
  OnFailure on_failure = OnFailure::halt;
  Request request = Request::fixed;
  bool operator==(const Policy&) const = default;
};

// Every export's policy and the settings shared by all snapshots.
struct Settings {
  Policy defaults;
  std::map<std::string, Policy> by_export;  // configured export path -> policy
  std::chrono::seconds timeout{120};
  std::string lvm_size = "10%ORIGIN";  // lvcreate -l (extents, %) or -L (size with a unit)
  bool operator==(const Settings&) const = default;

  // `export_path` as configured; trailing slashes do not matter.
  const Policy& policy_for(std::string export_path) const {
    while (export_path.size() > 1 && export_path.back() == '/') export_path.pop_back();
    auto it = by_export.find(export_path);
    return it == by_export.end() ? defaults : it->second;
  }
};

// Parses the repeatable keys into `out`; false with `bad` naming the item.
bool parse_settings(const std::vector<std::string>& snapshot, const std::vector<std::string>& failure,
                    const std::vector<std::string>& request, Settings& out, std::string& bad);
// True when `size` is an lvcreate size: digits with an optional unit
// (k, m, g, t), or digits and %ORIGIN / %VG / %FREE.
bool valid_lvm_size(const std::string& size);

const char* to_string(Kind k);
std::string describe(const Policy& p);  // "btrfs, halt on failure, opt-out"

// One backup's decision: take a snapshot (of which kind) or walk the live
// tree, and why, in an operator's words.
struct Decision {
  bool take = false;
  std::string why_live;  // when !take: "snapshot = none for /srv/data", ...
  std::string note;      // a SNAPSHOT variable that was not obeyed, said to the DMA
};
// `env_snapshot` is the DMA's SNAPSHOT value, if it sent one (y/yes/true/1
// or n/no/false/0; anything else is returned as an error text in `bad`).
Decision decide(const Policy& p, const std::optional<std::string>& env_snapshot, std::string& bad);

}  // namespace ndmp::snapshot
