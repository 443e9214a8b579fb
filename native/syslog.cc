// keepalived-ts native helper: a Unix datagram socket to the local syslog daemon (/dev/log).
//
// Node has no AF_UNIX/SOCK_DGRAM sockets, and syslog(3) always writes to _PATH_LOG with one
// process-wide ident; keepalived-ts logs under three idents (Keepalived, Keepalived_vrrp,
// Keepalived_healthcheckers) from one process, so the lines are formatted in TypeScript
// (src/util/syslog.ts) and this file only moves bytes:
//
//  * open(path)      — socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC) connected to path; the fd, or throws.
//  * send(fd, buf)   — one non-blocking datagram; 0 or the errno (EAGAIN when syslogd is behind,
//                      ECONNREFUSED/ENOTCONN when it restarted: the caller reopens).
//  * close(fd)
//
// Synchronous on purpose: a datagram to a local socket either fits the socket buffer or fails at once.

#include <napi.h>

#include "napi-errors.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

namespace {

using kts::ArgError;
using kts::SysError;

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ArgError(env, "open(path: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path) {
    SysError(env, "E_IO_SOCKET", "syslog socket " + path, ENAMETOOLONG).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  memcpy(sun.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, reinterpret_cast<struct sockaddr*>(&sun), sizeof sun) != 0) {
    int err = errno;
    close(fd);
    fd = -1;
    errno = err;
  }
  if (fd < 0) {
    SysError(env, "E_IO_SOCKET", "syslog socket " + path, errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBuffer()) {
    ArgError(env, "send(fd: number, data: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<char> buf = info[1].As<Napi::Buffer<char>>();
  ssize_t n;
  do {
    n = send(fd, buf.Data(), buf.Length(), MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return Napi::Number::New(env, n < 0 ? errno : 0);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  if (info.Length() >= 1 && info[0].IsNumber()) close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open));
  exports.Set("send", Napi::Function::New(env, Send));
  exports.Set("close", Napi::Function::New(env, Close));
  return exports;
}

}  // namespace

NODE_API_MODULE(kts_syslog, Init)
