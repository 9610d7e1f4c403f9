//! The consumer's own checks: calls into the provider with fixed values
//! chosen for the Canonical ABI's corner cases (empty and >64 KiB strings
//! and lists, non-ASCII and astral chars, every variant and enum case,
//! every flag combination of `small`, boundary patterns of the
//! 32-flag `many`, spilled parameters) and compares each result with the value
//! expected by the interface's documentation, computed here.

use crate::meld::fixtures::{sequences, shapes, text, wide};
use sequences::Entry;
use shapes::{Color, Fault, Many, Person, Point, Shape, Small};
use wide::Big;

/// Counts checks and stops at the first failure.
struct Checker {
    passed: u32,
}

impl Checker {
    fn eq<T: PartialEq + std::fmt::Debug>(
        &mut self,
        what: &str,
        got: T,
        expected: T,
    ) -> Result<(), String> {
        if got == expected {
            self.passed += 1;
            Ok(())
        } else {
            let got = abbreviate(format!("{got:?}"));
            let expected = abbreviate(format!("{expected:?}"));
            Err(format!(
                "check {} ({what}) failed: got {got}, expected {expected}",
                self.passed + 1
            ))
        }
    }
}

/// Keeps failure messages short when a value is a 70 KiB string.
fn abbreviate(text: String) -> String {
    if text.len() <= 300 {
        return text;
    }
    let mut cut = 300;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}... ({} bytes)", &text[..cut], text.len())
}

