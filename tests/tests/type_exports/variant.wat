;; A variant exported at the root and used by the root's exported function.
(component
  (core module $m
    (memory (export "memory") 1)
    ;; shape: func(s: shape) -> shape: none -> dot(7), dot(n) -> line(n + 1),
    ;; line(n) -> none. The result goes through a return area.
    (func (export "step") (param $case i32) (param $n i32) (result i32)
      (block $line
        (block $dot
          (block $none
            (br_table $none $dot $line (local.get $case)))
          (i32.store (i32.const 16) (i32.const 1))
          (i32.store (i32.const 20) (i32.const 7))
          (return (i32.const 16)))
        (i32.store (i32.const 16) (i32.const 2))
        (i32.store (i32.const 20) (i32.add (local.get $n) (i32.const 1)))
        (return (i32.const 16)))
      (i32.store (i32.const 16) (i32.const 0))
      (i32.const 16)))
  (core instance $i (instantiate $m))
  (type $shape' (variant (case "none") (case "dot" u32) (case "line" u32)))
  (export $shape "shape" (type $shape'))
  (func (export "step") (param "s" $shape) (result $shape)
    (canon lift (core func $i "step") (memory (core memory $i "memory")))))
