;; Nested pointers between the host and a component (the second with a
;; memory): a list<string> the component returns from static data (read
;; twice: nothing may change), and one the host passes (each string
;; copied through the component's realloc) whose lengths it sums.
;; CALL give => [["ab", "cde"]]
;; CALL give => [["ab", "cde"]]
;; CALL inner-ptr => [256]
;; CALL take ["x","yz","é"] => [3005]
;; CALL take [] => [0]
(component
  (component $first
    (core module $m
      (memory (export "mem") 1)
      (func (export "size") (result i32) (memory.size)))
    (core instance $i (instantiate $m))
    (func (export "size") (result u32) (canon lift (core func $i "size"))))
  (component $second
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0x100) "abcde")
      ;; the list's two (ptr, len) elements at 0x40, the list's pair at 0x20
      (data (i32.const 0x40) "\00\01\00\00\02\00\00\00\02\01\00\00\03\00\00\00")
      (data (i32.const 0x20) "\40\00\00\00\02\00\00\00")
      (global $next (mut i32) (i32.const 0x1000))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (local.get $at))
      (func (export "give") (result i32) (i32.const 0x20))
      (func (export "inner-ptr") (result i32) (i32.load (i32.const 0x40)))
      ;; count*1000 + the sum of the lengths
      (func (export "take") (param $p i32) (param $n i32) (result i32)
        (local $s i32) (local $c i32)
        (local.set $c (local.get $n))
        (block $done (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $s (i32.add (local.get $s) (i32.load offset=4 (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 8)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
        (i32.add (i32.mul (local.get $c) (i32.const 1000)) (local.get $s))))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (type $strings (list string))
    (func (export "give") (result $strings) (canon lift (core func $i "give") (memory $mem)))
    (func (export "inner-ptr") (result u32) (canon lift (core func $i "inner-ptr")))
    (func (export "take") (param "xs" $strings) (result u32)
      (canon lift (core func $i "take") (memory $mem) (realloc $realloc))))
  (instance $a (instantiate $first))
  (instance $b (instantiate $second))
  (export "size" (func $a "size"))
  (export "give" (func $b "give"))
  (export "inner-ptr" (func $b "inner-ptr"))
  (export "take" (func $b "take")))
