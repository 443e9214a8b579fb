// keepalived-ts native helpers: the two socket kinds `raw-socket` cannot give us.
//
//  * PacketSocket  — AF_PACKET/SOCK_RAW bound to one interface, sends whole Ethernet frames
//                    (gratuitous ARP, unsolicited NA: keepalived sends both over PF_PACKET too).
//                    Protocol 0 means the kernel never queues received frames on it.
//  * Vrrp6Receiver — AF_INET6/SOCK_RAW protocol 112 read with recvmsg() so that the hop limit
//                    (IPV6_RECVHOPLIMIT) and the destination address (IPV6_RECVPKTINFO) come along:
//                    RFC 5798 §7.1 requires dropping adverts whose hop limit is not 255, and
//                    raw-socket's recvfrom() cannot return ancillary data.
//  * interfaceInfo — ifindex and MAC of an interface (SIOCGIFINDEX / SIOCGIFHWADDR), synchronous.
//
// native/signals.cc adds installSignals, signalRange and sdNotify to the same module.
//
// The module is an N-API (node-addon-api) addon and therefore context-aware, but it uses the
// env's libuv loop for readiness, so it is meant for the main thread like the rest of src/io.

#include <napi.h>
#include <uv.h>

#include "napi-errors.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace kts {
void InitSignals(Napi::Env env, Napi::Object exports);
}

namespace {

constexpr int kIpprotoVrrp = 112;

using kts::ArgError;
using kts::SysError;

std::string MacString(const unsigned char* m) {
  char buf[18];
  snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

// Returns 0 or an errno.
int LookupInterface(const std::string& name, int* ifindex, unsigned char mac[6]) {
  if (name.empty() || name.size() >= IFNAMSIZ) return ENODEV;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
    int e = errno;
    close(fd);
    return e;
  }
  *ifindex = ifr.ifr_ifindex;
  memset(&ifr.ifr_ifru, 0, sizeof ifr.ifr_ifru);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    int e = errno;
    close(fd);
    return e;
  }
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  close(fd);
  return 0;
}

Napi::Value InterfaceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ArgError(env, "interfaceInfo(ifname: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  int ifindex = 0;
  unsigned char mac[6];
  int err = LookupInterface(name, &ifindex, mac);
  if (err != 0) {
    SysError(env, "E_IO_NO_INTERFACE", "interface " + name, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("ifindex", Napi::Number::New(env, ifindex));
  o.Set("mac", Napi::String::New(env, MacString(mac)));
  return o;
}

// ---------------------------------------------------------------------------------------------
class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketSocket",
                       {InstanceMethod<&PacketSocket::Send>("send"),
                        InstanceMethod<&PacketSocket::Close>("close"),
                        InstanceAccessor<&PacketSocket::GetIfindex>("ifindex"),
                        InstanceAccessor<&PacketSocket::GetMac>("mac")});
  }

  explicit PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
      ArgError(env, "new PacketSocket(ifname: string)").ThrowAsJavaScriptException();
      return;
    }
    ifname_ = info[0].As<Napi::String>().Utf8Value();
    int err = LookupInterface(ifname_, &ifindex_, mac_);
    if (err != 0) {
      SysError(env, "E_IO_NO_INTERFACE", "interface " + ifname_, err).ThrowAsJavaScriptException();
      return;
    }
    // protocol 0: a send-only packet socket, nothing is ever queued for reading.
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
      SysError(env, "E_IO_SOCKET", "socket(AF_PACKET)", errno).ThrowAsJavaScriptException();
      return;
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex_;
    if (bind(fd_, reinterpret_cast<struct sockaddr*>(&sll), sizeof sll) < 0) {
      int e = errno;
      close(fd_);
      fd_ = -1;
      SysError(env, "E_IO_SOCKET", "bind(AF_PACKET, " + ifname_ + ")", e).ThrowAsJavaScriptException();
    }
  }

  ~PacketSocket() override {
    if (fd_ >= 0) close(fd_);
  }

 private:
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) {
      SysError(env, "E_IO_CLOSED", "packet socket " + ifname_, EBADF).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      ArgError(env, "send(frame: Buffer)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Buffer<uint8_t> frame = info[0].As<Napi::Buffer<uint8_t>>();
    if (frame.Length() < ETH_HLEN) {
      ArgError(env, "send(frame): shorter than an Ethernet header").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex_;
    sll.sll_halen = ETH_ALEN;
    memcpy(&sll.sll_protocol, frame.Data() + 12, 2);  // already network order
    memcpy(sll.sll_addr, frame.Data(), ETH_ALEN);
    ssize_t n = sendto(fd_, frame.Data(), frame.Length(), 0, reinterpret_cast<struct sockaddr*>(&sll), sizeof sll);
    if (n < 0) {
      SysError(env, "E_IO_SEND", "sendto(AF_PACKET, " + ifname_ + ")", errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(n));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    return info.Env().Undefined();
  }

  Napi::Value GetIfindex(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ifindex_); }
  Napi::Value GetMac(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), MacString(mac_)); }

  std::string ifname_;
  int ifindex_ = 0;
  unsigned char mac_[6] = {0, 0, 0, 0, 0, 0};
  int fd_ = -1;
};

