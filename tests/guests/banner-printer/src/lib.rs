//! Exports `meld:fixtures/banners`: a `banner` resource that prints
//! through WASI's stdout, from its methods and from its destructor.

use std::cell::RefCell;

wit_bindgen::generate!({ path: "../wit", world: "banner-printer" });

use exports::meld::fixtures::banners::{Banner, Guest, GuestBanner};

struct BannerRep(RefCell<String>);

impl Drop for BannerRep {
    fn drop(&mut self) {
        println!("printer: banner {:?} taken down", self.0.borrow());
    }
}

impl GuestBanner for BannerRep {
    fn new(text: String) -> Self {
        println!("printer: banner {text:?} put up");
        Self(RefCell::new(text))
    }

    fn show(&self, times: u8) -> u32 {
        let times = u32::from(times % 8);
        for i in 1..=times {
            println!("printer: [{}] #{i}", self.0.borrow());
        }
        times
    }

    fn rename(&self, text: String) {
        println!("printer: {:?} renamed {text:?}", self.0.borrow());
        *self.0.borrow_mut() = text;
    }

    fn shout(text: String) -> Banner {
        Banner::new(Self::new(text.to_uppercase()))
    }
}

struct Printer;

impl Guest for Printer {
    type Banner = BannerRep;
}

export!(Printer);
