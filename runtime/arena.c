/* arena.c: bump allocator (see include/vi/arena.h). */
#include "vi/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct vi_arena_block {
  struct vi_arena_block *next;
  size_t size, used;
  _Alignas(16) unsigned char data[];
};

enum { VI_ARENA_MIN_BLOCK = 64 * 1024 };

void vi_arena_init(struct vi_arena *a) { memset(a, 0, sizeof *a); }

static void free_list(struct vi_arena_block *b) {
  while (b) {
    struct vi_arena_block *n = b->next;
    free(b);
    b = n;
  }
}

void vi_arena_free(struct vi_arena *a) {
  if (!a) return;
  free_list(a->head);
  free_list(a->spare);
  a->head = a->spare = NULL;
  a->used_total = 0;
}

void vi_arena_reset(struct vi_arena *a) {
  struct vi_arena_block *b = a->head;
  while (b) {
    struct vi_arena_block *n = b->next;
    b->used = 0;
    b->next = a->spare;
    a->spare = b;
    b = n;
  }
  a->head = NULL;
  a->used_total = 0;
}

void *vi_arena_alloc(struct vi_arena *a, size_t size) {
  size_t need = (size + 15) & ~(size_t)15;
  if (need < size) return NULL;
  if (a->limit && (need > a->limit || a->used_total > a->limit - need)) {
    a->hit_limit = 1;
    return NULL;
  }
  struct vi_arena_block *b = a->head;
  if (!b || b->size - b->used < need) {
    /* take a spare block that fits, else a new one */
    struct vi_arena_block **pp = &a->spare;
    while (*pp && (*pp)->size < need) pp = &(*pp)->next;
    if (*pp) {
      b = *pp;
      *pp = b->next;
    } else {
      size_t bs = need > VI_ARENA_MIN_BLOCK ? need : VI_ARENA_MIN_BLOCK;
      if (bs > SIZE_MAX - sizeof *b) return NULL;
      b = malloc(sizeof *b + bs);
      if (!b) return NULL;
      b->size = bs;
    }
    b->used = 0;
    b->next = a->head;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += need;
  a->used_total += need;
  memset(p, 0, size);
  return p;
}

void *vi_arena_array(struct vi_arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  return vi_arena_alloc(a, n * size != 0 ? n * size : 1);
}

char *vi_arena_strndup(struct vi_arena *a, const char *s, size_t n) {
  char *p = vi_arena_alloc(a, n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = 0;
  }
  return p;
}

char *vi_arena_strdup(struct vi_arena *a, const char *s) { return vi_arena_strndup(a, s, strlen(s)); }

struct vi_arena_mark vi_arena_save(struct vi_arena *a) {
  struct vi_arena_mark m = {a->head, a->head ? a->head->used : 0, a->used_total};
  return m;
}

void vi_arena_restore(struct vi_arena *a, struct vi_arena_mark m) {
  /* blocks taken after the mark go back to the spare list */
  while (a->head && a->head != m.head) {
    struct vi_arena_block *b = a->head;
    a->head = b->next;
    b->used = 0;
    b->next = a->spare;
    a->spare = b;
  }
  if (a->head) a->head->used = m.used;
  a->used_total = m.used_total;
}
