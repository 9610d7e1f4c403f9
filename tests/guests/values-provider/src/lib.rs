//! Exports `text`, `sequences`, `shapes` and `wide`: functions over every
//! kind of component value (strings, lists, records, tuples, variants,
//! enums, options, results, flags) and signatures that spill to memory or
//! return through a pointer. Every argument is valid input; arithmetic
//! wraps. The expected results are written down independently in
//! `values-consumer`'s self-test.

wit_bindgen::generate!({ path: "../wit", world: "values-provider" });

use exports::meld::fixtures::{sequences, shapes, text, wide};
use sequences::Entry;
use shapes::{Color, Fault, Many, Person, Point, Shape, Small};
use wide::Big;

struct Provider;

/// FNV-1a over bytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The next Unicode scalar value, skipping surrogates, wrapping to '\0'.
fn next_char(c: char) -> char {
    match c {
        '\u{D7FF}' => '\u{E000}',
        char::MAX => '\0',
        c => char::from_u32(u32::from(c) + 1).unwrap_or('\0'),
    }
}

fn next_color(c: Color) -> Color {
    match c {
        Color::Red => Color::Green,
        Color::Green => Color::Blue,
        Color::Blue => Color::Cyan,
        Color::Cyan => Color::Magenta,
        Color::Magenta => Color::Yellow,
        Color::Yellow => Color::Black,
        Color::Black => Color::White,
        Color::White => Color::Red,
    }
}

fn older(p: Person) -> Person {
    Person {
        name: p.name + "!",
        age: p.age.wrapping_add(1),
        email: p.email,
        scores: p.scores.iter().map(|s| s * 2.0).collect(),
        home: p.home,
    }
}

impl text::Guest for Provider {
    fn echo(s: String) -> String {
        s
    }

    fn concat(a: String, b: String) -> String {
        a + &b
    }

    fn chars(s: String) -> u32 {
        s.chars().count() as u32
    }

    fn reverse(s: String) -> String {
        s.chars().rev().collect()
    }

    fn split(s: String, sep: char) -> Vec<String> {
        s.split(sep).map(String::from).collect()
    }

    fn join(parts: Vec<String>, sep: String) -> String {
        parts.join(&sep)
    }

    fn measure(s: String) -> (u32, u32, u64) {
        (
            s.len() as u32,
            s.chars().count() as u32,
            fnv1a(s.as_bytes()),
        )
    }

    fn repeat(s: String, n: u8) -> String {
        s.repeat(usize::from(n % 8))
    }
}

impl sequences::Guest for Provider {
    fn sum_u8(xs: Vec<u8>) -> u64 {
        xs.iter().map(|x| u64::from(*x)).sum()
    }

    fn reverse_u8(mut xs: Vec<u8>) -> Vec<u8> {
        xs.reverse();
        xs
    }

    fn echo_u16(xs: Vec<u16>) -> Vec<u16> {
        xs
    }

    fn scale_s32(xs: Vec<i32>, k: i32) -> Vec<i32> {
        xs.iter().map(|x| x.wrapping_mul(k)).collect()
    }

    fn echo_u64(xs: Vec<u64>) -> Vec<u64> {
        xs
    }

    fn echo_s64(xs: Vec<i64>) -> Vec<i64> {
        xs
    }

    fn echo_f32(xs: Vec<f32>) -> Vec<f32> {
        xs
    }

    fn echo_f64(xs: Vec<f64>) -> Vec<f64> {
        xs
    }

    fn negate_bools(xs: Vec<bool>) -> Vec<bool> {
        xs.iter().map(|b| !b).collect()
    }

    fn next_chars(xs: Vec<char>) -> Vec<char> {
        xs.into_iter().map(next_char).collect()
    }

    fn sort_strings(mut xs: Vec<String>) -> Vec<String> {
        xs.sort();
        xs
    }

    fn flatten(xs: Vec<Vec<u16>>) -> Vec<u16> {
        xs.concat()
    }

    fn chunks(xs: Vec<u32>, size: u8) -> Vec<Vec<u32>> {
        xs.chunks(usize::from(size.max(1)))
            .map(<[u32]>::to_vec)
            .collect()
    }

