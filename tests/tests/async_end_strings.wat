;; A stream of `tuple<stream<u8>, string>` between two inner components, so
;; that each element holds an end and a string. wasmtime copies such
;; elements through the host: it lifts all of them (the strings into utf8,
;; the ends out of the writer's table), then lowers each into the reader,
;; so the reader's `realloc` sees the calls of a utf8 source whatever the
;; writer's encoding. The test edits the string encodings of `$a` (the
;; writer) and `$b` (the reader).
;;
;; `run(words)`: `$a` writes one element per word (up to eight: a new inner
;; stream's readable end and the word) to a new stream, and passes that
;; stream's readable end to `$b`, whose `take` reads up to eight elements
;; and returns, as u32s: the read's code, the hash of its `realloc` calls'
;; arguments, then for each element its end's handle number in `$b` and
;; the string's length and first byte. `$b` drops the ends it read.
(component
  (type $in (stream u8))
  (type $el (tuple $in string))
  (type $out (stream $el))
  (component $b
    (type $in (stream u8))
    (type $el (tuple $in string))
    (type $out (stream $el))
    (core module $memory
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 4096))
      ;; a bump allocator that keeps a block it resizes and folds each
      ;; call's arguments into the hash at 3000
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                         (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (if (local.get 0) (then (memory.copy (local.get $at) (local.get 0)
          (select (local.get 1) (local.get 3) (i32.lt_u (local.get 1) (local.get 3))))))
        (i32.store (i32.const 3000) (i32.add (i32.mul (i32.load (i32.const 3000)) (i32.const 31))
          (i32.add (i32.add (local.get 0) (i32.mul (local.get 1) (i32.const 7)))
            (i32.add (i32.mul (local.get 2) (i32.const 13)) (local.get 3)))))
        (local.get $at)))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (alias core export $memory "realloc" (core func $realloc))
    (core func $read (canon stream.read $out (memory $mem) (realloc $realloc) async))
    (core func $in-drop (canon stream.drop-readable $in))
    (core func $out-drop (canon stream.drop-readable $out))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "read" (func $read (param i32 i32 i32) (result i32)))
      (import "cm" "in-drop" (func $in-drop (param i32)))
      (import "cm" "out-drop" (func $out-drop (param i32)))
      (global $count (mut i32) (i32.const 0))
      ;; the log, at 2048
      (func $log (param i32)
        (i32.store (i32.add (i32.const 2048) (i32.shl (global.get $count) (i32.const 2)))
          (local.get 0))
        (global.set $count (i32.add (global.get $count) (i32.const 1))))
      (func (export "take") (param $s i32) (result i32)
        (local $code i32) (local $n i32) (local $i i32) (local $at i32)
        (global.set $count (i32.const 0))
        (local.set $code (call $read (local.get $s) (i32.const 400) (i32.const 8)))
        (call $log (local.get $code))
        (call $log (i32.load (i32.const 3000)))
        (if (i32.ne (local.get $code) (i32.const -1))
          (then
            (local.set $n (i32.shr_u (local.get $code) (i32.const 4)))
            (call $out-drop (local.get $s))))
        (block $done
          (loop $each
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $at (i32.add (i32.const 400) (i32.mul (local.get $i) (i32.const 12))))
            (call $log (i32.load (local.get $at)))
            (call $log (i32.load offset=8 (local.get $at)))
            (call $log
              (if (result i32) (i32.load offset=8 (local.get $at))
                (then (i32.load8_u (i32.load offset=4 (local.get $at))))
                (else (i32.const 0))))
            (call $in-drop (i32.load (local.get $at)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $each)))
        (i32.store (i32.const 2000) (i32.const 2048))
        (i32.store (i32.const 2004) (global.get $count))
        (i32.const 2000)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "read" (func $read)) (export "in-drop" (func $in-drop))
        (export "out-drop" (func $out-drop))))))
    (func (export "take") (param "s" $out) (result (list u32))
      (canon lift (core func $i "take") (memory $mem))))

  (component $a
    (type $in (stream u8))
    (type $el (tuple $in string))
    (type $out (stream $el))
    (import "b" (instance $b
      (type $in (stream u8))
      (type $el (tuple $in string))
      (type $out (stream $el))
      (export "take" (func (param "s" $out) (result (list u32))))))
    (core module $memory
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 4096))
      ;; a bump allocator that keeps a block it resizes
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                         (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (if (local.get 0) (then (memory.copy (local.get $at) (local.get 0)
          (select (local.get 1) (local.get 3) (i32.lt_u (local.get 1) (local.get 3))))))
        (local.get $at)))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (alias core export $memory "realloc" (core func $realloc))
    (core func $in-new (canon stream.new $in))
    (core func $out-new (canon stream.new $out))
    (core func $write (canon stream.write $out (memory $mem) async))
    (core func $take (canon lower (func $b "take") (memory $mem) (realloc $realloc)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "in-new" (func $in-new (result i64)))
      (import "cm" "out-new" (func $out-new (result i64)))
      (import "cm" "write" (func $write (param i32 i32 i32) (result i32)))
      (import "cm" "take" (func $take (param i32 i32)))
      (func (export "run") (param $words i32) (param $n i32) (result i32)
        (local $pair i64) (local $i i32) (local $at i32)
        (if (i32.gt_u (local.get $n) (i32.const 8)) (then (local.set $n (i32.const 8))))
        (local.set $pair (call $out-new))
        (block $done
          (loop $each
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $at (i32.add (i32.const 600) (i32.mul (local.get $i) (i32.const 12))))
            (i32.store (local.get $at) (i32.wrap_i64 (call $in-new)))
            (i64.store offset=4 (local.get $at)
              (i64.load (i32.add (local.get $words) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $each)))
        ;; pending until `$b` reads
        (drop (call $write (i32.wrap_i64 (i64.shr_u (local.get $pair) (i64.const 32)))
          (i32.const 600) (local.get $n)))
        (call $take (i32.wrap_i64 (local.get $pair)) (i32.const 1000))
        (i32.const 1000)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "in-new" (func $in-new)) (export "out-new" (func $out-new))
        (export "write" (func $write)) (export "take" (func $take))))))
    (func (export "run") (param "words" (list string)) (result (list u32))
      (canon lift (core func $i "run") (memory $mem) (realloc $realloc))))

  (instance $b (instantiate $b))
  (instance $a (instantiate $a (with "b" (instance $b))))
  (export "run" (func $a "run")))
