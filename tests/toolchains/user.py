# The `meld:toolchains/user` of the `greeter-user` world
# (tests/toolchains/wit) in Python: scripts/toolchains.sh builds it with
# componentize-py and composes it with the JavaScript and the Python
# greeter, two interpreters in one composition.
from wit_world import exports
from wit_world.imports import greeter


class User(exports.User):
    def run(self, times: int, x: int) -> str:
        n = greeter.greet(times)
        y = greeter.square(x)
        return f"greeted {n} times; {x} squared is {y}"
