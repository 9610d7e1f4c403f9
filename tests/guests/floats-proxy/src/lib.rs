//! Imports `meld:fixtures/floats` and exports it again: each exported
//! resource wraps one of the imported interface's, and every call is
//! forwarded. Destructors note `proxy drop ...` before the wrapped
//! resource is dropped (and the leaf notes its own drop).

wit_bindgen::generate!({ path: "../wit", world: "floats-proxy" });

use exports::meld::fixtures::floats::{
    Float as OuterFloat, FloatBorrow, Guest, GuestFloat, GuestWords,
};
use meld::fixtures::floats::{Float, Words};
use meld::fixtures::logbook;

struct ProxyFloat(Float);

impl Drop for ProxyFloat {
    fn drop(&mut self) {
        logbook::note(&format!("proxy drop float {}", self.0.get()));
    }
}

impl GuestFloat for ProxyFloat {
    fn new(v: f64) -> Self {
        Self(Float::new(v))
    }

    fn get(&self) -> f64 {
        self.0.get()
    }

    fn add(&self, other: FloatBorrow<'_>) -> OuterFloat {
        OuterFloat::new(Self(self.0.add(&other.get::<ProxyFloat>().0)))
    }

    fn sum(items: Vec<OuterFloat>) -> OuterFloat {
        let inner = items
            .iter()
            .map(|item| Float::new(item.get::<ProxyFloat>().0.get()))
            .collect();
        OuterFloat::new(Self(Float::sum(inner)))
    }
}

struct ProxyWords(Words);

impl Drop for ProxyWords {
    fn drop(&mut self) {
        logbook::note(&format!("proxy drop words {}", self.0.items().len()));
    }
}

impl GuestWords for ProxyWords {
    fn new(items: Vec<String>) -> Self {
        Self(Words::new(&items))
    }

    fn items(&self) -> Vec<String> {
        self.0.items()
    }

    fn push(&self, w: String) {
        self.0.push(&w);
    }

    fn lengths(&self) -> Vec<u32> {
        self.0.lengths()
    }
}

struct Proxy;

impl Guest for Proxy {
    type Float = ProxyFloat;
    type Words = ProxyWords;
}

export!(Proxy);
