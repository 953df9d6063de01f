/* cache.c: the binary column cache of CSV tables (`--cache DIR`, see
 * vi_csv_read_cached in include/vi/data.h and docs/large.md).
 *
 * DIR/<hash of the CSV's real path>.vicols holds, in the machine's byte
 * order:
 *   header   magic "VICOLS01", the CSV's size, mtime (s, ns), a 64-bit hash
 *            of its whole content, rows, columns, the names' bytes, the
 *            offset of the data (a multiple of the page size)
 *   columns  per column: non-integer cells, the first of them
 *   names    the column names, each NUL-terminated
 *   data     column after column, rows doubles each
 * The file is written beside its final name and renamed, so a reader never
 * sees half of one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vi/data.h"

static const char magic[8] = {'V', 'I', 'C', 'O', 'L', 'S', '0', '1'};

struct cache_header {
  char magic[8];
  uint64_t size;
  int64_t mtime_sec, mtime_nsec;
  uint64_t hash;
  uint64_t nrows, ncols;
  uint64_t names_len;
  uint64_t data_off;
};

/* A 64-bit hash of a byte stream, 8 bytes at a time (multiply and fold),
 * fed in pieces whose sizes are multiples of 8 but for the last. */
struct hasher {
  uint64_t h, n;
};

static void hash_feed(struct hasher *s, const unsigned char *p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    s->h = (s->h ^ w) * 0x9e3779b97f4a7c15ULL;
    s->h ^= s->h >> 31;
  }
  uint64_t w = 0;
  if (i < n) {
    memcpy(&w, p + i, n - i);
    s->h = (s->h ^ w) * 0x9e3779b97f4a7c15ULL;
    s->h ^= s->h >> 31;
  }
  s->n += n;
}

static uint64_t hash_end(const struct hasher *s) {
  uint64_t h = (s->h ^ s->n) * 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 32);
}

static uint64_t hash_bytes(const unsigned char *p, size_t n) {
  struct hasher s = {0x243f6a8885a308d3ULL, 0};
  hash_feed(&s, p, n);
  return hash_end(&s);
}

/* The hash of the file's whole content, read in pieces (so that hashing a
 * large CSV does not make its pages resident); *ok = 0 when it cannot be
 * read. */
static uint64_t hash_file(const char *path, int *ok) {
  *ok = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  enum { PIECE = 4 << 20 };
  unsigned char *buf = malloc(PIECE);
  struct hasher s = {0x243f6a8885a308d3ULL, 0};
  for (;;) {
    size_t got = 0;
    while (buf && got < PIECE) {
      ssize_t k = read(fd, buf + got, PIECE - got);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0) {
        free(buf);
        buf = NULL;
      }
      if (k <= 0) break;
      got += (size_t)k;
    }
    if (!buf) break;
    hash_feed(&s, buf, got);
    if (got < PIECE) {
      *ok = 1;
      break;
    }
  }
  close(fd);
  free(buf);
  return hash_end(&s);
}

static int cache_path(const char *path, const char *dir, char *out, size_t n) {
  char real[PATH_MAX];
  if (!realpath(path, real)) return -1;
  uint64_t h = hash_bytes((const unsigned char *)real, strlen(real));
  int k = snprintf(out, n, "%s/%016llx.vicols", dir, (unsigned long long)h);
  return k > 0 && (size_t)k < n ? 0 : -1;
}

/* The cached table when the cache file matches st and the content hash;
 * else NULL. */
