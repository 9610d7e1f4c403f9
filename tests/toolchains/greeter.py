# The `meld:fixtures/greeter` provider in Python (the `greeter-provider`
# world of tests/guests/wit): scripts/toolchains.sh builds it with
# componentize-py into a component of about 18 MB (most of it CPython and
# its libraries, linked by wit-component's dynamic linking). It does what
# greeter.js and the Rust greeter-provider do.
from wit_world import exports


class Greeter(exports.Greeter):
    def greet(self, times: int) -> int:
        n = times % 16
        for i in range(1, n + 1):
            print(f"py greeter: hello {i} of {n}")
        return n

    def square(self, x: int) -> int:
        y = x * x
        print(f"py greeter: {x} squared is {y}")
        return y
