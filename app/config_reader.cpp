#include "app/config_reader.hpp"

namespace mailactor::app {

void TableReader::fail(const toml::node* n, const std::string& key, const std::string& msg) const {
  std::string where = file_;
  if (n) where += ":" + std::to_string(n->source().begin.line);
  throw ConfigError(where + ": " + prefix_ + key + ": " + msg);
}

void TableReader::fail(const std::string& key, const std::string& msg) const {
  fail(t_.get(key), key, msg);
}

const toml::node* TableReader::node(const std::string& key) {
  used_.insert(key);
  const toml::node* n = t_.get(key);
  if (n && !n->is_table()) lines_[prefix_ + key] = n->source().begin.line;
  return n;
}

const toml::table* TableReader::subtable(const std::string& key) {
  const toml::node* n = node(key);
  if (!n) return nullptr;
  if (!n->is_table()) fail(n, key, "must be a table ([" + prefix_ + key + "])");
  return n->as_table();
}

void TableReader::string(const std::string& key, std::string& out) {
  if (auto* n = node(key)) {
    auto v = n->value<std::string>();
    if (!n->is_string() || !v) fail(n, key, "must be a string");
    out = *v;
  }
}

void TableReader::boolean(const std::string& key, bool& out) {
  if (auto* n = node(key)) {
    if (!n->is_boolean()) fail(n, key, "must be true or false");
    out = *n->value<bool>();
  }
}

void TableReader::strings(const std::string& key, std::vector<std::string>& out) {
  if (auto* n = node(key)) {
    auto* arr = n->as_array();
    if (!arr) fail(n, key, "must be an array of strings");
    out.clear();
    for (auto& e : *arr) {
      if (!e.is_string()) fail(&e, key, "must be an array of strings");
      out.push_back(*e.value<std::string>());
    }
  }
}

bool TableReader::integer(const std::string& key, int64_t& out, int64_t min, int64_t max) {
  auto* n = node(key);
  if (!n) return false;
  if (!n->is_integer()) fail(n, key, "must be an integer");
  int64_t v = *n->value<int64_t>();
  if (v < min || v > max)
    fail(n, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  out = v;
  return true;
}

void TableReader::choice(const std::string& key, size_t& out,
                         const std::vector<std::string>& names) {
  if (auto* n = node(key)) {
    auto v = n->value<std::string>();
    std::string allowed;
    for (size_t i = 0; i < names.size(); ++i) {
      if (n->is_string() && v && *v == names[i]) {
        out = i;
        return;
      }
      allowed += allowed.empty() ? "" : ", ";
      allowed += "\"" + names[i] + "\"";
    }
    fail(n, key, "must be one of " + allowed);
  }
}

void TableReader::check_host_port(const std::string& key, const std::string& value) const {
  try {
    split_host_port(value);
  } catch (const ConfigError& err) {
    fail(key, err.what());
  }
}

void TableReader::finish() const {
  for (auto& [k, v] : t_) {
    std::string key(k.str());
    if (!used_.count(key)) fail(&v, key, "unknown key");
  }
}

}  // namespace mailactor::app
