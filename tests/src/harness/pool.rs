//! The resources one side's host holds: every owned resource a call
//! returned (constructors included), in the order they arrived.
//!
//! Both sides receive the same calls, so their pools grow in step and
//! entry `i` of one side corresponds to entry `i` of the other: the
//! harness picks resources for parameters by position, never by handle.
//! An `own` parameter takes the oldest held entry of its type (which is
//! then the guest's); a `borrow` lends the newest one and keeps it. A
//! pool belongs to one instance's store and dies with it.

use wasmtime::component::{ResourceAny, Type, Val};

/// What became of a pooled resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// The host still owns it.
    Held,
    /// Passed to the guest as `own`; the host's handle is gone.
    Given,
    /// Dropped by the host.
    Dropped,
}

/// One side's resources, in arrival order.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    entries: Vec<(ResourceAny, State)>,
}

impl Pool {
    /// Adds every owned resource inside `values`, depth first.
    pub(crate) fn collect(&mut self, values: &[Val]) {
        for value in values {
            self.collect_one(value);
        }
    }

    fn collect_one(&mut self, value: &Val) {
        match value {
            Val::Resource(resource) if resource.owned() => {
                self.entries.push((*resource, State::Held));
            }
            Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
                self.collect(items);
            }
            Val::Record(fields) => {
                for (_, value) in fields {
                    self.collect_one(value);
                }
            }
            Val::Map(pairs) => {
                for (key, value) in pairs {
                    self.collect_one(key);
                    self.collect_one(value);
                }
            }
            Val::Variant(_, Some(payload))
            | Val::Option(Some(payload))
            | Val::Result(Ok(Some(payload)) | Err(Some(payload))) => self.collect_one(payload),
            _ => {}
        }
    }

    /// How many resources ever entered the pool.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entry `index` and its state.
    pub(crate) fn entry(&self, index: usize) -> Option<(ResourceAny, State)> {
        self.entries.get(index).copied()
    }

    /// Sets the state of entry `index`.
    pub(crate) fn mark(&mut self, index: usize, state: State) {
        if let Some(entry) = self.entries.get_mut(index) {
            entry.1 = state;
        }
    }

    /// A copy of every entry's state, to undo a partly supplied tuple.
    pub(crate) fn states(&self) -> Vec<State> {
        self.entries.iter().map(|(_, state)| *state).collect()
    }

    /// Restores states taken with [`states`](Self::states).
    pub(crate) fn restore(&mut self, states: &[State]) {
        for ((_, state), saved) in self.entries.iter_mut().zip(states) {
            *state = *saved;
        }
    }

    /// A resource for a parameter of type `ty` (`own` or `borrow` of a
    /// resource type of this side's instance), or `None` if no held entry
    /// has that type.
    pub(crate) fn supply(&mut self, ty: &Type) -> Option<Val> {
        let (resource_ty, own) = match ty {
            Type::Own(resource_ty) => (resource_ty, true),
            Type::Borrow(resource_ty) => (resource_ty, false),
            _ => return None,
        };
        let fits = |(resource, state): &(ResourceAny, State)| {
            *state == State::Held && resource.ty() == *resource_ty
        };
        let index = if own {
            self.entries.iter().position(fits)?
        } else {
            self.entries.iter().rposition(fits)?
        };
        if own {
            self.entries[index].1 = State::Given;
        }
        Some(Val::Resource(self.entries[index].0))
    }
}