    fn entries(xs: Vec<Option<Entry>>) -> Vec<Option<Entry>> {
        xs.into_iter()
            .map(|entry| {
                entry.map(|mut e| {
                    e.tags.reverse();
                    Entry {
                        name: e.name.to_ascii_uppercase(),
                        tags: e.tags,
                    }
                })
            })
            .collect()
    }

    fn tag_count(xs: Vec<Entry>) -> u32 {
        xs.iter().map(|e| e.tags.len() as u32).sum()
    }

    fn echo_entries(xs: Vec<Entry>) -> Vec<Entry> {
        xs
    }

    fn enumerate(xs: Vec<String>) -> Vec<(u32, String)> {
        xs.into_iter()
            .enumerate()
            .map(|(i, s)| (i as u32, s))
            .collect()
    }
}

fn translate(p: Point, dx: i32, dy: i32) -> Point {
    Point {
        x: p.x.wrapping_add(dx),
        y: p.y.wrapping_add(dy),
    }
}

impl shapes::Guest for Provider {
    fn translate(p: Point, dx: i32, dy: i32) -> Point {
        translate(p, dx, dy)
    }

    fn translate_all(ps: Vec<Point>, dx: i32, dy: i32) -> Vec<Point> {
        ps.into_iter().map(|p| translate(p, dx, dy)).collect()
    }

    fn older(p: Person) -> Person {
        older(p)
    }

    fn swap(t: (u8, String, f64)) -> (f64, String, u8) {
        (t.2, t.1, t.0)
    }

    fn area(s: Shape) -> f64 {
        match s {
            Shape::Circle(r) => std::f64::consts::PI * f64::from(r) * f64::from(r),
            Shape::Rect(p) => (f64::from(p.x) * f64::from(p.y)).abs(),
            Shape::Polygon(ps) => {
                let n = ps.len();
                let twice: f64 = (0..n)
                    .map(|i| {
                        let (a, b) = (ps[i], ps[(i + 1) % n]);
                        f64::from(a.x) * f64::from(b.y) - f64::from(b.x) * f64::from(a.y)
                    })
                    .sum();
                twice.abs() / 2.0
            }
            Shape::Label(s) => s.len() as f64,
            Shape::Empty => 0.0,
            Shape::Tinted(c) => c.map_or(-1.0, |c| f64::from(c as u8)),
            Shape::Big(n) => n as f64,
        }
    }

    fn grow(s: Shape) -> Shape {
        match s {
            Shape::Circle(r) => Shape::Circle(r * 2.0),
            Shape::Rect(p) => Shape::Rect(Point { x: p.y, y: p.x }),
            Shape::Polygon(mut ps) => {
                if let Some(first) = ps.first().copied() {
                    ps.push(first);
                }
                Shape::Polygon(ps)
            }
            Shape::Label(s) => Shape::Label(s + "+"),
            Shape::Empty => Shape::Tinted(None),
            Shape::Tinted(None) => Shape::Tinted(Some(Color::Red)),
            Shape::Tinted(Some(c)) => Shape::Tinted(Some(next_color(c))),
            Shape::Big(n) => Shape::Big(n.wrapping_mul(2)),
        }
    }

    fn next_color(c: Color) -> Color {
        next_color(c)
    }

    fn invert_small(f: Small) -> Small {
        Small::all() ^ f
    }

    fn invert_many(f: Many) -> Many {
        Many::all() ^ f
    }

    fn rotate_many(f: Many) -> Many {
        Many::from_bits_retain(f.bits().rotate_left(1))
    }

    fn nested_option(x: Option<Option<u32>>) -> Option<Option<u32>> {
        match x {
            None => Some(None),
            Some(None) => Some(Some(0)),
            Some(Some(n)) if n % 2 == 0 => Some(Some(n / 2)),
            Some(Some(_)) => None,
        }
    }

    fn first_char(s: Option<String>) -> Option<char> {
        s.and_then(|s| s.chars().next())
    }

