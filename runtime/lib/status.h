// The runtime's internal error value: a C API status code and its message.
#ifndef ATTN_RUNTIME_STATUS_H
#define ATTN_RUNTIME_STATUS_H

#include "attn/runtime.h"

#include <string>

namespace attn::rt {

struct Status {
  attn_status code = ATTN_OK;
  std::string message;

  bool ok() const { return code == ATTN_OK; }
  static Status success() { return {}; }
  static Status error(attn_status code, std::string message) {
    return {code, std::move(message)};
  }
};

} // namespace attn::rt

#endif // ATTN_RUNTIME_STATUS_H
