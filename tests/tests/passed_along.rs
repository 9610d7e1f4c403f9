//! Items the root passes along without fusing them, in the forms wasmtime
//! 48 cannot instantiate (so the spec suite, which runs every case, cannot
//! hold them): components exported from the root or inside an exported
//! instance, components the root imports and re-exports, function types
//! exported as types. The runnable forms (core modules exported or
//! imported and re-exported, imported resource types re-exported) are
//! spec cases (`tests/spec/export_*.wat`, `import_module_passed.wat`).
//!
//! Each case is fused with both memory strategies; the output validates
//! (meld validates every output), exports the same names with the same
//! kinds in the same order, carries every exported component byte for
//! byte, and states the same function types. What cannot be carried gets
//! a typed `unsupported` error that names it.

use meld_core::{ErrorKind, MemoryStrategy, Options, OutputKind, fuse};
use meld_tests::layout::{root_components, root_exports};
use wasmparser::component_types::{ComponentDefinedType, ComponentEntityType, ComponentValType};
use wasmparser::types::Types;
use wasmparser::{Validator, WasmFeatures};

/// A component exported at the root and one inside an exported instance,
/// beside a fused function.
const EXPORTED_COMPONENTS: &str = r#"
(component
  (component $double
    (core module $m
      (func (export "f") (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1))))
    (core instance $i (instantiate $m))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
  (component $other
    (import "x" (func (param "v" string)))
    (export "y" (func 0)))
  (instance $d (instantiate $double))
  (instance $bag (export "other" (component $other)) (export "f" (func $d "f")))
  (export "double" (component $double))
  (export "bag" (instance $bag))
  (export "f" (func $d "f")))
"#;

/// Function, instance and component types exported as types, and a
/// component and an instance holding one, imported and re-exported.
const IMPORTED_COMPONENTS: &str = r#"
(component
  (import "plugin" (component $plugin
    (import "log" (func (param "msg" string)))
    (export "run" (func (result u32)))))
  (import "kit" (instance $kit
    (export "tool" (component
      (export "go" (func (param "n" u64) (result (list u8))))))))
  (type $ft (func (param "a" u32) (param "b" string) (result (option u8))))
  (type $it (instance (export "run" (func (param "n" u32)))))
  (type $ct (component
    (import "in" (instance (type $it)))
    (export "out" (func (result string)))))
  (alias export $kit "tool" (component $tool))
  (core module $m (func (export "id") (param i32) (result i32) (local.get 0)))
  (core instance $i (instantiate $m))
  (func $id (param "x" u32) (result u32) (canon lift (core func $i "id")))
  (export "ft" (type $ft))
  (export "it" (type $it))
  (export "ct" (type $ct))
  (export "plugin" (component $plugin))
  (export "tool" (component $tool))
  (export "id" (func $id)))
"#;

fn strategies() -> [Options; 2] {
    [
        Options::default(),
        Options {
            memory: MemoryStrategy::Shared,
            ..Options::default()
        },
    ]
}

fn validate(wasm: &[u8]) -> Types {
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(wasm)
        .expect("validates")
}

/// A rendering of a root export's type: function types in full (names and
/// value types), other items by kind.
fn export_type(types: &Types, name: &str) -> String {
    let types = types.as_ref();
    let item = types
        .component_item_for_export(name)
        .unwrap_or_else(|| panic!("no export `{name}`"));
    let render = |ty: &ComponentValType| render(types, ty);
    match item.ty {
        ComponentEntityType::Type { referenced, .. } => match referenced {
            wasmparser::component_types::ComponentAnyTypeId::Func(f) => {
                let f = &types[f];
                let params: Vec<_> = f
                    .params
                    .iter()
                    .map(|(n, t)| format!("{n}: {}", render(t)))
                    .collect();
                format!(
                    "type func({}) -> {:?}",
                    params.join(", "),
                    f.result.as_ref().map(render)
                )
            }
            wasmparser::component_types::ComponentAnyTypeId::Instance(i) => format!(
                "type instance exports {:?}",
                types[i].exports.keys().collect::<Vec<_>>()
            ),
            wasmparser::component_types::ComponentAnyTypeId::Component(c) => format!(
                "type component imports {:?} exports {:?}",
                types[c].imports.keys().collect::<Vec<_>>(),
                types[c].exports.keys().collect::<Vec<_>>()
            ),
            other => format!("type {other:?}"),
        },
        ComponentEntityType::Component(id) => {
            let c = &types[id];
            format!(
                "component imports {:?} exports {:?}",
                c.imports.keys().collect::<Vec<_>>(),
                c.exports.keys().collect::<Vec<_>>()
            )
        }
        ComponentEntityType::Func(_) => "func".to_string(),
        ComponentEntityType::Instance(_) => "instance".to_string(),
        ComponentEntityType::Module(_) => "core module".to_string(),
        ComponentEntityType::Value(_) => "value".to_string(),
    }
}

