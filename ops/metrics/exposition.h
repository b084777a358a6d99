// The Prometheus text exposition format, version 0.0.4
// (prometheus.io/docs/instrumenting/exposition_formats): what a scrape of
// /metrics returns.
//
//   # HELP ndmpd_jobs_started_total Jobs started since ndmpd started.
//   # TYPE ndmpd_jobs_started_total counter
//   ndmpd_jobs_started_total{type="backup"} 3
//
// The text is written by prometheus-cpp's TextSerializer (Debian 12's
// prometheus-cpp-dev, the core library only): the library owns the format's
// layout and label escaping (HELP text it writes as given: escaped here).
// Not its registry: ndmpd's figures already have owners
// (front door, job observer, bridge) and are read at scrape time, so they
// are handed to the serializer as plain MetricFamily values. Not its pull
// side either: that embeds civetweb, a second HTTP server with its own
// threads, limits and deadlines; ops/metrics/listener.h is ours.
//
// This class adds what the serializer does not check: metric and label
// names match [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':' and not "__"),
// and the type is counter or gauge. tests/ops/ops_unit_test.cc checks the
// result against the format's rules with an independent reader.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>

namespace ndmp::ops::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Exposition {
 public:
  // Starts a family: type "counter" or "gauge". A name or type that breaks
  // the rules is a programming error (std::logic_error).
  void family(std::string_view name, std::string_view type, std::string_view help);
  // One sample of the current family (name = the family's).
  void sample(const Labels& labels, double value);
  void sample(double value) { sample({}, value); }

  std::string text() const;

  static bool valid_metric_name(std::string_view name);
  static bool valid_label_name(std::string_view name);

 private:
  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace ndmp::ops::metrics
