;; Types exported by an inner component (enum, record, variant, resource
;; with constructor and method) and used by its functions; a consumer
;; imports its instance with the resource type and calls through it; the
;; root exports the provider's instance as `meld:spec/types`, so the host
;; sees the same types by the same names, and the consumer's function.
;; CALL meld:spec/types#get-level 2 => [%c]
;; CALL meld:spec/types#get-level 3 => trap
;; CALL meld:spec/types#make-point 3 4 => [{x: 3, y: 4}]
;; CALL meld:spec/types#make-shape 1 9 => [%circle(9)]
;; CALL relay 5 => [5005]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (global $log (mut i32) (i32.const 0))
      (func (export "dtor") (param i32) (global.set $log (local.get 0)))
      (func (export "id") (param i32) (result i32) (local.get 0))
      (func (export "point") (param i32 i32) (result i32)
        (i32.store (i32.const 16) (local.get 0))
        (i32.store (i32.const 20) (local.get 1))
        (i32.const 16))
      (func (export "shape") (param i32 i32) (result i32)
        (i32.store8 (i32.const 32) (local.get 0))
        (i32.store (i32.const 36) (local.get 1))
        (i32.const 32)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (type $counter' (resource (rep i32) (dtor (core func $i "dtor"))))
    (core func $new (canon resource.new $counter'))
    (core module $ctor
      (import "r" "new" (func $new (param i32) (result i32)))
      (func (export "new") (param i32) (result i32) (call $new (i32.mul (local.get 0) (i32.const 1001)))))
    (core instance $c (instantiate $ctor (with "r" (instance (export "new" (func $new))))))
    (type $level' (enum "a" "b" "c"))
    (type $point' (record (field "x" u32) (field "y" u32)))
    (type $shape' (variant (case "none") (case "circle" u32) (case "square" u32)))
    (export $level "level" (type $level'))
    (export $point "point" (type $point'))
    (export $shape "shape" (type $shape'))
    (export $counter "counter" (type $counter'))
    (func (export "get-level") (param "x" u32) (result $level) (canon lift (core func $i "id")))
    (func (export "make-point") (param "x" u32) (param "y" u32) (result $point)
      (canon lift (core func $i "point") (memory $mem)))
    (func (export "make-shape") (param "case" u32) (param "v" u32) (result $shape)
      (canon lift (core func $i "shape") (memory $mem)))
    (func (export "[constructor]counter") (param "v" u32) (result (own $counter))
      (canon lift (core func $c "new")))
    (func (export "[method]counter.get") (param "self" (borrow $counter)) (result u32)
      (canon lift (core func $i "id"))))
  (component $consumer
    (import "meld:spec/types" (instance $t
      (export "counter" (type $counter (sub resource)))
      (export "[constructor]counter" (func (param "v" u32) (result (own $counter))))
      (export "[method]counter.get" (func (param "self" (borrow $counter)) (result u32)))))
    (alias export $t "counter" (type $counter))
    (core func $make (canon lower (func $t "[constructor]counter")))
    (core func $get (canon lower (func $t "[method]counter.get")))
    (core func $drop (canon resource.drop $counter))
    (core module $m
      (import "t" "make" (func $make (param i32) (result i32)))
      (import "t" "get" (func $get (param i32) (result i32)))
      (import "t" "drop" (func $drop (param i32)))
      (func (export "relay") (param i32) (result i32)
        (local $h i32) (local $v i32)
        (local.set $h (call $make (local.get 0)))
        (local.set $v (call $get (local.get $h)))
        (call $drop (local.get $h))
        (local.get $v)))
    (core instance $i (instantiate $m
      (with "t" (instance (export "make" (func $make)) (export "get" (func $get)) (export "drop" (func $drop))))))
    (func (export "relay") (param "v" u32) (result u32) (canon lift (core func $i "relay"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "meld:spec/types" (instance $p))))
  (export "meld:spec/types" (instance $p))
  (export "relay" (func $c "relay")))
