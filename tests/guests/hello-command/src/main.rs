//! A `wasi:cli/run` command that imports `meld:fixtures/greeter` and
//! prints what it gets back.

wit_bindgen::generate!({ path: "../wit", world: "hello-command" });

use meld::fixtures::greeter;

fn main() {
    println!("command: hello from a composed component");
    let greeted = greeter::greet(3);
    println!("command: the provider greeted {greeted} times");
    let squared = greeter::square(-12);
    println!("command: square(-12) = {squared}");
}
