//! Imports `meld:fixtures/counter` and exports `meld:fixtures/meter`.

wit_bindgen::generate!({ path: "../wit", world: "meter-consumer" });

use exports::meld::fixtures::meter::Guest;
use meld::fixtures::counter;

struct Meter;

impl Guest for Meter {
    fn tick() -> u32 {
        counter::add(1).cast_unsigned()
    }

    fn ticks(n: u8) -> u32 {
        for _ in 0..n {
            counter::add(1);
        }
        counter::total().cast_unsigned()
    }

    fn reading() -> u32 {
        counter::total().cast_unsigned()
    }
}

export!(Meter);
