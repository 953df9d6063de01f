/* writer.h: atomic output files.
 *
 * Output is written to a temporary file "NAME.XXXXXX" in the target's folder
 * and renamed over the target only when complete (after fflush and fsync), so
 * a file is written completely or not at all: on error or cancel the
 * temporary is removed and a previous file of that name is left untouched.
 *
 *   struct vi_out *o = vi_out_open("draws.csv", &diags);
 *   if (!o) return VI_ERR_IO;
 *   fprintf(vi_out_file(o), ...);
 *   if (cancelled) vi_out_abort(o); else status = vi_out_commit(o);
 *
 * The path "-" writes to stdout (commit flushes; abort does nothing more). */
#ifndef VI_WRITER_H
#define VI_WRITER_H
#include <stdio.h>

#include "vi/diag.h"

struct vi_out;

/* Creates the temporary file next to `path` (copied). Returns NULL and
 * records "cannot write 'path': reason" in d on failure. */
struct vi_out *vi_out_open(const char *path, struct vi_diags *d);
/* The stream to write to (owned by o). */
FILE *vi_out_file(struct vi_out *o);
/* Flushes, syncs and renames the temporary over the target; the new file
 * gets the old file's permissions, or 0666 minus the umask. Returns VI_OK, or
 * VI_ERR_IO (recorded in the diags given to open) after removing the
 * temporary when any write, flush, sync or the rename failed. Frees o. */
int vi_out_commit(struct vi_out *o);
/* Discards the output: closes and removes the temporary. NULL-safe; frees o. */
void vi_out_abort(struct vi_out *o);

#endif
