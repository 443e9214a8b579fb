// Errors thrown to JS by the addon's sources: a `code` (E_IO_…) callers branch on, and `errno`.
#ifndef KTS_NAPI_ERRORS_H_
#define KTS_NAPI_ERRORS_H_

#include <napi.h>
#include <string.h>

#include <string>

namespace kts {

inline Napi::Error SysError(Napi::Env env, const char* code, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

inline Napi::Error ArgError(Napi::Env env, const std::string& what) {
  Napi::Error e = Napi::TypeError::New(env, what);
  e.Set("code", Napi::String::New(env, "E_IO_ARG"));
  return e;
}

}  // namespace kts

#endif  // KTS_NAPI_ERRORS_H_
