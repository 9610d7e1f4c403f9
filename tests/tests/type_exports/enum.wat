;; Two enums exported at the root, the second before the first is used,
;; and functions using both.
(component
  (core module $m
    (func (export "next") (param i32) (result i32)
      (i32.rem_u (i32.add (local.get 0) (i32.const 1)) (i32.const 3)))
    (func (export "warm") (param i32) (result i32)
      (i32.eqz (local.get 0))))
  (core instance $i (instantiate $m))
  (type $color' (enum "red" "green" "blue"))
  (export $color "color" (type $color'))
  (type $mood' (enum "warm" "cold"))
  (export $mood "mood" (type $mood'))
  (func (export "next") (param "c" $color) (result $color)
    (canon lift (core func $i "next")))
  (func (export "mood-of") (param "c" $color) (result $mood)
    (canon lift (core func $i "warm"))))
