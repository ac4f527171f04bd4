// Reads one TOML table of the config strictly: each key is looked up by name, its type and range
// checked, and finish() reports any key nobody asked for. Errors name the file, line and key.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "app/config.hpp"

namespace mailactor::app {

class TableReader {
 public:
  TableReader(const toml::table& t, std::string file, std::string prefix)
      : t_(t), file_(std::move(file)), prefix_(std::move(prefix)) {}

  const toml::table& table() const { return t_; }
  const std::string& file() const { return file_; }
  const std::string& prefix() const { return prefix_; }

  [[noreturn]] void fail(const toml::node* n, const std::string& key, const std::string& msg) const;
  // fail() at the key's own line (no line when the key is absent).
  [[noreturn]] void fail(const std::string& key, const std::string& msg) const;

  // The key's node (null when absent), marking it read.
  const toml::node* node(const std::string& key);
  // Whether node() (or a typed read) asked for `key` already.
  bool was_read(const std::string& key) const { return used_.count(key) > 0; }
  // [key] inside this table; null when absent.
  const toml::table* subtable(const std::string& key);

  void string(const std::string& key, std::string& out);
  void boolean(const std::string& key, bool& out);
  void strings(const std::string& key, std::vector<std::string>& out);
  // False (out untouched) when the key is absent.
  bool integer(const std::string& key, int64_t& out, int64_t min, int64_t max);
  // One of `names`; out is its index.
  void choice(const std::string& key, size_t& out, const std::vector<std::string>& names);

  // `value` (read from `key`) must be HOST:PORT.
  void check_host_port(const std::string& key, const std::string& value) const;

  // Every key of the table must have been read.
  void finish() const;

  // The lines of the keys read so far that the file sets, by prefixed key ("spool.directory").
  const std::map<std::string, size_t>& lines() const { return lines_; }

 private:
  const toml::table& t_;
  std::string file_;
  std::string prefix_;
  std::set<std::string> used_;
  std::map<std::string, size_t> lines_;
};

}  // namespace mailactor::app
