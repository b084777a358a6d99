#include "ops/metrics/exposition.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

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

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Counts up to 2^53 print as integers; the rest shortest round-trip.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) return fmt::format("{:.0f}", v);
  return fmt::format("{}", v);
}

}  // namespace

bool Exposition::valid_metric_name(std::string_view n) { return name_chars(n, true); }
bool Exposition::valid_label_name(std::string_view n) { return name_chars(n, false) && n.substr(0, 2) != "__"; }

std::string Exposition::escape_label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Exposition::escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  if (!valid_metric_name(name) || (type != "counter" && type != "gauge" && type != "untyped"))
    throw std::logic_error(fmt::format("bad metric family {} {}", name, type));
  current_ = std::string(name);
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type);
}

void Exposition::sample(const Labels& labels, double value) {
  out_ += current_;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (!valid_label_name(labels[i].first)) throw std::logic_error("bad label name " + labels[i].first);
      out_ += fmt::format("{}{}=\"{}\"", i ? "," : "", labels[i].first, escape_label_value(labels[i].second));
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += number(value);
  out_ += '\n';
}

}  // namespace ndmp::ops::metrics
