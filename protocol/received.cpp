#include "protocol/received.hpp"

#include <cstdio>
#include <ctime>

namespace mailactor::protocol {

std::string rfc5322_date(int64_t unix_time) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string received_header(const Envelope& env, const ReceivedInfo& info) {
  std::string h = "Received: from ";
  h += env.helo.empty() ? std::string("unknown") : env.helo;
  h += " ([" + info.client_ip + "])\r\n\tby " + info.hostname + " (mailactor) with " +
       env.with_protocol();
  if (!info.tls_protocol.empty())
    h += "\r\n\t(using " + info.tls_protocol + " with cipher " + info.tls_cipher + ")";
  h += "\r\n\tid " + info.queue_id;
  if (env.rcpt_to.size() == 1) h += "\r\n\tfor <" + env.rcpt_to.front() + ">";
  h += "; " + rfc5322_date(info.unix_time) + "\r\n";
  return h;
}

}  // namespace mailactor::protocol
