//! Imports `meld:fixtures/calc` and exports `meld:fixtures/pipeline`: the
//! head of the chain (pipeline → calc → scalars) and of the nested fixture.

wit_bindgen::generate!({ path: "../wit", world: "pipeline-head" });

use exports::meld::fixtures::pipeline::Guest;
use meld::fixtures::calc;

struct Pipeline;

impl Guest for Pipeline {
    fn run(x: i8, n: u32) -> i64 {
        let sum = calc::sum_to(n).cast_signed();
        sum.wrapping_sub(calc::digest(
            x,
            i16::from(x),
            u16::from(x.cast_unsigned()),
            n,
        ))
    }

    fn score(c: char, f: f32) -> f64 {
        let length = calc::hypot(f, f);
        if calc::shift_char(c, 1).is_ascii_alphabetic() {
            length
        } else {
            -length
        }
    }

    fn fingerprint(seed: u8, n: u32) -> u32 {
        (u32::from(calc::checksum(seed, n)) << 1) | u32::from(calc::parity(n))
    }
}

export!(Pipeline);
