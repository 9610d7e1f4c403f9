//! Imports `meld:fixtures/banners` and exports `announcer`; prints through
//! WASI too, so two inner components hold handles to the host's stdout
//! streams, interleaved with the printer's destructors.

wit_bindgen::generate!({ path: "../wit", world: "banner-announcer" });

use exports::meld::fixtures::announcer::Guest;
use meld::fixtures::banners::Banner;

struct Announcer;

impl Guest for Announcer {
    fn announce(n: u8) -> u32 {
        let count = u32::from(n % 4) + 1;
        let banners: Vec<Banner> = (0..count)
            .map(|i| Banner::new(&format!("news {i}")))
            .collect();
        let mut shown = 0;
        for (i, banner) in banners.iter().enumerate() {
            println!("announcer: showing {i}");
            shown += banner.show(n % 3);
        }
        banners[0].rename("old news");
        let loud = Banner::shout("extra");
        drop(banners);
        println!("announcer: done, {shown} lines");
        shown + loud.show(1)
    }

    fn relay(b: &Banner) -> u32 {
        println!("announcer: relaying");
        b.show(1)
    }

    fn retire(b: Banner) {
        println!("announcer: retiring");
        b.rename("retired");
        drop(b);
        println!("announcer: retired");
    }
}

export!(Announcer);