static struct vi_table *try_cache(const char *path, const char *cpath, const struct stat *st, uint64_t hash,
                                  struct vi_diags *d) {
  int fd = open(cpath, O_RDONLY);
  if (fd < 0) return NULL;
  struct stat cs;
  struct cache_header h;
  if (fstat(fd, &cs) || read(fd, &h, sizeof h) != (ssize_t)sizeof h || memcmp(h.magic, magic, 8) ||
      h.size != (uint64_t)st->st_size || h.mtime_sec != (int64_t)st->st_mtim.tv_sec ||
      h.mtime_nsec != (int64_t)st->st_mtim.tv_nsec || h.hash != hash || h.ncols == 0 || h.ncols > 100000 ||
      h.nrows > (uint64_t)VI_CSV_MAX_ROWS || h.data_off + h.ncols * h.nrows * 8 != (uint64_t)cs.st_size) {
    close(fd);
    return NULL;
  }
  size_t len = (size_t)cs.st_size;
  void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return NULL;
  size_t nc = (size_t)h.ncols, nr = (size_t)h.nrows;
  const char **names = calloc(nc, sizeof *names);
  double **num = calloc(nc, sizeof *num);
  size_t *nonint = calloc(nc, sizeof *nonint), *first = calloc(nc, sizeof *first);
  struct vi_table *t = NULL;
  const unsigned char *base = map;
  const uint64_t *stats = (const uint64_t *)(base + sizeof h);
  const char *nm = (const char *)(base + sizeof h + 16 * nc), *nend = nm + h.names_len;
  int ok = names && num && nonint && first && (const unsigned char *)nend <= base + h.data_off;
  for (size_t c = 0; ok && c < nc; c++) {
    const char *z = memchr(nm, 0, (size_t)(nend - nm));
    if (!z) {
      ok = 0;
      break;
    }
    names[c] = nm;
    nm = z + 1;
    nonint[c] = (size_t)stats[2 * c];
    first[c] = (size_t)stats[2 * c + 1];
    num[c] = (double *)(uintptr_t)(base + h.data_off + c * nr * 8);
  }
  if (ok && vi_table_from_cache(path, nr, nc, names, num, nonint, first, map, len, &t, d) == VI_OK) map = NULL;
  else t = NULL;
  if (map) munmap(map, len);
  free(names);
  free(num);
  free(nonint);
  free(first);
  return t;
}

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t k = write(fd, c, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Writes the cache of t (every cell a number); silently gives up on errors
 * (the table was read; the cache is only an optimisation). 0 when written. */
static int write_cache(const struct vi_table *t, const char *cpath, const struct stat *st, uint64_t hash) {
  size_t nc = vi_table_ncols(t), nr = vi_table_nrows(t);
  struct cache_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, magic, 8);
  h.size = (uint64_t)st->st_size;
  h.mtime_sec = (int64_t)st->st_mtim.tv_sec;
  h.mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
  h.hash = hash;
  h.nrows = nr;
  h.ncols = nc;
  for (size_t c = 0; c < nc; c++) h.names_len += strlen(vi_table_colname(t, c)) + 1;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t meta = sizeof h + 16 * nc + (size_t)h.names_len;
  h.data_off = (meta + page - 1) / page * page;
  char tmp[PATH_MAX + 128];
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", cpath, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  int bad = write_all(fd, &h, sizeof h);
  for (size_t c = 0; !bad && c < nc; c++) {
    struct vi_column col;
    vi_table_column(t, c, &col);
    uint64_t s2[2] = {col.n_nonint, col.first_nonint};
    bad = write_all(fd, s2, sizeof s2);
  }
  for (size_t c = 0; !bad && c < nc; c++) {
    const char *name = vi_table_colname(t, c);
    bad = write_all(fd, name, strlen(name) + 1);
  }
  static const char zeros[4096];
  size_t pad = (size_t)h.data_off - meta;
  while (!bad && pad) {
    size_t k = pad < sizeof zeros ? pad : sizeof zeros;
    bad = write_all(fd, zeros, k);
    pad -= k;
  }
  for (size_t c = 0; !bad && c < nc; c++) {
    struct vi_column col;
    vi_table_column(t, c, &col);
    bad = write_all(fd, col.num, nr * sizeof(double));
  }
  if (close(fd)) bad = 1;
  if (bad || rename(tmp, cpath)) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

int vi_csv_read_cached(const char *path, const char *dir, struct vi_table **out, int *status_out,
                       struct vi_diags *d) {
  *out = NULL;
  if (status_out) *status_out = 2;
  struct stat st;
  char cpath[PATH_MAX + 64];
  if (stat(path, &st) || !S_ISREG(st.st_mode) || cache_path(path, dir, cpath, sizeof cpath))
    return vi_csv_read(path, out, d); /* its message for a file that cannot be read */
  int ok;
  uint64_t hash = hash_file(path, &ok);
  if (!ok) return vi_csv_read(path, out, d);
  struct vi_table *t = try_cache(path, cpath, &st, hash, d);
  if (t) {
    *out = t;
    if (status_out) *status_out = 0;
    return VI_OK;
  }
  int r = vi_csv_read(path, out, d);
  if (r) return r;
  int all_numbers = 1;
  for (size_t c = 0; c < vi_table_ncols(*out) && all_numbers; c++) {
    struct vi_column col;
    vi_table_column(*out, c, &col);
    all_numbers = !col.n_missing && !col.n_text;
  }
  struct stat st2; /* the file must not have changed while it was read */
  if (all_numbers && !stat(path, &st2) && st2.st_size == st.st_size && st2.st_mtim.tv_sec == st.st_mtim.tv_sec &&
      st2.st_mtim.tv_nsec == st.st_mtim.tv_nsec) {
    mkdir(dir, 0755);
    if (!write_cache(*out, cpath, &st, hash) && status_out) *status_out = 1;
  }
  return VI_OK;
}
