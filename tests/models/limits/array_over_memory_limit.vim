// expect: memory limit of 4096 MiB
transformed data {
  array[100000, 100000] real x;
}
