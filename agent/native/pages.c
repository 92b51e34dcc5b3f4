// releasePages(ranges: Float64Array): gives back pages the process touched once and no longer uses. Each (start,
// length) pair is a read-only, private, file-backed mapping picked by agent/page-release.ts (node's binary, shared
// libraries, this addon; never one with a private copy of a page): madvise(MADV_DONTNEED) unmaps its pages from the
// process. They stay in the page cache, clean, for the kernel to keep or reclaim; a later access maps the page again
// from there (a minor fault) or reads it from the file, with the same contents. Then malloc_trim(0) hands malloc's
// free memory back. Returns how many ranges madvise refused (EINVAL on a locked mapping, say).
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include "napi_util.h"

#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static napi_value js_release_pages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  double *ranges;
  size_t len;
  if (argc < 1 || !typed_array(env, argv[0], napi_float64_array, (void **)&ranges, &len) || len % 2)
    return throw_msg(env, "releasePages(ranges): expected a Float64Array of (start, length) pairs");
  const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  uint32_t refused = 0;
  for (size_t i = 0; i < len; i += 2) {
    uint64_t start = (uint64_t)ranges[i], length = (uint64_t)ranges[i + 1];
    /* whole pages only, as the mappings are: anything else is a caller's mistake, not a range to round */
    if ((double)start != ranges[i] || (double)length != ranges[i + 1] || start % page || length % page || !length ||
        madvise((void *)(uintptr_t)start, length, MADV_DONTNEED) != 0) refused++;
  }
  malloc_trim(0);
  CHECK(env, napi_create_uint32(env, refused, &result));
  return result;
}

napi_status pages_init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_status st = napi_create_function(env, "releasePages", NAPI_AUTO_LENGTH, js_release_pages, NULL, &fn);
  if (st != napi_ok) return st;
  return napi_set_named_property(env, exports, "releasePages", fn);
}
