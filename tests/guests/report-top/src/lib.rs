//! Imports `meld:fixtures/calc` and `meld:fixtures/stats` and exports
//! `meld:fixtures/report`: the top of the diamond, whose two consumers share
//! one provider.

wit_bindgen::generate!({ path: "../wit", world: "report-top" });

use exports::meld::fixtures::report::Guest;
use meld::fixtures::{calc, stats};

struct Report;

impl Guest for Report {
    fn total(n: u32) -> i64 {
        calc::sum_to(n)
            .cast_signed()
            .wrapping_add(i64::from(stats::sum_squares(n)))
    }

    fn shared_pings(n: u32) -> u32 {
        calc::count_pings(n);
        stats::ping_twice()
    }

    fn spread(a: f32, b: f32) -> f64 {
        calc::hypot(a, b) * f64::from(stats::mean3(a, b, 1.0))
    }
}

export!(Report);
