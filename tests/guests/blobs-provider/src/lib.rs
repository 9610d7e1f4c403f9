//! Exports `meld:fixtures/blobs`: the `blob` and `stamp` resources and
//! functions passing them inside records, lists, options, results and
//! variants. A blob's destructor notes `drop blob <id>` in the logbook;
//! ids count creations in this instance, from 1.

use std::cell::{Cell, RefCell};

wit_bindgen::generate!({ path: "../wit", world: "blobs-provider" });

use exports::meld::fixtures::blobs::{
    Blob, BlobBorrow, Guest, GuestBlob, GuestStamp, Slot, Stamp, Tagged,
};
use meld::fixtures::logbook;

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
    static LIVE: Cell<u32> = const { Cell::new(0) };
}

/// A blob's state.
struct BlobRep {
    id: u32,
    bytes: RefCell<Vec<u8>>,
}

impl BlobRep {
    fn create(bytes: Vec<u8>) -> Self {
        let id = NEXT_ID.with(|next| next.replace(next.get().wrapping_add(1)));
        LIVE.with(|live| live.set(live.get() + 1));
        Self {
            id,
            bytes: RefCell::new(bytes),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.bytes.borrow().clone()
    }

    fn len(&self) -> u32 {
        self.bytes.borrow().len() as u32
    }
}

impl Drop for BlobRep {
    fn drop(&mut self) {
        LIVE.with(|live| live.set(live.get() - 1));
        logbook::note(&format!("drop blob {}", self.id));
    }
}

fn blob(bytes: Vec<u8>) -> Blob {
    Blob::new(BlobRep::create(bytes))
}

fn rep(blob: &Blob) -> &BlobRep {
    blob.get::<BlobRep>()
}

impl GuestBlob for BlobRep {
    fn new(init: Vec<u8>) -> Self {
        Self::create(init)
    }

    fn id(&self) -> u32 {
        self.id
    }

    fn bytes(&self) -> Vec<u8> {
        BlobRep::bytes(self)
    }

    fn append(&self, more: Vec<u8>) {
        self.bytes.borrow_mut().extend(more);
    }

    fn concat(&self, other: BlobBorrow<'_>) -> Blob {
        let mut bytes = self.bytes();
        bytes.extend(other.get::<BlobRep>().bytes());
        blob(bytes)
    }

    fn merge(a: Blob, b: Blob) -> Blob {
        let mut bytes = rep(&a).bytes();
        bytes.extend(rep(&b).bytes());
        blob(bytes)
    }

    fn live() -> u32 {
        LIVE.with(Cell::get)
    }
}

struct StampRep(u32);

impl GuestStamp for StampRep {
    fn new(n: u32) -> Self {
        Self(n)
    }

    fn value(&self) -> u32 {
        self.0
    }
}

struct Blobs;

impl Guest for Blobs {
    type Blob = BlobRep;
    type Stamp = StampRep;

    fn retag(t: Tagged, name: String) -> Tagged {
        let id = rep(&t.item).id;
        Tagged {
            name: format!("{}{name}{id}", t.name),
            item: t.item,
            extra: t.extra,
        }
    }

    fn total_len(items: Vec<BlobBorrow<'_>>) -> u32 {
        items
            .iter()
            .map(|item| item.get::<BlobRep>().len())
            .fold(0, u32::wrapping_add)
    }

    fn join(items: Vec<Blob>) -> Blob {
        blob(items.iter().flat_map(|item| rep(item).bytes()).collect())
    }

    fn split(b: BlobBorrow<'_>, at: u32) -> Vec<Blob> {
        let bytes = b.get::<BlobRep>().bytes();
        let at = (at as usize).min(bytes.len());
        vec![blob(bytes[..at].to_vec()), blob(bytes[at..].to_vec())]
    }

    fn first(item: Option<Blob>) -> Option<Blob> {
        match item {
            Some(item) => {
                rep(&item).bytes.borrow_mut().push(0xff);
                Some(item)
            }
            None => Some(blob(Vec::new())),
        }
    }

    fn limit(b: Blob, max: u32) -> Result<Blob, String> {
        let len = rep(&b).len();
        if len <= max {
            Ok(b)
        } else {
            Err(format!(
                "blob {} holds {len} bytes, more than {max}",
                rep(&b).id
            ))
        }
    }

    fn flip(s: Slot) -> Slot {
        match s {
            Slot::Empty => Slot::Empty,
            Slot::One(b) => {
                let len = rep(&b).len();
                Slot::Two((b, Stamp::new(StampRep(len))))
            }
            Slot::Two((b, _stamp)) => Slot::One(b),
        }
    }

    fn absorb(keep: BlobBorrow<'_>, take: Blob) -> u32 {
        keep.get::<BlobRep>().len().wrapping_add(rep(&take).len())
    }
}

export!(Blobs);
