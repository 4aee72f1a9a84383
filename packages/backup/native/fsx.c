/*
 * fsx: the few Linux file-system calls Node.js does not expose, for the backup sidecar.
 *   seekData(fd, offset) / seekHole(fd, offset)   lseek SEEK_DATA / SEEK_HOLE (-1 past the last data)
 *   utimens(path, sec, nsec, follow)              utimensat with nanoseconds (atime = mtime)
 *   futimens(fd, sec, nsec)
 *   listXattrs(path) -> Buffer[]                  llistxattr (names, raw bytes)
 *   getXattr(path, name) -> Buffer                lgetxattr
 *   setXattr(path, name, value)                   lsetxattr
 * Errors are thrown as Error with .code set to the errno name (ENOTSUP, EPERM, ...).
 * Plain N-API (no C++): one build works on every Node with N-API 8.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <node_api.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "fsx: bad arguments"); return NULL; } } while (0)

static napi_value fail(napi_env env, int err, const char *what) {
  const char *name = strerrorname_np(err);
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, name ? name : "EIO", msg);
  return NULL;
}

/* A path argument: a Buffer (any bytes) or a string, copied NUL-terminated into out. */
static int get_path(napi_env env, napi_value v, char *out, size_t cap) {
  bool isbuf = false;
  napi_is_buffer(env, v, &isbuf);
  if (isbuf) {
    void *data; size_t len;
    if (napi_get_buffer_info(env, v, &data, &len) != napi_ok || len >= cap) return -1;
    memcpy(out, data, len);
    out[len] = 0;
    if (memchr(out, 0, len)) return -1;
    return 0;
  }
  size_t len;
  if (napi_get_value_string_utf8(env, v, out, cap, &len) != napi_ok || len >= cap - 1) return -1;
  return 0;
}

static napi_value seek_common(napi_env env, napi_callback_info info, int whence) {
  size_t argc = 2; napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd; int64_t off;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int64(env, argv[1], &off));
  off_t r = lseek(fd, (off_t)off, whence);
  if (r < 0) {
    if (errno == ENXIO) r = -1;
    else return fail(env, errno, whence == SEEK_DATA ? "lseek SEEK_DATA" : "lseek SEEK_HOLE");
  }
  napi_value out;
  CHECK(napi_create_int64(env, (int64_t)r, &out));
  return out;
}
static napi_value seek_data(napi_env env, napi_callback_info info) { return seek_common(env, info, SEEK_DATA); }
static napi_value seek_hole(napi_env env, napi_callback_info info) { return seek_common(env, info, SEEK_HOLE); }

static int get_times(napi_env env, napi_value s, napi_value ns, struct timespec ts[2]) {
  int64_t sec, nsec;
  if (napi_get_value_int64(env, s, &sec) != napi_ok || napi_get_value_int64(env, ns, &nsec) != napi_ok) return -1;
  if (nsec < 0 || nsec > 999999999) return -1;
  ts[0].tv_sec = ts[1].tv_sec = (time_t)sec;
  ts[0].tv_nsec = ts[1].tv_nsec = (long)nsec;
  return 0;
}

static napi_value utimens(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[PATH_MAX + 1];
  struct timespec ts[2];
  bool follow = false;
  if (argc < 4 || get_path(env, argv[0], path, sizeof path) || get_times(env, argv[1], argv[2], ts)) { napi_throw_error(env, NULL, "fsx.utimens: bad arguments"); return NULL; }
  napi_get_value_bool(env, argv[3], &follow);
  if (utimensat(AT_FDCWD, path, ts, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) return fail(env, errno, "utimensat");
  return NULL;
}

static napi_value futimens_(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd; struct timespec ts[2];
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || get_times(env, argv[1], argv[2], ts)) { napi_throw_error(env, NULL, "fsx.futimens: bad arguments"); return NULL; }
  if (futimens(fd, ts) != 0) return fail(env, errno, "futimens");
  return NULL;
}

