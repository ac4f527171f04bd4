#include "protocol/ehlo.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

namespace mailactor::protocol {
namespace {

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void take_size(EhloCapabilities& c, const std::vector<std::string>& params) {
  if (params.empty()) {
    c.size_offered = true;
    return;
  }
  uint64_t n = 0;
  const auto& p = params[0];
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
  if (ec != std::errc() || end != p.data() + p.size()) return;
  c.size_offered = true;
  c.max_size = n;
}

void take_keyword(EhloCapabilities& c, const std::string& keyword,
                  const std::vector<std::string>& params) {
  if (keyword == "PIPELINING") c.pipelining = true;
  if (keyword == "STARTTLS") c.starttls = true;
  if (keyword == "8BITMIME") c.eightbitmime = true;
  if (keyword == "SMTPUTF8") c.smtputf8 = true;
  if (keyword == "DSN") c.dsn = true;
  if (keyword == "ENHANCEDSTATUSCODES") c.enhanced_status = true;
  if (keyword == "SIZE") take_size(c, params);
  if (keyword == "AUTH")
    for (const auto& p : params)
      c.auth.push_back(upper(p));
}

}  // namespace

bool EhloCapabilities::offers_auth(const std::string& mechanism) const {
  return std::find(auth.begin(), auth.end(), upper(mechanism)) != auth.end();
}

EhloCapabilities parse_ehlo(const Reply& r) {
  EhloCapabilities c;
  if (r.code != 250) return c;
  // The first line is the greeting; the reply parser has already taken the status code out of
  // the text when the server sends one, so each line is "KEYWORD params...".
  for (size_t i = 1; i < r.lines.size(); ++i) {
    std::istringstream words(r.lines[i]);
    std::string keyword, p;
    words >> keyword;
    std::vector<std::string> params;
    while (words >> p)
      params.push_back(p);
    take_keyword(c, upper(keyword), params);
  }
  return c;
}

}  // namespace mailactor::protocol
