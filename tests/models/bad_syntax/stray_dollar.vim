// expect: 3:9: stray character '$'
data {
  int N;$
}
