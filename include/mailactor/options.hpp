// A plug-in's own table of the config file (`[auth.<name>]`, `[routing.<name>]`) as strings with
// their line numbers. The factory takes the keys it knows; any key it did not take is then refused
// as unknown, naming file and line, as every mistake in the config is.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mailactor {

// A configuration mistake; the message names the file, line and key.
class OptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Options {
 public:
  struct Value {
    std::string text;
    size_t line = 0;
  };
  Options() = default;
  Options(std::string file, std::string section, std::map<std::string, Value> values)
      : file_(std::move(file)), section_(std::move(section)), values_(std::move(values)) {}

  bool has(const std::string& key) const { return values_.count(key) > 0; }
  std::vector<std::string> keys() const;
  std::string take(const std::string& key, const std::string& fallback = "");
  std::string take_required(const std::string& key);
  bool take_bool(const std::string& key, bool fallback);
  // A whole number in [min, max]; `fallback` when the key is absent.
  long take_int(const std::string& key, long fallback, long min, long max);
  // Throws OptionError naming the file, the key's line and `what`.
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  // Throws OptionError for the first key nobody took (the server calls it after the factory).
  void finish() const;

 private:
  std::string file_;
  std::string section_;
  std::map<std::string, Value> values_;
  std::vector<std::string> taken_;
};

}  // namespace mailactor
