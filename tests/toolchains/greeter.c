// The `meld:fixtures/greeter` provider in C (the `greeter-provider` world
// of tests/guests/wit): scripts/build-greeters.sh generates its bindings
// with wit-bindgen's C generator, compiles it with Debian's clang for
// wasm32-wasi (WASI preview 1, Debian's wasi-libc) into a core module, and
// meld-toolchains wraps it into a component with wasmtime's preview 1
// reactor adapter. It does what greeter.js, greeter.py and the Rust
// greeter-provider do.
#include <stdio.h>

#include "greeter_provider.h"

uint32_t exports_meld_fixtures_greeter_greet(uint32_t times) {
  uint32_t n = times % 16;
  for (uint32_t i = 1; i <= n; i++) {
    printf("c greeter: hello %u of %u\n", i, n);
  }
  // stdout is not a terminal: without this, the lines would wait in
  // wasi-libc's buffer for an exit a library component never makes.
  fflush(stdout);
  return n;
}

int64_t exports_meld_fixtures_greeter_square(int64_t x) {
  // Wrapping, as the Rust greeter does (signed overflow is undefined in C).
  int64_t y = (int64_t)((uint64_t)x * (uint64_t)x);
  printf("c greeter: %lld squared is %lld\n", (long long)x, (long long)y);
  fflush(stdout);
  return y;
}
