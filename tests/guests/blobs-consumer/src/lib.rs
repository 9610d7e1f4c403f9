//! Imports `meld:fixtures/blobs` and exports `blob-checks` (a self-test,
//! a logged lifecycle, the raw handle numbers it sees and one export per
//! handle misuse that traps) and `blob-user` (functions the host calls
//! with blobs it holds).

wit_bindgen::generate!({ path: "../wit", world: "blobs-consumer" });

use exports::meld::fixtures::blob_checks;
use exports::meld::fixtures::blob_user;
use meld::fixtures::blobs::{self, Blob, Slot, Stamp, Tagged};
use meld::fixtures::logbook;

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
    let live = Blob::live();
    let a = Blob::new(&[1, 2, 3]);
    let b = Blob::new(&[]);
    c.eq("live after two", Blob::live(), live + 2)?;
    c.eq("bytes", a.bytes(), vec![1, 2, 3])?;
    c.eq("empty bytes", b.bytes(), Vec::<u8>::new())?;
    b.append(&[9; 70_000]);
    c.eq("append >64 KiB", b.bytes().len(), 70_000)?;
    let ab = a.concat(&b);
    c.eq("concat", ab.bytes().len(), 70_003)?;
    c.eq("concat keeps a", a.bytes(), vec![1, 2, 3])?;
    c.eq(
        "total-len of borrows",
        blobs::total_len(&[&a, &b, &ab, &a]),
        140_009,
    )?;
    c.eq("total-len of none", blobs::total_len(&[]), 0)?;
    let merged = Blob::merge(ab, Blob::new(&[7]));
    c.eq("merge", merged.bytes().len(), 70_004)?;
    c.eq("merge consumed both", Blob::live(), live + 3)?;
    drop(merged);

    // Records.
    let tagged = blobs::retag(
        Tagged {
            name: "t".into(),
            item: Blob::new(&[5]),
            extra: vec![Stamp::new(1), Stamp::new(2)],
        },
        "-x",
    );
    let id = tagged.item.id();
    c.eq("record name", tagged.name.clone(), format!("t-x{id}"))?;
    c.eq("record item", tagged.item.bytes(), vec![5])?;
    c.eq(
        "record stamps",
        tagged.extra.iter().map(Stamp::value).collect::<Vec<_>>(),
        vec![1, 2],
    )?;
    drop(tagged);

    // Lists of own, results holding lists.
    let joined = blobs::join(vec![Blob::new(&[1]), Blob::new(&[2, 3]), Blob::new(&[])]);
    c.eq("join", joined.bytes(), vec![1, 2, 3])?;
    c.eq(
        "join of none",
        blobs::join(Vec::new()).bytes(),
        Vec::<u8>::new(),
    )?;
    let parts = blobs::split(&joined, 1);
    c.eq("split count", parts.len(), 2)?;
    c.eq("split head", parts[0].bytes(), vec![1])?;
    c.eq("split tail", parts[1].bytes(), vec![2, 3])?;
    c.eq("split new ids", parts[1].id() > parts[0].id(), true)?;
    drop(parts);
    let parts = blobs::split(&joined, u32::MAX);
    c.eq("split clamps", parts[1].bytes(), Vec::<u8>::new())?;
    drop(parts);

    // Options.
    let some = blobs::first(Some(joined)).ok_or("first(some) gave none")?;
    c.eq("option some", some.bytes(), vec![1, 2, 3, 0xff])?;
    let fresh = blobs::first(None).ok_or("first(none) gave none")?;
    c.eq("option none", fresh.bytes(), Vec::<u8>::new())?;

    // Results.
    let kept = blobs::limit(some, 4);
    c.eq(
        "result ok",
        kept.as_ref().map(Blob::bytes).ok(),
        Some(vec![1, 2, 3, 0xff]),
    )?;
    let refused = blobs::limit(kept?, 2);
    c.eq(
        "result err",
        refused.as_ref().err().map(|e| e.contains("holds 4 bytes")),
        Some(true),
    )?;

    // Variants.
    let two = blobs::flip(Slot::One(fresh));
    let Slot::Two((item, stamp)) = two else {
        return Err("flip(one) did not give two".into());
    };
    c.eq("variant stamp", stamp.value(), 0)?;
    let one = blobs::flip(Slot::Two((item, Stamp::new(3))));
    c.eq("variant one", matches!(one, Slot::One(_)), true)?;
    c.eq(
        "variant empty",
        matches!(blobs::flip(Slot::Empty), Slot::Empty),
        true,
    )?;
    drop(one);

    // Borrow and own of different handles in one call.
    let keep = Blob::new(&[1, 1]);
    c.eq("absorb", blobs::absorb(&keep, Blob::new(&[2])), 3)?;
    drop((keep, a, b));
    c.eq("all dropped", Blob::live(), live)?;
    Ok(c.0)
}

