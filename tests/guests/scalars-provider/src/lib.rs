//! Exports `meld:fixtures/scalars`: one function per scalar type, a
//! twelve-parameter checksum and a call counter. Arithmetic wraps so that
//! every argument value is valid.

use std::sync::atomic::{AtomicU32, Ordering};

wit_bindgen::generate!({ path: "../wit", world: "scalars-provider" });

use exports::meld::fixtures::scalars::Guest;

static PINGS: AtomicU32 = AtomicU32::new(0);

struct Provider;

impl Guest for Provider {
    fn add_s32(a: i32, b: i32) -> i32 {
        a.wrapping_add(b)
    }

    fn add_u64(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }

    fn sub_s64(a: i64, b: i64) -> i64 {
        a.wrapping_sub(b)
    }

    fn xor_u32(a: u32, b: u32) -> u32 {
        a ^ b.rotate_left(7)
    }

    fn mul_f32(a: f32, b: f32) -> f32 {
        a * b
    }

    fn negate_f64(x: f64) -> f64 {
        -x
    }

    fn toggle(b: bool) -> bool {
        !b
    }

    fn next_char(c: char) -> char {
        match c {
            '\u{D7FF}' => '\u{E000}',
            char::MAX => '\0',
            c => char::from_u32(u32::from(c) + 1).unwrap_or('\0'),
        }
    }

    fn wrap_u8(a: u8, b: u8) -> u8 {
        a.wrapping_add(b)
    }

    fn neg_s8(x: i8) -> i8 {
        x.wrapping_neg()
    }

    fn mul_s16(a: i16, b: i16) -> i16 {
        a.wrapping_mul(b)
    }

    fn swap_u16(x: u16) -> u16 {
        x.swap_bytes()
    }

    fn mix(
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
        // Distinct weights so that swapped or dropped arguments show.
        let small = i64::from(a) * 3
            + i64::from(b) * 5
            + i64::from(c) * 7
            + i64::from(d) * 11
            + i64::from(e) * 13
            + i64::from(f) * 17;
        let wide = g.wrapping_mul(19) ^ h.cast_signed().wrapping_mul(23);
        let flag = if k { 1000.0 } else { -1000.0 };
        small as f64
            + (wide % 1_000_003) as f64
            + f64::from(i) * 0.5
            + j * 0.25
            + flag
            + f64::from(u32::from(l)) * 29.0
    }

    fn ping() {
        PINGS.fetch_add(1, Ordering::Relaxed);
    }

    fn pings() -> u32 {
        PINGS.load(Ordering::Relaxed)
    }
}

export!(Provider);
