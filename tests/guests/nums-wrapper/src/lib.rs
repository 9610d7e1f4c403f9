//! Imports `meld:fixtures/floats` and exports `nums`, whose `num` wraps an
//! imported `float`; every method that makes a num makes a new float
//! too. Its free functions receive borrowed floats as borrow handles
//! (the float is not this component's), and two of them misuse those.

wit_bindgen::generate!({ path: "../wit", world: "nums-wrapper" });

use exports::meld::fixtures::nums::{Guest, GuestNum, Num, NumBorrow};
use meld::fixtures::floats::{Float, Words};
use meld::fixtures::logbook;

struct NumRep(Float);

impl Drop for NumRep {
    fn drop(&mut self) {
        logbook::note(&format!("wrapper drop num {}", self.0.get()));
    }
}

impl GuestNum for NumRep {
    fn new(v: f64) -> Self {
        Self(Float::new(v))
    }

    fn value(&self) -> f64 {
        self.0.get()
    }

    fn plus(&self, other: NumBorrow<'_>) -> Num {
        Num::new(Self(self.0.add(&other.get::<NumRep>().0)))
    }

    fn of_float(f: &Float) -> Num {
        Num::new(Self(Float::new(f.get())))
    }

    fn to_float(&self) -> Float {
        Float::new(self.0.get())
    }

    fn scale(&self, w: &Words) -> Vec<f64> {
        let value = self.0.get();
        w.lengths()
            .into_iter()
            .map(|n| f64::from(n) + value)
            .collect()
    }
}

struct Wrapper;

impl Guest for Wrapper {
    type Num = NumRep;

    fn peek(f: &Float) -> f64 {
        f.get()
    }

    fn peek_leaky(f: &Float) -> f64 {
        let value = f.get();
        // Forget the borrow handle instead of dropping it: the call traps
        // when it returns.
        f.take_handle();
        value
    }

    fn peek_steal(f: &Float) -> f64 {
        // SAFETY: deliberately passes a borrow handle where an owned float
        // is expected; lifting it traps.
        let stolen = unsafe { Float::from_handle(f.handle()) };
        let sum = Float::sum(vec![stolen]);
        sum.get()
    }

    fn borrow_handle(f: &Float) -> u32 {
        f.handle()
    }
}

export!(Wrapper);
