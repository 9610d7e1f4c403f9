;; Two inner components with a memory each, for `--memory shared`.
;; `$hog` grows and pokes its memory (declared maximum: MAX pages, or
;; none); `$neighbour` keeps a word at address 0x100 that nobody else may
;; touch. Only scalars cross, so either may sit anywhere in the memory.
;; `peek-wide` reads 16 bytes at once (`v128.load`, which shared mode
;; checks against the region as it checks the other loads), and the other
;; SIMD accesses likewise: `poke-wide` (`v128.store`), `poke-lane` and
;; `peek-lane` (one lane stored or loaded), `peek-narrow` (8 bytes
;; widened), `peek-splat` and `peek-zero`. `walk`, `moved` and `arms`
;; load from a local that an earlier check covered on some path but not
;; on every one (a loop moving it, an `if` writing it, the other arm).
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
      (func (export "poke-wide") (param i32 i32)
        (v128.store offset=4 (local.get 0) (i32x4.splat (local.get 1))))
      (func (export "poke-lane") (param i32 i32)
        (v128.store16_lane offset=2 5 (local.get 0) (i16x8.splat (local.get 1))))
      (func (export "peek-lane") (param i32) (result i32)
        (i32x4.extract_lane 1
          (v128.load32_lane offset=4 1 (local.get 0) (v128.const i64x2 0 0))))
      (func (export "peek-narrow") (param i32) (result i32)
        (i16x8.extract_lane_u 7 (v128.load8x8_u (local.get 0))))
      (func (export "peek-splat") (param i32) (result i32)
        (i32x4.extract_lane 3 (v128.load32_splat (local.get 0))))
      (func (export "peek-zero") (param i32) (result i64)
        (i64x2.extract_lane 0 (v128.load64_zero (local.get 0))))
      (func (export "fill") (param i32 i32 i32)
        (memory.fill (local.get 0) (local.get 1) (local.get 2)))
      ;; the sum of `n` words from `p` on
      (func (export "walk") (param $p i32) (param $n i32) (result i32)
        (local $sum i32)
        (drop (i32.load (local.get $p)))
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $next)))
        (local.get $sum))
      ;; the word at `p`, or 64 KiB further when `far`
      (func (export "moved") (param $p i32) (param $far i32) (result i32)
        (drop (i32.load (local.get $p)))
        (if (local.get $far)
          (then (local.set $p (i32.add (local.get $p) (i32.const 0x10000)))))
        (i32.load (local.get $p)))
      ;; the word 64 KiB after `p`, read in either arm
      (func (export "arms") (param $p i32) (param $c i32) (result i32)
        (if (result i32) (local.get $c)
          (then (i32.load offset=0x10000 (local.get $p)))
          (else (i32.load offset=0x10000 (local.get $p))))))
    (core instance $i (instantiate $m))
    (func $grow (param "pages" u32) (result s32) (canon lift (core func $i "grow")))
    (func $size (result u32) (canon lift (core func $i "size")))
    (func $poke (param "addr" u32) (param "value" u32) (canon lift (core func $i "poke")))
    (func $peek (param "addr" u32) (result u32) (canon lift (core func $i "peek")))
    (func $peek-wide (param "addr" u32) (result u32) (canon lift (core func $i "peek-wide")))
    (func $poke-wide (param "addr" u32) (param "value" u32) (canon lift (core func $i "poke-wide")))
    (func $poke-lane (param "addr" u32) (param "value" u32) (canon lift (core func $i "poke-lane")))
    (func $peek-lane (param "addr" u32) (result u32) (canon lift (core func $i "peek-lane")))
    (func $peek-narrow (param "addr" u32) (result u32) (canon lift (core func $i "peek-narrow")))
    (func $peek-splat (param "addr" u32) (result u32) (canon lift (core func $i "peek-splat")))
    (func $peek-zero (param "addr" u32) (result u64) (canon lift (core func $i "peek-zero")))
    (func $fill (param "addr" u32) (param "byte" u32) (param "len" u32)
      (canon lift (core func $i "fill")))
    (func $walk (param "addr" u32) (param "n" u32) (result u32) (canon lift (core func $i "walk")))
    (func $moved (param "addr" u32) (param "far" u32) (result u32)
      (canon lift (core func $i "moved")))
    (func $arms (param "addr" u32) (param "c" u32) (result u32) (canon lift (core func $i "arms")))
    (instance $api (export "grow" (func $grow)) (export "size" (func $size))
      (export "poke" (func $poke)) (export "peek" (func $peek))
      (export "peek-wide" (func $peek-wide)) (export "fill" (func $fill))
      (export "poke-wide" (func $poke-wide)) (export "poke-lane" (func $poke-lane))
      (export "peek-lane" (func $peek-lane)) (export "peek-narrow" (func $peek-narrow))
      (export "peek-splat" (func $peek-splat)) (export "peek-zero" (func $peek-zero))
      (export "walk" (func $walk)) (export "moved" (func $moved)) (export "arms" (func $arms)))
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