fn lifecycle() -> Vec<String> {
    logbook::take();
    let a = Blob::new(b"a");
    let b = Blob::new(b"b");
    let c = a.concat(&b);
    logbook::note(&format!("made {} {} {}", a.id(), b.id(), c.id()));
    drop(b);
    let merged = Blob::merge(a, c);
    logbook::note(&format!("merged into {}", merged.id()));
    let parts = blobs::split(&merged, 1);
    drop(merged);
    drop(parts);
    logbook::note(&format!("live {}", Blob::live()));
    logbook::take()
}

fn handles() -> Vec<u32> {
    let first = Blob::new(&[1]);
    let second = Blob::new(&[2]);
    let third = Blob::new(&[3]);
    let mut seen = vec![first.handle(), second.handle(), third.handle()];
    drop(second);
    let stamp = Stamp::new(4);
    let joined = first.concat(&third);
    seen.extend([stamp.handle(), joined.handle()]);
    drop(first);
    let parts = blobs::split(&joined, 0);
    seen.extend(parts.iter().map(Blob::handle));
    seen
}

struct Consumer;

impl blob_checks::Guest for Consumer {
    fn self_test() -> Result<u32, String> {
        self_test()
    }

    fn lifecycle() -> Vec<String> {
        lifecycle()
    }

    fn handles() -> Vec<u32> {
        handles()
    }

    fn double_drop() -> u32 {
        let blob = Blob::new(&[1]);
        let handle = blob.take_handle();
        // SAFETY: deliberately drops one owned handle twice; the second
        // `resource.drop` traps.
        drop(unsafe { Blob::from_handle(handle) });
        drop(unsafe { Blob::from_handle(handle) });
        handle
    }

    fn use_after_drop() -> u32 {
        let blob = Blob::new(&[1, 2]);
        let handle = blob.handle();
        drop(blob);
        // SAFETY: deliberately uses a dropped handle; the call traps.
        let stale = unsafe { Blob::from_handle(handle) };
        let id = stale.id();
        stale.take_handle();
        id
    }

    fn wrong_type() -> u32 {
        let stamp = Stamp::new(5);
        // SAFETY: deliberately calls a blob method with a stamp handle;
        // the call traps.
        let fake = unsafe { Blob::from_handle(stamp.handle()) };
        let id = fake.id();
        fake.take_handle();
        id
    }

    fn own_while_borrowed() -> u32 {
        let blob = Blob::new(&[1, 2, 3]);
        // SAFETY: deliberately passes one handle as borrow and as own;
        // lifting the own traps because the handle is lent.
        let alias = unsafe { Blob::from_handle(blob.handle()) };
        blobs::absorb(&blob, alias)
    }
}

impl blob_user::Guest for Consumer {
    fn measure(b: &Blob) -> u32 {
        b.bytes().len() as u32
    }

    fn consume(b: Blob) -> u32 {
        b.id()
    }

    fn leak_borrow(b: &Blob) -> u32 {
        let len = b.bytes().len() as u32;
        // Forget the borrow handle instead of dropping it: the call traps
        // when it returns.
        b.take_handle();
        len
    }

    fn doubled(b: &Blob) -> Blob {
        b.concat(b)
    }
}

export!(Consumer);