/// A value type, by structure (ids differ between validators).
fn render(types: wasmparser::types::TypesRef<'_>, ty: &ComponentValType) -> String {
    match ty {
        ComponentValType::Primitive(p) => format!("{p:?}"),
        ComponentValType::Type(id) => match &types[*id] {
            ComponentDefinedType::Primitive(p) => format!("{p:?}"),
            ComponentDefinedType::Option { ty, .. } => format!("option<{}>", render(types, ty)),
            ComponentDefinedType::List { element, .. } => {
                format!("list<{}>", render(types, element))
            }
            _ => panic!("the cases use primitives, options and lists only"),
        },
    }
}

fn check_passed_along(text: &str) {
    let original = wat::parse_str(text).expect("the case parses");
    let original_types = validate(&original);
    let originals = root_components(&original);
    for options in strategies() {
        let fused = fuse(&[&original], &options)
            .unwrap_or_else(|e| panic!("{:?}: fuse: {e}", options.memory));
        let fused_types = validate(&fused.wasm);
        let exports = root_exports(&original);
        assert_eq!(root_exports(&fused.wasm), exports, "the root's exports");
        for (name, _) in &exports {
            assert_eq!(
                export_type(&fused_types, name),
                export_type(&original_types, name),
                "the type of export `{name}`"
            );
        }
        let embedded = root_components(&fused.wasm);
        for original in &originals {
            assert!(
                embedded.contains(original),
                "{:?}: a component defined in the input and exported is missing",
                options.memory
            );
        }
    }
}

#[test]
fn exported_components_are_carried_unchanged() {
    check_passed_along(EXPORTED_COMPONENTS);
}

#[test]
fn imported_components_and_function_types_are_passed_along() {
    check_passed_along(IMPORTED_COMPONENTS);
}

fn unsupported(text: &str, options: &Options) -> String {
    let wasm = wat::parse_str(text).expect("the case parses");
    let error = fuse(&[&wasm], options).expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Unsupported, "{error}");
    error.to_string()
}

#[test]
fn instantiating_an_imported_module_or_component_is_refused_by_name() {
    let module = unsupported(
        r#"(component
          (import "lib" (core module $lib))
          (core instance (instantiate $lib)))"#,
        &Options::default(),
    );
    assert!(
        module.contains("`lib`") && module.contains("core module"),
        "{module}"
    );
    let component = unsupported(
        r#"(component
          (import "kit" (instance $kit (export "tool" (component))))
          (alias export $kit "tool" (component $tool))
          (instance (instantiate $tool)))"#,
        &Options::default(),
    );
    assert!(component.contains("`kit/tool`"), "{component}");
}

#[test]
fn core_output_refuses_carried_exports() {
    let message = unsupported(
        EXPORTED_COMPONENTS,
        &Options {
            output: OutputKind::Core,
            ..Options::default()
        },
    );
    assert!(message.contains("`double`"), "{message}");
}

#[test]
fn an_exported_component_with_outer_aliases_is_refused() {
    let message = unsupported(
        r#"(component
          (type $t (func (result u32)))
          (component $c
            (alias outer 1 $t (type $t2))
            (import "f" (func (type $t2))))
          (export "c" (component $c)))"#,
        &Options::default(),
    );
    assert!(message.contains("alias outer"), "{message}");
}
