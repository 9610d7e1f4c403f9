;; Seventeen u32 parameters are more than the 16 flat ones: the caller
;; stores them in its memory and passes a pointer, the callee's realloc
;; (align 4, size 68) receives them. The provider answers the sum of
;; (i+1)*arg_i and counts its realloc calls.
;; CALL go 1 => [1785]
;; CALL go 100 => [16932]
;; CALL allocs => [204068]
;; CALL host-sum 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 => [1785]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 1024))
      (global $calls (mut i32) (i32.const 0))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
        (local.set $at (global.get $next))
        (global.set $next (i32.add (global.get $next) (local.get 3)))
        ;; the log: align * 1000 + size of the last call
        (i32.store (i32.const 0) (i32.add (i32.mul (local.get 2) (i32.const 1000)) (local.get 3)))
        (local.get $at))
      (func (export "sum") (param $p i32) (result i32)
        (local $i i32) (local $s i32)
        (block $done (loop $next
          (br_if $done (i32.eq (local.get $i) (i32.const 17)))
          (local.set $s (i32.add (local.get $s)
            (i32.mul (i32.add (local.get $i) (i32.const 1))
              (i32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (local.get $s))
      (func (export "allocs") (result i32)
        (i32.add (i32.mul (global.get $calls) (i32.const 100000)) (i32.load (i32.const 0)))))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (func (export "sum") (param "a" u32) (param "b" u32) (param "c" u32) (param "d" u32) (param "e" u32) (param "f" u32) (param "g" u32) (param "h" u32) (param "i" u32) (param "j" u32) (param "k" u32) (param "l" u32) (param "m" u32) (param "n" u32) (param "o" u32) (param "p" u32) (param "q" u32) (result u32)
      (canon lift (core func $i "sum") (memory $mem) (realloc $realloc)))
    (func (export "allocs") (result u32) (canon lift (core func $i "allocs"))))
  (component $consumer
    (import "sum" (func $sum (param "a" u32) (param "b" u32) (param "c" u32) (param "d" u32) (param "e" u32) (param "f" u32) (param "g" u32) (param "h" u32) (param "i" u32) (param "j" u32) (param "k" u32) (param "l" u32) (param "m" u32) (param "n" u32) (param "o" u32) (param "p" u32) (param "q" u32) (result u32)))
    (core module $mem (memory (export "mem") 1))
    (core instance $mem (instantiate $mem))
    (alias core export $mem "mem" (core memory $cmem))
    (core func $sum (canon lower (func $sum) (memory $cmem)))
    (core module $m
      (import "p" "mem" (memory 1))
      (import "p" "sum" (func $sum (param i32) (result i32)))
      ;; stores x, x+1, ..., x+16 at 256 and passes them
      (func (export "go") (param $x i32) (result i32)
        (local $i i32)
        (block $done (loop $next
          (br_if $done (i32.eq (local.get $i) (i32.const 17)))
          (i32.store (i32.add (i32.const 256) (i32.shl (local.get $i) (i32.const 2)))
            (i32.add (local.get $x) (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (call $sum (i32.const 256))))
    (core instance $i (instantiate $m
      (with "p" (instance (export "mem" (memory $cmem)) (export "sum" (func $sum))))))
    (func (export "go") (param "x" u32) (result u32) (canon lift (core func $i "go"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "sum" (func $p "sum"))))
  (export "go" (func $c "go"))
  (export "allocs" (func $p "allocs"))
  (export "host-sum" (func $p "sum")))