    fn parse(s: String) -> Result<i64, Fault> {
        if let Some(rest) = s.strip_prefix('#') {
            return Err(Fault::Denied((rest.len() as u8, rest.to_string())));
        }
        s.parse::<i64>().map_err(|e| match e.kind() {
            std::num::IntErrorKind::Empty => Fault::NotFound(s.clone()),
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                Fault::Overflow
            }
            _ => Fault::Invalid(s.len() as u32),
        })
    }

    fn decode(r: Result<Vec<u8>, Fault>) -> Result<String, Fault> {
        let bytes = r?;
        String::from_utf8(bytes).map_err(|e| Fault::Invalid(e.utf8_error().valid_up_to() as u32))
    }

    fn check(r: Result<(), String>) -> Result<u32, ()> {
        match r {
            Ok(()) => Ok(0),
            Err(s) if s.is_empty() => Err(()),
            Err(s) => Ok(s.len() as u32),
        }
    }

    fn flip(r: Result<(), ()>) -> Result<(), ()> {
        match r {
            Ok(()) => Err(()),
            Err(()) => Ok(()),
        }
    }

    fn both(b: bool, c: char) -> (char, bool) {
        (c, !b)
    }

    fn maybe_person(x: Option<Person>) -> Option<Person> {
        x.map(older)
    }

    fn faults(xs: Vec<Fault>) -> Vec<Result<u32, Fault>> {
        xs.into_iter()
            .map(|f| match f {
                Fault::NotFound(s) => Ok(s.len() as u32),
                Fault::Invalid(n) if n % 2 == 0 => Ok(n),
                Fault::Invalid(n) => Err(Fault::Invalid(n.wrapping_add(1))),
                Fault::Overflow => Err(Fault::Overflow),
                Fault::Denied((k, s)) => {
                    Err(Fault::Denied((k.wrapping_add(1), s.to_ascii_uppercase())))
                }
            })
            .collect()
    }
}

impl wide::Guest for Provider {
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
        // Weighted by position, so a swapped pair shows.
        [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p]
            .iter()
            .zip(1u64..)
            .map(|(x, w)| u64::from(*x) * w)
            .sum()
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
        let head = <Self as wide::Guest>::sum16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p);
        head.wrapping_add(q.rotate_left(17))
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
        let ints = [
            i128::from(a),
            i128::from(b),
            i128::from(c),
            i128::from(d),
            i128::from(e),
            i128::from(f),
            i128::from(g),
            i128::from(h),
            i128::from(k),
            i128::from(u32::from(l)),
            i128::from(m),
            i128::from(n),
            i128::from(o),
            i128::from(p),
            i128::from(s),
            i128::from(t),
        ];
        let weighted: i128 = ints.iter().zip(1i128..).map(|(x, w)| x * w).sum();
        (weighted % 1_000_000_007) as f64 + f64::from(i) * 3.0 + j * 5.0 + f64::from(q) * 7.0 + r
    }

    fn mirror(r: Big) -> Big {
        Big {
            a: r.a.wrapping_add(1),
            b: r.b.wrapping_neg(),
            c: r.c.swap_bytes(),
            d: r.d.wrapping_mul(3),
            e: !r.e,
            f: r.f.rotate_left(5),
            g: r.g.wrapping_mul(0x9e37_79b9),
            h: r.h.wrapping_sub(1),
            i: -r.i,
            j: r.j * 0.5,
            k: !r.k,
            l: next_char(r.l),
            m: r.m.chars().rev().collect(),
            n: r.n.iter().rev().map(|x| x ^ 0x00ff).collect(),
            o: match r.o {
                Some(x) => x.checked_add(1),
                None => Some(0),
            },
            p: (
                r.p.0 ^ 0xff,
                Point {
                    x: r.p.1.y,
                    y: r.p.1.x,
                },
            ),
            q: next_color(r.q),
        }
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
        let text = format!(
            "{a}|{}|{}|{}|{}",
            c.as_deref().unwrap_or("-"),
            f.join(","),
            e.2,
            e.1
        );
        let count = (b.len() + f.len()) as u32 + u32::from(g);
        let sum = b
            .iter()
            .map(|x| u64::from(*x))
            .fold(e.0, u64::wrapping_add)
            .wrapping_add(h.unwrap_or(7))
            .wrapping_add(match d {
                Ok(x) => u64::from(x),
                Err(s) => s.len() as u64 * 1000,
            });
        (text, count, sum)
    }

    fn spread(x: u64) -> (u8, u16, u32, u64, f32, f64, bool, char) {
        (
            x as u8,
            (x >> 8) as u16,
            (x >> 16) as u32,
            !x,
            x as f32,
            (x as i64) as f64,
            x & 1 == 1,
            char::from_u32((x % 0x11_0000) as u32).unwrap_or('?'),
        )
    }
}

export!(Provider);
