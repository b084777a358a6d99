// A strict reader of the Prometheus text format (0.0.4), independent of
// ops/metrics/exposition.cc: what a scraper would refuse, it lists as
// problems; what it accepts, it returns as series -> value, the series
// written as name{label="value",...} with the labels as they appeared.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ndmp::test {

struct ParsedMetrics {
  std::map<std::string, double> series;
  std::map<std::string, std::string> types;  // family -> counter/gauge/...
  std::vector<std::string> problems;
  double value(const std::string& key) const {
    auto it = series.find(key);
    return it == series.end() ? -1 : it->second;
  }
};

ParsedMetrics parse_exposition(const std::string& text);

}  // namespace ndmp::test