pub(crate) fn run() -> Result<u32, String> {
    let mut check = Checker { passed: 0 };
    strings(&mut check)?;
    lists(&mut check)?;
    records_and_variants(&mut check)?;
    flags(&mut check)?;
    spilled(&mut check)?;
    Ok(check.passed)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Strings: empty, ASCII, NUL, 2-, 3- and 4-byte UTF-8, the largest
/// scalar value, and one of 70 000 bytes.
fn interesting_strings() -> Vec<String> {
    vec![
        String::new(),
        "a".to_string(),
        "nul\0inside".to_string(),
        "héllo wörld".to_string(),
        "日本語のテキスト".to_string(),
        "😀🎉 astral \u{10FFFF}".to_string(),
        "\u{D7FF}\u{E000}\u{FFFF}\u{10000}".to_string(),
        "aé€😀".repeat(7000),
    ]
}

fn strings(check: &mut Checker) -> Result<(), String> {
    let samples = interesting_strings();
    for s in &samples {
        check.eq("echo", text::echo(s), s.clone())?;
        check.eq("chars", text::chars(s), s.chars().count() as u32)?;
        check.eq("reverse", text::reverse(s), s.chars().rev().collect())?;
        check.eq(
            "measure",
            text::measure(s),
            (
                s.len() as u32,
                s.chars().count() as u32,
                fnv1a(s.as_bytes()),
            ),
        )?;
        check.eq("concat", text::concat(s, "→𝄞"), format!("{s}→𝄞"))?;
    }
    check.eq("repeat 3", text::repeat("ab€", 3), "ab€ab€ab€".to_string())?;
    check.eq("repeat 9 % 8", text::repeat("x", 9), "x".to_string())?;
    check.eq("repeat 0", text::repeat("x", 0), String::new())?;
    check.eq(
        "split",
        text::split("a,b,,ü😀", ','),
        vec!["a".into(), "b".into(), String::new(), "ü😀".into()],
    )?;
    check.eq("split empty", text::split("", ','), vec![String::new()])?;
    check.eq(
        "split astral separator",
        text::split("x😀y😀", '😀'),
        vec!["x".into(), "y".into(), String::new()],
    )?;
    check.eq("join none", text::join(&[], "-"), String::new())?;
    check.eq("join", text::join(&samples, "|"), samples.join("|"))?;
    Ok(())
}

fn lists(check: &mut Checker) -> Result<(), String> {
    let bytes: Vec<u8> = (0..=255).cycle().take(70_000).collect();
    check.eq("sum-u8 empty", sequences::sum_u8(&[]), 0)?;
    check.eq(
        "sum-u8 70000",
        sequences::sum_u8(&bytes),
        bytes.iter().map(|b| u64::from(*b)).sum(),
    )?;
    check.eq(
        "reverse-u8",
        sequences::reverse_u8(&bytes),
        bytes.iter().rev().copied().collect(),
    )?;
    let halves = [0, 1, 0x7fff, 0x8000, 0xffff];
    check.eq("echo-u16", sequences::echo_u16(&halves), halves.to_vec())?;
    check.eq("echo-u16 empty", sequences::echo_u16(&[]), Vec::new())?;
    check.eq(
        "scale-s32",
        sequences::scale_s32(&[1, -1, i32::MAX, i32::MIN], -3),
        vec![-3, 3, i32::MAX.wrapping_mul(-3), i32::MIN.wrapping_mul(-3)],
    )?;
    let wides = [0, 1, u64::MAX, 1 << 63, 0x0123_4567_89ab_cdef];
    check.eq("echo-u64", sequences::echo_u64(&wides), wides.to_vec())?;
    let signed = [0, -1, i64::MIN, i64::MAX];
    check.eq("echo-s64", sequences::echo_s64(&signed), signed.to_vec())?;
    let singles = [0.0, -0.0, 1.5, f32::MAX, f32::MIN_POSITIVE, f32::INFINITY];
    let got: Vec<u32> = sequences::echo_f32(&singles)
        .iter()
        .map(|x| x.to_bits())
        .collect();
    check.eq(
        "echo-f32",
        got,
        singles.iter().map(|x| x.to_bits()).collect(),
    )?;
    let doubles = [
        0.0,
        -0.0,
        -2.25,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::NEG_INFINITY,
    ];
    let got: Vec<u64> = sequences::echo_f64(&doubles)
        .iter()
        .map(|x| x.to_bits())
        .collect();
    check.eq(
        "echo-f64",
        got,
        doubles.iter().map(|x| x.to_bits()).collect(),
    )?;
    check.eq(
        "negate-bools",
        sequences::negate_bools(&[true, false, false, true, true]),
        vec![false, true, true, false, false],
    )?;
    check.eq(
        "next-chars",
        sequences::next_chars(&[
            'a',
            '\u{7f}',
            'é',
            '\u{D7FF}',
            '\u{FFFF}',
            '😀',
            '\u{10FFFF}',
        ]),
        vec!['b', '\u{80}', 'ê', '\u{E000}', '\u{10000}', '😁', '\0'],
    )?;
    let words: Vec<String> = ["pear", "", "Äpfel", "apple", "😀", "b"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut sorted = words.clone();
    sorted.sort();
    check.eq("sort-strings", sequences::sort_strings(&words), sorted)?;
    check.eq(
        "sort-strings empty",
        sequences::sort_strings(&[]),
        Vec::new(),
    )?;
    let nested = vec![vec![1, 2], vec![], vec![0xffff], vec![]];
    check.eq("flatten", sequences::flatten(&nested), vec![1, 2, 0xffff])?;
    check.eq("flatten empty", sequences::flatten(&[]), Vec::new())?;
    check.eq(
        "chunks",
        sequences::chunks(&[1, 2, 3, 4, 5], 2),
        vec![vec![1, 2], vec![3, 4], vec![5]],
    )?;
    check.eq(
        "chunks size 0",
        sequences::chunks(&[7, 8], 0),
        vec![vec![7], vec![8]],
    )?;
    check.eq(
        "chunks empty",
        sequences::chunks(&[], 3),
        Vec::<Vec<u32>>::new(),
    )?;
    let entries = vec![
        Some(Entry {
            name: "ab😀c".into(),
            tags: vec!["x".into(), String::new(), "日本".into()],
        }),
        None,
        Some(Entry {
            name: String::new(),
            tags: Vec::new(),
        }),
    ];
    check.eq(
        "entries",
        sequences::entries(&entries),
        vec![
            Some(Entry {
                name: "AB😀C".into(),
                tags: vec!["日本".into(), String::new(), "x".into()],
            }),
            None,
            Some(Entry {
                name: String::new(),
                tags: Vec::new(),
            }),
        ],
    )?;
    check.eq("entries empty", sequences::entries(&[]), Vec::new())?;
    let present: Vec<Entry> = entries.into_iter().flatten().collect();
    check.eq("tag-count", sequences::tag_count(&present), 3)?;
    check.eq(
        "enumerate",
        sequences::enumerate(&["z".into(), "€".into()]),
        vec![(0, "z".into()), (1, "€".into())],
    )?;
    Ok(())
}

fn person(name: &str, email: Option<&str>) -> Person {
    Person {
        name: name.into(),
        age: 255,
        email: email.map(String::from),
        scores: vec![1.5, -0.25],
        home: Point { x: -7, y: i32::MAX },
    }
}

const COLORS: [Color; 8] = [
    Color::Red,
    Color::Green,
    Color::Blue,
    Color::Cyan,
    Color::Magenta,
    Color::Yellow,
    Color::Black,
    Color::White,
];

fn records_and_variants(check: &mut Checker) -> Result<(), String> {
    check.eq(
        "translate",
        shapes::translate(Point { x: i32::MAX, y: -1 }, 1, 1),
        Point { x: i32::MIN, y: 0 },
    )?;
    let points: Vec<Point> = (0..8).map(|i| Point { x: i, y: -i }).collect();
    check.eq(
        "translate-all",
        shapes::translate_all(&points, 10, 20),
        (0..8)
            .map(|i| Point {
                x: i + 10,
                y: 20 - i,
            })
            .collect(),
    )?;
    check.eq(
        "translate-all empty",
        shapes::translate_all(&[], 1, 1),
        Vec::new(),
    )?;
    let p = person("Zoë 😀", Some("z@example.org"));
    let expected = Person {
        name: "Zoë 😀!".into(),
        age: 0,
        email: Some("z@example.org".into()),
        scores: vec![3.0, -0.5],
        home: Point { x: -7, y: i32::MAX },
    };
    check.eq("older", shapes::older(&p), expected.clone())?;
    check.eq(
        "maybe-person some",
        shapes::maybe_person(Some(&p)),
        Some(expected),
    )?;
    check.eq("maybe-person none", shapes::maybe_person(None), None)?;
    let anonymous = person("", None);
    check.eq("older without email", shapes::older(&anonymous).email, None)?;
    check.eq(
        "swap",
        shapes::swap((200, "ß", -0.5)),
        (-0.5, "ß".into(), 200),
    )?;

    // Every case of `shape`, with `area` and `grow`.
    let cases = [
        (Shape::Circle(1.0), std::f64::consts::PI, Shape::Circle(2.0)),
        (
            Shape::Rect(Point { x: -3, y: 4 }),
            12.0,
            Shape::Rect(Point { x: 4, y: -3 }),
        ),
        (
            Shape::Polygon(vec![
                Point { x: 0, y: 0 },
                Point { x: 4, y: 0 },
                Point { x: 0, y: 3 },
            ]),
            6.0,
            Shape::Polygon(vec![
                Point { x: 0, y: 0 },
                Point { x: 4, y: 0 },
                Point { x: 0, y: 3 },
                Point { x: 0, y: 0 },
            ]),
        ),
        (Shape::Polygon(Vec::new()), 0.0, Shape::Polygon(Vec::new())),
        (Shape::Label("€😀".into()), 7.0, Shape::Label("€😀+".into())),
        (Shape::Empty, 0.0, Shape::Tinted(None)),
        (Shape::Tinted(None), -1.0, Shape::Tinted(Some(Color::Red))),
        (
            Shape::Tinted(Some(Color::White)),
            7.0,
            Shape::Tinted(Some(Color::Red)),
        ),
        (
            Shape::Big(u64::MAX),
            u64::MAX as f64,
            Shape::Big(u64::MAX - 1),
        ),
    ];
    for (shape, area, grown) in cases {
        check.eq("area", shapes::area(&shape), area)?;
        check.eq("grow", shapes::grow(&shape), grown)?;
    }
    for (i, color) in COLORS.iter().enumerate() {
        check.eq(
            "next-color",
            shapes::next_color(*color),
            COLORS[(i + 1) % 8],
        )?;
    }
    check.eq(
        "nested-option none",
        shapes::nested_option(None),
        Some(None),
    )?;
    check.eq(
        "nested-option some(none)",
        shapes::nested_option(Some(None)),
        Some(Some(0)),
    )?;
    check.eq(
        "nested-option even",
        shapes::nested_option(Some(Some(u32::MAX - 1))),
        Some(Some(u32::MAX / 2)),
    )?;
    check.eq(
        "nested-option odd",
        shapes::nested_option(Some(Some(3))),
        None,
    )?;
    check.eq("first-char none", shapes::first_char(None), None)?;
    check.eq("first-char empty", shapes::first_char(Some("")), None)?;
    check.eq(
        "first-char astral",
        shapes::first_char(Some("😀x")),
        Some('😀'),
    )?;

    check.eq("parse", shapes::parse("-9223372036854775808"), Ok(i64::MIN))?;
    check.eq(
        "parse empty",
        shapes::parse(""),
        Err(Fault::NotFound(String::new())),
    )?;
    check.eq(
        "parse overflow",
        shapes::parse("9223372036854775808"),
        Err(Fault::Overflow),
    )?;
    check.eq(
        "parse invalid",
        shapes::parse("12x"),
        Err(Fault::Invalid(3)),
    )?;
    check.eq(
        "parse denied",
        shapes::parse("#nö"),
        Err(Fault::Denied((3, "nö".into()))),
    )?;
    check.eq(
        "decode ok",
        shapes::decode(Ok("ü€".as_bytes())),
        Ok("ü€".into()),
    )?;
    check.eq("decode empty", shapes::decode(Ok(&[])), Ok(String::new()))?;
    check.eq(
        "decode invalid utf8",
        shapes::decode(Ok(&[b'a', 0xff, b'b'])),
        Err(Fault::Invalid(1)),
    )?;
    let denied = Fault::Denied((9, "no".into()));
    check.eq("decode err", shapes::decode(Err(&denied)), Err(denied))?;
    check.eq("check ok", shapes::check(Ok(())), Ok(0))?;
    check.eq("check err empty", shapes::check(Err("")), Err(()))?;
    check.eq("check err", shapes::check(Err("four")), Ok(4))?;
    check.eq("flip ok", shapes::flip(Ok(())), Err(()))?;
    check.eq("flip err", shapes::flip(Err(())), Ok(()))?;
    for (b, c) in [(true, '\0'), (false, '\u{10FFFF}'), (true, '😀')] {
        check.eq("both", shapes::both(b, c), (c, !b))?;
    }
    let faults = [
        Fault::NotFound("ab".into()),
        Fault::Invalid(4),
        Fault::Invalid(u32::MAX),
        Fault::Overflow,
        Fault::Denied((255, "yes".into())),
    ];
    check.eq(
        "faults",
        shapes::faults(&faults),
        vec![
            Ok(2),
            Ok(4),
            Err(Fault::Invalid(0)),
            Err(Fault::Overflow),
            Err(Fault::Denied((0, "YES".into()))),
        ],
    )?;
    check.eq("faults empty", shapes::faults(&[]), Vec::new())?;
    Ok(())
}

fn flags(check: &mut Checker) -> Result<(), String> {
    // All 16 combinations of the four small flags.
    for bits in 0..16u8 {
        let f = Small::from_bits_retain(bits);
        check.eq("invert-small", shapes::invert_small(f).bits(), !bits & 0xf)?;
    }
    let patterns = [
        0,
        u32::MAX,
        1,
        1 << 30,
        1 << 31,
        0x5555_5555,
        0xaaaa_aaaa,
        0xffff_0000,
        0x0000_ffff,
    ];
    for bits in patterns {
        let f = Many::from_bits_retain(bits);
        check.eq("invert-many", shapes::invert_many(f).bits(), !bits)?;
        check.eq(
            "rotate-many",
            shapes::rotate_many(f).bits(),
            bits.rotate_left(1),
        )?;
    }
    Ok(())
}

fn big() -> Big {
    Big {
        a: 255,
        b: i8::MIN,
        c: 0x1234,
        d: -2,
        e: 0,
        f: 1,
        g: 3,
        h: i64::MIN,
        i: 1.5,
        j: -8.0,
        k: false,
        l: '\u{D7FF}',
        m: "ab😀".into(),
        n: vec![1, 0xff00],
        o: Some(u32::MAX),
        p: (0x0f, Point { x: 1, y: -1 }),
        q: Color::White,
    }
}

fn spilled(check: &mut Checker) -> Result<(), String> {
    let weighted =
        |xs: &[u32]| -> u64 { xs.iter().zip(1u64..).map(|(x, w)| u64::from(*x) * w).sum() };
    let xs: Vec<u32> = (0..16).map(|i| u32::MAX - i).collect();
    check.eq(
        "sum16",
        wide::sum16(
            xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], xs[6], xs[7], xs[8], xs[9], xs[10], xs[11],
            xs[12], xs[13], xs[14], xs[15],
        ),
        weighted(&xs),
    )?;
    check.eq(
        "sum17",
        wide::sum17(
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8,
            9,
            10,
            11,
            12,
            13,
            14,
            15,
            16,
            1 << 50,
        ),
        weighted(&(1..=16).collect::<Vec<u32>>()).wrapping_add((1u64 << 50).rotate_left(17)),
    )?;
    // Weights 1..=16 over the integer parameters (bool and char included).
    let ints: [i128; 16] = [
        200,
        -5,
        65535,
        -32768,
        7,
        -7,
        1 << 40,
        -(1 << 40),
        1,
        0x1F600,
        9,
        -9,
        11,
        -11,
        13,
        14,
    ];
    let weighted: i128 = ints.iter().zip(1i128..).map(|(x, w)| x * w).sum();
    check.eq(
        "mix20",
        wide::mix20(
            200,
            -5,
            65535,
            -32768,
            7,
            -7,
            1 << 40,
            -(1 << 40),
            0.5,
            0.25,
            true,
            '😀',
            9,
            -9,
            11,
            -11,
            2.0,
            -1.0,
            13,
            14,
        ),
        (weighted % 1_000_000_007) as f64 + 1.5 + 1.25 + 14.0 - 1.0,
    )?;
    check.eq(
        "mirror",
        wide::mirror(&big()),
        Big {
            a: 0,
            b: i8::MIN,
            c: 0x3412,
            d: -6,
            e: u32::MAX,
            f: 32,
            g: 3 * 0x9e37_79b9,
            h: i64::MAX,
            i: -1.5,
            j: -4.0,
            k: true,
            l: '\u{E000}',
            m: "😀ba".into(),
            n: vec![0xffff, 0x00fe],
            o: None,
            p: (0xf0, Point { x: -1, y: 1 }),
            q: Color::Red,
        },
    )?;
    check.eq(
        "gather",
        wide::gather(
            "α",
            &[1, 2, u32::MAX],
            Some("β"),
            Err("bad"),
            (10, 0.5, '😀'),
            &["x".into(), String::new()],
            3,
            None,
        ),
        (
            "α|β|x,|😀|0.5".to_string(),
            3 + 2 + 3,
            10 + 1 + 2 + u64::from(u32::MAX) + 7 + 3000,
        ),
    )?;
    check.eq(
        "gather empty",
        wide::gather(
            "",
            &[],
            None,
            Ok(5),
            (0, -0.0, '\0'),
            &[],
            0,
            Some(u64::MAX),
        ),
        ("|-||\0|-0".to_string(), 0, u64::MAX.wrapping_add(5)),
    )?;
    let x = 0x8000_0000_0001_F600_u64;
    check.eq(
        "spread",
        wide::spread(x),
        (
            0x00,
            0x01F6,
            0x0000_0001,
            !x,
            x as f32,
            (x as i64) as f64,
            false,
            char::from_u32((x % 0x11_0000) as u32).unwrap_or('?'),
        ),
    )?;
    Ok(())
}
