#!/bin/sh
# tests/mpi/check.sh MPI_VI_RUN SERIAL_VI_RUN: `mpirun -n P` for P = 1, 2, 4
# (oversubscribed) writes --summary files byte-identical to each other, to a
# serial run with the same --chunk-rows and to --threads 2, full batch and
# minibatch, on a hierarchical model, a linear regression and a model with
# per-row parameters and a point parameter; only rank 0
# writes. Exit 0 when all agree. Needs mpirun (openmpi-bin) and awk.
#   meson setup build-mpi -Dmpi=enabled -Dtests=false && ninja -C build-mpi
#   tests/mpi/check.sh build-mpi/vi-run build/vi-run
set -u
MPI_RUN=$(realpath "$1")
SERIAL=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
# deterministic data (a linear congruential generator in awk)
awk 'BEGIN { s = 12345; print "g,x.1,x.2,y";
  for (n = 0; n < 3000; n++) {
    s = (s * 1103515245 + 12345) % 2147483648; g = 1 + int(s / 2147483648 * 5);
    s = (s * 1103515245 + 12345) % 2147483648; a = s / 2147483648 - 0.5;
    s = (s * 1103515245 + 12345) % 2147483648; b = s / 2147483648 - 0.5;
    s = (s * 1103515245 + 12345) % 2147483648; e = s / 2147483648 - 0.5;
    printf "%d,%.9g,%.9g,%.9g\n", g, a, b, 0.4 * g + a - 2 * b + e } }' > hier.csv
awk 'BEGIN { s = 777; printf "x.1,x.2,x.3,y\n";
  for (n = 0; n < 5000; n++) { y = 0;
    for (k = 1; k <= 3; k++) { s = (s * 1103515245 + 12345) % 2147483648; x = s / 2147483648 - 0.5;
      printf "%.9g,", x; y += k * x }
    s = (s * 1103515245 + 12345) % 2147483648; printf "%.9g\n", y + 2 * (s / 2147483648 - 0.5) } }' > linear.csv
fail=0
run_case() { # name model data extra-args
  name=$1; model=$2; data=$3; shift 3
  for P in 1 2 4; do
    mpirun --allow-run-as-root --oversubscribe -n $P "$MPI_RUN" "$model" "$data" "$@" --quiet \
      --summary "$name.p$P.csv" > "$name.p$P.out" 2>&1 || { echo "FAIL $name: mpirun -n $P exited $?"; cat "$name.p$P.out"; fail=1; }
  done
  "$SERIAL" "$model" "$data" "$@" --quiet --summary "$name.serial.csv" > /dev/null 2>&1 || { echo "FAIL $name: serial"; fail=1; }
  "$SERIAL" "$model" "$data" "$@" --quiet --threads 2 --summary "$name.t2.csv" > /dev/null 2>&1 || { echo "FAIL $name: threads"; fail=1; }
  for f in p2 p4 serial t2; do
    if ! cmp -s "$name.p1.csv" "$name.$f.csv"; then echo "FAIL $name: $f differs from mpirun -n 1"; fail=1; fi
  done
  ls "$name".p*.csv.* 2> /dev/null && { echo "FAIL $name: stray output files"; fail=1; }
  [ $fail = 0 ] && echo "ok $name: P = 1, 2, 4, serial, --threads 2 identical ($(md5sum < "$name.p1.csv" | cut -c1-12))"
}
run_case hier_full "$HERE/hier.vim" hier.csv J=5 --chunk-rows 256
run_case hier_batch "$HERE/hier.vim" hier.csv J=5 --chunk-rows 256 --batch-size 300
run_case linear_full "$HERE/linear.vim" linear.csv --chunk-rows 512
run_case linear_batch "$HERE/linear.vim" linear.csv --chunk-rows 512 --batch-size 250
# per-row parameters (3000 z's) with an @point mu
run_case rows_batch "$HERE/rows.vim" hier.csv --chunk-rows 256 --batch-size 300 --epochs 30
exit $fail
