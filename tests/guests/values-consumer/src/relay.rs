//! The `*-relay` exports: every function calls the provider's function of
//! the same name with its arguments and returns its result.

use crate::Consumer;
use crate::exports::meld::fixtures::{sequences_relay, shapes_relay, text_relay, wide_relay};
use crate::meld::fixtures::{sequences, shapes, text, wide};
use sequences::Entry;
use shapes::{Color, Fault, Many, Person, Point, Shape, Small};
use wide::Big;

impl text_relay::Guest for Consumer {
    fn echo(s: String) -> String {
        text::echo(&s)
    }

    fn concat(a: String, b: String) -> String {
        text::concat(&a, &b)
    }

    fn chars(s: String) -> u32 {
        text::chars(&s)
    }

    fn reverse(s: String) -> String {
        text::reverse(&s)
    }

    fn split(s: String, sep: char) -> Vec<String> {
        text::split(&s, sep)
    }

    fn join(parts: Vec<String>, sep: String) -> String {
        text::join(&parts, &sep)
    }

    fn measure(s: String) -> (u32, u32, u64) {
        text::measure(&s)
    }

    fn repeat(s: String, n: u8) -> String {
        text::repeat(&s, n)
    }
}

impl sequences_relay::Guest for Consumer {
    fn sum_u8(xs: Vec<u8>) -> u64 {
        sequences::sum_u8(&xs)
    }

    fn reverse_u8(xs: Vec<u8>) -> Vec<u8> {
        sequences::reverse_u8(&xs)
    }

    fn echo_u16(xs: Vec<u16>) -> Vec<u16> {
        sequences::echo_u16(&xs)
    }

    fn scale_s32(xs: Vec<i32>, k: i32) -> Vec<i32> {
        sequences::scale_s32(&xs, k)
    }

    fn echo_u64(xs: Vec<u64>) -> Vec<u64> {
        sequences::echo_u64(&xs)
    }

    fn echo_s64(xs: Vec<i64>) -> Vec<i64> {
        sequences::echo_s64(&xs)
    }

    fn echo_f32(xs: Vec<f32>) -> Vec<f32> {
        sequences::echo_f32(&xs)
    }

    fn echo_f64(xs: Vec<f64>) -> Vec<f64> {
        sequences::echo_f64(&xs)
    }

    fn negate_bools(xs: Vec<bool>) -> Vec<bool> {
        sequences::negate_bools(&xs)
    }

    fn next_chars(xs: Vec<char>) -> Vec<char> {
        sequences::next_chars(&xs)
    }

    fn sort_strings(xs: Vec<String>) -> Vec<String> {
        sequences::sort_strings(&xs)
    }

    fn flatten(xs: Vec<Vec<u16>>) -> Vec<u16> {
        sequences::flatten(&xs)
    }

    fn chunks(xs: Vec<u32>, size: u8) -> Vec<Vec<u32>> {
        sequences::chunks(&xs, size)
    }

    fn entries(xs: Vec<Option<Entry>>) -> Vec<Option<Entry>> {
        sequences::entries(&xs)
    }

    fn tag_count(xs: Vec<Entry>) -> u32 {
        sequences::tag_count(&xs)
    }

    fn enumerate(xs: Vec<String>) -> Vec<(u32, String)> {
        sequences::enumerate(&xs)
    }
}

impl shapes_relay::Guest for Consumer {
    fn translate(p: Point, dx: i32, dy: i32) -> Point {
        shapes::translate(p, dx, dy)
    }

    fn translate_all(ps: Vec<Point>, dx: i32, dy: i32) -> Vec<Point> {
        shapes::translate_all(&ps, dx, dy)
    }

    fn older(p: Person) -> Person {
        shapes::older(&p)
    }

    fn swap(t: (u8, String, f64)) -> (f64, String, u8) {
        shapes::swap((t.0, &t.1, t.2))
    }

    fn area(s: Shape) -> f64 {
        shapes::area(&s)
    }

    fn grow(s: Shape) -> Shape {
        shapes::grow(&s)
    }

    fn next_color(c: Color) -> Color {
        shapes::next_color(c)
    }

    fn invert_small(f: Small) -> Small {
        shapes::invert_small(f)
    }

    fn invert_many(f: Many) -> Many {
        shapes::invert_many(f)
    }

    fn rotate_many(f: Many) -> Many {
        shapes::rotate_many(f)
    }

    fn nested_option(x: Option<Option<u32>>) -> Option<Option<u32>> {
        shapes::nested_option(x)
    }

    fn first_char(s: Option<String>) -> Option<char> {
        shapes::first_char(s.as_deref())
    }

    fn parse(s: String) -> Result<i64, Fault> {
        shapes::parse(&s)
    }

    fn decode(r: Result<Vec<u8>, Fault>) -> Result<String, Fault> {
        match &r {
            Ok(bytes) => shapes::decode(Ok(bytes)),
            Err(fault) => shapes::decode(Err(fault)),
        }
    }

    fn check(r: Result<(), String>) -> Result<u32, ()> {
        shapes::check(r.as_ref().copied().map_err(String::as_str))
    }

    fn flip(r: Result<(), ()>) -> Result<(), ()> {
        shapes::flip(r)
    }

    fn both(b: bool, c: char) -> (char, bool) {
        shapes::both(b, c)
    }

    fn maybe_person(x: Option<Person>) -> Option<Person> {
        shapes::maybe_person(x.as_ref())
    }

    fn faults(xs: Vec<Fault>) -> Vec<Result<u32, Fault>> {
        shapes::faults(&xs)
    }
}

impl wide_relay::Guest for Consumer {
    fn sum16(
        a: u32,
        b: u32,
        c: u32,
        d: u32,
        e: u32,
        f: u32,
        g: u32,
        h: u32,
        i: u32,
        j: u32,
        k: u32,
        l: u32,
        m: u32,
        n: u32,
        o: u32,
        p: u32,
    ) -> u64 {
        wide::sum16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)
    }

    fn sum17(
        a: u32,
        b: u32,
        c: u32,
        d: u32,
        e: u32,
        f: u32,
        g: u32,
        h: u32,
        i: u32,
        j: u32,
        k: u32,
        l: u32,
        m: u32,
        n: u32,
        o: u32,
        p: u32,
        q: u64,
    ) -> u64 {
        wide::sum17(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q)
    }

    fn mix20(
        a: u8,
        b: i8,
        c: u16,
        d: i16,
        e: u32,
        f: i32,
        g: u64,
        h: i64,
        i: f32,
        j: f64,
        k: bool,
        l: char,
        m: u32,
        n: i32,
        o: u64,
        p: i64,
        q: f32,
        r: f64,
        s: u8,
        t: u16,
    ) -> f64 {
        wide::mix20(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t)
    }

    fn mirror(r: Big) -> Big {
        wide::mirror(&r)
    }

    fn gather(
        a: String,
        b: Vec<u32>,
        c: Option<String>,
        d: Result<u32, String>,
        e: (u64, f32, char),
        f: Vec<String>,
        g: u8,
        h: Option<u64>,
    ) -> (String, u32, u64) {
        wide::gather(
            &a,
            &b,
            c.as_deref(),
            d.as_ref().copied().map_err(String::as_str),
            e,
            &f,
            g,
            h,
        )
    }

    fn spread(x: u64) -> (u8, u16, u32, u64, f32, f64, bool, char) {
        wide::spread(x)
    }
}
