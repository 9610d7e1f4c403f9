//! The head of the `res-chain` fixture: imports `floats` (from the proxy)
//! and `nums` (from the wrapper) and exports `chain-checks`: a self-test,
//! a logged lifecycle, raw handle numbers, and the borrow misuses of the
//! wrapper plus a wrong-type handle, one export each.

wit_bindgen::generate!({ path: "../wit", world: "chain-runner" });

use exports::meld::fixtures::chain_checks::Guest;
use meld::fixtures::floats::{Float, Words};
use meld::fixtures::logbook;
use meld::fixtures::nums::{self, Num};

/// Counts passed checks; the first failed one ends the self-test.
struct Checks(u32);

impl Checks {
    fn eq<T: PartialEq + std::fmt::Debug>(
        &mut self,
        what: &str,
        got: T,
        want: T,
    ) -> Result<(), String> {
        if got == want {
            self.0 += 1;
            Ok(())
        } else {
            Err(format!("{what}: got {got:?}, want {want:?}"))
        }
    }
}

fn self_test() -> Result<u32, String> {
    let mut c = Checks(0);
    let one = Float::new(1.5);
    let two = Float::new(-0.25);
    c.eq("get", one.get(), 1.5)?;
    let sum = one.add(&two);
    c.eq("add", sum.get(), 1.25)?;
    c.eq("add keeps operands", (one.get(), two.get()), (1.5, -0.25))?;
    let total = Float::sum(vec![Float::new(1.0), Float::new(2.0), sum]);
    c.eq("sum", total.get(), 4.25)?;
    c.eq("sum of none", Float::sum(Vec::new()).get(), 0.0)?;
    c.eq("nan", Float::new(f64::NAN).get().is_nan(), true)?;

    let words = Words::new(&["a".to_string(), "ünï".to_string(), String::new()]);
    words.push("日本語テキスト");
    c.eq("words", words.items().len(), 4)?;
    c.eq("lengths", words.lengths(), vec![1, 3, 0, 7])?;
    let many: Vec<String> = (0..300).map(|i| "w".repeat(i % 17)).collect();
    let big = Words::new(&many);
    c.eq("many words", big.items(), many)?;

    let n = Num::new(2.0);
    c.eq("num value", n.value(), 2.0)?;
    let m = n.plus(&Num::new(0.5));
    c.eq("plus", m.value(), 2.5)?;
    let of = Num::of_float(&one);
    c.eq("of-float", of.value(), 1.5)?;
    let back = m.to_float();
    c.eq("to-float", back.get(), 2.5)?;
    c.eq("to-float is a float", back.add(&one).get(), 4.0)?;
    c.eq("scale", n.scale(&words), vec![3.0, 5.0, 2.0, 9.0])?;
    c.eq("peek", nums::peek(&two), -0.25)?;
    c.eq("peek twice", nums::peek(&two), -0.25)?;
    Ok(c.0)
}

fn lifecycle() -> Vec<String> {
    logbook::take();
    let a = Float::new(1.0);
    let n = Num::new(10.0);
    let m = n.plus(&Num::of_float(&a));
    logbook::note(&format!("made {}", m.value()));
    drop(a);
    let f = m.to_float();
    drop(n);
    let words = Words::new(&["x".to_string(), "yz".to_string()]);
    logbook::note(&format!("scaled {:?}", m.scale(&words)));
    drop(words);
    drop(m);
    drop(f);
    logbook::take()
}

fn handles() -> Vec<u32> {
    let a = Float::new(1.0);
    let b = Float::new(2.0);
    let n = Num::new(3.0);
    let mut seen = vec![a.handle(), b.handle(), n.handle(), nums::borrow_handle(&a)];
    drop(b);
    let words = Words::new(&[]);
    let f = n.to_float();
    seen.extend([words.handle(), f.handle(), nums::borrow_handle(&f)]);
    seen
}

struct Runner;

impl Guest for Runner {
    fn self_test() -> Result<u32, String> {
        self_test()
    }

    fn lifecycle() -> Vec<String> {
        lifecycle()
    }

    fn handles() -> Vec<u32> {
        handles()
    }

    fn leaked_borrow() -> f64 {
        nums::peek_leaky(&Float::new(4.0))
    }

    fn borrow_as_own() -> f64 {
        nums::peek_steal(&Float::new(5.0))
    }

    fn wrong_type() -> f64 {
        let words = Words::new(&["w".to_string()]);
        // SAFETY: deliberately calls a float method with a words handle;
        // the call traps.
        let fake = unsafe { Float::from_handle(words.handle()) };
        let value = fake.get();
        fake.take_handle();
        value
    }
}

export!(Runner);
