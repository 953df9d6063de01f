// expect: 3:9: unterminated string
model {
  print("y is , y);
}
