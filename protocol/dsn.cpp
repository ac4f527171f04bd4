#include "protocol/dsn.hpp"

#include <algorithm>

#include "protocol/content_checks.hpp"
#include "protocol/received.hpp"

namespace mailactor::protocol {
namespace {

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Field values we write must not break the header: no CR or LF from a reply or an address.
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s)
    out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

// A report of deliveries only (NOTIFY=SUCCESS), not of failures.
bool success(const DsnReport& r) {
  return std::all_of(r.recipients.begin(), r.recipients.end(), [](const DsnRecipient& rc) {
    return rc.action == "delivered" || rc.action == "relayed";
  });
}

bool relayed(const DsnReport& r) {
  return std::any_of(r.recipients.begin(), r.recipients.end(),
                     [](const DsnRecipient& rc) { return rc.action == "relayed"; });
}

std::string human_part(const DsnReport& r) {
  std::string text =
      "This is the mail system at host " + r.reporting_mta + ".\r\n\r\n" +
      (success(r)
           ? std::string("Your message was delivered to the recipients below, as you asked") +
                 (relayed(r) ? " (\"relayed\": to a mail system that will not report further)"
                             : "") +
                 ".\r\n"
           : "Your message could not be delivered to one or more recipients.\r\n"
             "It is attached below. For further assistance, send mail to postmaster.\r\n") +
      "\r\nThe mail system\r\n";
  for (const auto& rc : r.recipients)
    text += "\r\n<" + one_line(rc.final) + ">" +
            (rc.original.empty() || rc.original == rc.final
                 ? std::string()
                 : " (expanded from <" + one_line(rc.original) + ">)") +
            ": " + one_line(rc.diagnostic) + "\r\n";
  return "Content-Type: text/plain; charset=us-ascii\r\nContent-Description: Notification\r\n"
         "\r\n" +
         text;
}

std::string status_part(const DsnReport& r) {
  std::string s =
      "Content-Type: message/delivery-status\r\nContent-Description: Delivery report\r\n"
      "\r\nReporting-MTA: dns; " +
      r.reporting_mta + "\r\nX-Mailactor-Queue-ID: " + r.queue_id + "\r\n";
  if (!r.envid.empty()) s += "Original-Envelope-Id: " + one_line(r.envid) + "\r\n";
  s += "Arrival-Date: " + rfc5322_date(r.arrival) + "\r\n";
  for (const auto& rc : r.recipients) {
    s += "\r\nFinal-Recipient: rfc822; " + one_line(rc.final) + "\r\n";
    if (!rc.orcpt.empty())
      s += "Original-Recipient: " + one_line(rc.orcpt) + "\r\n";
    else if (!rc.original.empty())
      s += "Original-Recipient: rfc822; " + one_line(rc.original) + "\r\n";
    s += "Action: " + rc.action + "\r\nStatus: " + rc.status + "\r\n";
    if (!rc.remote_mta.empty()) s += "Remote-MTA: dns; " + one_line(rc.remote_mta) + "\r\n";
    s += "Diagnostic-Code: smtp; " + one_line(rc.diagnostic) + "\r\n";
  }
  return s;
}

std::string original_part(const DsnReport& r) {
  const bool whole = !r.headers_only && r.original.size() <= kDsnOriginalLimit;
  std::string body(whole ? std::string_view(r.original) : header_section(r.original));
  if (!whole) body = body.substr(0, kDsnOriginalLimit) + "\r\n";
  std::string head =
      whole ? "Content-Type: message/rfc822\r\n" : "Content-Type: text/rfc822-headers\r\n";
  head += std::string("Content-Description: ") + (success(r) ? "Delivered" : "Undelivered") +
          (whole ? " Message" : " Message Headers") + "\r\n";
  if (has_8bit(body)) head += "Content-Transfer-Encoding: 8bit\r\n";
  return head + "\r\n" + body;
}

}  // namespace

std::string_view header_section(std::string_view message) {
  if (message.rfind("\r\n", 0) == 0) return {};
  size_t end = message.find("\r\n\r\n");
  return end == std::string_view::npos ? message : message.substr(0, end + 2);
}

size_t count_received(std::string_view message) {
  HopCounter counter;
  counter.feed(message);
  return counter.received();
}

std::string dsn_message(const DsnReport& r) {
  std::string boundary = r.queue_id + "/" + r.reporting_mta;
  while (r.original.find(boundary) != std::string::npos)  // a sender who guessed it
    boundary += "=";
  std::string m =
      "From: Mail Delivery System <MAILER-DAEMON@" + r.reporting_mta + ">\r\nTo: <" +
      one_line(r.sender) + ">\r\nSubject: " +
      (success(r) ? "Successful Mail Delivery Report" : "Undelivered Mail Returned to Sender") +
      "\r\nDate: " + rfc5322_date(r.now) + "\r\nMessage-ID: <" + r.queue_id + ".dsn@" +
      r.reporting_mta +
      ">\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status;\r\n"
      "\tboundary=\"" +
      boundary + "\"\r\n\r\nThis is a MIME-encapsulated message.\r\n";
  for (const auto& part : {human_part(r), status_part(r), original_part(r)})
    m += "\r\n--" + boundary + "\r\n" + part;
  return m + "\r\n--" + boundary + "--\r\n";
}

}  // namespace mailactor::protocol
