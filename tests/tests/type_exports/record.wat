;; A record exported at the root, an enum it holds exported before it, and
;; a function using the record.
(component
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
