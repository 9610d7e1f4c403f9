;; The host passes strings and lists to two components that each have a
;; memory and the same allocator (so both get the same pointers): each
;; must receive its own copy, in its own memory, and neither's memory may
;; change the other's; `sum` reads back what a component keeps.
;; CALL a-take "abc" [1,2,3] => [3006]
;; CALL b-take "hello" [10] => [5010]
;; CALL a-sum => [3006]
;; CALL b-sum => [5010]
;; CALL a-pair => [(1, 2)]
;; CALL a-pair => [(1, 2)]
;; CALL b-pair => [(1, 2)]
(component
  (component $holder
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0x40) "\01\00\00\00\02\00\00\00")
      (global $next (mut i32) (i32.const 0x1000))
      (global $last (mut i32) (i32.const 0))
      (global $ptr (mut i32) (i32.const 0))
      (global $len (mut i32) (i32.const 0))
      (global $xs (mut i32) (i32.const 0))
      (global $n (mut i32) (i32.const 0))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (global.get $next))
        (global.set $next (i32.add (global.get $next) (i32.const 0x100)))
        (local.get $at))
      ;; string length*1000 + sum of the list, from memory
      (func $sum (result i32)
        (local $i i32) (local $s i32)
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (global.get $n)))
          (local.set $s (i32.add (local.get $s)
            (i32.load (i32.add (global.get $xs) (i32.shl (local.get $i) (i32.const 2))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (i32.add (i32.mul (global.get $len) (i32.const 1000)) (local.get $s)))
      (func (export "take") (param i32 i32 i32 i32) (result i32)
        (global.set $ptr (local.get 0)) (global.set $len (local.get 1))
        (global.set $xs (local.get 2)) (global.set $n (local.get 3))
        (call $sum))
      (func (export "sum") (result i32) (call $sum))
      (func (export "pair") (result i32) (i32.const 0x40)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (type $l (list u32))
    (type $t (tuple u32 u32))
    (func (export "take") (param "s" string) (param "xs" $l) (result u32)
      (canon lift (core func $i "take") (memory $mem) (realloc $realloc)))
    (func (export "sum") (result u32) (canon lift (core func $i "sum")))
    (func (export "pair") (result $t) (canon lift (core func $i "pair") (memory $mem))))
  (instance $a (instantiate $holder))
  (instance $b (instantiate $holder))
  (export "a-take" (func $a "take"))
  (export "b-take" (func $b "take"))
  (export "a-sum" (func $a "sum"))
  (export "b-sum" (func $b "sum"))
  (export "a-pair" (func $a "pair"))
  (export "b-pair" (func $b "pair")))
