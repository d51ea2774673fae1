/* Error codes shared by every CAudio component: 0 is success, failures are negative. */
#ifndef VD_ERROR_H
#define VD_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    VD_OK = 0,
    VD_EINVAL = -1,   /**< An argument is out of its documented range. */
    VD_ENOMEM = -2,   /**< Allocation failed (only at create time). */
    VD_EFULL = -3,    /**< A ring had no free slot; the item was dropped and counted. */
    VD_EEMPTY = -4,   /**< A ring had nothing to read. */
    VD_ESYS = -5,     /**< A system call failed; errno holds the reason. */
    VD_ETOOBIG = -6,  /**< A payload is larger than a ring slot. */
};

/** A static, human-readable description of `code`. Never NULL. */
const char *_Nonnull vd_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
