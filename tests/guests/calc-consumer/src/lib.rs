//! Imports `meld:fixtures/scalars` and exports `meld:fixtures/calc`, whose
//! every function makes one or more calls into the provider.

wit_bindgen::generate!({ path: "../wit", world: "calc-consumer" });

use exports::meld::fixtures::calc::Guest;
use meld::fixtures::scalars;

/// Bounds the loops so that any argument runs quickly.
const MAX_STEPS: u32 = 1024;

struct Calc;

impl Guest for Calc {
    fn sum_to(n: u32) -> u64 {
        (0..=n % MAX_STEPS).fold(0, |acc, i| scalars::add_u64(acc, u64::from(i)))
    }

    fn hypot(a: f32, b: f32) -> f64 {
        let squares = f64::from(scalars::mul_f32(a, a)) + f64::from(scalars::mul_f32(b, b));
        squares.sqrt()
    }

    fn shift_char(c: char, n: u32) -> char {
        (0..n % MAX_STEPS).fold(c, |c, _| scalars::next_char(c))
    }

    fn parity(n: u32) -> bool {
        (0..n % MAX_STEPS).fold(false, |b, _| scalars::toggle(b))
    }

    fn checksum(seed: u8, n: u32) -> u8 {
        (1..=n % MAX_STEPS).fold(seed, |acc, i| scalars::wrap_u8(acc, i as u8))
    }

    fn digest(a: i8, b: i16, c: u16, d: u32) -> i64 {
        let negated = scalars::neg_s8(a);
        let product = scalars::mul_s16(b, i16::from(negated));
        let swapped = scalars::swap_u16(c);
        let mixed = scalars::xor_u32(d, u32::from(swapped));
        let sum = scalars::add_s32(mixed.cast_signed(), i32::from(product));
        scalars::sub_s64(i64::from(sum) << 8, i64::from(product))
    }

    fn blend(
        a: i8,
        b: u8,
        c: i16,
        d: u16,
        e: i32,
        f: u32,
        g: i64,
        h: u64,
        i: f32,
        j: f64,
        k: bool,
        l: char,
    ) -> f64 {
        scalars::negate_f64(scalars::mix(a, b, c, d, e, f, g, h, i, j, k, l))
    }

    fn count_pings(n: u32) -> u32 {
        for _ in 0..n % MAX_STEPS {
            scalars::ping();
        }
        scalars::pings()
    }
}

export!(Calc);