static napi_value list_xattrs(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[PATH_MAX + 1];
  if (argc < 1 || get_path(env, argv[0], path, sizeof path)) { napi_throw_error(env, NULL, "fsx.listXattrs: bad arguments"); return NULL; }
  napi_value arr;
  CHECK(napi_create_array(env, &arr));
  ssize_t n;
  char *buf = NULL;
  for (int tries = 0; tries < 5; tries++) {
    n = llistxattr(path, NULL, 0);
    if (n < 0) { if (errno == ENOTSUP) return arr; return fail(env, errno, "llistxattr"); }
    if (n == 0) return arr;
    free(buf);
    buf = malloc((size_t)n);
    if (!buf) return fail(env, ENOMEM, "llistxattr");
    n = llistxattr(path, buf, (size_t)n);
    if (n >= 0) break;
    if (errno != ERANGE) { int e = errno; free(buf); return fail(env, e, "llistxattr"); }
  }
  if (n < 0) { free(buf); return fail(env, ERANGE, "llistxattr"); }
  uint32_t i = 0;
  for (ssize_t p = 0; p < n;) {
    size_t len = strnlen(buf + p, (size_t)(n - p));
    napi_value name;
    if (napi_create_buffer_copy(env, len, buf + p, NULL, &name) != napi_ok) { free(buf); return NULL; }
    napi_set_element(env, arr, i++, name);
    p += (ssize_t)len + 1;
  }
  free(buf);
  return arr;
}

static napi_value get_xattr(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[PATH_MAX + 1], name[XATTR_NAME_MAX + 1];
  if (argc < 2 || get_path(env, argv[0], path, sizeof path) || get_path(env, argv[1], name, sizeof name)) { napi_throw_error(env, NULL, "fsx.getXattr: bad arguments"); return NULL; }
  for (int tries = 0; tries < 5; tries++) {
    ssize_t n = lgetxattr(path, name, NULL, 0);
    if (n < 0) return fail(env, errno, "lgetxattr");
    void *buf = malloc(n ? (size_t)n : 1);
    if (!buf) return fail(env, ENOMEM, "lgetxattr");
    ssize_t m = lgetxattr(path, name, buf, (size_t)n);
    if (m < 0) { int e = errno; free(buf); if (e == ERANGE) continue; return fail(env, e, "lgetxattr"); }
    napi_value out;
    napi_status st = napi_create_buffer_copy(env, (size_t)m, buf, NULL, &out);
    free(buf);
    if (st != napi_ok) return NULL;
    return out;
  }
  return fail(env, ERANGE, "lgetxattr");
}

static napi_value set_xattr(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[PATH_MAX + 1], name[XATTR_NAME_MAX + 1];
  void *data; size_t len;
  if (argc < 3 || get_path(env, argv[0], path, sizeof path) || get_path(env, argv[1], name, sizeof name) || napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok) {
    napi_throw_error(env, NULL, "fsx.setXattr: bad arguments");
    return NULL;
  }
  if (lsetxattr(path, name, data, len, 0) != 0) return fail(env, errno, "lsetxattr");
  return NULL;
}

/* mknod(path, mode (with S_IFIFO/S_IFCHR/S_IFBLK), major, minor): FIFOs and device nodes, which Node cannot make. */
static napi_value mknod_(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[PATH_MAX + 1];
  uint32_t mode, maj, min;
  if (argc < 4 || get_path(env, argv[0], path, sizeof path) || napi_get_value_uint32(env, argv[1], &mode) != napi_ok || napi_get_value_uint32(env, argv[2], &maj) != napi_ok || napi_get_value_uint32(env, argv[3], &min) != napi_ok) {
    napi_throw_error(env, NULL, "fsx.mknod: bad arguments");
    return NULL;
  }
  if (mknod(path, (mode_t)mode, makedev(maj, min)) != 0) return fail(env, errno, "mknod");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "seekData", NULL, seek_data, NULL, NULL, NULL, napi_default, NULL },
    { "seekHole", NULL, seek_hole, NULL, NULL, NULL, napi_default, NULL },
    { "utimens", NULL, utimens, NULL, NULL, NULL, napi_default, NULL },
    { "futimens", NULL, futimens_, NULL, NULL, NULL, napi_default, NULL },
    { "listXattrs", NULL, list_xattrs, NULL, NULL, NULL, napi_default, NULL },
    { "getXattr", NULL, get_xattr, NULL, NULL, NULL, napi_default, NULL },
    { "setXattr", NULL, set_xattr, NULL, NULL, NULL, napi_default, NULL },
    { "mknod", NULL, mknod_, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
