/* arena.h: bump allocator for the AST, values and the tape.
 * Objects allocated from an arena own no heap memory; the arena is reset
 * (blocks kept) or freed as a whole. */
#ifndef VI_ARENA_H
#define VI_ARENA_H
#include <stddef.h>

struct vi_arena_block;
struct vi_arena {
  struct vi_arena_block *head;  /* block being filled */
  struct vi_arena_block *spare; /* blocks kept by vi_arena_reset */
  size_t used_total;            /* bytes handed out since the last reset */
  size_t limit;                 /* 0 = no limit; else allocation fails past it */
  int hit_limit;                /* an allocation failed because of the limit */
};

struct vi_arena_mark {
  struct vi_arena_block *head;
  size_t used, used_total;
};

void vi_arena_init(struct vi_arena *a);
/* Frees every block. NULL-safe. */
void vi_arena_free(struct vi_arena *a);
/* Forgets every allocation but keeps the blocks for reuse. */
void vi_arena_reset(struct vi_arena *a);
/* Zeroed, 16-byte aligned memory, or NULL if size overflows or the limit is
 * reached (callers report "out of memory"). */
void *vi_arena_alloc(struct vi_arena *a, size_t size);
/* n * size bytes, overflow-checked. */
void *vi_arena_array(struct vi_arena *a, size_t n, size_t size);
char *vi_arena_strdup(struct vi_arena *a, const char *s);
char *vi_arena_strndup(struct vi_arena *a, const char *s, size_t n);
/* Save and restore the fill position (for temporaries of one statement). */
struct vi_arena_mark vi_arena_save(struct vi_arena *a);
void vi_arena_restore(struct vi_arena *a, struct vi_arena_mark m);

#endif
