// A config key declared once: its name, where its value lives, its range and a line of help. The
// loader reads a table through its list of keys, `check-config --keys` and `--defaults` print
// them, and the tests compare the commented reference config with them. Adding a key is one line
// in a table of app/config_tables.cpp (plus the member it fills and its use).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "app/config_reader.hpp"

namespace mailactor::app {

template <class S>
struct Key {
  std::string name;
  std::string doc;
  std::function<void(TableReader&, S&)> read;
  // The value as TOML text; empty when there is no fixed default (the machine's host name).
  std::function<std::string(const S&)> show;
};

template <class S>
using Keys = std::vector<Key<S>>;

template <class S>
void read_keys(TableReader& r, const Keys<S>& keys, S& s) {
  for (const auto& k : keys)
    k.read(r, s);
}

std::string toml_string(const std::string& s);
std::string toml_strings(const std::vector<std::string>& v);

namespace keys {

// `field` is a pointer to a member of S, or a function from S& to the member (for nested ones).
template <class S, class F>
decltype(auto) at(F field, S& s) {
  return std::invoke(field, s);
}
template <class S, class F>
decltype(auto) at(F field, const S& s) {
  return std::invoke(field, const_cast<S&>(s));
}

template <class S, class F>
Key<S> text(std::string name, F field, std::string doc) {
  return {name, std::move(doc), [=](TableReader& r, S& s) { r.string(name, at(field, s)); },
          [=](const S& s) { return toml_string(at(field, s)); }};
}

template <class S, class F>
Key<S> flag(std::string name, F field, std::string doc) {
  return {name, std::move(doc), [=](TableReader& r, S& s) { r.boolean(name, at(field, s)); },
          [=](const S& s) { return std::string(at(field, s) ? "true" : "false"); }};
}

template <class S, class F>
Key<S> list(std::string name, F field, std::string doc) {
  return {name, std::move(doc), [=](TableReader& r, S& s) { r.strings(name, at(field, s)); },
          [=](const S& s) { return toml_strings(at(field, s)); }};
}

template <class S, class F>
Key<S> integer(std::string name, F field, int64_t min, int64_t max, std::string doc) {
  return {name, std::move(doc),
          [=](TableReader& r, S& s) {
            auto& v = at(field, s);
            int64_t n = static_cast<int64_t>(v);
            if (r.integer(name, n, min, max))
              v = static_cast<std::remove_reference_t<decltype(v)>>(n);
          },
          [=](const S& s) { return std::to_string(at(field, s)); }};
}

// A duration written as a whole number of `Unit` (seconds; std::chrono::milliseconds for keys
// named *_ms), whatever the member's own unit.
template <class Unit, class S, class F>
Key<S> duration(std::string name, F field, int64_t min, int64_t max, std::string doc) {
  return {name, std::move(doc),
          [=](TableReader& r, S& s) {
            auto& d = at(field, s);
            int64_t n = std::chrono::duration_cast<Unit>(d).count();
            if (r.integer(name, n, min, max))
              d = std::chrono::duration_cast<std::remove_reference_t<decltype(d)>>(Unit(n));
          },
          [=](const S& s) {
            return std::to_string(std::chrono::duration_cast<Unit>(at(field, s)).count());
          }};
}
template <class S, class F>
Key<S> seconds(std::string name, F field, int64_t min, int64_t max, std::string doc) {
  return duration<std::chrono::seconds, S>(std::move(name), field, min, max, std::move(doc));
}
template <class S, class F>
Key<S> millis(std::string name, F field, int64_t min, int64_t max, std::string doc) {
  return duration<std::chrono::milliseconds, S>(std::move(name), field, min, max, std::move(doc));
}

// The type of the member `field` reaches.
template <class S, class F>
using field_t =
    std::remove_reference_t<decltype(std::invoke(std::declval<F>(), std::declval<S&>()))>;

// One of the named values of the member's type.
template <class S, class F>
Key<S> choice(std::string name, F field, std::vector<std::pair<std::string, field_t<S, F>>> options,
              std::string doc) {
  std::vector<std::string> names;
  for (const auto& o : options)
    names.push_back(o.first);
  return {name, std::move(doc),
          [=](TableReader& r, S& s) {
            size_t i = options.size();
            r.choice(name, i, names);
            if (i < options.size()) at(field, s) = options[i].second;
          },
          [=](const S& s) {
            for (const auto& o : options)
              if (o.second == at(field, s)) return toml_string(o.first);
            return std::string();
          }};
}

// Anything else: its own reader and way of showing the default.
template <class S>
Key<S> custom(std::string name, std::function<void(TableReader&, S&)> read,
              std::function<std::string(const S&)> show, std::string doc) {
  return {std::move(name), std::move(doc), std::move(read), std::move(show)};
}

}  // namespace keys
}  // namespace mailactor::app
