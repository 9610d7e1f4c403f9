;; Futures and streams of the host's things whose type reaches the host
;; and that also cross between the inner components: `$a` makes them (a
;; write of new things of the host's pending), `$b` reads them or passes
;; them on. meld carries those an inner component makes itself, moving
;; the things between the components' tables, and hands the host a future
;; or stream of the fused component's for one that leaves for it.
;;
;; `give(v)`: a future of thing `v` (rep `v`), its write pending;
;; `many(n)`: a stream of things 1 .. n, its write pending; `relay(v)`:
;; `$b` returns `give(v)`'s future; `peek(v)`: `$b` reads `give(v)`'s
;; future (the read's code * 1000 + the thing's rep); `count(n, k)`: `$b`
;; reads up to `k` things of `many(n)`'s stream (the count * 1000 + the
;; sum of their reps); `handle()`: the handle `$b`'s next thing gets.
(component
  (import "thing" (type $thing (sub resource)))
  (import "make-thing" (func $make-thing (param "v" u32) (result (own $thing))))
  (import "thing-value" (func $thing-value (param "t" (borrow $thing)) (result u32)))
  (component $a
    (import "thing" (type $thing (sub resource)))
    (import "make-thing" (func $make-thing (param "v" u32) (result (own $thing))))
    (type $ft (future (own $thing)))
    (type $st (stream (own $thing)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $f-new (canon future.new $ft))
    (core func $f-write (canon future.write $ft (memory $mem) async))
    (core func $s-new (canon stream.new $st))
    (core func $s-write (canon stream.write $st (memory $mem) async))
    (core func $make (canon lower (func $make-thing)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "f-new" (func $f-new (result i64)))
      (import "cm" "f-write" (func $f-write (param i32 i32) (result i32)))
      (import "cm" "s-new" (func $s-new (result i64)))
      (import "cm" "s-write" (func $s-write (param i32 i32 i32) (result i32)))
      (import "cm" "make" (func $make (param i32) (result i32)))
      ;; where the next write's things go (each pending write its own)
      (global $at (mut i32) (i32.const 1024))
      (func $writer (param $pair i64) (result i32)
        (i32.wrap_i64 (i64.shr_u (local.get $pair) (i64.const 32))))
      (func (export "give") (param $v i32) (result i32)
        (local $pair i64)
        (local.set $pair (call $f-new))
        (i32.store (global.get $at) (call $make (local.get $v)))
        (drop (call $f-write (call $writer (local.get $pair)) (global.get $at)))
        (global.set $at (i32.add (global.get $at) (i32.const 4)))
        (i32.wrap_i64 (local.get $pair)))
      (func (export "many") (param $n i32) (result i32)
        (local $pair i64) (local $k i32) (local $base i32)
        (local.set $pair (call $s-new))
        (local.set $base (global.get $at))
        (block $done
          (loop $each
            (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
            (i32.store (i32.add (local.get $base) (i32.mul (local.get $k) (i32.const 4)))
              (call $make (i32.add (local.get $k) (i32.const 1))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $each)))
        (global.set $at (i32.add (local.get $base) (i32.mul (local.get $n) (i32.const 4))))
        (drop (call $s-write (call $writer (local.get $pair)) (local.get $base) (local.get $n)))
        (i32.wrap_i64 (local.get $pair))))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "f-new" (func $f-new)) (export "f-write" (func $f-write))
        (export "s-new" (func $s-new)) (export "s-write" (func $s-write))
        (export "make" (func $make))))))
    (func (export "give") (param "v" u32) (result $ft) (canon lift (core func $i "give")))
    (func (export "many") (param "n" u32) (result $st) (canon lift (core func $i "many"))))
  (component $b
    (import "thing" (type $thing (sub resource)))
    (import "thing-value" (func $thing-value (param "t" (borrow $thing)) (result u32)))
    (type $ft (future (own $thing)))
    (type $st (stream (own $thing)))
    (import "give" (func $give (param "v" u32) (result $ft)))
    (import "many" (func $many (param "n" u32) (result $st)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $f-read (canon future.read $ft (memory $mem) async))
    (core func $s-read (canon stream.read $st (memory $mem) async))
    (core func $value (canon lower (func $thing-value)))
    (core func $give (canon lower (func $give)))
    (core func $many (canon lower (func $many)))
    (core func $drop (canon resource.drop $thing))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "f-read" (func $f-read (param i32 i32) (result i32)))
      (import "cm" "s-read" (func $s-read (param i32 i32 i32) (result i32)))
      (import "cm" "value" (func $value (param i32) (result i32)))
      (import "cm" "give" (func $give (param i32) (result i32)))
      (import "cm" "many" (func $many (param i32) (result i32)))
      (import "cm" "drop" (func $drop (param i32)))
      (global $last (mut i32) (i32.const 0))
      (func (export "relay") (param $v i32) (result i32)
        (call $give (local.get $v)))
      (func (export "peek") (param $v i32) (result i32)
        (local $code i32)
        (local.set $code (call $f-read (call $give (local.get $v)) (i32.const 64)))
        (global.set $last (i32.load (i32.const 64)))
        (i32.add (i32.mul (local.get $code) (i32.const 1000))
                 (call $value (i32.load (i32.const 64)))))
      (func (export "count") (param $n i32) (param $k i32) (result i32)
        (local $code i32) (local $got i32) (local $i i32) (local $sum i32)
        (local.set $code (call $s-read (call $many (local.get $n)) (i32.const 128) (local.get $k)))
        (local.set $got (i32.shr_u (local.get $code) (i32.const 4)))
        (block $done
          (loop $each
            (br_if $done (i32.ge_u (local.get $i) (local.get $got)))
            (local.set $sum (i32.add (local.get $sum)
              (call $value (i32.load (i32.add (i32.const 128) (i32.mul (local.get $i) (i32.const 4)))))))
            (call $drop (i32.load (i32.add (i32.const 128) (i32.mul (local.get $i) (i32.const 4)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $each)))
        (i32.add (i32.mul (local.get $got) (i32.const 1000)) (local.get $sum)))
      (func (export "handle") (result i32) (global.get $last)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "f-read" (func $f-read)) (export "s-read" (func $s-read))
        (export "value" (func $value)) (export "give" (func $give))
        (export "many" (func $many)) (export "drop" (func $drop))))))
    (func (export "relay") (param "v" u32) (result $ft) (canon lift (core func $i "relay")))
    (func (export "peek") (param "v" u32) (result u32) (canon lift (core func $i "peek")))
    (func (export "count") (param "n" u32) (param "k" u32) (result u32)
      (canon lift (core func $i "count")))
    (func (export "handle") (result u32) (canon lift (core func $i "handle"))))
  (instance $a (instantiate $a
    (with "thing" (type $thing)) (with "make-thing" (func $make-thing))))
  (instance $b (instantiate $b
    (with "thing" (type $thing)) (with "thing-value" (func $thing-value))
    (with "give" (func $a "give")) (with "many" (func $a "many"))))
  (export "give" (func $a "give"))
  (export "many" (func $a "many"))
  (export "relay" (func $b "relay"))
  (export "peek" (func $b "peek"))
  (export "count" (func $b "count"))
  (export "handle" (func $b "handle")))
