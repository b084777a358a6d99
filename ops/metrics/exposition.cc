#include "ops/metrics/exposition.h"

#include <stdexcept>

#include <fmt/format.h>
#include <prometheus/text_serializer.h>

namespace ndmp::ops::metrics {
namespace {

bool name_chars(std::string_view n, bool colon) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

bool Exposition::valid_metric_name(std::string_view n) { return name_chars(n, true); }
bool Exposition::valid_label_name(std::string_view n) { return name_chars(n, false) && n.substr(0, 2) != "__"; }

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  if (!valid_metric_name(name) || (type != "counter" && type != "gauge"))
    throw std::logic_error(fmt::format("bad metric family {} {}", name, type));
  prometheus::MetricFamily f;
  f.name = std::string(name);
  // prometheus-cpp 1.0 escapes label values but writes HELP as given; the
  // format wants \ and newline escaped there too.
  for (char c : help) {
    if (c == '\\') f.help += "\\\\";
    else if (c == '\n') f.help += "\\n";
    else f.help += c;
  }
  f.type = type == "counter" ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
  families_.push_back(std::move(f));
}

void Exposition::sample(const Labels& labels, double value) {
  if (families_.empty()) throw std::logic_error("a sample before its family");
  auto& f = families_.back();
  prometheus::ClientMetric m;
  for (const auto& [name, v] : labels) {
    if (!valid_label_name(name)) throw std::logic_error("bad label name " + name);
    m.label.push_back({name, v});
  }
  if (f.type == prometheus::MetricType::Counter) m.counter.value = value;
  else m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

std::string Exposition::text() const { return prometheus::TextSerializer().Serialize(families_); }

}  // namespace ndmp::ops::metrics
