;; Two components, each with a secret at address 0 of its memory, that
;; access their memory at the addresses they are given: `peek` loads,
;; `copy` copies 8 bytes from there to 100 and loads them, `fill` zeroes 8
;; bytes there, `text` gives the host the 8 bytes there as a string. In
;; the original every address past a memory's end traps. Fused with one
;; memory, a component's addresses move by its region's base; one near
;; 4 GiB must still trap, not wrap around into another region.
(component
  (component $c
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0) "SECRET!!")
      (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "copy") (param i32) (result i32)
        (memory.copy (i32.const 100) (local.get 0) (i32.const 8))
        (i32.load (i32.const 100)))
      (func (export "fill") (param i32) (result i32)
        (memory.fill (local.get 0) (i32.const 0) (i32.const 8))
        (i32.const 1))
      (func (export "text") (param i32) (result i32)
        (i32.store (i32.const 200) (local.get 0))
        (i32.store (i32.const 204) (i32.const 8))
        (i32.const 200)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (func (export "peek") (param "addr" u32) (result u32) (canon lift (core func $i "peek")))
    (func (export "copy") (param "addr" u32) (result u32) (canon lift (core func $i "copy")))
    (func (export "fill") (param "addr" u32) (result u32) (canon lift (core func $i "fill")))
    (func (export "text") (param "addr" u32) (result string)
      (canon lift (core func $i "text") (memory $mem))))
  (instance $a (instantiate $c))
  (instance $b (instantiate $c))
  (export "a" (instance $a))
  (export "b" (instance $b)))
