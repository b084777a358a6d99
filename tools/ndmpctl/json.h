// A small JSON writer for `--json` output: objects, arrays, strings (escaped
// per RFC 8259 section 7), integers and booleans. Output only; ndmpctl never
// parses JSON. Single-threaded; the caller keeps calls balanced (begin/end).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ndmp::ctl {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}
  ~JsonWriter();  // ends the document with a newline once everything is closed

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int v) { return value(int64_t{v}); }
  JsonWriter& value(unsigned v) { return value(uint64_t{v}); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  // Shorthand: key(k).value(v).
  template <class T>
  JsonWriter& field(std::string_view k, const T& v) { return key(k).value(v); }

  static std::string escape(std::string_view s);

 private:
  void before_value();
  std::ostream& out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
  bool wrote_ = false;
};

}  // namespace ndmp::ctl
