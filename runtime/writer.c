/* writer.c: atomic output files (include/vi/writer.h). */
#define _POSIX_C_SOURCE 200809L
#include "vi/writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct vi_out {
  char *path;           /* target */
  char *tmp;            /* temporary next to it; NULL for stdout */
  FILE *f;
  struct vi_diags *d;   /* borrowed */
};

static const struct vi_srcloc noloc = {NULL, 0, 0};

struct vi_out *vi_out_open(const char *path, struct vi_diags *d) {
  struct vi_out *o = calloc(1, sizeof *o);
  size_t n = strlen(path);
  if (!o || !(o->path = malloc(n + 1))) {
    free(o);
    vi_error(d, noloc, "cannot write '%s': out of memory", path);
    return NULL;
  }
  memcpy(o->path, path, n + 1);
  o->d = d;
  if (strcmp(path, "-") == 0) {
    o->f = stdout;
    return o;
  }
  if (!(o->tmp = malloc(n + 8))) {
    free(o->path);
    free(o);
    vi_error(d, noloc, "cannot write '%s': out of memory", path);
    return NULL;
  }
  memcpy(o->tmp, path, n);
  memcpy(o->tmp + n, ".XXXXXX", 8);
  int fd = mkstemp(o->tmp);
  if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
    int e = errno;
    if (fd >= 0) {
      close(fd);
      unlink(o->tmp);
    }
    vi_error(d, noloc, "cannot write '%s': %s", path, strerror(e));
    free(o->tmp);
    free(o->path);
    free(o);
    return NULL;
  }
  return o;
}

FILE *vi_out_file(struct vi_out *o) { return o->f; }

static void out_free(struct vi_out *o) {
  free(o->tmp);
  free(o->path);
  free(o);
}

int vi_out_commit(struct vi_out *o) {
  if (!o->tmp) { /* stdout */
    int bad = fflush(o->f) != 0 || ferror(o->f);
    if (bad) vi_error(o->d, noloc, "cannot write to standard output");
    out_free(o);
    return bad ? VI_ERR_IO : VI_OK;
  }
  const char *what = NULL;
  int e = 0;
  if (ferror(o->f)) what = "write failed", e = EIO;
  else if (fflush(o->f) != 0) what = "write failed", e = errno;
  else if (fsync(fileno(o->f)) != 0) what = "sync failed", e = errno;
  if (!what) {
    struct stat st;
    mode_t mode;
    if (stat(o->path, &st) == 0) mode = st.st_mode & 07777;
    else {
      mode_t um = umask(0);
      umask(um);
      mode = 0666 & ~um;
    }
    if (fchmod(fileno(o->f), mode) != 0) what = "cannot set permissions", e = errno;
  }
  if (fclose(o->f) != 0 && !what) what = "close failed", e = errno;
  if (!what && rename(o->tmp, o->path) != 0) what = "rename failed", e = errno;
  if (what) {
    unlink(o->tmp);
    vi_error(o->d, noloc, "cannot write '%s': %s (%s)", o->path, what, strerror(e));
    out_free(o);
    return VI_ERR_IO;
  }
  out_free(o);
  return VI_OK;
}

void vi_out_abort(struct vi_out *o) {
  if (!o) return;
  if (o->tmp) {
    fclose(o->f);
    unlink(o->tmp);
  } else {
    fflush(o->f);
  }
  out_free(o);
}
