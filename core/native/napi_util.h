/* What the addons (agent/native, analyzer/native) need from Node-API: errors thrown as JS errors,
 * a checked call, and calling back into JS from a libuv callback with an exception made fatal (never swallowed). */
#ifndef VIPWATCH_NAPI_UTIL_H
#define VIPWATCH_NAPI_UTIL_H

#include <node_api.h>
#include <uv.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static inline napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_throw_error(env, uv_err_name(-err), msg);
  return NULL;
}

static inline napi_value throw_msg(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/* a Node-API call that must succeed: on failure the function returns NULL with a JS error pending */
#define CHECK(env, call)                                      \
  do {                                                        \
    if ((call) != napi_ok) {                                  \
      const napi_extended_error_info *info_;                  \
      napi_get_last_error_info((env), &info_);                \
      bool pending_;                                          \
      napi_is_exception_pending((env), &pending_);            \
      if (!pending_)                                          \
        napi_throw_error((env), NULL, info_->error_message ? info_->error_message : "vipwatch addon: N-API call failed"); \
      return NULL;                                            \
    }                                                         \
  } while (0)

/* whether v is a typed array of type `want`: then its data and length (elements) */
static inline bool typed_array(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is;
  napi_typedarray_type type;
  return napi_is_typedarray(env, v, &is) == napi_ok && is && napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) == napi_ok && type == want;
}

/* calls cb on self inside an open callback scope; an exception it throws goes to node's uncaught handler (as from
 * any event) and the call returns true */
static inline bool call_js(napi_env env, napi_value self, napi_value cb, size_t argc, const napi_value *argv) {
  if (napi_call_function(env, self, cb, argc, argv, NULL) != napi_pending_exception) return false;
  napi_value err;
  napi_get_and_clear_last_exception(env, &err);
  napi_fatal_exception(env, err);
  return true;
}

#endif
