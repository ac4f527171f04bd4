#include "protocol/reply.hpp"

namespace mailactor::protocol {

Reply reply(int code, std::string status, std::string text) {
  return Reply{code, std::move(status), {std::move(text)}};
}

std::string Reply::wire() const {
  std::string out;
  const std::string code_text = std::to_string(code);
  const std::vector<std::string> one_empty{""};
  const auto& text = lines.empty() ? one_empty : lines;
  for (size_t i = 0; i < text.size(); ++i) {
    out += code_text;
    out += (i + 1 == text.size()) ? ' ' : '-';
    if (!status.empty()) {
      out += status;
      if (!text[i].empty()) out += ' ';
    }
    out += text[i];
    out += "\r\n";
  }
  return out;
}

std::string Reply::summary() const {
  std::string out = std::to_string(code);
  if (!status.empty()) out += " " + status;
  for (const auto& l : lines)
    out += " " + l;
  return out;
}

}  // namespace mailactor::protocol