// ---------------------------------------------------------------------------------------------
class Vrrp6Receiver : public Napi::ObjectWrap<Vrrp6Receiver> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Vrrp6Receiver",
                       {InstanceMethod<&Vrrp6Receiver::Close>("close"),
                        InstanceAccessor<&Vrrp6Receiver::GetIfindex>("ifindex")});
  }

  // new Vrrp6Receiver(ifname, group | null, onPacket(err, payload, src, dst, hopLimit, ifindex, truncated))
  explicit Vrrp6Receiver(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Vrrp6Receiver>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsString() || !(info[1].IsString() || info[1].IsNull() || info[1].IsUndefined()) ||
        !info[2].IsFunction()) {
      ArgError(env, "new Vrrp6Receiver(ifname: string, group: string | null, onPacket: Function)")
          .ThrowAsJavaScriptException();
      return;
    }
    ifname_ = info[0].As<Napi::String>().Utf8Value();
    unsigned char mac[6];
    int err = LookupInterface(ifname_, &ifindex_, mac);
    if (err != 0) {
      SysError(env, "E_IO_NO_INTERFACE", "interface " + ifname_, err).ThrowAsJavaScriptException();
      return;
    }
    struct in6_addr group;
    bool join = info[1].IsString();
    if (join && inet_pton(AF_INET6, info[1].As<Napi::String>().Utf8Value().c_str(), &group) != 1) {
      ArgError(env, "Vrrp6Receiver: bad IPv6 group address").ThrowAsJavaScriptException();
      return;
    }

    fd_ = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, kIpprotoVrrp);
    if (fd_ < 0) {
      SysError(env, "E_IO_SOCKET", "socket(AF_INET6, SOCK_RAW, 112)", errno).ThrowAsJavaScriptException();
      return;
    }
    int on = 1;
    const char* failed = nullptr;
    if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, ifname_.c_str(), ifname_.size() + 1) < 0)
      failed = "SO_BINDTODEVICE";
    else if (setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) < 0)
      failed = "IPV6_RECVHOPLIMIT";
    else if (setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) < 0)
      failed = "IPV6_RECVPKTINFO";
    else if (join) {
      struct ipv6_mreq mreq;
      memset(&mreq, 0, sizeof mreq);
      mreq.ipv6mr_multiaddr = group;
      mreq.ipv6mr_interface = static_cast<unsigned>(ifindex_);
      if (setsockopt(fd_, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) < 0) failed = "IPV6_JOIN_GROUP";
    }
