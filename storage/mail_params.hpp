// The MAIL parameters as the queue records them (MessageMeta::params, written by the spool
// transaction in one canonical form: "SIZE=12 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x").
#pragma once

#include <string>

namespace mailactor::storage {

// The value of `key` ("RET" -> "HDRS"); "" when absent.
std::string mail_param(const std::string& params, const std::string& key);
// Whether a parameter without a value ("SMTPUTF8") is there.
bool has_mail_flag(const std::string& params, const std::string& flag);

}  // namespace mailactor::storage
