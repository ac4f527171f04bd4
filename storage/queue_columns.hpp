// MessageMeta's fields as the queue's columns: their SQL types, the insert and the select, and
// binding and reading them — all derived from the one field list (message_meta.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "storage/envelope_json.hpp"
#include "storage/message_meta.hpp"
#include "storage/routed_recipient.hpp"
#include "storage/sqlite.hpp"

namespace mailactor::storage::columns {

// The column definition for a field of this type.
inline const char* sql_type(const std::string&) {
  return "TEXT NOT NULL DEFAULT ''";
}
inline const char* sql_type(const std::vector<std::string>&) {
  return "TEXT NOT NULL DEFAULT '[]'";
}
template <class Int, class = std::enable_if_t<std::is_integral_v<Int>>>
const char* sql_type(const Int&) {
  return "INTEGER NOT NULL DEFAULT 0";
}

// Binds a field as parameter `i` of `s`.
inline void bind(Statement& s, int i, const std::string& v) {
  s.bind(i, v);
}
inline void bind(Statement& s, int i, const std::vector<std::string>& v) {
  s.bind(i, rcpt_to_json(v));
}
template <class Int, class = std::enable_if_t<std::is_integral_v<Int>>>
void bind(Statement& s, int i, const Int& v) {
  s.bind(i, static_cast<int64_t>(v));
}

// Reads column `i` of `s` into a field.
inline void read(const Statement& s, int i, std::string& v) {
  v = s.text(i);
}
inline void read(const Statement& s, int i, std::vector<std::string>& v) {
  v = rcpt_to_from_json(s.text(i));
}
template <class Int, class = std::enable_if_t<std::is_integral_v<Int>>>
void read(const Statement& s, int i, Int& v) {
  v = static_cast<Int>(s.int64(i));
}

// "id, mail_from, ..." in field order.
inline std::string names() {
  std::string out;
  MessageMeta m;
  for_each_field(
      m, [&](const char* name, auto&) { out += (out.empty() ? "" : ", ") + std::string(name); });
  return out;
}

// Binds every field of `m` to parameters first, first + 1, ...
inline void bind_all(Statement& s, const MessageMeta& m, int first = 1) {
  int i = first;
  for_each_field(m, [&](const char*, const auto& v) { bind(s, i++, v); });
}

// Reads every field of `m` from columns first, first + 1, ...
inline void read_all(const Statement& s, MessageMeta& m, int first = 0) {
  int i = first;
  for_each_field(m, [&](const char*, auto& v) { read(s, i++, v); });
}

// RoutedRecipient's columns of the recipients table, "orig_rcpt, final_rcpt, ..." in field order.
inline std::string recipient_names() {
  std::string out;
  RoutedRecipient r;
  for_each_column(
      r, [&](const char* name, auto&) { out += (out.empty() ? "" : ", ") + std::string(name); });
  return out;
}

// "?first, ?first+1, ..." for every RoutedRecipient column.
inline std::string recipient_parameters(int first) {
  std::string out;
  RoutedRecipient r;
  int i = first;
  for_each_column(
      r, [&](const char*, auto&) { out += (out.empty() ? "?" : ", ?") + std::to_string(i++); });
  return out;
}

inline void bind_all(Statement& s, const RoutedRecipient& r, int first) {
  int i = first;
  for_each_column(r, [&](const char*, const auto& v) { bind(s, i++, v); });
}

inline void read_all(const Statement& s, RoutedRecipient& r, int first) {
  int i = first;
  for_each_column(r, [&](const char*, auto& v) { read(s, i++, v); });
}

}  // namespace mailactor::storage::columns
