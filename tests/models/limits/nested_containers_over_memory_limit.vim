// expect: memory limit of 4096 MiB
transformed data {
  array[30000] vector[30000] x;
}
