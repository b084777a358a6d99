// The Prometheus text exposition format, version 0.0.4
// (prometheus.io/docs/instrumenting/exposition_formats): what a scrape of
// /metrics returns. Debian 12 packages no C++ Prometheus client, and ndmpd
// needs a few dozen lines of text, so this writes them itself:
//
//   # HELP ndmpd_jobs_started_total Jobs started since ndmpd started.
//   # TYPE ndmpd_jobs_started_total counter
//   ndmpd_jobs_started_total{type="backup"} 3
//
// The rules kept here (and checked by tests/ops/metrics_format_test.cc):
// metric and label names match [a-zA-Z_:][a-zA-Z0-9_:]* (labels without
// ':'); a family's HELP and TYPE come once, before its samples, and its
// samples are contiguous; label values escape \ " and newline, HELP text
// escapes \ and newline; values are decimal or +Inf/-Inf/NaN; lines end in
// "\n", including the last.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ndmp::ops::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Exposition {
 public:
  // Starts a family: type "counter", "gauge" or "untyped". A name or type
  // that breaks the rules is a programming error (asserted in tests).
  void family(std::string_view name, std::string_view type, std::string_view help);
  // One sample of the current family (name = the family's).
  void sample(const Labels& labels, double value);
  void sample(double value) { sample({}, value); }

  const std::string& text() const { return out_; }

  static bool valid_metric_name(std::string_view name);
  static bool valid_label_name(std::string_view name);
  static std::string escape_label_value(std::string_view value);
  static std::string escape_help(std::string_view help);

 private:
  std::string out_;
  std::string current_;
};

}  // namespace ndmp::ops::metrics
