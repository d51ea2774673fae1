#include "vd_error.h"

const char *vd_strerror(int code) {
    switch (code) {
    case VD_OK: return "ok";
    case VD_EINVAL: return "invalid argument";
    case VD_ENOMEM: return "out of memory";
    case VD_EFULL: return "ring full";
    case VD_EEMPTY: return "ring empty";
    case VD_ESYS: return "system call failed";
    case VD_ETOOBIG: return "payload larger than a ring slot";
    default: return "unknown error";
    }
}
