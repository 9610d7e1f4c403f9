;; An exported instance holding two instances: one with a resource's
;; functions (`counters`) and one without (`shapes`).
(component
  (component $rec
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
  (component $res
    (type $counter' (resource (rep i32)))
    (export $counter "counter" (type $counter'))
    (core func $new (canon resource.new $counter'))
    (core module $m
      (import "" "new" (func $new (param i32) (result i32)))
      (func (export "new") (param i32) (result i32) (call $new (local.get 0)))
      (func (export "get") (param i32) (result i32) (local.get 0))
      (func (export "plus") (param i32 i32) (result i32)
        (call $new (i32.add (local.get 0) (local.get 1)))))
    (core instance $i (instantiate $m (with "" (instance (export "new" (func $new))))))
    (func (export "[constructor]counter") (param "start" u32) (result (own $counter))
      (canon lift (core func $i "new")))
    (func (export "[method]counter.get") (param "self" (borrow $counter)) (result u32)
      (canon lift (core func $i "get")))
    (func (export "[method]counter.plus") (param "self" (borrow $counter)) (param "n" u32)
      (result (own $counter))
      (canon lift (core func $i "plus"))))
  (instance $x (instantiate $rec))
  (instance $y (instantiate $res))
  (instance $bag (export "shapes" (instance $x)) (export "counters" (instance $y)))
  (export "t:types/api" (instance $bag)))
