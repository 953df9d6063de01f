// expect: 4:3: only declarations are allowed in the 'data' block, found 'N'
data {
  int N;
  N = 3;
}
