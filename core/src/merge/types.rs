//! The fused module's type section.
//!
//! Function types of numbers (all that generated code uses, and all most
//! modules have) are interned by their parameters and results. A module
//! using the GC or typed function references proposals has types that
//! name other types (`(ref $node)`), subtypes and recursive groups; a
//! type's identity is then its whole recursion group, as the wasm spec
//! defines it: two groups are the same when they are equal with the
//! references inside the group read relative to its start and those
//! outside it resolved. So each such group is carried whole, its
//! references mapped into the fused module, and interned by that form:
//! types of different modules that are the same type in the input (as
//! two modules passing a struct between them have) are one type in the
//! fused module, and types that differ (a function type inside a group and
//! an equal-looking one outside any) stay different, so a `ref.cast`, a
//! `call_indirect` or a `call_ref` checks in the fused module exactly
//! what it checked in the input.

use super::module::{Module, plain};
use crate::error::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasmparser::FuncType;

/// The fused module's types, in order.
#[derive(Default)]
pub(crate) struct TypeTable {
    groups: Vec<Group>,
    /// Number of types the groups hold.
    len: u32,
    funcs: BTreeMap<(Vec<wasmparser::ValType>, Vec<wasmparser::ValType>), u32>,
    /// Index of the first type of each group carried whole, by the group's
    /// encoding with references inside it written as [`Within::Relative`] says.
    recs: HashMap<Vec<u8>, u32>,
}

enum Group {
    /// A final function type of numbers, a group of its own.
    Func(FuncType),
    /// A recursion group of one or more types, its references mapped.
    Rec(Vec<wasm_encoder::SubType>),
}

impl TypeTable {
    /// The index of `ty`, a function type whose parameters and results
    /// name no other type, final and with no supertype.
    pub(crate) fn intern(&mut self, ty: &FuncType) -> u32 {
        let key = (ty.params().to_vec(), ty.results().to_vec());
        *self.funcs.entry(key).or_insert_with(|| {
            self.groups.push(Group::Func(ty.clone()));
            self.len += 1;
            self.len - 1
        })
    }

    /// The fused index of each of `module`'s types, by local index.
    pub(crate) fn module(&mut self, module: &Module<'_>) -> Result<Vec<u32>> {
        let mut map = Vec::with_capacity(module.types.len());
        for group in &module.groups {
            let start = map.len() as u32;
            let subs: Vec<_> = group.types().cloned().collect();
            if let [sub] = subs.as_slice()
                && plain(sub)
                && let wasmparser::CompositeInnerType::Func(f) = &sub.composite_type.inner
            {
                map.push(self.intern(f));
                continue;
            }
            let mapped = |within: Within| {
                let mut re = Indices {
                    map: &map,
                    start,
                    len: subs.len() as u32,
                    within,
                };
                subs.iter()
                    .map(|s| re.sub_type(s.clone()))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| Error::internal(format!("a type of a core module: {e}")))
            };
            let mut relative = wasm_encoder::TypeSection::new();
            rec(&mut relative, mapped(Within::Relative)?);
            let mut key = Vec::new();
            wasm_encoder::Encode::encode(&relative, &mut key);
            let first = match self.recs.get(&key) {
                Some(&first) => first,
                None => {
                    let first = self.len;
                    self.groups.push(Group::Rec(mapped(Within::At(first))?));
                    self.len += subs.len() as u32;
                    self.recs.insert(key, first);
                    first
                }
            };
            map.extend(first..first + subs.len() as u32);
        }
        Ok(map)
    }

    /// The type section.
    pub(crate) fn section(&self) -> Result<wasm_encoder::TypeSection> {
        let mut section = wasm_encoder::TypeSection::new();
        for group in &self.groups {
            match group {
                Group::Func(ty) => {
                    super::define_func_type(&mut section, ty)?;
                }
                Group::Rec(types) => rec(&mut section, types.clone()),
            }
        }
        Ok(section)
    }
}

/// A group of one type is written as a type of its own, which is the same
/// group to wasm.
fn rec(section: &mut wasm_encoder::TypeSection, mut types: Vec<wasm_encoder::SubType>) {
    match types.len() {
        1 => section.ty().subtype(&types.remove(0)),
        _ => section.ty().rec(types),
    }
}

/// Where a reference to a type of the group being mapped goes.
#[derive(Clone, Copy)]
enum Within {
    /// Counted down from `u32::MAX` (no fused index comes near it): the
    /// group's form that equal groups share.
    Relative,
    /// The group's first type is at this fused index.
    At(u32),
}

/// The type indices of one group's types.
struct Indices<'a> {
    /// Fused index of each type before the group.
    map: &'a [u32],
    /// Local index of the group's first type, and its size.
    start: u32,
    len: u32,
    within: Within,
}

impl Reencode for Indices<'_> {
    type Error = Error;

    fn type_index(&mut self, ty: u32) -> std::result::Result<u32, ReencodeError<Error>> {
        if let Some(k) = ty.checked_sub(self.start).filter(|k| *k < self.len) {
            return Ok(match self.within {
                Within::Relative => u32::MAX - k,
                Within::At(first) => first + k,
            });
        }
        self.map.get(ty as usize).copied().ok_or_else(|| {
            ReencodeError::UserError(Error::internal(format!(
                "type index {ty} names a later group's type"
            )))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types_of(table: &mut TypeTable, wat: &str) -> Vec<u32> {
        let bytes = wat::parse_str(wat).expect("the test's module parses");
        let module = Module::parse(&bytes, 0).expect("the module reads");
        table.module(&module).expect("its types map")
    }

    #[test]
    fn a_group_that_is_the_same_type_is_one_type() {
        let mut table = TypeTable::default();
        let first = types_of(
            &mut table,
            "(module (type (func)) (rec (type $n (struct (field (ref null $n))))
               (type (func (param (ref $n))))))",
        );
        // the same group after another type: the same fused types
        let second = types_of(
            &mut table,
            "(module (type (func (param i32))) (type (func))
               (rec (type $n (struct (field (ref null $n)))) (type (func (param (ref $n))))))",
        );
        assert_eq!(first, [0, 1, 2]);
        assert_eq!(second, [3, 0, 1, 2]);
    }

    #[test]
    fn equal_looking_types_that_differ_stay_apart() {
        let mut table = TypeTable::default();
        let map = types_of(
            &mut table,
            "(module
               (type $plain (func (param i32)))
               (rec (type (func (param i32))) (type (struct)))
               (type $open (sub (func (param i32))))
               (type (sub $open (func (param i32))))
               (type $a (struct (field (ref $plain))))
               (type $b (struct (field (ref $open)))))",
        );
        assert_eq!(map, [0, 1, 2, 3, 4, 5, 6]);
        // a module naming its own twin of the first type gets that type
        let again = types_of(
            &mut table,
            "(module (type $f (func (param i32))) (type (struct (field (ref $f)))))",
        );
        assert_eq!(again, [0, 5]);
    }

    #[test]
    fn the_section_holds_each_group_once() {
        let mut table = TypeTable::default();
        let wat = "(module (rec (type $n (struct (field (ref null $n)))) (type (array i8)))
                     (type (func (param (ref null $n)))))";
        types_of(&mut table, wat);
        types_of(&mut table, wat);
        let section = table.section().expect("the section encodes");
        assert_eq!(section.len(), 2);
        let mut module = wasm_encoder::Module::new();
        module.section(&section);
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(&module.finish())
            .expect("the type section validates");
    }
}
