;; A resource type defined and exported at the root, with a constructor
;; and methods that use the exported type.
(component
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
