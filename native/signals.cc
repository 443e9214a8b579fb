// keepalived-ts native helpers for process management, the parts Node cannot do itself:
//
//  * installSignals — catches any signal number, real-time ones included (Node's process.on()
//                     refuses SIGRTMIN+n, and keepalived's JSON and STATS_CLEAR are real-time
//                     signals). The handler only writes the signal number to a non-blocking pipe
//                     (async-signal-safe); a uv_poll on the main loop reads it and calls JS there.
//                     The poll handle is unreferenced: it never keeps a process alive by itself.
//                     A caught signal is reset to its default action across exec, so scripts start
//                     with the standard dispositions (an ignored one would be inherited).
//  * sdNotify       — one datagram to a unix socket ($NOTIFY_SOCKET, abstract when it starts
//                     with '@'): Node has no unix datagram sockets.

#include <napi.h>
#include <uv.h>

#include "napi-errors.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

namespace kts {
namespace {

int g_pipe[2] = {-1, -1};
uv_poll_t* g_poll = nullptr;
Napi::FunctionReference* g_callback = nullptr;
napi_env g_env = nullptr;

void OnSignal(int signo) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(signo);
  // A full pipe drops the signal, as the kernel coalesces a pending standard signal anyway.
  ssize_t r = write(g_pipe[1], &b, 1);
  (void)r;
  errno = saved;
}

void OnReadable(uv_poll_t* /*handle*/, int status, int /*events*/) {
  if (status < 0 || g_callback == nullptr) return;
  Napi::Env env(g_env);
  Napi::HandleScope scope(env);
  unsigned char buf[256];
  for (;;) {
    ssize_t n = read(g_pipe[0], buf, sizeof buf);
    if (n <= 0) return;  // EAGAIN: drained
    for (ssize_t i = 0; i < n; i++) {
      g_callback->MakeCallback(env.Global(), {Napi::Number::New(env, buf[i])});
      // The JS dispatcher catches everything; never leave an exception pending in a libuv callback.
      if (env.IsExceptionPending()) env.GetAndClearPendingException();
    }
  }
}

// installSignals(signums: number[], onSignal: (signo: number) => void): void
// Installs the handlers at once; a second call replaces the callback and adds signals.
Napi::Value InstallSignals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsFunction()) {
    ArgError(env, "installSignals(signums: number[], onSignal: Function)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (g_pipe[0] < 0) {
    if (pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
      SysError(env, "E_IO_SIGNAL", "pipe2", errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      SysError(env, "E_IO_SIGNAL", "napi_get_uv_event_loop", EINVAL).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    g_poll = new uv_poll_t;
    uv_poll_init(loop, g_poll, g_pipe[0]);
    uv_poll_start(g_poll, UV_READABLE, OnReadable);
    uv_unref(reinterpret_cast<uv_handle_t*>(g_poll));
    g_env = env;
  }
  if (g_callback == nullptr) g_callback = new Napi::FunctionReference();
  *g_callback = Napi::Persistent(info[1].As<Napi::Function>());

  Napi::Array list = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    int signo = list.Get(i).As<Napi::Number>().Int32Value();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(signo, &sa, nullptr) < 0) {
      SysError(env, "E_IO_SIGNAL", "sigaction(" + std::to_string(signo) + ")", errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // A signal blocked in this thread (inherited mask) would wait forever.
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signo);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  }
  return env.Undefined();
}

// signalRange(): { min: SIGRTMIN, max: SIGRTMAX } of this libc (glibc: 34 and 64).
Napi::Value SignalRange(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("min", Napi::Number::New(info.Env(), SIGRTMIN));
  o.Set("max", Napi::Number::New(info.Env(), SIGRTMAX));
  return o;
}

// sdNotify(path: string, message: string): void — one datagram; throws E_IO_NOTIFY with errno.
Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    ArgError(env, "sdNotify(path: string, message: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string msg = info[1].As<Napi::String>().Utf8Value();
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sun.sun_path || (path[0] != '/' && path[0] != '@')) {
    SysError(env, "E_IO_NOTIFY", "NOTIFY_SOCKET " + path, EINVAL).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  memcpy(sun.sun_path, path.data(), path.size());
  if (path[0] == '@') sun.sun_path[0] = '\0';  // abstract namespace: no trailing NUL in the length
  socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    SysError(env, "E_IO_NOTIFY", "socket(AF_UNIX, SOCK_DGRAM)", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  ssize_t n = sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&sun), len);
  int err = errno;
  close(fd);
  if (n < 0) {
    SysError(env, "E_IO_NOTIFY", "sendto(" + path + ")", err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return env.Undefined();
}

}  // namespace

void InitSignals(Napi::Env env, Napi::Object exports) {
  exports.Set("installSignals", Napi::Function::New(env, InstallSignals, "installSignals"));
  exports.Set("signalRange", Napi::Function::New(env, SignalRange, "signalRange"));
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
}

}  // namespace kts
