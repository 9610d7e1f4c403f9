;; Two inner components with a memory each, for `--memory shared`.
;; `$hog` grows and pokes its memory (declared maximum: MAX pages, or
;; none); `$neighbour` keeps a word at address 0x100 that nobody else may
;; touch. Only scalars cross, so either may sit anywhere in the memory.
;; `peek-wide` reads 16 bytes at once (`v128.load`, which shared mode
;; checks against the region as it checks the other loads).
(component
  (component $hog
    (core module $m
      (memory (export "memory") 1 MAX)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
      (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "peek-wide") (param i32) (result i32)
        (i32x4.extract_lane 3 (v128.load offset=4 (local.get 0))))
      (func (export "fill") (param i32 i32 i32)
        (memory.fill (local.get 0) (local.get 1) (local.get 2))))
    (core instance $i (instantiate $m))
    (func $grow (param "pages" u32) (result s32) (canon lift (core func $i "grow")))
    (func $size (result u32) (canon lift (core func $i "size")))
    (func $poke (param "addr" u32) (param "value" u32) (canon lift (core func $i "poke")))
    (func $peek (param "addr" u32) (result u32) (canon lift (core func $i "peek")))
    (func $peek-wide (param "addr" u32) (result u32) (canon lift (core func $i "peek-wide")))
    (func $fill (param "addr" u32) (param "byte" u32) (param "len" u32)
      (canon lift (core func $i "fill")))
    (instance $api (export "grow" (func $grow)) (export "size" (func $size))
      (export "poke" (func $poke)) (export "peek" (func $peek))
      (export "peek-wide" (func $peek-wide)) (export "fill" (func $fill)))
    (export "t:hog/api" (instance $api)))
  (component $neighbour
    (core module $m
      (memory 1)
      (data (i32.const 0x100) "\2a\00\00\00")
      (func (export "check") (result i32) (i32.load (i32.const 0x100))))
    (core instance $i (instantiate $m))
    (func $check (result u32) (canon lift (core func $i "check")))
    (instance $api (export "check" (func $check)))
    (export "t:neighbour/api" (instance $api)))
  (instance $h (instantiate $hog))
  (instance $n (instantiate $neighbour))
  (alias export $h "t:hog/api" (instance $hapi))
  (alias export $n "t:neighbour/api" (instance $napi))
  (export "t:hog/api" (instance $hapi))
  (export "t:neighbour/api" (instance $napi)))
