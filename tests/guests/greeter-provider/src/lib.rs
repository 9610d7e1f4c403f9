//! Exports `meld:fixtures/greeter` and prints through WASI's stdout, so
//! that the `wasi-hello` fixture has two components using the host.

wit_bindgen::generate!({ path: "../wit", world: "greeter-provider" });

use exports::meld::fixtures::greeter::Guest;

struct Greeter;

impl Guest for Greeter {
    fn greet(times: u32) -> u32 {
        let times = times % 16;
        for i in 1..=times {
            println!("provider: hello #{i}");
        }
        times
    }

    fn square(x: i64) -> i64 {
        let squared = x.wrapping_mul(x);
        println!("provider: {x}^2 = {squared}");
        squared
    }
}

export!(Greeter);
