;; Two exported instances, the second's functions using the resource type
;; the first exports without exporting it again (a shape WIT cannot write,
;; where `use` would re-export the type; wasmparser accepts it): the type
;; ascribed to the wrapper's instance for `b` refers to the resource type
;; the wrapper exports in `d`.
(component
  (component $d
    (core module $m
      (global $dropped (mut i32) (i32.const 0))
      (func (export "dtor") (param i32) (global.set $dropped (local.get 0)))
      (func (export "dropped") (result i32) (global.get $dropped)))
    (core instance $i (instantiate $m))
    (type $r (resource (rep i32) (dtor (core func $i "dtor"))))
    (core func $new (canon resource.new $r))
    (core func $rep (canon resource.rep $r))
    (core module $k
      (import "cm" "new" (func $new (param i32) (result i32)))
      (import "cm" "rep" (func $rep (param i32) (result i32)))
      (func (export "make") (param i32) (result i32) (call $new (local.get 0)))
      (func (export "value") (param i32) (result i32) (call $rep (local.get 0))))
    (core instance $ki (instantiate $k
      (with "cm" (instance (export "new" (func $new)) (export "rep" (func $rep))))))
    (export $r-out "r" (type $r))
    (func (export "make") (param "rep" u32) (result (own $r-out)) (canon lift (core func $ki "make")))
    (func (export "value") (param "t" (borrow $r-out)) (result u32) (canon lift (core func $ki "value")))
    (func (export "dropped") (result u32) (canon lift (core func $i "dropped"))))
  (component $b
    (import "d" (instance $d
      (export "r" (type $r (sub resource)))
      (export "make" (func (param "rep" u32) (result (own $r))))
      (export "value" (func (param "t" (borrow $r)) (result u32)))))
    (alias export $d "r" (type $r))
    (core func $make (canon lower (func $d "make")))
    (core func $value (canon lower (func $d "value")))
    (core func $r-drop (canon resource.drop $r))
    (core module $m
      (import "cm" "make" (func $make (param i32) (result i32)))
      (import "cm" "value" (func $value (param i32) (result i32)))
      (import "cm" "r-drop" (func $r-drop (param i32)))
      ;; a thing of `d`'s with rep `v + 1`
      (func (export "next") (param i32) (result i32)
        (call $make (i32.add (local.get 0) (i32.const 1))))
      ;; the rep of a thing, which is then dropped
      (func (export "spend") (param $t i32) (result i32)
        (local $v i32)
        (local.set $v (call $value (local.get $t)))
        (call $r-drop (local.get $t))
        (local.get $v)))
    (core instance $i (instantiate $m (with "cm" (instance
      (export "make" (func $make)) (export "value" (func $value)) (export "r-drop" (func $r-drop))))))
    (func (export "next") (param "v" u32) (result (own $r)) (canon lift (core func $i "next")))
    (func (export "spend") (param "t" (own $r)) (result u32) (canon lift (core func $i "spend"))))
  (instance $d (instantiate $d))
  (instance $b (instantiate $b (with "d" (instance $d))))
  (export "d" (instance $d))
  (export "b" (instance $b)))
