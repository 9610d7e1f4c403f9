;; Three exported instances that `use` each other's types, some with
;; functions of a resource and some without (the wrapper makes the first
;; kind an instance of a nested component and the second a bag of items
;; with the instance's type ascribed):
;; - `shapes`: an enum and a record, and a function of the record;
;; - `things` (a resource's functions): uses `shapes`' record, and exports
;;   a record of its own and a resource made from a pixel and giving it
;;   back;
;; - `relay` (no resource's functions): uses `shapes`' record and `things`'
;;   record and resource, with a function of each.
(component
  (component $shapes
    (core module $m
      (memory (export "memory") 1)
      ;; flip: func(p: pixel) -> pixel: swaps x and y, next color.
      (func (export "flip") (param $x i32) (param $y i32) (param $c i32) (result i32)
        (i32.store (i32.const 32) (local.get $y))
        (i32.store (i32.const 36) (local.get $x))
        (i32.store8 (i32.const 40)
          (i32.rem_u (i32.add (local.get $c) (i32.const 1)) (i32.const 3)))
        (i32.const 32)))
    (core instance $i (instantiate $m))
    (type $color' (enum "red" "green" "blue"))
    (export $color "color" (type $color'))
    (type $pixel' (record (field "x" s32) (field "y" s32) (field "color" $color)))
    (export $pixel "pixel" (type $pixel'))
    (func (export "flip") (param "p" $pixel) (result $pixel)
      (canon lift (core func $i "flip") (memory (core memory $i "memory")))))

  (component $things
    (import "t:types/shapes" (instance $s
      (type $color' (enum "red" "green" "blue"))
      (export "color" (type $color (eq $color')))
      (type $pixel' (record (field "x" s32) (field "y" s32) (field "color" $color)))
      (export "pixel" (type (eq $pixel')))))
    (alias export $s "pixel" (type $pixel-in))
    (type $thing' (resource (rep i32)))
    (core func $new (canon resource.new $thing'))
    (core module $m
      (import "cm" "new" (func $new (param i32) (result i32)))
      (memory (export "memory") 1)
      (global $next (mut i32) (i32.const 64))
      ;; a thing's rep is the address of its pixel
      (func (export "make") (param $x i32) (param $y i32) (param $c i32) (result i32)
        (local $at i32)
        (local.set $at (global.get $next))
        (global.set $next (i32.add (local.get $at) (i32.const 12)))
        (i32.store (local.get $at) (local.get $x))
        (i32.store offset=4 (local.get $at) (local.get $y))
        (i32.store8 offset=8 (local.get $at) (local.get $c))
        (call $new (local.get $at)))
      (func (export "pixel") (param $rep i32) (result i32) (local.get $rep)))
    (core instance $i (instantiate $m (with "cm" (instance (export "new" (func $new))))))
    (export $pixel "pixel" (type $pixel-in))
    (type $label' (record (field "id" u32)))
    (export "label" (type $label'))
    (export $thing "thing" (type $thing'))
    (func (export "[constructor]thing") (param "p" $pixel) (result (own $thing))
      (canon lift (core func $i "make")))
    (func (export "[method]thing.pixel") (param "self" (borrow $thing)) (result $pixel)
      (canon lift (core func $i "pixel") (memory (core memory $i "memory")))))

  (component $relay
    (import "t:types/shapes" (instance $s
      (type $color' (enum "red" "green" "blue"))
      (export "color" (type $color (eq $color')))
      (type $pixel' (record (field "x" s32) (field "y" s32) (field "color" $color)))
      (export "pixel" (type (eq $pixel')))))
    (import "t:types/things" (instance $t
      (type $label' (record (field "id" u32)))
      (export "label" (type (eq $label')))
      (export "thing" (type (sub resource)))))
    (alias export $s "pixel" (type $pixel-in))
    (alias export $t "label" (type $label-in))
    (alias export $t "thing" (type $thing-in))
    (core func $drop (canon resource.drop $thing-in))
    (core module $m
      (import "cm" "drop" (func $drop (param i32)))
      (memory (export "memory") 1)
      ;; shift: func(p: pixel) -> pixel: x + 1, y - 1, the same color.
      (func (export "shift") (param $x i32) (param $y i32) (param $c i32) (result i32)
        (i32.store (i32.const 32) (i32.add (local.get $x) (i32.const 1)))
        (i32.store (i32.const 36) (i32.sub (local.get $y) (i32.const 1)))
        (i32.store8 (i32.const 40) (local.get $c))
        (i32.const 32))
      ;; stamp: func(l: label) -> u32: the label's id plus one.
      (func (export "stamp") (param $id i32) (result i32)
        (i32.add (local.get $id) (i32.const 1)))
      ;; weigh: func(t: borrow<thing>) -> u32: ends the borrow, gives 7.
      (func (export "weigh") (param $t i32) (result i32)
        (call $drop (local.get $t))
        (i32.const 7)))
    (core instance $i (instantiate $m (with "cm" (instance (export "drop" (func $drop))))))
    (export $pixel "pixel" (type $pixel-in))
    (export $label "label" (type $label-in))
    (export $thing "thing" (type $thing-in))
    (func (export "stamp") (param "l" $label) (result u32)
      (canon lift (core func $i "stamp")))
    (func (export "shift") (param "p" $pixel) (result $pixel)
      (canon lift (core func $i "shift") (memory (core memory $i "memory"))))
    (func (export "weigh") (param "t" (borrow $thing)) (result u32)
      (canon lift (core func $i "weigh"))))

  (instance $sh (instantiate $shapes))
  (instance $th (instantiate $things (with "t:types/shapes" (instance $sh))))
  (instance $re (instantiate $relay
    (with "t:types/shapes" (instance $sh))
    (with "t:types/things" (instance $th))))
  (export "t:types/shapes" (instance $sh))
  (export "t:types/things" (instance $th))
  (export "t:types/relay" (instance $re)))