#ifdef IPV6_MULTICAST_ALL
    if (!failed) {
      // like keepalived's IP_MULTICAST_ALL=0 for v4: only groups we joined ourselves.
      int off = 0;
      (void)setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off, sizeof off);
    }
#endif
    if (failed) {
      int e = errno;
      close(fd_);
      fd_ = -1;
      SysError(env, "E_IO_SOCKET", std::string("setsockopt(") + failed + ", " + ifname_ + ")", e)
          .ThrowAsJavaScriptException();
      return;
    }

    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      close(fd_);
      fd_ = -1;
      SysError(env, "E_IO_SOCKET", "napi_get_uv_event_loop", EINVAL).ThrowAsJavaScriptException();
      return;
    }
    poll_ = new uv_poll_t;
    uv_poll_init(loop, poll_, fd_);
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, OnReadable);
    callback_ = Napi::Persistent(info[2].As<Napi::Function>());
    env_ = env;
    Ref();  // stay alive while the socket is open, even if JS drops its handle
  }

  ~Vrrp6Receiver() override { Shutdown(); }

 private:
  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<Vrrp6Receiver*>(handle->data);
    if (self == nullptr) return;
    self->Drain(status);
  }

  void Drain(int status) {
    Napi::HandleScope scope(env_);
    if (status < 0) {
      Deliver({Napi::String::New(env_, std::string("poll: ") + uv_strerror(status))});
      return;
    }
    // Bounded so one busy interface cannot starve the loop.
    for (int i = 0; i < 64 && fd_ >= 0; i++) {
      unsigned char buf[65536];
      alignas(struct cmsghdr) unsigned char control[256];
      struct sockaddr_in6 from;
      struct iovec iov = {buf, sizeof buf};
      struct msghdr msg;
      memset(&msg, 0, sizeof msg);
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        Deliver({Napi::String::New(env_, std::string("recvmsg: ") + strerror(errno))});
        return;
      }
      int hoplimit = -1;
      int ifindex = 0;
      char dst[INET6_ADDRSTRLEN] = "";
      for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IPV6) continue;
        if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
          memcpy(&hoplimit, CMSG_DATA(c), sizeof(int));
        } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
          struct in6_pktinfo pi;
          memcpy(&pi, CMSG_DATA(c), sizeof pi);
          inet_ntop(AF_INET6, &pi.ipi6_addr, dst, sizeof dst);
          ifindex = static_cast<int>(pi.ipi6_ifindex);
        }
      }
      char src[INET6_ADDRSTRLEN] = "";
      inet_ntop(AF_INET6, &from.sin6_addr, src, sizeof src);
      bool truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
      Deliver({env_.Null(), Napi::Buffer<uint8_t>::Copy(env_, buf, static_cast<size_t>(n)),
               Napi::String::New(env_, src), Napi::String::New(env_, dst), Napi::Number::New(env_, hoplimit),
               Napi::Number::New(env_, ifindex), Napi::Boolean::New(env_, truncated)});
    }
  }

  void Deliver(const std::initializer_list<napi_value>& args) {
    if (callback_.IsEmpty()) return;
    callback_.MakeCallback(env_.Global(), args);
    // The JS side catches everything; never leave an exception pending in a libuv callback.
    if (env_.IsExceptionPending()) env_.GetAndClearPendingException();
  }

  void Shutdown() {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    bool wasOpen = fd_ >= 0;
    Shutdown();
    if (wasOpen) {
      callback_.Reset();
      Unref();
    }
    return info.Env().Undefined();
  }

  Napi::Value GetIfindex(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ifindex_); }

  Napi::Env env_ = Napi::Env(nullptr);
  Napi::FunctionReference callback_;
  std::string ifname_;
  int ifindex_ = 0;
  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Define(env));
  exports.Set("Vrrp6Receiver", Vrrp6Receiver::Define(env));
  exports.Set("interfaceInfo", Napi::Function::New(env, InterfaceInfo, "interfaceInfo"));
  kts::InitSignals(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(kts_packet, Init)
