#include "tests/ops/exposition_check.h"

#include <cstdlib>
#include <set>

namespace ndmp::test {
namespace {

bool name_char(char c, bool first, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
         (!first && c >= '0' && c <= '9');
}

// Reads a name at `i`; empty when none.
std::string read_name(const std::string& l, size_t& i, bool colon) {
  size_t start = i;
  while (i < l.size() && name_char(l[i], i == start, colon)) ++i;
  return l.substr(start, i - start);
}

bool parse_value(const std::string& v, double& out) {
  if (v == "+Inf" || v == "Inf") return out = 1e308 * 10, true;
  if (v == "-Inf") return out = -1e308 * 10, true;
  if (v == "NaN") return out = 0, true;
  if (v.empty()) return false;
  char* end = nullptr;
  out = std::strtod(v.c_str(), &end);
  return end && *end == '\0';
}

}  // namespace

ParsedMetrics parse_exposition(const std::string& text) {
  ParsedMetrics m;
  auto bad = [&](const std::string& line, const std::string& why) { m.problems.push_back(why + ": " + line); };
  if (text.empty() || text.back() != '\n') m.problems.push_back("the text does not end in a newline");
  std::set<std::string> families_done, helped;
  std::string current;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string l = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (l.empty()) continue;
    if (l[0] == '#') {
      if (l.rfind("# HELP ", 0) == 0 || l.rfind("# TYPE ", 0) == 0) {
        size_t i = 7;
        const std::string name = read_name(l, i, true);
        if (name.empty() || i >= l.size() || l[i] != ' ') {
          bad(l, "HELP/TYPE without a valid metric name");
          continue;
        }
        if (l[2] == 'T') {
          const std::string type = l.substr(i + 1);
          if (type != "counter" && type != "gauge" && type != "untyped" && type != "histogram" && type != "summary")
            bad(l, "unknown type");
          if (m.types.count(name)) bad(l, "second TYPE for a family");
          if (families_done.count(name) || current == name) bad(l, "TYPE after the family's samples");
          m.types[name] = type;
        } else {
          if (!helped.insert(name).second) bad(l, "second HELP for a family");
          const std::string help = l.substr(i + 1);
          for (size_t k = 0; k < help.size(); ++k)
            if (help[k] == '\\' && (k + 1 >= help.size() || (help[k + 1] != '\\' && help[k + 1] != 'n')))
              bad(l, "bad escape in HELP");
            else if (help[k] == '\\')
              ++k;
        }
      }
      continue;
    }
    size_t i = 0;
    const std::string name = read_name(l, i, true);
    if (name.empty()) {
      bad(l, "sample without a valid metric name");
      continue;
    }
    if (name != current) {
      if (families_done.count(name)) bad(l, "family's samples are not contiguous");
      if (!current.empty()) families_done.insert(current);
      current = name;
    }
    std::string key = name;
    if (i < l.size() && l[i] == '{') {
      key += '{';
      ++i;
      bool first = true;
      while (i < l.size() && l[i] != '}') {
        if (!first) {
          if (l[i] != ',') break;
          ++i;
          key += ',';
        }
        first = false;
        const std::string label = read_name(l, i, false);
        if (label.empty() || i + 1 >= l.size() || l[i] != '=' || l[i + 1] != '"') {
          bad(l, "bad label");
          break;
        }
        i += 2;
        std::string value;
        while (i < l.size() && l[i] != '"') {
          if (l[i] == '\\') {
            if (i + 1 >= l.size() || (l[i + 1] != '\\' && l[i + 1] != '"' && l[i + 1] != 'n')) bad(l, "bad escape");
            value += l[i];
            value += l[i + 1];
            i += 2;
          } else {
            value += l[i++];
          }
        }
        if (i >= l.size()) {
          bad(l, "unterminated label value");
          break;
        }
        ++i;  // closing quote
        key += label + "=\"" + value + "\"";
      }
      if (i >= l.size() || l[i] != '}') {
        bad(l, "unterminated label set");
        continue;
      }
      ++i;
      key += '}';
    }
    if (i >= l.size() || l[i] != ' ') {
      bad(l, "no space before the value");
      continue;
    }
    std::string rest = l.substr(i + 1);
    const auto sp = rest.find(' ');  // an optional timestamp follows
    double v = 0;
    if (!parse_value(rest.substr(0, sp), v)) {
      bad(l, "value is not a number");
      continue;
    }
    if (m.series.count(key)) bad(l, "series repeated");
    m.series[key] = v;
  }
  return m;
}

}  // namespace ndmp::test
