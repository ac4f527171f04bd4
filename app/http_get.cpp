#include "app/http_get.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "app/config.hpp"
#include "protocol/base64.hpp"

namespace mailactor::app {
namespace {

int connect_to(const std::string& hostport) {
  auto [host, port] = split_host_port(hostport);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0)
    throw std::runtime_error("cannot resolve " + host);
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = fd >= 0 && ::connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  freeaddrinfo(res);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot connect to " + hostport + " (is [metrics] listen set?)");
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace

HttpAnswer http_fetch(const std::string& url, const std::string& authorization) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/metrics" : rest.substr(slash);
  int fd = connect_to(hostport);
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + hostport + "\r\n";
  if (!authorization.empty()) req += "Authorization: " + authorization + "\r\n";
  req += "\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[8192];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
    resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  size_t body = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.", 0) != 0 || body == std::string::npos || resp.size() < 12)
    throw std::runtime_error("unexpected answer from " + url);
  return HttpAnswer{std::atoi(resp.c_str() + 9), resp.substr(body + 4)};
}

void require_ok(const std::string& url, const HttpAnswer& a) {
  if (a.status == 401)
    throw std::runtime_error(url +
                             " answered 401: the config's token_file or password_file is not "
                             "the server's");
  if (a.status != 200)
    throw std::runtime_error("unexpected answer from " + url + ": HTTP " +
                             std::to_string(a.status));
}

std::string http_get(const std::string& url, const std::string& authorization) {
  HttpAnswer a = http_fetch(url, authorization);
  require_ok(url, a);
  return a.body;
}

std::string authorization_of(const web::WebAccess& access) {
  if (!access.token.empty()) return "Bearer " + access.token;
  if (!access.password.empty()) return "Basic " + protocol::base64_encode(":" + access.password);
  return {};
}

}  // namespace mailactor::app
