;; The root exports a core module it also instantiates, and one it never
;; instantiates; the wrapper carries both unchanged (with the second one's
;; stated type), beside a fused function.
;; CALL add 2 3 => [5]
;; WORLD structural
(component
  (core module $m
    (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1))))
  (core module $unused
    (memory (export "mem") 1)
    (global (export "g") i32 (i32.const 7)))
  (core instance $i (instantiate $m))
  (func $add (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $i "add")))
  (export "m" (core module $m))
  (export "unused" (core module $unused) (core module (export "mem" (memory 1))))
  (export "add" (func $add)))
