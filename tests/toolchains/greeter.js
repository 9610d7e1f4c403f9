// The `meld:fixtures/greeter` provider in JavaScript, for meld-bench's
// `js` section and meld-toolchains: scripts/build-greeters.sh builds it
// with componentize-js into a component of about 12 MB (most of it the
// JS engine).
export const greeter = {
  greet(times) {
    const n = times % 16;
    for (let i = 1; i <= n; i++) {
      console.log(`js greeter: hello ${i} of ${n}`);
    }
    return n;
  },
  square(x) {
    const y = x * x;
    console.log(`js greeter: ${x} squared is ${y}`);
    return y;
  },
};
