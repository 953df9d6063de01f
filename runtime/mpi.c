/* mpi.c: data-parallel evaluation over MPI ranks (`meson setup -Dmpi=enabled`;
 * docs/large.md). Every rank runs the same fit; row views split their work
 * units into contiguous blocks, one per rank (runtime/minibatch.c), and the
 * results of every unit are gathered to every rank, which reduces them in
 * unit order: the same bits for any number of ranks. Without MPI the
 * functions below describe one process. */
#include "vi/minibatch.h"

#ifdef VI_HAVE_MPI
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>

static int started, rank, size = 1;

int vi_mpi_start(int *argc, char ***argv) {
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited && MPI_Init(argc, argv) != MPI_SUCCESS) return -1;
  started = !inited;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return 0;
}

void vi_mpi_end(void) {
  if (started) MPI_Finalize();
  started = 0;
}

void vi_mpi_abort(int code) {
  if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

int vi_mpi_rank(void) { return rank; }
int vi_mpi_size(void) { return size; }

/* Every rank's units (block doubles each) to every rank, in place. */
static int share(void *ctx, double *buf, size_t nunits, size_t block) {
  (void)ctx;
  int *counts = malloc((size_t)size * sizeof *counts), *displs = malloc((size_t)size * sizeof *displs);
  int ok = counts && displs;
  for (int r = 0; ok && r < size; r++) {
    size_t lo = (size_t)r * nunits / (size_t)size, hi = (size_t)(r + 1) * nunits / (size_t)size;
    ok = hi * block <= INT_MAX;
    counts[r] = (int)((hi - lo) * block);
    displs[r] = (int)(lo * block);
  }
  ok = ok && MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_DOUBLE, MPI_COMM_WORLD) ==
                 MPI_SUCCESS;
  free(counts);
  free(displs);
  return ok ? 0 : -1;
}

void vi_rows_use_mpi(struct vi_rows *r) {
  struct vi_rows_share s = {rank, size, share, NULL};
  vi_rows_set_share(r, &s);
}

#else

int vi_mpi_start(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}
void vi_mpi_end(void) {}
void vi_mpi_abort(int code) { (void)code; }
int vi_mpi_rank(void) { return 0; }
int vi_mpi_size(void) { return 1; }
void vi_rows_use_mpi(struct vi_rows *r) { (void)r; }

#endif
