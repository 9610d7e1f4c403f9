//! Imports `meld:fixtures/scalars` and exports `meld:fixtures/stats`: the
//! diamond's second consumer of the same provider as `calc`.

wit_bindgen::generate!({ path: "../wit", world: "stats-consumer" });

use exports::meld::fixtures::stats::Guest;
use meld::fixtures::scalars;

/// Bounds the loops so that any argument runs quickly.
const MAX_STEPS: u32 = 1024;

struct Stats;

impl Guest for Stats {
    fn sum_squares(n: u32) -> i32 {
        (1..=(n % MAX_STEPS) as i32).fold(0, |acc, i| scalars::add_s32(acc, i * i))
    }

    fn mean3(a: f32, b: f32, c: f32) -> f32 {
        scalars::mul_f32(a + b + c, 1.0 / 3.0)
    }

    fn ping_twice() -> u32 {
        scalars::ping();
        scalars::ping();
        scalars::pings()
    }
}

export!(Stats);
