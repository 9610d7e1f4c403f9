;; A tuple<u32, u32, u32> result has three flat values, more than one:
;; the callee returns a pointer into its memory, the caller passes a
;; return pointer into its own; post-return sees the callee's pointer.
;; CALL get 5 => [51015]
;; CALL get 7 => [71421]
;; CALL host-triple 2 => [(2, 4, 6)]
;; CALL post => [32032032]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (global $post (mut i32) (i32.const 0))
      (func (export "triple") (param i32) (result i32)
        (i32.store (i32.const 32) (local.get 0))
        (i32.store (i32.const 36) (i32.mul (local.get 0) (i32.const 2)))
        (i32.store (i32.const 40) (i32.mul (local.get 0) (i32.const 3)))
        (i32.const 32))
      (func (export "post-triple") (param i32)
        (global.set $post (i32.add (i32.mul (global.get $post) (i32.const 1000)) (local.get 0))))
      (func (export "post") (result i32) (global.get $post)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (type $t (tuple u32 u32 u32))
    (func (export "triple") (param "x" u32) (result $t)
      (canon lift (core func $i "triple") (memory $mem) (post-return (core func $i "post-triple"))))
    (func (export "post") (result u32) (canon lift (core func $i "post"))))
  (component $consumer
    (import "triple" (func $triple (param "x" u32) (result (tuple u32 u32 u32))))
    (core module $mem (memory (export "mem") 1))
    (core instance $mem (instantiate $mem))
    (alias core export $mem "mem" (core memory $cmem))
    (core func $triple (canon lower (func $triple) (memory $cmem)))
    (core module $m
      (import "p" "mem" (memory 1))
      (import "p" "triple" (func $triple (param i32 i32)))
      ;; a*10000 + b*100 + c of the tuple received at 200
      (func (export "get") (param i32) (result i32)
        (call $triple (local.get 0) (i32.const 200))
        (i32.add (i32.mul (i32.load (i32.const 200)) (i32.const 10000))
          (i32.add (i32.mul (i32.load (i32.const 204)) (i32.const 100))
            (i32.load (i32.const 208))))))
    (core instance $i (instantiate $m
      (with "p" (instance (export "mem" (memory $cmem)) (export "triple" (func $triple))))))
    (func (export "get") (param "x" u32) (result u32) (canon lift (core func $i "get"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "triple" (func $p "triple"))))
  (export "get" (func $c "get"))
  (export "host-triple" (func $p "triple"))
  (export "post" (func $p "post")))
