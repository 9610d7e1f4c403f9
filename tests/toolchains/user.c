// The `meld:toolchains/user` of the `greeter-user` world
// (tests/toolchains/wit) in C, built as greeter.c is: it calls the
// greeter it imports and returns a line with both results, a string in
// its own memory that wit-bindgen's post-return frees.
#include <stdio.h>
#include <stdlib.h>

#include "greeter_user.h"

void exports_meld_toolchains_user_run(uint32_t times, int64_t x, greeter_user_string_t *ret) {
  uint32_t n = meld_fixtures_greeter_greet(times);
  int64_t y = meld_fixtures_greeter_square(x);
  char line[96];
  int len = snprintf(line, sizeof line, "greeted %u times; %lld squared is %lld", n, (long long)x,
                     (long long)y);
  greeter_user_string_dup_n(ret, line, (size_t)len);
}
